"""Which checkpoint a restarted run resumes from (src/open_r1/utils/training.py: find_checkpoint_to_resume)."""

import logging
from types import SimpleNamespace

from open_r1.utils.training import find_checkpoint_to_resume


def _checkpoint(output_dir, step: int, complete: bool = True):
    folder = output_dir / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights")
    if complete:  # the Trainer writes trainer_state.json last
        (folder / "trainer_state.json").write_text("{}")
    return folder


def test_newest_complete_checkpoint_wins_over_one_whose_save_was_interrupted(tmp_path, caplog):
    """A job preempted mid-save leaves checkpoint-N without trainer_state.json: resuming it killed every rank."""
    _checkpoint(tmp_path, 2)
    newest_complete = _checkpoint(tmp_path, 10)  # numeric order, not string order (10 > 9)
    _checkpoint(tmp_path, 9)
    _checkpoint(tmp_path, 11, complete=False)
    (tmp_path / "checkpoint-notes").mkdir()
    args = SimpleNamespace(output_dir=str(tmp_path), resume_from_checkpoint=None)
    with caplog.at_level(logging.WARNING):
        assert find_checkpoint_to_resume(args) == str(newest_complete)
    assert any("checkpoint-11" in r.getMessage() and "interrupted" in r.getMessage() for r in caplog.records)


def test_no_checkpoint_or_only_interrupted_ones_starts_fresh(tmp_path):
    args = SimpleNamespace(output_dir=str(tmp_path / "missing"), resume_from_checkpoint=None)
    assert find_checkpoint_to_resume(args) is None
    _checkpoint(tmp_path, 1, complete=False)
    args = SimpleNamespace(output_dir=str(tmp_path), resume_from_checkpoint=None)
    assert find_checkpoint_to_resume(args) is None


def test_an_explicit_checkpoint_is_taken_as_given(tmp_path):
    args = SimpleNamespace(output_dir=str(tmp_path), resume_from_checkpoint="some/checkpoint-3")
    assert find_checkpoint_to_resume(args) == "some/checkpoint-3"
