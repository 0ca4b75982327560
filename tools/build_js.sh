#!/usr/bin/env bash
# Builds the JavaScript package's WebAssembly module (js/dist) through the CMake build with
# emscripten: the generator for this machine first, then the library and the module for wasm32.
# Usage: tools/build_js.sh [BUILD_DIR]   (default build/js; tools/setup.sh installs emscripten)
set -euo pipefail
cd "$(dirname "$0")/.."

work=${1:-build/js}
command -v emcmake >/dev/null || { echo "build_js: emcmake not found: run tools/setup.sh" >&2; exit 1; }
# emscripten's optimizer needs acorn, which Debian keeps here.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
jobs=$(nproc)

cmake -S . -B "$work/host" -DCMAKE_BUILD_TYPE=Release -DRWKVTOK_BUILD_TESTS=OFF \
  -DRWKVTOK_BUILD_CLI=OFF -DRWKVTOK_INSTALL=OFF -DRWKVTOK_LANES=OFF >/dev/null
cmake --build "$work/host" -j "$jobs" --target rwkvtok_gen >/dev/null
emcmake cmake -S . -B "$work/wasm" -DCMAKE_BUILD_TYPE=Release \
  -DRWKVTOK_GENERATOR="$PWD/$work/host/tools/rwkvtok_gen" >/dev/null
cmake --build "$work/wasm" -j "$jobs" >/dev/null
echo "==> js/dist: $(cd js/dist && ls -l rwkvtok_wasm.wasm rwkvtok_wasm.mjs | awk '{print $9 " " $5 " bytes"}' | paste -sd ', ')"
