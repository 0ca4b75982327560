#!/usr/bin/env bash
# Every test, as CI runs them: the test suite, again under AddressSanitizer with
# UndefinedBehaviorSanitizer and under ThreadSanitizer, then each fuzz target for
# RWKVTOK_FUZZ_SECONDS (default 60). Run tools/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."
bazel test //...
bazel test --config=asan //...
bazel test --config=tsan //...
tools/fuzz.sh "${RWKVTOK_FUZZ_SECONDS:-60}"
