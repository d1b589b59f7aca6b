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
"""E2B router: one service that runs the code-reward scripts of many training processes (open-r1's router).

    python scripts/e2b_router.py --host 0.0.0.0 --port 8000 --max_num_sandboxes 20                 # E2B
    python scripts/e2b_router.py --port 8000 --max_num_sandboxes 16 --provider local              # no key

Then point training at it: `e2b_router_url: <host>:8000` in the recipe (with `code_provider: e2b`), or
`local_router_url` with `code_provider: local`. API and response format: src/open_r1/utils/code_execution/router.py.
"""

import argparse

from open_r1.utils.code_execution.router import add_router_arguments, serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_router_arguments(parser, default_backend="e2b")
    serve(parser.parse_args(), response_format="e2b")


if __name__ == "__main__":
    main()
