#!/usr/bin/env bash
# Instructions per byte of text on an emulated Cortex-M4 (QEMU's MPS2 AN386), for the full and the
# compact profile: builds the board tests (tests/cortex_m/board_test.cc) and runs them under
# `qemu-system-arm -icount shift=0`, where every instruction takes the same virtual time, so the
# SysTick counts they print are instruction counts, the same on every run and every machine.
#
#   tools/cortex_m_speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bazel build --config=cortex_m4 //tests/cortex_m:board_test //tests/cortex_m:board_compact_test
for test in board_test board_compact_test; do
  timeout 300 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic -monitor none \
    -semihosting -icount shift=0 -kernel "bazel-bin/tests/cortex_m/$test" |
    grep -E '^(instructions per byte|PASS|FAIL)'
done
