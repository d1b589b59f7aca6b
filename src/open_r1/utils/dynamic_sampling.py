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
"""DAPO's dynamic sampling (arXiv 2503.14476, section 3.2) for trl's GRPOTrainer, which lacks it (trl issue #3708).

A group whose completions all get the same reward has advantage 0 everywhere: it costs a forward and backward pass
and gives no policy gradient. With `dynamic_sampling: true`, each generation batch keeps only the groups whose
rewards differ, and more prompts are drawn and generated until the batch is full again, as verl's
`algorithm.filter_groups` does. After `dynamic_sampling_max_gen_batches` generation batches in one step the trainer
gives up, fills the rest with groups it dropped (they add no gradient, as without dynamic sampling) and says so in
the log.

Every decision is made on rewards gathered from all processes, so all ranks agree on the batch; the extra prompts
are drawn from a generator seeded by the seed, the step and the round, so a resumed run draws the same prompts.
trl does the generation and scoring of every round (transformers or vLLM, colocate or server): this class only
chooses which of the scored groups go to the loss.
"""

import logging

import torch
from accelerate.utils import gather, pad_across_processes
from trl import GRPOTrainer


logger = logging.getLogger(__name__)

# How each per-completion tensor of trl's generation output is padded when the rows of several ranks and rounds
# are put together: prompts are left-padded, completions right-padded (as trl pads them).
_LEFT_PADDED = {"prompt_ids", "prompt_mask"}
_PAD_WITH_TOKEN = {"prompt_ids", "completion_ids"}
# Outputs that are not one row per completion, which dynamic sampling cannot select rows of.
_UNSUPPORTED = {"pixel_values", "image_grid_thw", "pixel_attention_mask", "spatial_shapes", "image_sizes",
                "num_images", "num_tiles", "image_position_ids"}  # fmt: skip


class DynamicSamplingGRPOTrainer(GRPOTrainer):
    """GRPOTrainer that trains only on groups whose rewards differ (DAPO's dynamic sampling)."""

    def __init__(self, *args, reward_names: list[str] | None = None, **kwargs):
        """`reward_names`: the recipe's `reward_funcs` as written (`accuracy`), which `dynamic_sampling_metric` may
        name besides the functions' own names (`accuracy_reward`, as trl logs them)."""
        super().__init__(*args, **kwargs)
        if not hasattr(self.train_dataset, "__getitem__") or not hasattr(self.train_dataset, "__len__"):
            raise ValueError(
                "dynamic_sampling draws extra prompts by index, so it needs a map-style dataset; this run streams "
                "its dataset. Fix: set `streaming: false`, or `dynamic_sampling: false`."
            )
        self._metric_index = _reward_index(self.args.dynamic_sampling_metric, reward_names, self.reward_func_names)
        self._last_rewards_per_func = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        # trl returns the rewards of every rank's completions (gathered); keep them for the filter below.
        self._last_rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self._last_rewards_per_func

    def _generate_and_score_completions(self, inputs):
        if not self.model.training:  # evaluation scores every group
            return super()._generate_and_score_completions(inputs)
        groups_needed = len(inputs) * self.accelerator.num_processes // self.num_generations
        kept_rows, dropped_rows, rounds, dropped = [], [], 0, 0
        while True:
            output = super()._generate_and_score_completions(inputs)
            _check_supported(output)
            rows = _gather_rows(output, self.accelerator, self._tokenizer.pad_token_id)
            varied = self._groups_with_varied_rewards()
            rounds += 1
            kept_rows += [_rows_of_group(rows, g, self.num_generations) for g in range(len(varied)) if varied[g]]
            dropped_rows += [
                _rows_of_group(rows, g, self.num_generations) for g in range(len(varied)) if not varied[g]
            ]
            dropped += int((~varied).sum())
            if len(kept_rows) >= groups_needed or rounds >= self.args.dynamic_sampling_max_gen_batches:
                break
            inputs = self._extra_prompts(len(inputs), round_index=rounds)
        filled = max(0, groups_needed - len(kept_rows))
        if filled and self.accelerator.is_main_process:
            logger.warning(
                f"dynamic sampling: step {self.state.global_step} found {len(kept_rows)} of {groups_needed} groups "
                f"with different rewards in {rounds} generation batches (dynamic_sampling_max_gen_batches); the "
                f"other {filled} groups have equal rewards and add no gradient. Many such steps mean the data is "
                "too easy or too hard for the model: filter it by pass rate (recipes/dataset_filtering/)."
            )
        chosen = (kept_rows + dropped_rows[-filled:] if filled else kept_rows)[:groups_needed]
        batch = _local_batch(chosen, self.accelerator, self._tokenizer.pad_token_id)
        metrics = self._metrics["train"]
        metrics["dynamic_sampling/generation_batches"].append(rounds)
        metrics["dynamic_sampling/groups_dropped"].append(dropped - filled)
        metrics["dynamic_sampling/groups_without_signal_trained"].append(filled)
        metrics["dynamic_sampling/completions_generated"].append(rounds * groups_needed * self.num_generations)
        return batch

    def _groups_with_varied_rewards(self) -> torch.Tensor:
        """One bool per group of the last generation batch: do its completions' rewards differ?"""
        rewards_per_func = self._last_rewards_per_func
        if self._metric_index is None:  # the reward trl normalises into advantages (verl's `seq_final_reward`)
            weights = self.reward_weights.to(rewards_per_func.device)
            rewards = (rewards_per_func * weights.unsqueeze(0)).nansum(dim=1)
        else:  # one reward, e.g. `accuracy` as in DAPO's paper (verl's `acc`)
            rewards = rewards_per_func[:, self._metric_index].nan_to_num(0.0)
        grouped = rewards.view(-1, self.num_generations)
        return (grouped.max(dim=1).values - grouped.min(dim=1).values) > 0

    def _extra_prompts(self, count: int, round_index: int) -> list[dict]:
        """This rank's share of a new generation batch: whole groups of `num_generations` copies of a prompt, drawn
        the same way on every rank, as trl's RepeatSampler lays them out (a rank takes a contiguous slice)."""
        prompts_per_batch = count * self.accelerator.num_processes // self.num_generations
        seed = (self.args.seed * 1_000_003 + self.state.global_step) * 1_009 + round_index
        generator = torch.Generator().manual_seed(seed)
        indices = torch.randint(len(self.train_dataset), (prompts_per_batch,), generator=generator)
        repeated = indices.repeat_interleave(self.num_generations).tolist()
        start = self.accelerator.process_index * count
        return [self.train_dataset[i] for i in repeated[start : start + count]]


def _reward_index(metric: str | None, reward_names: list[str] | None, func_names: list[str]) -> int | None:
    if metric is None:
        return None
    for names in (reward_names or [], func_names):
        if metric in names:
            return list(names).index(metric)
    raise ValueError(
        f"dynamic_sampling_metric {metric!r} is not one of this run's rewards ({', '.join(reward_names or func_names)})."
        " Fix: name one of them, or leave it unset to use the weighted sum of all rewards."
    )


def _check_supported(output: dict) -> None:
    unsupported = sorted(_UNSUPPORTED & set(output))
    if unsupported:
        raise ValueError(
            f"dynamic_sampling supports text-only training; this batch has {', '.join(unsupported)}. "
            "Fix: set `dynamic_sampling: false` for multimodal data."
        )


def _gather_rows(output: dict, accelerator, pad_token_id: int) -> dict[str, torch.Tensor]:
    """trl's per-rank output as tensors of every rank's rows (in trl's global order: rank 0's rows first)."""
    rows = {}
    for name, value in output.items():
        if not isinstance(value, torch.Tensor) or value.dim() == 0:
            continue  # num_items_in_batch: recomputed for the chosen rows
        if value.dim() > 1:
            value = pad_across_processes(
                value, dim=1, pad_index=_pad_value(name, pad_token_id), pad_first=name in _LEFT_PADDED
            )
        rows[name] = gather(value)
    return rows


def _rows_of_group(rows: dict[str, torch.Tensor], group: int, size: int) -> dict[str, torch.Tensor]:
    return {name: value[group * size : (group + 1) * size] for name, value in rows.items()}


def _local_batch(groups: list[dict[str, torch.Tensor]], accelerator, pad_token_id: int) -> dict:
    """This rank's slice of the chosen groups, in the layout trl's loss expects. Rows stay padded to the longest
    row of all the generation batches (padding is masked out of the loss, as trl's own padding is)."""
    batch = {}
    for name in groups[0]:
        parts = [group[name] for group in groups]
        if parts[0].dim() > 1:
            width = max(part.size(1) for part in parts)
            parts = [_pad_to(part, width, _pad_value(name, pad_token_id), name in _LEFT_PADDED) for part in parts]
        batch[name] = torch.cat(parts)
    loss_mask = batch["completion_mask"] * batch["tool_mask"] if "tool_mask" in batch else batch["completion_mask"]
    # trl's loss divides by the completion tokens of the whole generation batch, over all ranks (DAPO's token-mean)
    num_items_in_batch = loss_mask.sum()
    local = len(batch["advantages"]) // accelerator.num_processes
    rank = slice(accelerator.process_index * local, (accelerator.process_index + 1) * local)
    local_batch = {name: value[rank] for name, value in batch.items()}
    local_batch["num_items_in_batch"] = num_items_in_batch
    return local_batch


def _pad_value(name: str, pad_token_id: int) -> float:
    return pad_token_id if name in _PAD_WITH_TOKEN else 0


def _pad_to(tensor: torch.Tensor, width: int, value: float, left: bool) -> torch.Tensor:
    missing = width - tensor.size(1)
    if missing == 0:
        return tensor
    padding = tensor.new_full((tensor.size(0), missing, *tensor.shape[2:]), value)
    return torch.cat([padding, tensor] if left else [tensor, padding], dim=1)
