#!/usr/bin/env bash
# The JavaScript package's tests: builds the module (tools/build_js.sh), checks the TypeScript
# declarations against a typed use of every function, runs the Node tests (node --test), with the
# native command for the differential tests. Run tools/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/build_js.sh
bazel build //tools:rwkvtok
export RWKVTOK_CLI=$PWD/bazel-bin/tools/rwkvtok
(cd js && tsc --noEmit --strict --target es2020 --module es2020 --moduleResolution node test/types.ts)
echo "==> js: TypeScript declarations check"
node --test js/test/*.test.mjs
