# Copyright 2026 The open-r1 reproduction authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""lighteval's model for a model behind an OpenAI-compatible server (vLLM): what `make evaluate` runs by default.

`make evaluate` (BACKEND=vllm) serves the model with `vllm serve` and runs `lighteval endpoint litellm` against it;
the launcher in src/open_r1/evaluate.py puts `ServedModelClient` in place of lighteval 0.13's LiteLLMClient. It sends
the same requests through litellm (provider `hosted_vllm`), and fixes what the R1 evaluation needs:

- n samples per problem, all of them kept. lighteval's client keeps one empty answer when the first of n is empty,
  and with tasks of different n in one run (TASK=all) it sends every problem once per group, with the first group's n.
- The budget. A generation gets the task's budget (MAX_NEW_TOKENS) or what its prompt leaves of the context, whichever
  is less, as on lighteval's transformers backend. vLLM refuses a request whose prompt plus max_tokens exceeds its
  context, so each prompt is counted first with the server's /tokenize (same chat template, same tokenizer). A prompt
  that leaves no room fails the run before anything is generated, naming MAX_MODEL_LENGTH.
- One cache: lighteval's own, in `cache_dir` (keyed by the model's weights by `make evaluate`), written as problems
  finish, so an interrupted run resumes where it stopped. The server's address is not part of its key (a new port
  each run would miss it every time). litellm's disk cache, which lighteval turns on and which is keyed by the
  model's name only (a retrained model would get its predecessor's answers), stays off.
- A request that still fails after retries fails the run; lighteval scores it as an empty answer.
- No network but the server: lighteval asks openrouter.ai for a context length it does not know; the server says.
"""

import hashlib
import json
import logging
import os
import queue
import threading
import time


# litellm downloads its model price list from GitHub at import unless told to use the copy it ships: an offline
# machine would wait through its retries, and the evaluation never prices anything.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402
import requests  # noqa: E402
from lighteval.models.model_output import ModelResponse  # noqa: E402
from lighteval.tasks.prompt_manager import PromptManager  # noqa: E402
from lighteval.tasks.requests import Doc, SamplingMethod  # noqa: E402
from lighteval.utils.cache_management import SampleCache  # noqa: E402
from lighteval.utils.utils import as_list  # noqa: E402
from litellm.caching import caching  # noqa: E402
from tqdm import tqdm  # noqa: E402

from open_r1.utils.generation import served_models  # noqa: E402


def _import_lightevals_litellm_module():
    """lighteval's litellm module, imported with litellm's disk cache left off.

    At import it sets `litellm.cache` to a disk cache in the working directory (`.litellm_cache/`), keyed by the
    model's name and the prompt: a retrained model would be answered with its predecessor's generations, and every
    folder lighteval was imported from gets the cache. Whoever imports it first decides, so this module, which every
    evaluation through a server imports before lighteval's model loader, imports it with that cache made a no-op.
    """
    cache_class = caching.Cache
    caching.Cache = lambda *args, **kwargs: None
    try:
        from lighteval.models.endpoints import litellm_model
    finally:
        caching.Cache = cache_class
    return litellm_model


_litellm_model = _import_lightevals_litellm_module()
LiteLLMClient, LiteLLMModelConfig = _litellm_model.LiteLLMClient, _litellm_model.LiteLLMModelConfig


logger = logging.getLogger(__name__)
PROVIDER = "hosted_vllm"  # litellm's provider for vLLM's server: OpenAI's API, no API key needed
SHORTENED_BUDGET_WARNING = 0.9  # warn when a prompt leaves less than this share of the asked new tokens
CACHE_WRITE_INTERVAL = 60.0  # seconds between cache writes while problems finish (each write rewrites the file)
# Fields of the model config that say how to reach the server, not what it generates: not part of the cache key.
TRANSPORT_FIELDS = {
    "base_url",
    "api_key",
    "concurrent_requests",
    "timeout",
    "api_max_retry",
    "api_retry_sleep",
    "api_retry_multiplier",
    "verbose",
}


class ServerSampleCache(SampleCache):
    """lighteval's sample cache, keyed by what decides the generations (model, sampling, context, cache_dir)."""

    def get_model_hash(self, model_config: LiteLLMModelConfig) -> str:
        fields = model_config.model_dump(exclude=TRANSPORT_FIELDS)
        return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


def served_max_model_len(base_url: str, model: str, timeout: float = 30.0) -> int:
    """The context length the server at `base_url` serves `model` with (vLLM's /v1/models `max_model_len`)."""
    models = served_models(base_url, timeout)
    if model not in models:
        raise ValueError(f"The server at {base_url} serves {sorted(models)}, not {model!r}.")
    length = models[model].get("max_model_len")
    if not length:
        raise ValueError(f"The server at {base_url} does not say its context length: set max_model_length.")
    return int(length)


class ServedModelClient(LiteLLMClient):
    """lighteval's litellm client for one model on one OpenAI-compatible server (see the module docstring).

    Configured as lighteval's LiteLLMModelConfig: `model_name` is the name the server serves the model under,
    `provider` litellm's provider (default hosted_vllm), `base_url` the server's /v1 address.
    """

    def __init__(self, config: LiteLLMModelConfig) -> None:
        # lighteval's __init__ is not called: it would open a cache keyed by the server's address.
        self.config = config
        self.model = config.model_name
        self.provider = config.provider or PROVIDER
        self.base_url = config.base_url
        self.api_key = config.api_key
        self.generation_parameters = config.generation_parameters
        self.concurrent_requests = config.concurrent_requests
        self.API_MAX_RETRY = config.api_max_retry
        self.API_RETRY_SLEEP = config.api_retry_sleep
        self.API_RETRY_MULTIPLIER = config.api_retry_multiplier
        self.timeout = config.timeout
        if not self.base_url:
            raise ValueError("ServedModelClient needs base_url, the server's /v1 address.")
        self._max_length = config.max_model_length or served_max_model_len(self.base_url, self.model)
        self._tokenizer = litellm.encode
        self.pairwise_tokenization = False
        litellm.drop_params = True  # a sampling option the provider does not take is left out, as in lighteval
        litellm.cache = None
        self.prompt_manager = PromptManager(use_chat_template=True, tokenizer=None, system_prompt=config.system_prompt)
        self._cache = ServerSampleCache(config)
        self._can_count_tokens = True

    @property
    def max_length(self) -> int:
        return self._max_length

    # --- one problem: count its prompt, then ask for its n samples ---------------------------------------------

    def prompt_tokens(self, messages: list[dict]) -> int | None:
        """The prompt's length in tokens after the server's chat template (vLLM's /tokenize); None if not vLLM."""
        if not self._can_count_tokens:
            return None
        root = self.base_url.rstrip("/").removesuffix("/v1")
        body = {"model": self.model, "messages": messages, "add_generation_prompt": True}
        response = requests.post(f"{root}/tokenize", json=body, timeout=self.timeout or 600)
        if response.status_code == 404:
            logger.warning("The server has no /tokenize (not vLLM): each request asks for the full budget.")
            self._can_count_tokens = False
            return None
        response.raise_for_status()
        return int(response.json()["count"])

    def budget(self, doc: Doc, prompt_tokens: int | None) -> int | None:
        """New tokens for one problem: the task's budget, or what the prompt leaves of the context if less."""
        budget = self.generation_parameters.max_new_tokens or doc.generation_size
        if prompt_tokens is None:
            return budget
        room = self.max_length - prompt_tokens
        return room if budget is None else min(budget, room)

    def sampling(self) -> dict:
        """The request's sampling options, from the model config's generation_parameters."""
        options = self.generation_parameters.to_litellm_dict()
        options.pop("max_completion_tokens", None)  # the budget is set per problem
        return options

    def complete(self, messages: list[dict], num_samples: int, max_tokens: int | None, stop: list[str]) -> list[str]:
        """The `num_samples` answers to one prompt; retries what may pass (connection, timeout, 5xx), raises the rest."""
        kwargs = {
            "model": f"{self.provider}/{self.model}",
            "messages": messages,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "n": num_samples,
            "max_tokens": max_tokens,
            "timeout": self.timeout,
            "caching": False,
            **self.sampling(),
        }
        if stop:
            kwargs["stop"] = stop
        for attempt in range(self.API_MAX_RETRY):
            try:
                response = litellm.completion(**kwargs)
                answers = [choice.message.content or "" for choice in response.choices]
                if len(answers) != num_samples:
                    raise RuntimeError(f"The server returned {len(answers)} answers for n={num_samples}.")
                return answers
            except (litellm.BadRequestError, litellm.NotFoundError, litellm.AuthenticationError):
                raise  # the request itself is wrong: sending it again changes nothing
            except Exception as error:
                if attempt + 1 == self.API_MAX_RETRY:
                    raise RuntimeError(f"{self.API_MAX_RETRY} attempts failed, the last with: {error}") from error
                wait = min(64.0, self.API_RETRY_SLEEP * self.API_RETRY_MULTIPLIER**attempt)
                logger.warning(
                    "Request failed (%s); retry %d/%d in %.0f s.", error, attempt + 1, self.API_MAX_RETRY, wait
                )
                time.sleep(wait)
        raise AssertionError("unreachable")

    # --- all problems -----------------------------------------------------------------------------------------

    def greedy_until(self, docs: list[Doc]) -> list[ModelResponse]:
        """The n answers to each problem: from the cache where there, else from the server (then cached)."""
        docs = as_list(docs)
        method = SamplingMethod.GENERATIVE
        todo, _ = self._cache.get_samples_to_process_and_cache(docs, method)
        if len(todo) < len(docs):
            print(f"{len(docs) - len(todo)} of {len(docs)} problems answered from the cache ({self._cache.cache_dir})")
        if todo:
            self._generate(todo)
        task_ids = {self._cache.get_task_id(doc.task_name, method) for doc in docs}
        return self._cache.get_samples_from_cache(docs, task_ids, method)

    def _generate(self, docs: list[Doc]) -> None:
        """Generates every doc's answers, `concurrent_requests` problems at a time, caching them as they finish."""
        if self.generation_parameters.temperature == 0 and max(doc.num_samples for doc in docs) > 1:
            raise ValueError("Greedy decoding (temperature 0) gives n identical samples: use n = 1 (NUM_SAMPLES=1).")
        prompts = [self.prompt_manager.prepare_prompt_api(doc) for doc in docs]
        lengths = self._run(lambda index: self.prompt_tokens(prompts[index]), len(docs), "Counting prompt tokens")
        budgets = [self.budget(doc, lengths[index]) for index, doc in enumerate(docs)]
        too_long = [index for index, budget in enumerate(budgets) if budget is not None and budget < 1]
        if too_long:
            examples = "; ".join(
                f"{docs[index].task_name} problem {docs[index].id}: {lengths[index]} tokens" for index in too_long[:3]
            )
            raise ValueError(
                f"{len(too_long)} prompt(s) leave no room to generate in the server's context of {self.max_length} "
                f"tokens ({examples}). Serve the model with a longer context (MAX_MODEL_LENGTH)."
            )
        self._warn_about_shortened_budgets(docs, lengths, budgets)

        def answer(index: int) -> ModelResponse:
            doc = docs[index]
            texts = self.complete(prompts[index], doc.num_samples, budgets[index], doc.stop_sequences or [])
            return ModelResponse(text=texts, input=prompts[index])

        finished: list[tuple[Doc, ModelResponse]] = []

        def write_cache() -> None:
            if finished:
                task_ids = {self._cache.get_task_id(doc.task_name, SamplingMethod.GENERATIVE) for doc, _ in finished}
                done_docs, responses = zip(*finished)
                self._cache.cache_samples(list(done_docs), list(responses), task_ids, SamplingMethod.GENERATIVE)
                finished.clear()

        last_write = time.monotonic()

        def on_result(index: int, response: ModelResponse) -> None:
            nonlocal last_write
            finished.append((docs[index], response))
            if time.monotonic() - last_write > CACHE_WRITE_INTERVAL:
                write_cache()
                last_write = time.monotonic()

        try:
            self._run(answer, len(docs), "Problems", on_result)
        finally:
            write_cache()  # what finished is kept, even when a request failed or the run was interrupted

    def _warn_about_shortened_budgets(self, docs: list[Doc], lengths: list, budgets: list) -> None:
        """One warning line when prompts leave much less of the context than the generation budget asks: their
        answers are cut short, which lowers the score without an error. A tenth is allowed: the published protocol
        (32768 new tokens in a 32768 context) always leaves a little less than asked, by the prompt's length."""
        asked = [self.generation_parameters.max_new_tokens or doc.generation_size for doc in docs]
        short = [
            i
            for i, budget in enumerate(budgets)
            if asked[i] is not None and budget is not None and budget < SHORTENED_BUDGET_WARNING * asked[i]
        ]
        if short:
            longest = max(lengths[i] for i in short)
            print(
                f"warning: {len(short)} of {len(docs)} prompts leave less than the {max(asked[i] for i in short)} new "
                f"tokens asked in the server's context of {self.max_length} (the longest prompt has {longest} "
                f"tokens): their answers are cut short. MAX_MODEL_LENGTH={longest + max(asked[i] for i in short)} "
                "fits them.",
                flush=True,
            )

    def _run(self, work, count: int, description: str, on_result=None) -> list:
        """work(0..count-1) on `concurrent_requests` daemon threads; results in order; the first error is raised.

        Daemon threads, not a ThreadPoolExecutor: after an error or Ctrl-C the process must be able to exit while
        requests are still in flight (an executor joins its threads at exit, which may take the length of a
        32k-token generation).
        """
        results = [None] * count
        todo, done = queue.SimpleQueue(), queue.SimpleQueue()
        for index in range(count):
            todo.put(index)

        def worker() -> None:
            while True:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put((index, work(index), None))
                except BaseException as error:  # handed to the main thread, which raises it
                    done.put((index, None, error))

        for _ in range(max(1, min(self.concurrent_requests, count))):
            threading.Thread(target=worker, daemon=True).start()
        with tqdm(total=count, desc=description, disable=self.disable_tqdm) as progress:
            for _ in range(count):
                index, result, error = done.get()
                if error is not None:
                    while not todo.empty():  # the workers stop taking new problems
                        try:
                            todo.get_nowait()
                        except queue.Empty:
                            break
                    raise error
                results[index] = result
                if on_result is not None:
                    on_result(index, result)
                progress.update(1)
        return results
