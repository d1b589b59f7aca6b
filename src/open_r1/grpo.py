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
"""GRPO training with verifiable rewards (math answers checked with math-verify, code run against tests).

Usage:
    accelerate launch --config_file recipes/accelerate_configs/zero2.yaml src/open_r1/grpo.py \
        --config recipes/Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml

    # on a CPU, with the tiny world from `make tiny`:
    accelerate launch src/open_r1/grpo.py --config recipes/tiny/grpo/config_demo.yaml

    # check a recipe for 8 training GPUs before queueing it (no model, no data, no GPU; exit status 0/1):
    python src/open_r1/grpo.py --config RECIPE.yaml --check --num_processes 8
"""

import sys

from open_r1.preflight import check_inputs


if __name__ == "__main__":  # a missing file or a misspelt name: one line, before torch is imported (5-30 s)
    check_inputs("grpo", sys.argv[1:])

from transformers import set_seed
from trl import GRPOTrainer, ModelConfig, get_peft_config

from open_r1 import check_recipe
from open_r1.configs import GRPOConfig, GRPOScriptArguments, check_reward_weights
from open_r1.rewards import check_user_rewards_on_a_row, get_reward_funcs
from open_r1.utils.callbacks import get_callbacks
from open_r1.utils.data import drop_long_prompts, get_dataset, make_conversation
from open_r1.utils.dynamic_sampling import DynamicSamplingGRPOTrainer
from open_r1.utils.failures import setup_errors_in_one_line
from open_r1.utils.model_utils import get_model, get_tokenizer
from open_r1.utils.recipe_parser import OpenR1Parser
from open_r1.utils.training import (
    init_wandb_training,
    log_configuration,
    plan_run,
    setup_logging,
    train_and_save,
)


def main(script_args: GRPOScriptArguments, training_args: GRPOConfig, model_args: ModelConfig):
    set_seed(training_args.seed)
    setup_logging(training_args)
    # Setup first: another run's checkpoint, a bad dataset or reward stops here in one line, before a model loads.
    with setup_errors_in_one_line():
        plan = plan_run(script_args, training_args, model_args)  # resume its own checkpoint, start, or stop
        if plan.finished:
            return
        log_configuration(script_args, training_args, model_args)
        if "wandb" in training_args.report_to:  # a missing login fails here, not after the model has loaded
            init_wandb_training(training_args)
        check_reward_weights(script_args, training_args)
        reward_funcs = get_reward_funcs(script_args)
        dataset = get_dataset(script_args)
        dataset = make_conversation(dataset, script_args.dataset_prompt_column, training_args.system_prompt)
        callbacks = get_callbacks(training_args, model_args)
        tokenizer = get_tokenizer(model_args, training_args)
        dataset = drop_long_prompts(dataset, tokenizer, script_args.max_prompt_tokens)
        # A user's own reward is called once as trl will call it, on a real row: a wrong result stops here.
        check_user_rewards_on_a_row(
            script_args.reward_funcs,
            reward_funcs,
            dataset[script_args.dataset_train_split],
            tokenizer,
            script_args.dataset_train_split,
        )
    model = get_model(model_args, training_args)

    train_dataset = dataset[script_args.dataset_train_split]
    trainer_class, extra = GRPOTrainer, {}
    if training_args.dynamic_sampling:  # DAPO's: only groups whose rewards differ reach the loss
        trainer_class, extra = DynamicSamplingGRPOTrainer, {"reward_names": script_args.reward_funcs}
    trainer = trainer_class(
        model=model,
        reward_funcs=reward_funcs,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=dataset.get(script_args.dataset_test_split) if training_args.eval_strategy != "no" else None,
        peft_config=get_peft_config(model_args),
        callbacks=callbacks,
        processing_class=tokenizer,
        **extra,
    )
    train_and_save(trainer, training_args, script_args, train_dataset, tokenizer, plan)


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        sys.exit(check_recipe.check((GRPOScriptArguments, GRPOConfig, ModelConfig), sys.argv[1:]))
    parser = OpenR1Parser((GRPOScriptArguments, GRPOConfig, ModelConfig))
    with setup_errors_in_one_line():
        script_args, training_args, model_args = parser.parse_args_and_config()
    main(script_args, training_args, model_args)
