#!/bin/bash
# Live input flows through `rwkvtok encode` and `rwkvtok decode` (see tests/cli_live_test.py).
set -euo pipefail
ROOT="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}"
[[ -d "$ROOT/tests" ]] || ROOT="."
exec python3 "$(dirname "$0")/cli_live_test.py" "$ROOT/tools/rwkvtok" "$ROOT/tests/stream_tool"
