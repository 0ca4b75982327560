#!/usr/bin/env bash
# Builds the JavaScript package's WebAssembly module (js/dist) through the CMake build with
# emscripten: the generator for this machine first, then the library and the module for wasm32.
# Usage: tools/build_js.sh [--simd]   (tools/setup.sh installs emscripten)
#   --simd  instead, a module with the vector lanes on WebAssembly SIMD128 (build/js/simd), which
#           benchmarks/wasm_bench.mjs compares with the plain walk the package uses
set -euo pipefail
cd "$(dirname "$0")/.."

work=build/js
simd=0
[ "${1:-}" = "--simd" ] && simd=1
command -v emcmake >/dev/null || { echo "build_js: emcmake not found: run tools/setup.sh" >&2; exit 1; }
# emscripten's optimizer needs acorn, which Debian keeps here.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
jobs=$(nproc)

cmake -S . -B "$work/host" -DCMAKE_BUILD_TYPE=Release -DRWKVTOK_BUILD_TESTS=OFF \
  -DRWKVTOK_BUILD_CLI=OFF -DRWKVTOK_INSTALL=OFF -DRWKVTOK_LANES=OFF >/dev/null
cmake --build "$work/host" -j "$jobs" --target rwkvtok_gen >/dev/null
if [ $simd = 1 ]; then
  emcmake cmake -S . -B "$work/wasm-simd" -DCMAKE_BUILD_TYPE=Release \
    -DRWKVTOK_GENERATOR="$PWD/$work/host/tools/rwkvtok_gen" -DRWKVTOK_LANES=ON \
    -DCMAKE_C_FLAGS=-msimd128 -DCMAKE_CXX_FLAGS=-msimd128 \
    -DRWKVTOK_JS_OUTPUT_DIR="$PWD/$work/simd" >/dev/null
  cmake --build "$work/wasm-simd" -j "$jobs" >/dev/null
  echo "==> $work/simd: the module with SIMD128 lanes"
  exit 0
fi
emcmake cmake -S . -B "$work/wasm" -DCMAKE_BUILD_TYPE=Release \
  -DRWKVTOK_GENERATOR="$PWD/$work/host/tools/rwkvtok_gen" >/dev/null
cmake --build "$work/wasm" -j "$jobs" >/dev/null
wasm=js/dist/rwkvtok_wasm.wasm
echo "==> js/dist: rwkvtok_wasm.wasm $(stat -c %s $wasm) bytes ($(gzip -9 -c $wasm | wc -c) gzipped)"
