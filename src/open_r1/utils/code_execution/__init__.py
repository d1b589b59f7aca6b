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
"""Code execution: runs untrusted programs and returns verdicts and scores; the code rewards call it.

    evaluation_script.py      the `code` rewards' test-running script and its output comparison (outputs_match)
    providers.py              get_provider(...).execute_scripts(...): the local sandbox, E2B, Morph, routers
    router.py                 the FastAPI router behind scripts/e2b_router.py and scripts/morph_router.py
    sandbox/                  this machine's sandbox for untrusted programs (the `local` provider and judge)
    competitive_programming/  IOI/Codeforces judges (local, Piston) and their scoring

A leaf of the import graph: nothing here imports `open_r1.rewards` or `open_r1.configs`. This file imports
nothing either, so importing one module does not pull in the SDKs and web stacks of the others.
"""
