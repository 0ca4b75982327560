#!/usr/bin/env bash
# The JavaScript package's tests: builds the module (tools/build_js.sh), checks the TypeScript
# declarations against a typed use of every function, runs the Node tests (node --test) with the
# native command for the differential tests, then the playground and a Web Worker in headless
# Chromium (js/test/browser_test.py, with selenium from PyPI in the project's .venv).
# Run tools/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/build_js.sh
bazel build //tools:rwkvtok
export RWKVTOK_CLI=$PWD/bazel-bin/tools/rwkvtok
(cd js && tsc --noEmit --strict --target es2020 --module es2020 --moduleResolution node test/types.ts)
echo "==> js: TypeScript declarations check"
node --test js/test/*.test.mjs
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c 'import selenium' 2>/dev/null || .venv/bin/python -m pip install -q selenium
.venv/bin/python js/test/browser_test.py
