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
"""The math verifier's pool: what is redone after a timeout, how a batch is spread, starting and stopping workers."""

import logging
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from open_r1.utils.math_verification import MathVerifier, VerifyStats


HANG = r"\boxed{9^{9^{9^{9}}}}"  # never returns (test_math_verification.py)
# Golds whose parsing runs into math-verify's own 3 s alarm (deep nesting), i.e. longer than a 1 s hard limit.
SLOW_GOLD = r"\boxed{" + "(" * 500 + "1" + ")" * 500 + "}"
SLOWER_GOLD = r"\boxed{" + "(" * 500 + "2" + ")" * 500 + "}"
CLOSED = r"^This MathVerifier is closed\.$"


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "open_r1.utils.math_verification"]


def test_after_a_timeout_only_the_rest_of_the_batch_is_redone(caplog):
    # One worker, so the batch is cut into two chunks, [A: 3, HANG, 4; B: HANG, 5] and [C: 6, HANG]. A stuck answer
    # may have more answers of its gold after it (A, B), the next gold (A), or nothing (C); what follows it is finished
    # by a new worker, and nothing done before it is redone.
    a, b, c = r"\boxed{3}", r"\boxed{5}", r"\boxed{6}"
    long_hang = HANG.ljust(120)  # the longest text a warning shows whole
    golds = [a, b, a, c, a, b, c]
    answers = [r"\boxed{3}", HANG, HANG, r"\boxed{6}", r"\boxed{4}", r"\boxed{5}", long_hang]
    v = MathVerifier(num_workers=1, timeout_s=1.0)
    try:
        with caplog.at_level(logging.WARNING):
            assert v.verify(golds, answers) == [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
        stats = v.last_stats
        assert (stats.timeouts, stats.gold_timeouts, stats.crashes) == (3, 0, 0)
        # A gold is parsed again only if answers of it are left: A and B twice (before and after their timeouts), C once.
        assert stats.gold_parses == 5
        assert stats.workers_started == 4 and len(v.worker_pids) == 1
        # The last stuck answer ended the batch: its worker was replaced all the same, and the replacement works.
        assert v.verify([r"\boxed{7}"], [r"\boxed{7}"]) == [1.0] and v.last_stats.workers_started == 0
        limit = "ran past the 1s limit and its worker was killed"
        assert warnings_of(caplog) == [
            f"Math verification: the answer {answer!r} (gold {gold!r}) {limit}; it scores 0.0."
            for answer, gold in ((HANG, a), (HANG, b), (long_hang, c))
        ]
    finally:
        v.close()


def test_a_slow_gold_scores_none_for_its_answers_only(caplog):
    # Chunks [SLOW: 1, 2; G2: 2] and [G4: 4; SLOWER: 1; G3: 3]: each slow gold has golds after it in its chunk, which
    # are judged by a new worker, and the second has one before it, which is not redone.
    golds = [SLOW_GOLD, SLOW_GOLD, r"\boxed{2}", r"\boxed{4}", SLOWER_GOLD, r"\boxed{3}"]
    answers = [r"\boxed{1}", r"\boxed{2}", r"\boxed{2}", r"\boxed{4}", r"\boxed{1}", r"\boxed{3}"]
    v = MathVerifier(num_workers=1, timeout_s=1.0)
    try:
        with caplog.at_level(logging.WARNING):
            assert v.verify(golds, answers) == [None, None, 1.0, 1.0, None, 1.0]
        assert (v.last_stats.gold_timeouts, v.last_stats.timeouts) == (2, 0)
        limit = "ran past the 1s limit and its worker was killed"
        assert warnings_of(caplog) == [
            f"Math verification: parsing the gold {preview!r} {limit}; its {n} answer(s) score None."
            for preview, n in (
                (f"{SLOW_GOLD[:60]}...{SLOW_GOLD[-60:]}", 2),
                (f"{SLOWER_GOLD[:60]}...{SLOWER_GOLD[-60:]}", 1),
            )
        ]
    finally:
        v.close()


def test_a_worker_that_cannot_start_is_reported_and_the_pool_is_emptied():
    # A memory limit too small for the worker to start: the same report as for math-verify not installed.
    v = MathVerifier(num_workers=2, memory_limit_mb=16)
    message = (
        r"^A math verification worker exited during startup \(exit code -?\d+\); its error is on stderr above\. "
        r"Is math-verify installed in this Python\?$"
    )
    try:
        for _ in range(2):  # the next call fails the same way, it does not hang on a half-started pool
            with pytest.raises(RuntimeError, match=message):
                v.verify([r"\boxed{1}"] * 4, [r"\boxed{1}", r"\boxed{2}", r"\boxed{3}", r"\boxed{4}"])
            assert v.worker_pids == []
    finally:
        v.close()


def test_start_warms_the_workers_before_the_first_call():
    v = MathVerifier(num_workers=2, timeout_s=20)
    try:
        v.start()
        pids = v.worker_pids
        assert len(pids) == 2 and v.totals.workers_started == 2
        assert v.verify([r"\boxed{1}", r"\boxed{2}"], [r"\boxed{1}", r"\boxed{1}"]) == [1.0, 0.0]
        assert v.last_stats.workers_started == 0 and v.worker_pids == pids
    finally:
        v.close()
    with pytest.raises(RuntimeError, match=CLOSED):
        v.start()
    with pytest.raises(RuntimeError, match=CLOSED):
        v.verify(["1"], ["1"])


def test_a_batch_uses_only_the_workers_it_needs_and_shutdown_forgets_the_load():
    v = MathVerifier(num_workers=2, timeout_s=20)
    try:
        assert v.verify([r"\boxed{1}"], [r"\boxed{1}"]) == [1.0]
        assert len(v.worker_pids) == 1  # one answer: one worker
        assert v.verify([r"\boxed{2}", r"\boxed{3}"], [r"\boxed{2}", r"\boxed{2}"]) == [1.0, 0.0]
        assert len(v.worker_pids) == 2  # two answers: both workers take one
        v.shutdown_workers()
        assert v.verify([r"\boxed{4}"], [r"\boxed{4}"]) == [1.0]
        assert len(v.worker_pids) == 1  # the earlier load is forgotten: one worker again
    finally:
        v.close()


@pytest.mark.parametrize(
    "num_workers, answers_per_gold, sizes",
    [
        (2, [1] * 8, [2, 2, 2, 2]),  # about two chunks per worker
        (2, [8], [2, 2, 2, 2]),  # a gold with many answers is split
        (2, [1, 1], [1, 1]),  # two answers, two workers: one each
        (1, [1] * 5, [3, 2]),
        (2, [5, 2, 1], [2, 2, 3, 1]),  # a gold's answers are kept together up to the chunk size
    ],
)
def test_a_batch_is_cut_into_about_two_even_chunks_per_worker(num_workers, answers_per_gold, sizes):
    v = MathVerifier(num_workers=num_workers)  # no worker starts: only the batch is cut
    pairs = [(f"gold {g}", f"answer {g}.{i}") for g, n in enumerate(answers_per_gold) for i in range(n)]
    chunks = v._chunks({pair: pair for pair in pairs})
    assert [sum(len(answers) for _, answers in chunk.groups) for chunk in chunks] == sizes
    # Every answer once, in order, under its own gold.
    assert [(gold, a) for chunk in chunks for gold, answers in chunk.groups for a in answers] == pairs
    v.close()


def test_defaults_and_the_stats_of_a_new_verifier(monkeypatch):
    v = MathVerifier()
    assert v.num_workers == min(4, os.cpu_count())
    assert v.last_stats == VerifyStats() and v.totals == VerifyStats()
    v.close()
    for cores, workers in ((None, 1), (64, 4)):  # a machine that cannot tell, a big one
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        v = MathVerifier()
        assert v.num_workers == workers
        v.close()


def test_any_text_is_an_answer_and_the_call_is_timed():
    v = MathVerifier(num_workers=1, timeout_s=20)
    try:
        # A lone surrogate (text decoded with errors="surrogateescape") is still an answer, not an encoding error.
        start = time.perf_counter()
        assert v.verify([r"\boxed{6}", r"\boxed{6}"], ["\\boxed{6} \udcff", "\\boxed{7} \udcff"]) == [1.0, 0.0]
        elapsed = time.perf_counter() - start
        assert 0 < v.last_stats.wall_s <= elapsed
        assert v.verify([r"\boxed{6}"], ["\\boxed{6} \udcff"]) == [1.0] and v.last_stats.cache_hits == 1
    finally:
        v.close()


def test_closed_message_is_exact():
    v = MathVerifier(num_workers=1)
    v.close()
    with pytest.raises(RuntimeError, match=re.compile(CLOSED)):
        v.verify([], [])


# A run whose verifier has done its work and waits, idle, while the run does something else (a training step).
IDLE_RUN = """
import time
from open_r1.utils.math_verification import MathVerifier

verifier = MathVerifier(num_workers=1)
assert verifier.verify([r"\\boxed{3}"], [r"\\boxed{3}"]) == [1.0]
print("ready", flush=True)
time.sleep(600)
"""
# A stand-in for a worker busy in Python code for longer than any test waits (math-verify's own alarms stop a real
# one within seconds), watching its parent as the worker does: the parent passes its pid, and may die before the
# child has even started watching.
BUSY_CHILD = """
import sys, threading
from open_r1.utils.math_verification import _watch_parent

threading.Thread(target=_watch_parent, args=(int(sys.argv[1]),), daemon=True).start()
while True:
    sum(range(1000))
"""
BUSY_RUN = f"""
import os, subprocess, sys, time

subprocess.Popen([sys.executable, "-c", {BUSY_CHILD!r}, str(os.getpid())])
print("ready", flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited; only its new parent has not reaped it yet


def _start(script: str) -> tuple[subprocess.Popen, int]:
    """Runs `script` in its own process group (as a run started from a terminal); returns it and its child's pid."""
    run = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        # As from a terminal: a suite started in the background (`cmd &` in a script) inherits SIGINT ignored, and
        # Python then installs no KeyboardInterrupt handler, so Ctrl-C would reach nothing.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert run.stdout.readline() == "ready\n", run.stderr.read()
    children = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 1, children
    return run, int(children[0])


def _assert_gone_within(pid: int, seconds: float) -> None:
    try:
        deadline = time.monotonic() + seconds
        while not _gone(pid):
            assert time.monotonic() < deadline, f"process {pid} still runs {seconds:.0f} s after its run ended"
            time.sleep(0.1)
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("script", [IDLE_RUN, BUSY_RUN], ids=["idle worker", "worker busy in python"])
def test_a_worker_exits_when_its_run_is_killed(script):
    """A run killed outright (SIGKILL: out of memory, a job's time limit) leaves no worker behind: an idle one sees
    its pipe close, a busy one notices within a second or so that its parent is gone."""
    run, worker = _start(script)
    run.kill()
    run.wait(timeout=30)
    _assert_gone_within(worker, 15)


def test_ctrl_c_stops_a_run_and_leaves_no_worker():
    """Ctrl-C in the terminal sends SIGINT to the whole process group: the run stops with one KeyboardInterrupt, its
    own (the worker leaves the signal to the run instead of printing a traceback of its own), and the worker is
    gone soon after."""
    run, worker = _start(IDLE_RUN)
    os.killpg(run.pid, signal.SIGINT)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode != 0
    assert stderr.count("KeyboardInterrupt") == 1, stderr
    _assert_gone_within(worker, 15)
