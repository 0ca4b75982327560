#!/bin/bash
# Streams of any size run in bounded memory, whatever the input: the README's figures, under 16 MB
# resident on one thread and under 40 MB with --threads, hold for encode, count and decode of a
# 300 MB text stream (which round-trips exactly) and of the inputs densest in tokens, random bytes
# and base64 text, with 2 and with 256 threads.

set -euo pipefail

BIN="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}/tools/rwkvtok"
[[ -x "$BIN" ]] || BIN="tools/rwkvtok"
T="$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli_memory_test.XXXXXX")"
ONE_THREAD_LIMIT_KB=$((16 * 1024))
THREADS_LIMIT_KB=$((40 * 1024))
SIZE=300000000
DENSE_SIZE=40000000

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ -x "$BIN" ]] || fail "rwkvtok binary not found at $BIN"

# Sanitizers reserve shadow memory and slow everything down: keep the stream smaller and only
# check that it streams correctly.
if grep -qa -e __asan_init -e __tsan_init -e __msan_init "$BIN"; then
  SIZE=20000000
  DENSE_SIZE=5000000
  ONE_THREAD_LIMIT_KB=0
  THREADS_LIMIT_KB=0
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

check() {  # check WHAT FILE LIMIT_KB: the peak in FILE is below the limit
  local kb
  kb=$(tail -n 1 "$2")
  echo "$1: peak resident set $kb KB"
  (( $3 == 0 || kb < $3 )) || fail "$1 peaked at $kb KB, over $3 KB"
}

generate | peak_kb "$T/encode.kb" "$BIN" encode --format u16 >"$T/ids.u16" ||
  fail "encode of the stream failed"
check "encode" "$T/encode.kb" "$ONE_THREAD_LIMIT_KB"
ids=$(( $(wc -c <"$T/ids.u16") / 2 ))

generate | peak_kb "$T/threads.kb" "$BIN" encode --threads 2 | wc -l >"$T/lines" ||
  fail "encode --threads 2 of the stream failed"
check "encode --threads 2" "$T/threads.kb" "$THREADS_LIMIT_KB"
[[ "$(cat "$T/lines")" == "$ids" ]] || fail "encode --threads 2 gave $(cat "$T/lines") ids, not $ids"

peak_kb "$T/decode.kb" "$BIN" decode --format u16 "$T/ids.u16" | cmp -s - <(generate) ||
  fail "decode of the ids is not the stream"
check "decode" "$T/decode.kb" "$ONE_THREAD_LIMIT_KB"
rm -f "$T/ids.u16"

# Token-dense inputs: about one id per byte (random) and per 1.3 bytes (base64).
head -c "$DENSE_SIZE" /dev/urandom >"$T/random"
head -c $((DENSE_SIZE * 3 / 4)) /dev/urandom | base64 -w 76 >"$T/base64"
for input in random base64; do
  peak_kb "$T/kb" "$BIN" encode "$T/$input" >/dev/null || fail "encode of $input failed"
  check "encode of $input" "$T/kb" "$ONE_THREAD_LIMIT_KB"
  for threads in 2 256; do
    for format in lines json u32; do
      peak_kb "$T/kb" "$BIN" encode --threads "$threads" --format "$format" "$T/$input" >/dev/null ||
        fail "encode --threads $threads --format $format of $input failed"
      check "encode --threads $threads --format $format of $input" "$T/kb" "$THREADS_LIMIT_KB"
    done
    peak_kb "$T/kb" "$BIN" count --threads "$threads" "$T/$input" >/dev/null ||
      fail "count --threads $threads of $input failed"
    check "count --threads $threads of $input" "$T/kb" "$THREADS_LIMIT_KB"
  done
  "$BIN" encode --format u16 "$T/$input" >"$T/ids.u16"
  for utf8 in raw replace; do
    peak_kb "$T/kb" "$BIN" decode --format u16 --utf8 "$utf8" "$T/ids.u16" >/dev/null ||
      fail "decode of $input's ids failed"
    check "decode --utf8 $utf8 of $input's ids" "$T/kb" "$ONE_THREAD_LIMIT_KB"
  done
done

echo "PASS ($SIZE bytes, $ids ids; $DENSE_SIZE bytes of random and base64)"
