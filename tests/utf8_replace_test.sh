#!/bin/bash
# The streaming decoder's replacement of invalid UTF-8 against Python's own
# bytes.decode('utf-8', 'replace'), on thousands of adversarial byte strings (see
# tests/utf8_replace_test.py).

set -euo pipefail

ROOT="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}"
[[ -d "$ROOT/tests" ]] || ROOT="."
exec python3 "$(dirname "$0")/utf8_replace_test.py" "$ROOT/tests/stream_tool"
