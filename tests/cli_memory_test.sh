#!/bin/bash
# Streams of any size run in bounded memory: encode (one thread and two) and decode of a 300 MB
# stream each peak below 64 MB resident, and the stream round-trips exactly.

set -euo pipefail

BIN="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}/tools/rwkvtok"
[[ -x "$BIN" ]] || BIN="tools/rwkvtok"
T="$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli_memory_test.XXXXXX")"
LIMIT_KB=$((64 * 1024))
SIZE=300000000

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ -x "$BIN" ]] || fail "rwkvtok binary not found at $BIN"

# Sanitizers reserve shadow memory and slow everything down: keep the stream smaller and only
# check that it streams correctly.
if grep -qa -e __asan_init -e __tsan_init -e __msan_init "$BIN"; then
  SIZE=20000000
  LIMIT_KB=0
  echo "note: sanitizer build; a ${SIZE}-byte stream, no memory bound"
fi

generate() {  # a few kinds of text, repeated to $SIZE bytes ('yes' ends by SIGPIPE: not a failure)
  { yes 'Some text, 日本語 and naïve café; ---- ====    spaces. The quick brown fox!' || true; } |
    head -c "$SIZE"
}

# peak_kb FILE CMD...: runs CMD (stdin and stdout inherited) and writes its peak resident set
# size, in KB, to FILE.
peak_kb() {
  local file=$1
  shift
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f %M -o "$file" "$@"
  else
    python3 -c 'import resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(status)' "$file" "$@"
  fi
}

check() {  # check WHAT FILE: the peak in FILE is below the limit
  local kb
  kb=$(tail -n 1 "$2")
  echo "$1: peak resident set $kb KB"
  (( LIMIT_KB == 0 || kb < LIMIT_KB )) || fail "$1 peaked at $kb KB, over $LIMIT_KB KB"
}

generate | peak_kb "$T/encode.kb" "$BIN" encode --format u16 >"$T/ids.u16" ||
  fail "encode of the stream failed"
check "encode" "$T/encode.kb"
ids=$(( $(wc -c <"$T/ids.u16") / 2 ))

generate | peak_kb "$T/threads.kb" "$BIN" encode --threads 2 | wc -l >"$T/lines" ||
  fail "encode --threads 2 of the stream failed"
check "encode --threads 2" "$T/threads.kb"
[[ "$(cat "$T/lines")" == "$ids" ]] || fail "encode --threads 2 gave $(cat "$T/lines") ids, not $ids"

peak_kb "$T/decode.kb" "$BIN" decode --format u16 "$T/ids.u16" | cmp -s - <(generate) ||
  fail "decode of the ids is not the stream"
check "decode" "$T/decode.kb"

echo "PASS ($SIZE bytes, $ids ids)"
