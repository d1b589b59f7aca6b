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
"""The synthetic worlds: small, offline stand-ins for real models and datasets, for tests, CPU recipes and the demo.

    tiny_world.py      a tokenizer, a ~1M-parameter Qwen2 and arithmetic SFT/GRPO datasets (`make tiny`)
    demo_task.py       the demo's careful-vs-shortcut arithmetic traces on the tiny model (`make demo`)
    tiny_code_data.py  Python problems with tests in open-r1's code-dataset shape (`make grpo-code-tiny`)

Nothing a real run imports lives here; it imports only tokenizers/transformers, never the rest of open_r1.
"""
