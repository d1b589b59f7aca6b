"""The GRPO options behind the DAPO, Dr. GRPO and GSPO recipes do what their papers say, in the trainer grpo.py builds.

Each run parses a tiny recipe (recipes/tiny/grpo/config_{dapo,dr_grpo,gspo}.yaml, some with one option changed) with
OpenR1Parser and trains it for two steps through `open_r1.grpo.main`, exactly as `grpo.py --config ...` does, with
trl's GRPOTrainer instrumented to keep what it computed: each rollout (completions, masks, rewards, advantages) and,
for each optimizer step, the batch it trained on, the per-token log-probabilities and entropies under the current
policy, and the loss it returned. The second step of every run is off-policy (`steps_per_generation` > accumulation),
so importance ratios differ from 1 and the clipping acts.

Each test recomputes by hand, from those tensors, the quantity its option changes (loss normalisation, clipping
bounds, sequence-level ratios, advantage scaling, masked or entropy-selected tokens, overlong penalties) and compares
it with what the trainer used or logged. The expected option values come from the recipe file, not from the trainer,
and each test also checks that the same batch gives a clearly different number without the option: an option trl or
our parser silently dropped fails its test.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
import torch
import yaml
from trl import GRPOTrainer

from open_r1 import grpo
from open_r1.utils.recipe_parser import OpenR1Parser


REPO_ROOT = Path(__file__).resolve().parent.parent
TINY_RECIPES = REPO_ROOT / "recipes" / "tiny" / "grpo"
END_OF_TURN = 2  # <|im_end|> in the tiny tokenizer, the id the tiny recipes' sequence_bias names
ATOL = 1e-5  # float32 sums of a few hundred tokens
# How far an "option ignored" recomputation must be from the trainer's value: ten times the tolerance of the match, so
# a trainer that ignored the option could not pass it.
DIFFERENT = 10 * ATOL


@dataclass
class Step:
    """One optimizer step (no accumulation in these runs): its batch, the policy's log-probs and entropies, the loss."""

    inputs: dict
    logps: torch.Tensor
    entropies: torch.Tensor
    loss: float


@dataclass
class Run:
    options: dict  # the recipe's options with the run's overrides: what the trainer was asked to do
    rollouts: list[dict] = field(default_factory=list)  # _generate_and_score_completions' outputs, unshuffled
    rewards: list[torch.Tensor] = field(default_factory=list)  # rewards_per_func of each rollout, one column a reward
    steps: list[Step] = field(default_factory=list)
    log_history: list[dict] = field(default_factory=list)  # the trainer's state.log_history

    @property
    def logs(self) -> list[dict]:
        """What the trainer logged at each step (logging_steps 1)."""
        return [entry for entry in self.log_history if "loss" in entry]

    @property
    def off_policy_step(self) -> Step:
        step = self.steps[1]
        assert "old_per_token_logps" in step.inputs, "the second step must reuse the first step's rollout"
        return step


def _recording(run: Run):
    """Wrappers of GRPOTrainer's methods that call trl's own and keep their results in `run`."""
    generate, rewards, logps, loss = (
        GRPOTrainer._generate_and_score_completions,
        GRPOTrainer._calculate_rewards,
        GRPOTrainer._get_per_token_logps_and_entropies,
        GRPOTrainer._compute_loss,
    )
    policy_outputs = []

    def record_generate(self, inputs):
        output = generate(self, inputs)
        run.rollouts.append({key: value for key, value in output.items() if isinstance(value, torch.Tensor)})
        return output

    def record_rewards(self, *args):
        output = rewards(self, *args)
        run.rewards.append(output.clone())
        return output

    def record_logps(self, *args, **kwargs):
        output = logps(self, *args, **kwargs)
        policy_outputs.append(output)
        return output

    def record_loss(self, model, inputs):
        run.log_history = self.state.log_history
        value = loss(self, model, inputs)
        per_token_logps, entropies, _ = policy_outputs[-1]  # the call _compute_loss just made
        run.steps.append(Step(dict(inputs), per_token_logps.detach(), entropies.detach(), value.item()))
        return value

    return {
        "_generate_and_score_completions": record_generate,
        "_calculate_rewards": record_rewards,
        "_get_per_token_logps_and_entropies": record_logps,
        "_compute_loss": record_loss,
    }


@pytest.fixture(scope="module")
def train(tiny_world, tmp_path_factory):
    """train(recipe, **overrides) -> Run: two steps of recipes/tiny/grpo/config_<recipe>.yaml through grpo.main.

    Runs are cached: the tests of one run share it."""
    runs = {}

    def run_recipe(recipe: str, **overrides) -> Run:
        key = (recipe, tuple(sorted(overrides.items())))
        if key not in runs:
            path = TINY_RECIPES / f"config_{recipe}.yaml"
            overrides = {
                "model_name_or_path": str(tiny_world / "model"),
                "dataset_name": str(tiny_world / "grpo.jsonl"),
                "output_dir": str(tmp_path_factory.mktemp(f"grpo_{recipe}")),
                "max_steps": 2,
                "save_strategy": "no",
                "log_level": "warning",
                # The loss must see the one rollout recorded here; dynamic sampling (the DAPO recipe's), which
                # replaces groups with those of further rollouts, is tested in test_dynamic_sampling.py.
                "dynamic_sampling": False,
                **overrides,
            }
            argv = ["--config", str(path)]
            for name, value in overrides.items():
                argv += [f"--{name}", str(value)]
            parser = OpenR1Parser((grpo.GRPOScriptArguments, grpo.GRPOConfig, grpo.ModelConfig))
            script_args, training_args, model_args = parser.parse_args_and_config(argv)
            run = Run(options={**yaml.safe_load(path.read_text()), **overrides})
            # Autograd on: lighteval's transformers model turns it off for the whole process when it is imported,
            # which the in-process evaluation tests that run before these do.
            with mock.patch.multiple(GRPOTrainer, **_recording(run)), torch.enable_grad():
                grpo.main(script_args, training_args, model_args)
            assert len(run.rollouts) == 1 and len(run.steps) == 2 and len(run.logs) == 2
            runs[key] = run
        return runs[key]

    return run_recipe


# --- the quantities, by hand ---------------------------------------------------------------------------------------


def completion_lengths(completion_ids: torch.Tensor, max_length: int) -> torch.Tensor:
    """Tokens each completion has: up to and including its first end-of-turn token, or all `max_length`."""
    ends = completion_ids == END_OF_TURN
    first_end = torch.where(ends.any(dim=1), ends.int().argmax(dim=1) + 1, max_length)
    return first_end


def importance_ratios(step: Step, mask: torch.Tensor, level: str) -> torch.Tensor:
    """pi / pi_old per token, or per sequence as GSPO's geometric mean over its tokens, (pi(o) / pi_old(o))^(1/|o|)."""
    log_ratio = step.logps - step.inputs["old_per_token_logps"]
    if level == "sequence":
        mean_log_ratio = (log_ratio * mask).sum(dim=1, keepdim=True) / mask.sum(dim=1, keepdim=True).clamp(min=1)
        return mean_log_ratio.exp()
    return log_ratio.exp()


def token_losses(ratio: torch.Tensor, advantages: torch.Tensor, eps_low: float, eps_high: float) -> torch.Tensor:
    """PPO's clipped surrogate, negated: -min(r A, clip(r, 1 - eps_low, 1 + eps_high) A)."""
    advantages = advantages.unsqueeze(1)
    clipped = ratio.clamp(1 - eps_low, 1 + eps_high)
    return -torch.minimum(ratio * advantages, clipped * advantages)


def aggregate(losses: torch.Tensor, mask: torch.Tensor, loss_type: str, *, step_tokens: float, max_length: int):
    """The step's loss from per-token losses: what divides each token's loss in each loss type."""
    losses = losses.expand_as(mask) * mask
    if loss_type == "grpo":  # each sequence's mean, then the mean over sequences: a token weighs 1 / (B |o_i|)
        return (losses.sum(dim=1) / mask.sum(dim=1).clamp(min=1)).mean().item()
    if loss_type == "bnpo":  # the micro-batch's tokens
        return (losses.sum() / mask.sum().clamp(min=1)).item()
    if loss_type == "dr_grpo":  # a constant: B x max_completion_length
        return (losses.sum() / (mask.size(0) * max_length)).item()
    if loss_type == "dapo":  # the optimizer step's tokens
        return (losses.sum() / step_tokens).item()
    raise ValueError(loss_type)


def step_tokens(run: Run, rollout_mask: torch.Tensor | None = None) -> float:
    """The tokens of one optimizer step as trl counts them for `dapo`: the rollout's tokens shared out evenly over
    its optimizer steps (steps_per_generation micro-batches, gradient_accumulation_steps of them per step)."""
    rollout_tokens = (run.rollouts[0]["completion_mask"] if rollout_mask is None else rollout_mask).sum().item()
    accumulation = run.options.get("gradient_accumulation_steps", 1)
    return rollout_tokens * accumulation / run.options["steps_per_generation"]


def recomputed_loss(run: Run, step: Step, **changes) -> float:
    """The step's loss from the recipe's options (or `changes` to them), on the tensors the trainer used.

    `changes` may also replace the step's mask (`mask`, with `rollout_mask` for the rollout's) or add an
    `entropy_mask`."""
    options = {**run.options, **changes}
    mask = changes.get("mask", step.inputs["completion_mask"]).float()
    ratio = importance_ratios(step, mask, options.get("importance_sampling_level", "token"))
    eps_low = options.get("epsilon", 0.2)
    losses = token_losses(ratio, step.inputs["advantages"], eps_low, options.get("epsilon_high", eps_low))
    if "entropy_mask" in changes:
        losses = losses * changes["entropy_mask"]
    return aggregate(
        losses,
        mask,
        options.get("loss_type", "dapo"),
        step_tokens=step_tokens(run, changes.get("rollout_mask")),
        max_length=options["max_completion_length"],
    )


def group_advantages(rewards: torch.Tensor, weights: list[float], group_size: int, scaling: str) -> torch.Tensor:
    """reward - its group's mean, divided by the group's std (group), the whole batch's std (batch) or nothing."""
    total = (rewards * torch.tensor(weights)).sum(dim=1)
    groups = total.view(-1, group_size)
    centred = (groups - groups.mean(dim=1, keepdim=True)).flatten()
    if scaling == "group":
        return centred / (groups.std(dim=1).repeat_interleave(group_size) + 1e-4)
    if scaling == "batch":
        return centred / (total.std() + 1e-4)
    return centred


def overlong_penalty(length: int, max_length: int, cache: int) -> float:
    """DAPO's soft overlong punishment, eq. 13: 0 up to L_max - L_cache, then linear down to -1 at L_max."""
    if length <= max_length - cache:
        return 0.0
    if length <= max_length:
        return (max_length - cache - length) / cache
    return -1.0


def _assert_discriminates(actual: float, ignored: dict[str, float]):
    """The batch tells the option apart: without it, the same tensors give another number."""
    for what, value in ignored.items():
        assert abs(value - actual) > DIFFERENT, f"the batch cannot tell the option from {what}: {value} vs {actual}"


# --- loss types -------------------------------------------------------------------------------------------------------

LOSS_TYPES = ["dapo", "bnpo", "grpo", "dr_grpo"]


@pytest.mark.parametrize("loss_type", LOSS_TYPES)
def test_loss_type_normalises_the_token_losses_as_documented(train, loss_type):
    # dapo and dr_grpo as their recipes ship; grpo and bnpo on the DAPO recipe with only the loss changed.
    run = train(loss_type) if loss_type in ("dapo", "dr_grpo") else train("dapo", loss_type=loss_type)
    for step in run.steps:
        assert step.loss == pytest.approx(recomputed_loss(run, step), abs=ATOL)
    # Two loss types may agree on one step (dapo and bnpo do when its tokens are half the rollout's), not on both.
    for other in LOSS_TYPES:
        if other != loss_type:
            gaps = [abs(recomputed_loss(run, step, loss_type=other) - step.loss) for step in run.steps]
            assert max(gaps) > DIFFERENT, f"the batch cannot tell {loss_type} from {other}: {gaps}"
    print(
        f"{loss_type}: trainer {[round(step.loss, 6) for step in run.steps]}; same batches as "
        + ", ".join(
            f"{other} {[round(recomputed_loss(run, step, loss_type=other), 6) for step in run.steps]}"
            for other in LOSS_TYPES
            if other != loss_type
        )
    )


# --- clipping ---------------------------------------------------------------------------------------------------------


def _clip_fractions(run: Run, step: Step, eps_low: float, eps_high: float, level: str = "token") -> dict:
    """Share of tokens (sequences, at sequence level) whose ratio the clip holds: low with A < 0, high with A > 0."""
    mask = step.inputs["completion_mask"].float()
    ratio = importance_ratios(step, mask, level)
    advantages = step.inputs["advantages"].unsqueeze(1)
    low = ((ratio < 1 - eps_low) & (advantages < 0)).float()
    high = ((ratio > 1 + eps_high) & (advantages > 0)).float()
    if level == "sequence":
        return {"low": low.mean().item(), "high": high.mean().item()}
    return {"low": ((low * mask).sum() / mask.sum()).item(), "high": ((high * mask).sum() / mask.sum()).item()}


def test_epsilon_high_raises_only_the_upper_clipping_bound(train):
    """DAPO's clip-higher: ratios are clipped to [1 - 0.2, 1 + 0.28], so a token with A > 0 may rise 28%, not 20%."""
    run = train("dapo")
    step, log = run.off_policy_step, run.logs[1]
    assert (run.options["epsilon"], run.options["epsilon_high"]) == (0.2, 0.28)

    expected = _clip_fractions(run, step, 0.2, 0.28)
    assert log["clip_ratio/low_mean"] == pytest.approx(expected["low"], abs=ATOL)
    assert log["clip_ratio/high_mean"] == pytest.approx(expected["high"], abs=ATOL)
    # The loss tells 0.28 from 0.2: tokens with A > 0 above 1.2 count up to 1.28 A, not 1.2 A.
    assert step.loss == pytest.approx(recomputed_loss(run, step), abs=ATOL)
    _assert_discriminates(step.loss, {"epsilon_high = epsilon": recomputed_loss(run, step, epsilon_high=0.2)})
    print(
        f"clip-higher: logged high {log['clip_ratio/high_mean']:.4f} low {log['clip_ratio/low_mean']:.4f}; "
        f"by hand high {expected['high']:.4f} low {expected['low']:.4f}; loss {step.loss:.6f} vs "
        f"{recomputed_loss(run, step, epsilon_high=0.2):.6f} with epsilon_high 0.2"
    )


def test_sequence_level_importance_sampling_clips_whole_sequences(train):
    """GSPO: one ratio per sequence, the geometric mean of its tokens' ratios, clipped to [1 - 3e-4, 1 + 4e-4]."""
    run = train("gspo")
    step, log = run.off_policy_step, run.logs[1]
    assert run.options["importance_sampling_level"] == "sequence" and run.options["loss_type"] == "grpo"
    eps_low, eps_high = run.options["epsilon"], run.options["epsilon_high"]

    expected = _clip_fractions(run, step, eps_low, eps_high, level="sequence")
    assert log["clip_ratio/low_mean"] == pytest.approx(expected["low"], abs=ATOL)
    assert log["clip_ratio/high_mean"] == pytest.approx(expected["high"], abs=ATOL)
    assert expected["low"] + expected["high"] > 0, "the tiny clip range must hold some sequences"
    assert step.loss == pytest.approx(recomputed_loss(run, step), abs=ATOL)
    token_level = recomputed_loss(run, step, importance_sampling_level="token")
    _assert_discriminates(step.loss, {"token-level ratios": token_level})
    print(
        f"GSPO: logged clip low {log['clip_ratio/low_mean']:.4f} high {log['clip_ratio/high_mean']:.4f}, by hand "
        f"{expected['low']:.4f} {expected['high']:.4f}; loss {step.loss:.6f} vs {token_level:.6f} token-level"
    )


# --- advantages -------------------------------------------------------------------------------------------------------

# group as the DAPO recipe ships (trl's default), none as the Dr. GRPO recipe ships, batch on the DAPO recipe.
SCALING_RUNS = {"group": ("dapo", {}), "batch": ("dapo", {"scale_rewards": "batch"}), "none": ("dr_grpo", {})}
SCALINGS = list(SCALING_RUNS)


@pytest.mark.parametrize("scaling", SCALINGS)
def test_scale_rewards_divides_the_advantages_by_the_documented_std(train, scaling):
    recipe, overrides = SCALING_RUNS[scaling]
    run = train(recipe, **overrides)
    rewards, advantages = run.rewards[0], run.rollouts[0]["advantages"]
    weights, group_size = run.options["reward_weights"], run.options["num_generations"]

    expected = group_advantages(rewards, weights, group_size, scaling)
    torch.testing.assert_close(advantages, expected, atol=ATOL, rtol=0)
    for other in SCALINGS:
        if other != scaling:
            alternative = group_advantages(rewards, weights, group_size, other)
            assert (alternative - advantages).abs().max() > DIFFERENT, f"{scaling} and {other} agree on this batch"
    print(f"scale_rewards {scaling}: advantages {[round(a, 4) for a in advantages.tolist()[:8]]} ...")


# --- masks --------------------------------------------------------------------------------------------------------


def test_mask_truncated_completions_drops_every_token_of_a_cut_completion(train):
    """DAPO's overlong filtering: a completion that reached max_completion_length without ending gets no gradient."""
    run = train("dapo")
    max_length = run.options["max_completion_length"]
    rollout = run.rollouts[0]
    lengths = completion_lengths(rollout["completion_ids"], max_length)
    truncated = ~(rollout["completion_ids"] == END_OF_TURN).any(dim=1)
    assert truncated.any() and (~truncated).any(), "the batch needs cut and finished completions"

    positions = torch.arange(rollout["completion_ids"].size(1))
    unmasked = (positions < lengths.unsqueeze(1)).int()  # what the mask would be without the option
    expected = unmasked * (~truncated).int().unsqueeze(1)
    torch.testing.assert_close(rollout["completion_mask"].int(), expected, rtol=0, atol=0)
    assert rollout["num_items_in_batch"].item() == expected.sum().item()

    # The trained-on tokens are exactly those: with the cut completions' tokens back in, the loss of the step that
    # holds them differs.
    with_cut = {}
    for index, step in enumerate(run.steps):
        assert step.loss == pytest.approx(recomputed_loss(run, step), abs=ATOL)
        step_unmasked = (positions < completion_lengths(step.inputs["completion_ids"], max_length).unsqueeze(1)).int()
        with_cut[f"step {index + 1}"] = recomputed_loss(run, step, mask=step_unmasked, rollout_mask=unmasked)
    changed = [name for name, step in zip(with_cut, run.steps) if abs(with_cut[name] - step.loss) > DIFFERENT]
    assert changed, f"no step's loss changes with the truncated completions kept: {with_cut}"
    print(
        f"mask_truncated_completions: {truncated.sum().item()} of {truncated.numel()} cut, masked tokens "
        f"{(unmasked - expected).sum().item()}; losses {[round(step.loss, 6) for step in run.steps]} vs "
        f"{[round(value, 6) for value in with_cut.values()]} with them kept"
    )


def test_top_entropy_quantile_trains_only_the_highest_entropy_tokens(train):
    """Beyond the 80/20 rule: with rho = 0.2, only tokens at or above the 80th entropy percentile carry a loss."""
    run = train("dapo", top_entropy_quantile=0.2)
    step, rho = run.off_policy_step, run.options["top_entropy_quantile"]
    mask = step.inputs["completion_mask"].bool()
    threshold = torch.quantile(step.entropies[mask].float(), 1 - rho)
    entropy_mask = (step.entropies >= threshold) & mask
    kept = entropy_mask.sum().item() / mask.sum().item()
    assert rho - 0.05 < kept < rho + 0.05

    assert step.loss == pytest.approx(recomputed_loss(run, step, entropy_mask=entropy_mask), abs=ATOL)
    every_token = recomputed_loss(run, step)
    _assert_discriminates(step.loss, {"every token": every_token})
    print(
        f"top_entropy_quantile {rho}: threshold {threshold:.4f}, {kept:.1%} of tokens kept; loss {step.loss:.6f} vs "
        f"{every_token:.6f} over every token"
    )


# --- rewards ------------------------------------------------------------------------------------------------------


def test_soft_overlong_punishment_scores_each_completion_by_its_length(train):
    """DAPO's soft overlong punishment with the recipe's L_max and L_cache, on the lengths trl generated."""
    run = train("dapo")
    names = run.options["reward_funcs"]
    penalties = run.rewards[0][:, names.index("soft_overlong_punishment")]
    max_length, cache = run.options["max_completion_len"], run.options["soft_punish_cache"]
    assert max_length == run.options["max_completion_length"], "L_max is where generation stops"
    lengths = completion_lengths(run.rollouts[0]["completion_ids"], run.options["max_completion_length"])

    expected = torch.tensor([overlong_penalty(n, max_length, cache) for n in lengths.tolist()])
    torch.testing.assert_close(penalties, expected, atol=1e-6, rtol=0)
    inside_cache = (expected < 0) & (expected > -1)
    assert inside_cache.any() and (expected == 0).any() and (expected == -1).any()
    defaults = torch.tensor([overlong_penalty(n, 16384, 4096) for n in lengths.tolist()])  # the reward's defaults
    assert (defaults - penalties).abs().max() > DIFFERENT
    print(
        f"soft_overlong_punishment (L_max {max_length}, L_cache {cache}): lengths {lengths.tolist()} -> "
        f"{[round(p, 3) for p in penalties.tolist()]}"
    )


def test_dapo_recipe_trains_without_a_kl_term(train):
    run = train("dapo")
    assert run.options["beta"] == 0.0
    assert "ref_per_token_logps" not in run.rollouts[0] and "kl" not in run.logs[1]
    assert math.isfinite(run.logs[1]["grad_norm"]) and run.logs[1]["grad_norm"] > 0
