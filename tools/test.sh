#!/usr/bin/env bash
# Every test, as CI runs them: the test suite (with the Cortex-M size report); the suite
# cross-compiled for aarch64 under qemu-aarch64, on an SVE2 CPU and on a NEON-only one; the board
# tests on emulated Cortex-M4 and Cortex-M7 boards; the suite again under AddressSanitizer with
# UndefinedBehaviorSanitizer and under ThreadSanitizer; then each fuzz target for
# RWKVTOK_FUZZ_SECONDS (default 60); then the CMake build, its tests, install, consumers and cross
# builds (tools/cmake_test.sh); then the Python package's tests and its wheel
# (tools/python_test.sh); then the JavaScript package's (tools/test_js.sh). Run tools/setup.sh
# once first.
set -euo pipefail
cd "$(dirname "$0")/.."

# The corpus for the golden conformance tests: $RWKVTOK_CORPUS_DIR, else ../shared/corpus beside
# this checkout, else beside the repository it was cloned from (a clone made elsewhere, e.g.
# `git clone . /tmp/x`). Without it those tests skip, so say so loudly.
if [ -z "${RWKVTOK_CORPUS_DIR:-}" ]; then
  for candidate in ../shared/corpus \
    "$(git config --get remote.origin.url 2>/dev/null || true)/../shared/corpus"; do
    if [ -d "$candidate/public" ] && [ -d "$candidate/bench" ]; then
      RWKVTOK_CORPUS_DIR=$(cd "$candidate" && pwd)
      break
    fi
  done
fi
if [ -n "${RWKVTOK_CORPUS_DIR:-}" ]; then
  export RWKVTOK_CORPUS_DIR
  echo "==> corpus: $RWKVTOK_CORPUS_DIR"
else
  echo "==> WARNING: no corpus (../shared/corpus or RWKVTOK_CORPUS_DIR): the golden tests SKIP" >&2
fi
bazel test //...
bazel test --config=aarch64 //...
bazel test --config=aarch64_neon //...
bazel test --config=cortex_m4 //...
bazel test --config=cortex_m7 //...
bazel test --config=asan //...
bazel test --config=tsan //...
tools/fuzz.sh "${RWKVTOK_FUZZ_SECONDS:-60}"
tools/cmake_test.sh
tools/python_test.sh
tools/test_js.sh
