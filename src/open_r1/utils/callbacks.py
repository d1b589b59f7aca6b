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
"""Trainer callbacks selectable by name from a recipe (`callbacks: [push_to_hub_revision]`)."""

import dataclasses
import logging

from transformers import TrainerCallback

from .evaluation import is_slurm_available, run_benchmark_jobs
from .hub import push_to_hub_revision


logger = logging.getLogger(__name__)


@dataclasses.dataclass
class _CheckpointPushArgs:
    """The subset of the training config that push_to_hub_revision reads, pointed at one checkpoint."""

    hub_model_id: str
    hub_model_revision: str
    output_dir: str
    benchmarks: list[str] = dataclasses.field(default_factory=list)
    system_prompt: str | None = None


class PushToHubRevisionCallback(TrainerCallback):
    """Pushes every saved checkpoint to its own hub revision, `<hub_model_revision>-step-<global_step>`, then
    submits the recipe's `benchmarks` on that revision as Slurm jobs (where `sbatch` exists)."""

    def __init__(self, model_config):
        self.model_config = model_config

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        step = state.global_step
        checkpoint = _CheckpointPushArgs(
            hub_model_id=args.hub_model_id,
            hub_model_revision=f"{args.hub_model_revision}-step-{step:09d}",
            output_dir=f"{args.output_dir}/checkpoint-{step}",
            benchmarks=args.benchmarks,
            system_prompt=args.system_prompt,
        )
        future = push_to_hub_revision(checkpoint, extra_ignore_patterns=["*.pt"])  # optimizer states stay local
        if checkpoint.benchmarks and is_slurm_available():
            future.add_done_callback(lambda _: run_benchmark_jobs(checkpoint, self.model_config))


CALLBACKS = {"push_to_hub_revision": PushToHubRevisionCallback}


def get_callbacks(train_config, model_config) -> list[TrainerCallback]:
    unknown = [name for name in train_config.callbacks if name not in CALLBACKS]
    if unknown:
        raise ValueError(f"Unknown callback(s) {unknown} in `callbacks`. Known: {sorted(CALLBACKS)}.")
    return [CALLBACKS[name](model_config) for name in train_config.callbacks]
