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
"""Math answer verification that cannot hang and cannot be silently wrong.

Why a process pool. math-verify 0.5.2 bounds sympy with `signal.alarm`, which only works on a process's main thread.
Called from any other thread (trl runs async reward functions on a daemon event-loop thread; users call rewards
from thread pools) `signal.signal` raises, math-verify swallows the error and every comparison that needs sympy
comes back `False`: a right answer scores 0 with no error anywhere. And even on the main thread an alarm cannot
stop C code that holds the GIL (`\\boxed{9^{9^{9^{9}}}}` is a bigint power that never returns).

So parse and verify run in worker processes, each on its own main thread where math-verify's alarms work as its
authors intended (same results as open-r1 on the main thread), and the parent enforces a hard deadline on every
step: a worker silent for longer than `timeout_s` is killed (SIGKILL) and replaced, the answer it was stuck on
scores `timeout_score` (0.0: the completion could not be verified) and a warning names it; a gold that cannot be
parsed in time scores `None` for its answers (the row cannot be judged, trl skips it).

Speed. Workers are plain `python -c` subprocesses (no `multiprocessing` fork of a torch/trl process with threads,
no re-import of the training script's `__main__`), started lazily and reused across batches. A batch is grouped by
gold, so each gold is parsed once per chunk and cached in the worker, and sent in a few chunks per worker (one
message per answer streams back, which is also how the parent knows a worker is alive). Results are cached in the
parent by (gold, answer), so accuracy, cosine and length rewards on the same batch verify each answer once.
"""

import atexit
import hashlib
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait


logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_LIMIT_MB = 4096
_STARTUP_TIMEOUT_S = 120.0
_RESULT_CACHE_SIZE = 8192
_WORKER_GOLD_CACHE_SIZE = 512


# --------------------------------------------------------------------------------------------------------------------
# Worker side: runs in a fresh interpreter, on its main thread. Imports only the standard library at module level so
# the parent can load this file without math_verify, and the worker can load it without the open_r1 package.
# --------------------------------------------------------------------------------------------------------------------


def _open_r1_parsers():
    """open-r1's accuracy_reward parsing: gold with math-verify's defaults, answer from boxed/LaTeX only."""
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    answer_config = [
        LatexExtractionConfig(
            normalization_config=NormalizationConfig(
                nits=False, malformed_operators=False, basic_latex=True, equations=True, boxed="all", units=True
            ),
            # Boxed answers first, and no bare-number fallback: a number in the reasoning is not the answer.
            boxed_match_priority=0,
            try_extract_without_anchor=False,
        )
    ]

    def parse_gold(text: str) -> list:
        return parse(text, extraction_mode="first_match")

    def parse_answer(text: str) -> list:
        return parse(text, extraction_config=answer_config, extraction_mode="first_match")

    return parse_gold, parse_answer, verify


class _Recent:
    """A mapping that keeps only its `size` most recently used entries (bounded memory for long runs).

    Written here rather than taken from cachetools (LRUCache), which is not a dependency: this file also runs in
    bare worker interpreters, and an OrderedDict is all it takes."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()

    def __contains__(self, key) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key):
        """The value stored for `key` (KeyError if none), which becomes the most recently used."""
        self._items.move_to_end(key)
        return self._items[key]

    def clear(self) -> None:
        self._items.clear()

    def put(self, key, value) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)


def _score(gold_parsed: list, answer: str, parse_answer, verify) -> float | None:
    """One answer's verdict: None if the gold did not parse, 0.0 if math-verify fails on the answer."""
    if not gold_parsed:
        return None
    try:
        # verify(gold, answer): the order matters for sets, intervals and relations.
        return float(verify(gold_parsed, parse_answer(answer)))
    except Exception:
        return 0.0


def _verify_groups(groups: list, parsers: tuple, gold_cache: _Recent, send) -> None:
    """Answers one request: per (gold, answers) group, ("gold", parsed?) then ("answer", score) per answer, each sent
    as soon as it is known (the parent's deadline runs from one message to the next)."""
    parse_gold, parse_answer, verify = parsers
    for gold, answers in groups:
        if gold in gold_cache:
            gold_parsed = gold_cache.get(gold)
        else:
            try:
                gold_parsed = parse_gold(gold)
            except Exception:
                gold_parsed = []
            gold_cache.put(gold, gold_parsed)
        send(("gold", bool(gold_parsed)))
        for answer in answers:
            send(("answer", _score(gold_parsed, answer, parse_answer, verify)))


def _serve(inbox: Connection, outbox: Connection, parsers: tuple) -> None:
    """The worker's loop: one request (a chunk's groups) at a time, until the parent closes the pipe."""
    gold_cache = _Recent(_WORKER_GOLD_CACHE_SIZE)
    outbox.send(("ready", os.getpid()))
    while True:
        try:
            groups = inbox.recv()
        except (EOFError, OSError):
            return
        _verify_groups(groups, parsers, gold_cache, outbox.send)


# The two functions below run only in the worker's own interpreter, which loads this file under another module name:
# mutmut can neither see which test covers them nor switch a mutant of them on there, so it does not mutate them
# (docs/mutation.md). Their behaviour is tested end to end in tests/test_math_verification.py and
# tests/test_math_verification_pool.py (Ctrl-C, a killed run).


def _watch_parent(parent_pid: int) -> None:  # pragma: no mutate block
    # EOF on the inbox ends an idle worker; this ends one busy in Python code after its parent died.
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(0)


def _worker_main(memory_limit_mb: int, parent_pid: int) -> None:  # pragma: no mutate block
    """Sets the process up, then serves requests (`_serve`)."""
    import signal

    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    # math-verify prints parse errors to stdout: keep them off the protocol pipe.
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes us.
    logging.disable(logging.WARNING)  # the parent reports timeouts; math-verify's own warnings are noise here
    if memory_limit_mb > 0:
        import resource

        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # a runaway bigint raises MemoryError, not OOM
    # The parent's pid comes from the parent, not os.getppid(): a parent killed while this worker was starting would
    # otherwise leave it watching its new parent (init) forever.
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()

    parsers = _open_r1_parsers()
    parse_gold, parse_answer, verify = parsers
    # Warm up sympy's lazy imports and caches (about a second) before saying ready: the per-answer deadline only
    # starts then, and should not pay for it.
    verify(parse_gold(r"$\frac{1}{2}$"), parse_answer(r"\boxed{0.5}"))
    verify(parse_gold(r"$x + 1$"), parse_answer(r"\boxed{1 + x}"))
    _serve(inbox, outbox, parsers)


_BOOTSTRAP = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_open_r1_math_worker', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)\n"
    "module._worker_main(int(sys.argv[2]), int(sys.argv[3]))\n"
)


# --------------------------------------------------------------------------------------------------------------------
# Parent side.
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class VerifyStats:
    """What one `verify` call did; `MathVerifier.totals` sums them over the verifier's life."""

    answers: int = 0
    unique: int = 0  # distinct (gold, answer) pairs not found in the result cache
    cache_hits: int = 0
    gold_parses: int = 0
    timeouts: int = 0  # answers killed for running past the deadline
    gold_timeouts: int = 0  # golds killed for running past the deadline
    crashes: int = 0  # workers that died on their own (segfault, out of memory)
    workers_started: int = 0
    wall_s: float = 0.0

    def add(self, other: "VerifyStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Chunk:
    groups: list  # [(gold, [answer, ...]), ...]
    events: list = field(default_factory=list)  # [(group index, answer index or -1 for the gold), ...]
    position: int = 0

    def __post_init__(self):
        for g, (_, answers) in enumerate(self.groups):
            self.events.append((g, -1))
            self.events.extend((g, a) for a in range(len(answers)))

    def remainder(self) -> "list | None":
        """The groups not yet finished after the current event, as a new chunk's groups (the gold is re-parsed)."""
        g, a = self.events[self.position]
        rest = []
        if a >= 0 and a + 1 < len(self.groups[g][1]):
            rest.append((self.groups[g][0], self.groups[g][1][a + 1 :]))
        rest.extend(self.groups[g + 1 :])
        return rest or None


class _Worker:
    def __init__(self, memory_limit_mb: int):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, os.path.abspath(__file__), str(memory_limit_mb), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.inbox = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.outbox = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.proc.stdout.close()
        self.proc.stdin.close()
        self.ready = False
        self.started = time.monotonic()
        self.chunk: _Chunk | None = None
        self.last_progress = self.started

    def deadline(self, timeout_s: float) -> float:
        """When a busy worker that has not spoken is declared stuck (or a starting one, failed)."""
        return self.last_progress + timeout_s if self.ready else self.started + _STARTUP_TIMEOUT_S

    def send(self, chunk: _Chunk) -> None:
        self.chunk = chunk
        self.last_progress = time.monotonic()
        self.outbox.send(chunk.groups)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.inbox.close()
        self.outbox.close()

    def reap(self, grace_s: float = 2.0) -> None:
        """Waits for a worker whose outbox is closed (EOF: an idle worker exits by itself), killing it after grace_s."""
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.inbox.close()


def _close_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.outbox.close()  # all at once: they exit in parallel
    for worker in workers:
        worker.reap()


def _answer_key(gold: str, answer: str) -> tuple:
    # Completions can be tens of kB: the cache keeps a digest, not the text.
    return gold, hashlib.blake2b(answer.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class MathVerifier:
    """Scores answers against golds with math-verify, in worker processes with a hard per-step deadline.

    Thread-safe (calls are serialised) and gives the same results from any thread or event loop.

    Args:
        num_workers: worker processes, started lazily; default min(4, CPU cores).
        timeout_s: hard limit on parsing one gold, or parsing and verifying one answer.
        timeout_score: score of an answer killed at the deadline (0.0: not verified; None: skip the row).
        memory_limit_mb: address-space limit of each worker (0: none), so a runaway expression fails fast.
    """

    def __init__(
        self,
        num_workers: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        timeout_score: float | None = 0.0,
        memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    ):
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}.")
        self.num_workers = max(1, num_workers if num_workers is not None else min(4, os.cpu_count() or 1))
        self.timeout_s = float(timeout_s)
        self.timeout_score = timeout_score
        self.memory_limit_mb = int(memory_limit_mb)
        self.last_stats = VerifyStats()
        self.totals = VerifyStats()
        self._workers: list[_Worker] = []
        self._cache = _Recent(_RESULT_CACHE_SIZE)
        self._lock = threading.Lock()
        self._closed = False
        self._peak_workers = 0  # how many workers the load has needed so far: replacements keep the pool this size
        atexit.register(self.close)

    # ---- public API -------------------------------------------------------------------------------------------

    def verify(self, golds: list[str], answers: list[str]) -> list[float | None]:
        """`verify(gold, answer)` per pair: 1.0 right, 0.0 wrong (or timed out), None when the gold is unparseable."""
        if len(golds) != len(answers):
            raise ValueError(f"Got {len(golds)} golds for {len(answers)} answers; expected one gold per answer.")
        with self._lock:
            if self._closed:
                raise RuntimeError("This MathVerifier is closed.")
            stats = VerifyStats(answers=len(answers))
            start = time.perf_counter()
            keys = [_answer_key(str(g), str(a)) for g, a in zip(golds, answers)]
            found: dict[tuple, float | None] = {}
            todo: dict[tuple, tuple[str, str]] = {}
            for key, gold, answer in zip(keys, golds, answers):
                if key in self._cache:
                    found[key] = self._cache.get(key)
                elif key not in todo:
                    todo[key] = (str(gold), str(answer))
            stats.cache_hits = sum(1 for key in keys if key not in todo)
            stats.unique = len(todo)
            if todo:
                try:
                    found.update(self._run(todo, stats))
                except BaseException:
                    # Interrupted or broken mid-batch: workers may hold half-done chunks whose late messages would
                    # be read as the next call's. Start over with a clean pool.
                    for worker in list(self._workers):
                        self._retire(worker)
                    raise
            results = [found[key] for key in keys]
            stats.wall_s = time.perf_counter() - start
            self.last_stats = stats
            self.totals.add(stats)
            return results

    def start(self) -> None:
        """Starts the workers now, in the background (otherwise the first call starts them): call it while the model
        loads, and the first reward call finds them warm."""
        with self._lock:
            if self._closed:
                raise RuntimeError("This MathVerifier is closed.")
            while len(self._workers) < self.num_workers:
                self._workers.append(_Worker(self.memory_limit_mb))
                self.totals.workers_started += 1
            self._peak_workers = self.num_workers

    def close(self) -> None:
        """Stops the workers (also run at interpreter exit). A closed verifier refuses further calls."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        _close_all(workers)

    def shutdown_workers(self) -> None:
        """Stops the workers but keeps the verifier usable: the next call starts fresh ones."""
        with self._lock:
            workers, self._workers = self._workers, []
            self._peak_workers = 0
        _close_all(workers)

    @property
    def worker_pids(self) -> list[int]:
        return [worker.proc.pid for worker in self._workers]

    # ---- scheduling -------------------------------------------------------------------------------------------

    def _chunks(self, todo: dict) -> list[_Chunk]:
        """Groups the pairs by gold and cuts them into about two chunks per worker, splitting a gold only if big."""
        by_gold: dict[str, list[str]] = {}
        for gold, answer in todo.values():
            by_gold.setdefault(gold, []).append(answer)
        target = max(1, math.ceil(len(todo) / (2 * self.num_workers)))
        pieces = []
        for gold, answers in by_gold.items():
            n = math.ceil(len(answers) / target)
            size = math.ceil(len(answers) / n)
            pieces.extend((gold, answers[i : i + size]) for i in range(0, len(answers), size))
        chunks, current, count = [], [], 0
        for gold, answers in pieces:
            current.append((gold, answers))
            count += len(answers)
            if count >= target:
                chunks.append(_Chunk(current))
                current, count = [], 0
        if current:
            chunks.append(_Chunk(current))
        return chunks

    def _run(self, todo: dict, stats: VerifyStats) -> dict:
        queue = deque(self._chunks(todo))
        self._peak_workers = max(self._peak_workers, min(self.num_workers, len(queue)))
        results: dict[tuple, float | None] = {}

        def store(gold: str, answer: str, value: float | None) -> None:
            key = _answer_key(gold, answer)
            results[key] = value
            self._cache.put(key, value)

        def fail_current(worker: _Worker, reason: str) -> None:
            """The worker is dead: score what it was stuck on and requeue the rest of its chunk."""
            chunk = worker.chunk
            g, a = chunk.events[chunk.position]
            gold, answers = chunk.groups[g]
            if a < 0:
                stats.gold_timeouts += reason == "timeout"
                logger.warning(
                    "Math verification: parsing the gold %r %s; its %d answer(s) score None.",
                    _preview(gold),
                    _REASONS[reason].format(self.timeout_s),
                    len(answers),
                )
                for answer in answers:
                    store(gold, answer, None)
                rest = chunk.groups[g + 1 :] or None
            else:
                stats.timeouts += reason == "timeout"
                logger.warning(
                    "Math verification: the answer %r (gold %r) %s; it scores %s.",
                    _preview(answers[a]),
                    _preview(gold),
                    _REASONS[reason].format(self.timeout_s),
                    self.timeout_score,
                )
                store(gold, answers[a], self.timeout_score)
                rest = chunk.remainder()
            stats.crashes += reason == "crash"
            if rest:
                queue.appendleft(_Chunk(rest))

        while queue or any(w.chunk is not None for w in self._workers):
            # Ready workers pull chunks; more workers start (up to the pool size) while chunks wait. A starting
            # worker takes no chunk until it is ready, so a requeued remainder goes to whichever is free first.
            for worker in self._workers:
                if queue and worker.ready and worker.chunk is None:
                    worker.send(queue.popleft())
            starting = sum(not w.ready for w in self._workers)
            while len(queue) > starting and len(self._workers) < self.num_workers:
                self._workers.append(_Worker(self.memory_limit_mb))
                stats.workers_started += 1
                starting += 1

            watched = [w for w in self._workers if w.chunk is not None or not w.ready]
            deadline = min(w.deadline(self.timeout_s) for w in watched)
            for inbox in wait([w.inbox for w in watched], timeout=max(0.0, deadline - time.monotonic())):
                worker = next(w for w in watched if w.inbox is inbox)
                try:
                    while inbox.poll():
                        self._handle(worker, inbox.recv(), stats, store)
                        if worker.chunk is None:
                            break
                except (EOFError, OSError):
                    if not worker.ready:
                        self._retire(worker)
                        raise RuntimeError(
                            f"A math verification worker exited during startup (exit code {worker.proc.poll()}); "
                            "its error is on stderr above. Is math-verify installed in this Python?"
                        ) from None
                    fail_current(worker, "crash")
                    self._retire(worker)

            now = time.monotonic()
            for worker in watched:
                idle = worker.ready and worker.chunk is None
                if idle or worker not in self._workers or now <= worker.deadline(self.timeout_s):
                    continue
                if not worker.ready:
                    self._retire(worker)
                    raise RuntimeError(f"A math verification worker did not start within {_STARTUP_TIMEOUT_S}s.")
                fail_current(worker, "timeout")
                self._retire(worker)
        # Replace killed workers now: they start in the background while the caller goes on.
        while len(self._workers) < min(self.num_workers, self._peak_workers):
            self._workers.append(_Worker(self.memory_limit_mb))
            stats.workers_started += 1
        return results

    def _handle(self, worker: _Worker, message: tuple, stats: VerifyStats, store) -> None:
        if message[0] == "ready":
            worker.ready = True
            worker.last_progress = time.monotonic()
            return
        chunk = worker.chunk
        worker.last_progress = time.monotonic()
        g, a = chunk.events[chunk.position]
        gold, answers = chunk.groups[g]
        if message[0] == "gold":
            stats.gold_parses += 1
        else:
            store(gold, answers[a], message[1])
        chunk.position += 1
        if chunk.position == len(chunk.events):
            worker.chunk = None

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._workers:
            self._workers.remove(worker)


_REASONS = {"timeout": "ran past the {:g}s limit and its worker was killed", "crash": "crashed its worker"}


def _preview(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]}"


# --------------------------------------------------------------------------------------------------------------------
# The process-wide verifier the math rewards share (so they share its workers and its result cache).
# --------------------------------------------------------------------------------------------------------------------

_default_verifier: MathVerifier | None = None
_default_lock = threading.Lock()
_default_options: dict = {}


def configure_math_verifier(**options) -> None:
    """Sets the options (`MathVerifier`'s arguments) of the shared verifier; replaces it if they changed."""
    global _default_verifier, _default_options
    with _default_lock:
        if options == _default_options:
            return
        old, _default_verifier, _default_options = _default_verifier, None, dict(options)
    if old is not None:
        old.close()


def get_math_verifier() -> MathVerifier:
    """The shared verifier, created on first use with the options of `configure_math_verifier`."""
    global _default_verifier
    with _default_lock:
        if _default_verifier is None:
            _default_verifier = MathVerifier(**_default_options)
        return _default_verifier
