"""Put on PYTHONPATH by the slurm tests, so Python imports it at start-up in every process of their training jobs.

In an open-r1 training process (src/open_r1/sft.py or grpo.py) and only there, it wraps `train_and_save` the way
tests/test_multiprocess.py's wrapper does: after the real one, every rank writes rank<N>.json into
$OPEN_R1_TEST_RANKS_DIR with its rank, the world size, its node's hostname, the step it reached and a SHA-256 of its
weights, and whether those weights equal the model.safetensors rank 0 saved (a ZeRO-3 or FSDP rank holds only its
partition, so it also writes how many parameter elements it owns). The job itself runs unchanged:
`sbatch slurm/train.slurm ...` exactly as users submit it.
"""

import os
import sys


def _fingerprint_ranks() -> None:
    import json
    import socket

    import torch
    from safetensors.torch import load_file

    import open_r1.utils.training as training

    # tests/rank_probe.py measures the same things for the one-machine tests.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from rank_probe import full_numel, owned_numel, weights_sha256

    real_train_and_save = training.train_and_save

    def train_save_and_fingerprint(trainer, training_args, *args, **kwargs):
        real_train_and_save(trainer, training_args, *args, **kwargs)
        accelerator = trainer.accelerator
        accelerator.wait_for_everyone()  # rank 0 has written the model
        # An FSDP2 rank's tensors are DTensors: its local shard is what it holds.
        weights = {
            name: tensor.to_local() if hasattr(tensor, "to_local") else tensor
            for name, tensor in accelerator.unwrap_model(trainer.model).state_dict().items()
        }
        saved = load_file(os.path.join(training_args.output_dir, "model.safetensors"))
        marker = {
            "process_index": accelerator.process_index,
            "num_processes": accelerator.num_processes,
            "hostname": socket.gethostname(),
            "global_step": trainer.state.global_step,
            "sha256": weights_sha256({name: weights[name] for name in saved}),
            "equals_saved_model": all(torch.equal(weights[name].cpu(), saved[name]) for name in saved),
            "distributed_type": str(accelerator.distributed_type),
            # Elements of the model's parameters this rank owns (its ZeRO-3 partition, its FSDP2 shard), against the
            # model's size (a DTensor's numel() is its global size).
            "parameter_elements_owned": sum(owned_numel(p) for p in trainer.model.parameters()),
            "model_elements": sum(full_numel(p) for p in trainer.model.parameters()),
        }
        path = os.path.join(os.environ["OPEN_R1_TEST_RANKS_DIR"], f"rank{accelerator.process_index}.json")
        with open(path, "w") as file:
            json.dump(marker, file)

    training.train_and_save = train_save_and_fingerprint


if os.environ.get("OPEN_R1_TEST_RANKS_DIR") and os.path.basename(sys.argv[0] if sys.argv else "") in (
    "sft.py",
    "grpo.py",
):
    _fingerprint_ranks()
