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
"""Hub revisions: push a checkpoint to its own branch, and refuse to clobber an existing one by accident."""

import logging
from concurrent.futures import Future

from huggingface_hub import (
    create_branch,
    create_repo,
    list_repo_commits,
    list_repo_files,
    list_repo_refs,
    repo_exists,
    upload_folder,
)


logger = logging.getLogger(__name__)


def push_to_hub_revision(training_args, extra_ignore_patterns: list[str] | None = None) -> Future:
    """Uploads `output_dir` to the `hub_model_revision` branch of `hub_model_id`, in the background."""
    create_repo(repo_id=training_args.hub_model_id, private=True, exist_ok=True)
    # Branch from the first commit so each revision holds one checkpoint, not the history of main.
    initial_commit = list_repo_commits(training_args.hub_model_id)[-1]
    create_branch(
        repo_id=training_args.hub_model_id,
        branch=training_args.hub_model_revision,
        revision=initial_commit.commit_id,
        exist_ok=True,
    )
    logger.info(
        "Pushing %s to %s@%s", training_args.output_dir, training_args.hub_model_id, training_args.hub_model_revision
    )
    return upload_folder(
        repo_id=training_args.hub_model_id,
        folder_path=training_args.output_dir,
        revision=training_args.hub_model_revision,
        commit_message=f"Add {training_args.hub_model_revision} checkpoint",
        ignore_patterns=["checkpoint-*", "*.pth", *(extra_ignore_patterns or [])],
        run_as_future=True,
    )


def check_hub_revision_exists(training_args) -> None:
    """Fails before training when pushing would overwrite a revision that already holds a model."""
    if not (training_args.push_to_hub_revision and repo_exists(training_args.hub_model_id)):
        return
    branches = [ref.name for ref in list_repo_refs(training_args.hub_model_id).branches]
    if training_args.hub_model_revision not in branches:
        return
    files = list_repo_files(repo_id=training_args.hub_model_id, revision=training_args.hub_model_revision)
    if "README.md" in files and not training_args.overwrite_hub_revision:
        raise ValueError(
            f"Revision {training_args.hub_model_revision} of {training_args.hub_model_id} already holds a model. "
            "Pick another hub_model_revision, or set overwrite_hub_revision: true to replace it."
        )
