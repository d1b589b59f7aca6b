"""wandb for real, offline: every published recipe reports to wandb, so the tiny runs do too and their run is read back.

wandb 0.31 has no public reader for an offline run (its history lives only in the run's `.wandb` transaction log,
which `wandb sync` uploads). The log is read here with wandb's own record schema (`wandb.proto`), framed as wandb
writes it: a 7-byte header (`:W&B`, magic 0xBEE1, version 0), then 32 KiB blocks of records, each with a 7-byte
header (CRC-32 of type + data, length, type: 1 full, 2 first, 3 middle, 4 last chunk of a record).
"""

import json
import math
import struct
import sys
import zlib
from pathlib import Path

import pytest
from conftest import entry_point_env, launch_command, run_command, tiny_overrides
from wandb.proto import wandb_internal_pb2

from open_r1.utils.training import wandb_credentials_found


BLOCK_SIZE = 32 * 1024
RUN = ["--report_to", "wandb", "--wandb_entity", "tiny-team", "--wandb_project", "open-r1-tests"]


def read_offline_run(run_file: Path) -> list:
    """The records of a `.wandb` transaction log, each checked against its CRC."""
    data = run_file.read_bytes()
    assert struct.unpack("<4sHB", data[:7]) == (b":W&B", 0xBEE1, 0), "not a wandb transaction log"
    records, pending, position = [], b"", 7
    while position + 7 <= len(data):
        if BLOCK_SIZE - position % BLOCK_SIZE < 7:  # no room for a header: the block's tail is padding
            position += BLOCK_SIZE - position % BLOCK_SIZE
            continue
        checksum, length, kind = struct.unpack("<IHB", data[position : position + 7])
        chunk = data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind == 0:  # zero padding
            continue
        assert zlib.crc32(bytes([kind]) + chunk) == checksum, f"corrupt record at byte {position}"
        pending += chunk
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def offline_run(wandb_dir: Path) -> tuple[dict, list[dict]]:
    """(entity/project/group of the run, its history rows as {key: value}) of the one offline run in wandb_dir."""
    (run_file,) = wandb_dir.glob("wandb/offline-run-*/run-*.wandb")
    run, history = {}, []
    for record in read_offline_run(run_file):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = {"entity": record.run.entity, "project": record.run.project, "group": record.run.run_group}
        elif kind == "history":
            history.append(
                {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
            )
    return run, history


def train_offline(script: str, recipe: str, tiny_world: Path, tmp_path: Path, group: str, *args: str):
    env = {**entry_point_env(), "WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path), "WANDB_SILENT": "true"}
    overrides = tiny_overrides(tiny_world, tmp_path / "out", "sft" if script == "sft.py" else "grpo")
    command = launch_command(script, "--config", recipe, *overrides, *RUN, "--wandb_run_group", group, *args)
    result = run_command(command, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-6000:]
    return offline_run(tmp_path)


@pytest.mark.slow
def test_sft_logs_its_loss_to_an_offline_wandb_run(tiny_world, tmp_path):
    args = ("--max_steps", "6", "--logging_steps", "2", "--save_strategy", "no")
    run, history = train_offline("sft.py", "recipes/tiny/sft/config_demo.yaml", tiny_world, tmp_path, "sft", *args)
    assert run == {"entity": "tiny-team", "project": "open-r1-tests", "group": "sft"}
    losses = [row["train/loss"] for row in history if "train/loss" in row]
    assert len(losses) >= 3 and all(math.isfinite(loss) for loss in losses)  # steps 1, 2, 4, 6
    assert [row["train/global_step"] for row in history if "train/loss" in row][:3] == [1, 2, 4]


@pytest.mark.slow
def test_grpo_logs_loss_and_each_rewards_mean_to_an_offline_wandb_run(tiny_world, tmp_path):
    args = ("--max_steps", "2", "--logging_steps", "1", "--save_strategy", "no")
    run, history = train_offline("grpo.py", "recipes/tiny/grpo/config_demo.yaml", tiny_world, tmp_path, "grpo", *args)
    assert run == {"entity": "tiny-team", "project": "open-r1-tests", "group": "grpo"}
    logged = [row for row in history if "train/loss" in row]
    assert len(logged) == 2, history
    for row in logged:
        for reward in ("accuracy_reward", "format_reward"):  # the recipe's rewards, each by name
            assert 0.0 <= row[f"train/rewards/{reward}/mean"] <= 1.0, row
        assert math.isfinite(row["train/loss"]) and "train/reward" in row


def test_wandb_without_login_or_mode_fails_before_the_model_loads(tiny_world, tmp_path):
    env = {key: value for key, value in entry_point_env().items() if not key.startswith(("WANDB_", "NETRC"))}
    env["HOME"] = str(tmp_path)  # no ~/.netrc, so no `wandb login`
    command = [sys.executable, "src/open_r1/sft.py", "--config", "recipes/tiny/sft/config_demo.yaml"]
    command += ["--model_name_or_path", str(tiny_world / "model"), "--dataset_name", str(tiny_world / "sft.jsonl")]
    command += ["--output_dir", str(tmp_path / "out"), *RUN]
    result = run_command(command, timeout=120, env=env)
    assert result.returncode != 0
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("sft.py: error: report_to includes wandb"), result.stdout[-3000:]
    assert "wandb login" in lines[-1] and "WANDB_MODE=offline" in lines[-1]
    # Said before the model loads: transformers' weight-loading progress never started.
    assert "Loading weights" not in result.stdout


def test_wandb_credentials_are_found_where_wandb_login_puts_them(tmp_path, monkeypatch):
    for variable in ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    netrc = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(netrc))
    assert not wandb_credentials_found()
    netrc.write_text("machine api.wandb.ai\n  login user\n  password " + "0" * 40 + "\n")
    assert wandb_credentials_found()
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.example.org")  # a self-hosted server needs its own entry
    assert not wandb_credentials_found()
    monkeypatch.setenv("WANDB_API_KEY", "0" * 40)
    assert wandb_credentials_found()


def test_the_reader_rejects_a_corrupt_run(tmp_path):
    header = struct.pack("<4sHB", b":W&B", 0xBEE1, 0)
    record = wandb_internal_pb2.Record(num=1).SerializeToString()
    good = header + struct.pack("<IHB", zlib.crc32(bytes([1]) + record), len(record), 1) + record
    (tmp_path / "good.wandb").write_bytes(good)
    assert [r.num for r in read_offline_run(tmp_path / "good.wandb")] == [1]
    (tmp_path / "bad.wandb").write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(AssertionError, match="corrupt"):
        read_offline_run(tmp_path / "bad.wandb")
