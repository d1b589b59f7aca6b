"""A mixture's `weight` is the fraction of a dataset's rows that trains: 0.2 keeps a fifth, not four fifths.

The README and the recipes' comments promise it; a mixture that kept `1 - weight` would still train, on the wrong
data, with nothing in the logs to tell. Every weight here is asymmetric, so keeping the complement cannot pass.
"""

import json

import pytest

from open_r1.configs import ScriptArguments
from open_r1.utils.data import get_dataset


def _write(path, prefix: str, n: int) -> str:
    with open(path, "w") as file:
        for i in range(n):
            file.write(json.dumps({"problem": f"{prefix}{i}", "solution": str(i)}) + "\n")
    return str(path)


def _problems(dataset) -> list[str]:
    return [p for split in dataset.values() for p in split["problem"]]


@pytest.fixture
def sources(tmp_path):
    return {"a": _write(tmp_path / "a.jsonl", "a", 100), "b": _write(tmp_path / "b.jsonl", "b", 40)}


@pytest.mark.parametrize("weight, kept", [(0.2, 20), (0.75, 75), (0.05, 5), (1.0, 100), (0.999, 99)])
def test_a_weight_keeps_that_fraction_of_the_rows(sources, weight, kept):
    dataset = get_dataset(ScriptArguments(dataset_mixture={"datasets": [{"id": sources["a"], "weight": weight}]}))
    problems = _problems(dataset)
    assert len(problems) == kept
    assert len(set(problems)) == kept, "rows were repeated instead of sampled"
    assert set(problems) <= {f"a{i}" for i in range(100)}


def test_each_dataset_of_a_mixture_keeps_its_own_fraction(sources):
    mixture = {
        "datasets": [{"id": sources["a"], "weight": 0.2}, {"id": sources["b"], "weight": 0.75}],
        "seed": 11,
        "test_split_size": 0.25,
    }
    problems = _problems(get_dataset(ScriptArguments(dataset_mixture=mixture)))
    assert sum(p.startswith("a") for p in problems) == 20
    assert sum(p.startswith("b") for p in problems) == 30


def test_the_kept_rows_are_a_seeded_sample_not_the_first_ones(sources):
    def kept(seed):
        mixture = {"datasets": [{"id": sources["a"], "weight": 0.2}], "seed": seed}
        return sorted(_problems(get_dataset(ScriptArguments(dataset_mixture=mixture))))

    first_rows = sorted(f"a{i}" for i in range(20))
    samples = [kept(seed) for seed in (0, 1, 2)]
    assert all(sample != first_rows for sample in samples)
    assert len({tuple(sample) for sample in samples}) == 3, "different seeds must draw different rows"
    assert kept(1) == samples[1], "the same seed must draw the same rows"
