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
"""How a run that cannot start ends: the project's message as the last line, exit status 1, no traceback.

A bad recipe, path, name or batch is the user's to fix, and the message says how; a traceback through the parser,
datasets or trl around it only hides that line. Only the setup of a run (parsing, data, rewards, tokenizer: what
runs before the model loads) is wrapped: an error once training runs keeps its traceback. `OPEN_R1_DEBUG=1` shows
the traceback of a setup error too. Nothing heavy is imported here: the entry points use it before torch.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn


DEBUG_VARIABLE = "OPEN_R1_DEBUG"  # set to 1: setup errors raise with their traceback


def is_main_process() -> bool:
    """Rank 0, read from the launcher's variables: every rank fails alike, one says why."""
    return os.environ.get("RANK", "0") == "0"


def fail(message: str, status: int = 1) -> NoReturn:
    """Ends the process with `message` as its last line (on rank 0), after whatever the log has buffered."""
    if is_main_process():
        sys.stdout.flush()
        program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "open_r1"
        print(f"{program}: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(status)


@contextmanager
def setup_errors_in_one_line() -> Iterator[None]:
    """A ValueError or OSError (FileNotFoundError, a hub lookup) raised inside ends the run through `fail`."""
    try:
        yield
    except (ValueError, OSError) as error:
        if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
            raise
        fail(str(error))
