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
"""Generates reasoning traces for every row of a dataset against an OpenAI-compatible server, resumably.

    python scripts/generate_reasoning.py --dataset-name open-r1/OpenR1-Math-220k --prompt-column problem \
        --api-addr http://localhost:8000/v1 --model deepseek-ai/DeepSeek-R1 --num-generations 4 \
        --output-file data/r1_traces.jsonl

Each finished row is appended to `--output-file` as one JSON line (the input row plus `generations`,
`finish_reasons` and `api_metadata`) and flushed at once. Rerunning the same command skips the rows already in the
file, so a run killed at any point, or one that outlived its server, resumes without losing or duplicating a row.
A torn last line (the process killed mid-write) is cut off before appending.

Requests in flight are capped by `--max-concurrent`. A request that fails at the connection level or with a
408/429/5xx answer is retried with exponential backoff, so a server restart mid-run costs time, not rows; a row
that still fails is left out and counted, and the command exits non-zero so that rerunning it completes the file.
Any other 4xx (a wrong model name, a prompt that is too long) stops the run at once with the server's message.
"""

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import time
from dataclasses import dataclass

import aiohttp
from tqdm.auto import tqdm

from open_r1.utils.data import load_dataset_any
from open_r1.utils.generation import check_server, normalize_base_url


logger = logging.getLogger("generate_reasoning")

DEFAULT_PROMPT_TEMPLATE = (
    "You will be given a problem. Please reason step by step, and put your final answer within \\boxed{}:\n{prompt}"
)
INDEX_FIELD = "row_index"  # identifies a row when no --uuid-column is given
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class FatalRequestError(RuntimeError):
    """The server rejected a request in a way retrying cannot fix (bad model name, bad parameters)."""


@dataclass
class RetryPolicy:
    max_retries: int = 10
    backoff_base: float = 1.0  # seconds before the first retry; doubles after each failure
    backoff_max: float = 60.0

    def delay(self, attempt: int) -> float:
        # Full jitter keeps a thousand clients from hammering a server that just came back all at the same moment.
        return min(self.backoff_max, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.0)


def repair_and_read_done(path: str, key_field: str) -> set:
    """Keys of the rows already in `path`, after cutting off a torn last line (a run killed mid-write)."""
    if not os.path.exists(path):
        return set()
    with open(path, "rb+") as f:
        data = f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            logger.warning(
                "%s ends with a partial line (%d bytes); removing it before resuming.", path, len(data) - end
            )
            f.truncate(end)
            data = data[:end]
    done = set()
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{path} line {number} is not valid JSON ({error}); fix or remove it to resume."
            ) from None
        if key_field not in record:
            raise ValueError(
                f"{path} line {number} has no {key_field!r} field: was it written with another --uuid-column?"
            )
        done.add(_hashable(record[key_field]))
    return done


def _hashable(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value


async def post_with_retries(session: aiohttp.ClientSession, url: str, payload: dict, policy: RetryPolicy) -> dict:
    for attempt in range(policy.max_retries + 1):
        try:
            async with session.post(url, json=payload) as response:
                if response.status == 200:
                    return await response.json()
                body = (await response.text())[:500]
                if response.status not in RETRYABLE_STATUS:
                    raise FatalRequestError(f"{url} answered {response.status}: {body}")
                problem = f"HTTP {response.status}: {body}"
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
            problem = f"{type(error).__name__}: {error}"
        if attempt == policy.max_retries:
            raise RuntimeError(f"gave up after {policy.max_retries + 1} attempts; last error {problem}")
        delay = policy.delay(attempt)
        logger.warning("Request failed (%s); retry %d/%d in %.1f s", problem, attempt + 1, policy.max_retries, delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def generate_row(session, url: str, messages: list[dict], args, policy: RetryPolicy) -> dict:
    """All `num_generations` completions of one prompt. Asks for them with `n`; tops up with more requests where the
    server ignores `n` (`transformers serve` does), so every server yields the same shape. Greedy decoding
    (temperature 0) asks for one per request: vLLM refuses `n > 1` there ("n must be 1 when using greedy sampling")."""
    generations, finish_reasons, metadata = [], [], []
    per_request = 1 if args.temperature < 1e-5 else args.num_generations  # 1e-5: vLLM's own greedy threshold
    while len(generations) < args.num_generations:
        payload = {
            "model": args.model,
            "messages": messages,
            "n": min(per_request, args.num_generations - len(generations)),
            "max_tokens": args.max_tokens,
            "temperature": args.temperature,
            "top_p": args.top_p,
        }
        result = await post_with_retries(session, url, payload, policy)
        choices = result.get("choices") or []
        if not choices:
            raise RuntimeError(f"the server answered with no choices: {str(result)[:300]}")
        for choice in choices[: args.num_generations - len(generations)]:
            generations.append(choice["message"]["content"])
            finish_reasons.append(choice.get("finish_reason"))
        metadata.append(result.get("usage"))
    return {"generations": generations, "finish_reasons": finish_reasons, "api_metadata": metadata}


async def run(args, rows: list[tuple[object, dict]], output_file: str, already_done: int) -> tuple[int, int]:
    """Generates for `rows` ((key, row) pairs not yet in the output); returns (written, failed)."""
    url = normalize_base_url(args.api_addr) + "/chat/completions"
    policy = RetryPolicy(args.max_retries, args.backoff_base, args.backoff_max)
    queue: asyncio.Queue = asyncio.Queue(maxsize=2 * args.max_concurrent)  # bounded: a 1M-row run stays small
    written = failed = 0
    progress = tqdm(total=already_done + len(rows), initial=already_done, desc="Generating", unit="row")
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    connector = aiohttp.TCPConnector(limit=args.max_concurrent)
    fatal: list[BaseException] = []

    async def worker(session, out):
        nonlocal written, failed
        while (item := await queue.get()) is not None:
            if fatal:
                continue  # drain the queue so the producer never blocks on a run that is stopping
            key, row = item
            prompt = args.prompt_template.replace("{prompt}", str(row[args.prompt_column]))
            try:
                result = await generate_row(session, url, [{"role": "user", "content": prompt}], args, policy)
            except FatalRequestError as error:
                fatal.append(error)
                continue
            except Exception as error:  # noqa: BLE001 - one bad row must not stop a 1M-row run; it is counted
                failed += 1
                logger.error("Row %r failed and is left out (rerun to retry it): %s", key, error)
                continue
            record = {**row, **result}
            # One write of a whole line from the event-loop thread: lines never interleave. Flushed, so a killed run
            # loses only rows still in flight, which the next run generates again.
            try:
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                out.flush()
            except Exception as error:  # noqa: BLE001 - disk full, unserialisable row: stop, do not skip silently
                fatal.append(error)
                continue
            written += 1
            progress.update(1)

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        with open(output_file, "a", encoding="utf-8") as out:
            workers = [asyncio.create_task(worker(session, out)) for _ in range(args.max_concurrent)]
            for item in rows:
                if fatal:
                    break
                await queue.put(item)
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
            os.fsync(out.fileno())
    progress.close()
    if fatal:
        raise fatal[0]
    return written, failed


def resolve_model(base_url: str) -> str:
    """The first model the server lists, for servers that serve exactly one (vLLM, SGLang)."""
    import urllib.request

    try:
        with urllib.request.urlopen(normalize_base_url(base_url) + "/models", timeout=10) as response:
            models = [m["id"] for m in json.load(response).get("data", [])]
    except Exception:  # noqa: BLE001
        models = []
    if not models:
        raise ValueError(f"The server at {base_url} lists no model; pass the served model name with --model.")
    return models[0]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--dataset-name", required=True, help="Hub id, or a local file (.jsonl/.parquet/...) or folder"
    )
    parser.add_argument("--dataset-config", default=None)
    parser.add_argument("--dataset-split", default="train")
    parser.add_argument("--prompt-column", default="problem", help="Column holding the problem text")
    parser.add_argument(
        "--uuid-column",
        default=None,
        help=f"Column with a unique id per row, used to resume; default: the row's index (written as {INDEX_FIELD!r})",
    )
    parser.add_argument("--output-file", required=True, help="JSONL file appended to; rerun to resume")
    parser.add_argument("--api-addr", default="http://localhost:8000/v1", help="OpenAI-compatible server URL")
    parser.add_argument("--model", default=None, help="Served model name; default: the first the server lists")
    parser.add_argument("--prompt-template", default=DEFAULT_PROMPT_TEMPLATE, help="Must contain {prompt}")
    parser.add_argument("--num-generations", type=int, default=4)
    parser.add_argument("--temperature", type=float, default=0.6)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--max-tokens", type=int, default=16384)
    parser.add_argument("--max-concurrent", type=int, default=1000, help="Requests in flight at once")
    parser.add_argument("--request-timeout", type=float, default=3600, help="Seconds before one request is retried")
    parser.add_argument("--max-retries", type=int, default=10, help="Retries per request before the row is left out")
    parser.add_argument("--backoff-base", type=float, default=1.0, help="Seconds before the first retry (doubles)")
    parser.add_argument("--backoff-max", type=float, default=60.0, help="Longest wait between two retries")
    parser.add_argument("--max-rows", type=int, default=None, help="Only the first N rows (to try a setup)")
    args = parser.parse_args(argv)
    if "{prompt}" not in args.prompt_template:
        parser.error("--prompt-template must contain {prompt}, where the problem text goes")
    if args.num_generations < 1 or args.max_concurrent < 1:
        parser.error("--num-generations and --max-concurrent must be at least 1")
    return args


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(argv)
    check_server(args.api_addr)  # a typo in the URL fails here, not after 10 retries per row
    if args.model is None:
        args.model = resolve_model(args.api_addr)

    dataset = load_dataset_any(args.dataset_name, args.dataset_config, args.dataset_split)
    if args.prompt_column not in dataset.column_names:
        raise ValueError(
            f"Dataset {args.dataset_name} has no prompt column {args.prompt_column!r}; its columns are "
            f"{dataset.column_names}. Pass the right one with --prompt-column."
        )
    if args.max_rows is not None:
        dataset = dataset.select(range(min(args.max_rows, len(dataset))))
    if args.uuid_column is None:
        if INDEX_FIELD in dataset.column_names:
            raise ValueError(f"The dataset already has a {INDEX_FIELD!r} column: pass --uuid-column {INDEX_FIELD}.")
        key_field = INDEX_FIELD
        keys = list(range(len(dataset)))
    else:
        if args.uuid_column not in dataset.column_names:
            raise ValueError(f"--uuid-column {args.uuid_column!r} is not a column of {dataset.column_names}.")
        key_field = args.uuid_column
        keys = [_hashable(k) for k in dataset[args.uuid_column]]
        if len(set(keys)) != len(keys):
            raise ValueError(f"--uuid-column {args.uuid_column!r} has duplicate values, so it cannot identify rows.")

    done = repair_and_read_done(args.output_file, key_field)
    os.makedirs(os.path.dirname(os.path.abspath(args.output_file)), exist_ok=True)
    todo = [
        (key, row if key_field != INDEX_FIELD else {**row, INDEX_FIELD: key})
        for key, row in zip(keys, dataset)
        if key not in done
    ]
    logger.info(
        "%d rows in the dataset, %d already in %s, %d to generate.", len(keys), len(done), args.output_file, len(todo)
    )
    start = time.monotonic()
    try:
        written, failed = asyncio.run(run(args, todo, args.output_file, len(keys) - len(todo)))
    except FatalRequestError as error:
        logger.error("Stopping: the server rejected a request, and retrying will not change that. %s", error)
        return 2
    elapsed = time.monotonic() - start
    logger.info(
        "Wrote %d rows in %.1f s (%.2f rows/s) to %s.",
        written,
        elapsed,
        written / max(elapsed, 1e-9),
        args.output_file,
    )
    if failed:
        logger.error("%d rows failed after all retries; rerun the same command to generate them.", failed)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
