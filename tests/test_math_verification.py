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
"""The process-pool math verifier: right answers, the same answers on any thread, and no hangs."""

import asyncio
import multiprocessing
import os
import threading
import time

import pytest
from latex2sympy2_extended import NormalizationConfig
from math_verify import LatexExtractionConfig, parse, verify

from open_r1.utils.math_verification import (
    MathVerifier,
    _open_r1_parsers,
    _Recent,
    _serve,
    configure_math_verifier,
    get_math_verifier,
)


# A hanging answer: math-verify parses it unevaluated, then comparing it with a number computes 9^(9^(9^9)), a bigint
# power in C that holds the GIL, so not even math-verify's own alarm on the main thread can stop it.
HANG = r"\boxed{9^{9^{9^{9}}}}"

# (gold, answer, expected) with open-r1's accuracy_reward configuration.
CASES = [
    (r"The answer is $\boxed{6}$.", r"<think>3+3</think><answer>\boxed{6}</answer>", 1.0),
    (r"$\boxed{6}$", r"\boxed{7}", 0.0),
    (r"$\boxed{\frac{1}{2}}$", r"\boxed{0.5}", 1.0),
    (r"$\boxed{x+1}$", r"\boxed{1+x}", 1.0),
    (r"$\boxed{1 \le x \le 3}$", r"\boxed{[1,3]}", 1.0),
    (r"$\boxed{[1,3]}$", r"\boxed{1 \le x \le 3}", 0.0),  # verify is not symmetric: this is the other order
    ("6", r"so \boxed{6}", 1.0),  # a plain-number gold (the `answer` column) parses too
    (r"$\boxed{6}$", "6", 0.0),  # no boxed/LaTeX answer: open-r1 does not guess from bare numbers
    (r"$\boxed{6}$", "", 0.0),
    ("no math at all", r"\boxed{6}", None),  # unparseable gold: cannot judge
    # Each of open-r1's parsing options decides one of these (checked against math-verify with the option flipped).
    (r"$6$", r"\boxed{6\text{ cm}}", 1.0),  # units=True: units are dropped
    (r"$\sqrt{2}$", r"\boxed{\sqrt2}", 0.0),  # malformed_operators=False: `\sqrt2` is not repaired
    (r"$6$", r"\boxed{\displaystyle 6}", 1.0),  # basic_latex=True: display commands are dropped
    (r"$6$", r"\boxed{y = x = 6}", 1.0),  # equations=True: the value after the last `=`
    (r"$6$", r"Answer: $\fbox{6}$", 1.0),  # boxed="all": a boxed answer inside LaTeX is unboxed
    (r"$6$", r"The final answer is $5$. I hope so, but \boxed{6}", 1.0),  # boxed_match_priority=0: boxed first
    (r"$6$", r"so it is $6$", 0.0),  # try_extract_without_anchor=False: plain LaTeX is not an answer
    (r"$6$", r"Answer: $6$ \boxed{?}", 0.0),  # extraction_mode="first_match": the boxed `?` is the answer
    (r"$6$ \boxed{=}", r"\boxed{6}", 0.0),  # the gold too: its boxed `=` is the gold, which parses to nothing
]

ANSWER_CONFIG = [
    LatexExtractionConfig(
        normalization_config=NormalizationConfig(
            nits=False, malformed_operators=False, basic_latex=True, equations=True, boxed="all", units=True
        ),
        boxed_match_priority=0,
        try_extract_without_anchor=False,
    )
]


def raw_open_r1_accuracy(gold: str, answer: str) -> float | None:
    """open-r1's accuracy_reward, in-process, exactly as it calls math-verify."""
    gold_parsed = parse(gold, extraction_mode="first_match")
    if not gold_parsed:
        return None
    return float(verify(gold_parsed, parse(answer, extraction_config=ANSWER_CONFIG, extraction_mode="first_match")))


@pytest.fixture(scope="module")
def verifier():
    v = MathVerifier(num_workers=2, timeout_s=20)
    yield v
    v.close()


def golds_answers():
    return [c[0] for c in CASES], [c[1] for c in CASES]


def test_right_wrong_and_unparseable(verifier):
    golds, answers = golds_answers()
    assert verifier.verify(golds, answers) == [c[2] for c in CASES]


def test_matches_math_verify_on_the_main_thread(verifier):
    golds, answers = golds_answers()
    verifier._cache.clear()  # no cached results: this call really runs in the workers
    assert verifier.verify(golds, answers) == [raw_open_r1_accuracy(g, a) for g, a in zip(golds, answers)]


def test_raw_math_verify_is_silently_wrong_off_the_main_thread():
    # The reason the pool exists: math-verify's signal.alarm fails off the main thread and it answers False.
    gold, answer = parse(r"$\boxed{6}$"), parse(r"$\boxed{6}$")
    assert verify(gold, answer) is True
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("v", verify(gold, answer)))
    thread.start()
    thread.join()
    assert out["v"] is False, "math-verify now works off the main thread; the pool is no longer needed for that"


def test_same_results_from_threads_and_event_loops(verifier):
    golds, answers = golds_answers()
    expected = [c[2] for c in CASES]

    def fresh_call():
        verifier._cache.clear()  # force real work in the workers on every path
        return verifier.verify(golds, answers)

    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("thread", fresh_call()))
    thread.start()
    thread.join()

    async def async_reward():
        return fresh_call()  # as a sync call inside trl's async reward loop

    assert out["thread"] == expected
    assert asyncio.run(asyncio.to_thread(fresh_call)) == expected
    assert asyncio.run(async_reward()) == expected
    assert fresh_call() == expected


def test_concurrent_callers_are_serialised_correctly(verifier):
    golds, answers = golds_answers()
    results = [None] * 4

    def call(i):
        results[i] = verifier.verify(golds[i:] + golds[:i], answers[i:] + answers[:i])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, result in enumerate(results):
        assert result == [c[2] for c in CASES[i:] + CASES[:i]]


def test_gold_is_parsed_once_per_group_and_results_are_cached():
    v = MathVerifier(num_workers=1, timeout_s=20)
    try:
        golds = [r"$\boxed{6}$"] * 4 + [r"$\boxed{7}$"] * 4
        answers = [rf"\boxed{{{n}}}" for n in (6, 7, 6, 8, 7, 7, 1, 2)]
        assert v.verify(golds, answers) == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
        assert v.last_stats.unique == 6  # (6, \boxed{6}) and (7, \boxed{7}) twice
        assert v.last_stats.gold_parses == 2
        assert v.last_stats.workers_started == 1
        v.verify(golds, answers)
        assert v.last_stats.cache_hits == 8 and v.last_stats.gold_parses == 0
        assert v.totals.answers == 16
    finally:
        v.close()


def test_workers_start_lazily_and_are_reused():
    v = MathVerifier(num_workers=2, timeout_s=20)
    try:
        assert v.worker_pids == []
        v.verify([r"\boxed{1}"] * 4, [r"\boxed{1}", r"\boxed{2}", r"\boxed{3}", r"\boxed{4}"])
        pids = v.worker_pids
        assert len(pids) == 2
        v.verify([r"\boxed{2}"] * 4, [r"\boxed{1}", r"\boxed{2}", r"\boxed{3}", r"\boxed{4}"])
        assert v.worker_pids == pids and v.last_stats.workers_started == 0
        v.shutdown_workers()
        assert v.worker_pids == []
    finally:
        v.close()
    assert v.worker_pids == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # really gone (reaped)
    with pytest.raises(RuntimeError, match="closed"):
        v.verify(["1"], ["1"])


def test_hanging_answer_is_killed_and_the_batch_still_returns():
    v = MathVerifier(num_workers=1, timeout_s=1.0)
    try:
        v.verify([r"\boxed{3}"], [r"\boxed{3}"])  # warm up, so the timing below is the kill path only
        (pid,) = v.worker_pids
        golds = [r"\boxed{3}"] * 4
        answers = [r"\boxed{3}", HANG, r"\boxed{3}", r"\boxed{4}"]
        start = time.monotonic()
        assert v.verify(golds, answers) == [1.0, 0.0, 1.0, 0.0]
        elapsed = time.monotonic() - start
        assert v.last_stats.timeouts == 1
        assert v.last_stats.workers_started == 1  # replaced, to finish the rest of the chunk
        assert elapsed < 6.0, f"took {elapsed:.1f}s for a 1s limit"
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the stuck worker was killed
        assert v.worker_pids and v.worker_pids[0] != pid
        # The pool keeps working, and the timed-out answer is not retried (cached).
        assert v.verify([r"\boxed{3}", r"\boxed{3}"], [HANG, r"\boxed{3}"]) == [0.0, 1.0]
        assert v.last_stats.timeouts == 0
    finally:
        v.close()


def test_timeout_score_can_be_none():
    v = MathVerifier(num_workers=1, timeout_s=1.0, timeout_score=None)
    try:
        assert v.verify([r"\boxed{3}", r"\boxed{3}"], [HANG, r"\boxed{3}"]) == [None, 1.0]
    finally:
        v.close()


def test_crashed_worker_is_replaced():
    v = MathVerifier(num_workers=1, timeout_s=60.0)
    try:
        v.verify([r"\boxed{3}"], [r"\boxed{3}"])
        (pid,) = v.worker_pids
        threading.Timer(2.0, os.kill, args=(pid, 9)).start()  # dies (like an OOM kill) while stuck on HANG
        assert v.verify([r"\boxed{3}"] * 3, [HANG, r"\boxed{5}", r"\boxed{3}"]) == [0.0, 0.0, 1.0]
        # Noticed as a crash when it happened: no timeout at the 60 s deadline.
        assert v.last_stats.crashes == 1 and v.last_stats.timeouts == 0
        assert v.last_stats.workers_started == 1 and len(v.worker_pids) == 1 and pid not in v.worker_pids
    finally:
        v.close()


def test_enormous_answer_is_handled_promptly(verifier):
    huge = "<think>" + "blah " * 400_000 + r"</think><answer>\boxed{6}</answer>"  # 2 MB
    start = time.monotonic()
    assert verifier.verify([r"$\boxed{6}$", r"$\boxed{7}$"], [huge, huge]) == [1.0, 0.0]
    assert time.monotonic() - start < 15.0


def test_shared_verifier_is_configurable():
    configure_math_verifier(num_workers=1, timeout_s=5.0)
    try:
        v = get_math_verifier()
        assert v.num_workers == 1 and v.timeout_s == 5.0
        assert get_math_verifier() is v
        configure_math_verifier(num_workers=1, timeout_s=5.0)  # same options: same verifier
        assert get_math_verifier() is v
    finally:
        configure_math_verifier()  # back to the defaults
    assert get_math_verifier() is not v
    with pytest.raises(RuntimeError, match="closed"):
        v.verify(["1"], ["1"])  # the replaced verifier was closed (its workers stopped)


def test_bad_arguments():
    with pytest.raises(ValueError, match="timeout_s"):
        MathVerifier(timeout_s=0)
    v = MathVerifier(num_workers=1)
    try:
        with pytest.raises(ValueError, match="one gold per answer"):
            v.verify(["1", "2"], ["1"])
        assert v.verify([], []) == [] and v.worker_pids == []
    finally:
        v.close()


# ---- the worker's side, run here in the test process (on the main thread, as in a worker) ----------------------------


def serve_in_process(requests: list, parsers: tuple | None = None) -> list:
    """Runs the worker's request loop here over `requests` (then EOF, as when the parent closes it); its messages."""
    inbox, to_worker = multiprocessing.Pipe(duplex=False)
    from_worker, outbox = multiprocessing.Pipe(duplex=False)
    for groups in requests:
        to_worker.send(groups)
    to_worker.close()
    _serve(inbox, outbox, parsers or _open_r1_parsers())
    messages = []
    while from_worker.poll():
        messages.append(from_worker.recv())
    return messages


def test_the_worker_gives_open_r1s_verdicts():
    # One group per case, as the parent sends them: a gold message, then the answer's verdict.
    messages = serve_in_process([[(gold, [answer]) for gold, answer, _ in CASES]])
    assert messages[0] == ("ready", os.getpid())
    expected = []
    for _, _, score in CASES:
        expected += [("gold", score is not None), ("answer", score)]
    assert messages[1:] == expected
    assert all(isinstance(m[1], float) for m in messages[1:] if m[0] == "answer" and m[1] is not None)


def test_the_worker_answers_requests_in_order_and_parses_each_gold_once():
    parse_gold, parse_answer, verify_ = _open_r1_parsers()
    parsed = []

    def counting_parse_gold(text):
        parsed.append(text)
        return parse_gold(text)

    six, seven = r"$\boxed{6}$", r"$\boxed{7}$"
    requests = [
        [(six, [r"\boxed{6}", r"\boxed{7}"]), (seven, [r"\boxed{7}"])],
        [(seven, [r"\boxed{6}"]), (six, [])],  # a later chunk of the same golds: parsed already
    ]
    messages = serve_in_process(requests, (counting_parse_gold, parse_answer, verify_))
    assert messages[1:] == [
        ("gold", True), ("answer", 1.0), ("answer", 0.0), ("gold", True), ("answer", 1.0),
        ("gold", True), ("answer", 0.0), ("gold", True),
    ]  # fmt: skip
    assert parsed == [six, seven]


def test_a_failure_inside_math_verify_costs_one_verdict_not_the_worker():
    # What a worker's memory limit turns a runaway expression into (MemoryError), here on chosen inputs.
    parse_gold, parse_answer, verify_ = _open_r1_parsers()
    broken_gold, broken_answer = r"$\boxed{1}$", r"\boxed{2.0}"

    def failing_parse_gold(text):
        if text == broken_gold:
            raise MemoryError
        return parse_gold(text)

    def failing_parse_answer(text):
        if text == broken_answer:
            raise MemoryError
        return parse_answer(text)

    groups = [(broken_gold, [r"\boxed{1}"]), (r"$\boxed{2}$", [broken_answer, r"\boxed{2}"])]
    messages = serve_in_process([groups], (failing_parse_gold, failing_parse_answer, verify_))
    assert messages[1:] == [("gold", False), ("answer", None), ("gold", True), ("answer", 0.0), ("answer", 1.0)]


def test_recent_keeps_the_most_recently_used_entries():
    recent = _Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # a use: "b" is now the oldest
    recent.put("c", 3)
    assert "b" not in recent and "a" in recent and "c" in recent and len(recent) == 2
    recent.put("a", 4)  # storing is a use too: "c" is now the oldest
    recent.put("d", 5)
    assert "c" not in recent and recent.get("a") == 4 and recent.get("d") == 5
    recent.clear()
    assert len(recent) == 0
