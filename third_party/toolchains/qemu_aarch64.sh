#!/bin/bash
# --run_under for --config=aarch64 and --config=aarch64_neon: runs an aarch64 test binary under
# qemu-aarch64 with the arm64 runtime libraries of crossbuild-essential-arm64. `-cpu CPU` before the
# test picks the emulated CPU (qemu's default, max, has SVE2; cortex-a72 has NEON only).
#
# A shell test (cli_test) is not an aarch64 binary: it runs as it is, and runs the binaries it
# tests through $RWKVTOK_EMULATOR, which qemu reads its settings for from the environment.
set -euo pipefail

export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
if [[ $# -ge 2 && "$1" == -cpu ]]; then
  export QEMU_CPU="$2"
  shift 2
fi
[[ $# -gt 0 && "$1" != -* ]] || { echo "usage: qemu_aarch64.sh [-cpu CPU] TEST [ARGS...]" >&2; exit 2; }

if [[ "$(head -c 4 "$1")" == $'\x7fELF' ]]; then
  exec /usr/bin/qemu-aarch64 "$@"
fi
export RWKVTOK_EMULATOR=/usr/bin/qemu-aarch64
exec "$@"
