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
"""A local sandbox for untrusted programs (the `local` code provider): no API key, no code leaves the machine.

    from open_r1.utils.code_execution.sandbox import Sandbox, SandboxLimits
    result = Sandbox(SandboxLimits(timeout_s=2)).run(["python3", "-c", "print(input())"], stdin="hi\\n")
    result.status, result.returncode, result.stdout   # ("exited", 0, "hi\\n")

runner.py is the caller's side (limits, output caps, deadlines, probing the machine); init.py builds the isolation
around one program (cgroups.py and workdir.py: the per-run cgroups and the work dir). docs/sandbox.md (linked from
the README's "local sandbox" section) says what is guaranteed, and on which OS feature each guarantee rests.
"""

from .runner import (
    Isolation,
    RunResult,
    Sandbox,
    SandboxLimits,
    SandboxSession,
    detect_isolation,
    run_in_sandbox,
)


__all__ = [
    "Isolation",
    "RunResult",
    "Sandbox",
    "SandboxLimits",
    "SandboxSession",
    "detect_isolation",
    "run_in_sandbox",
]
