#!/bin/bash
# Faults do not abort the command line tool: a thread that cannot start and memory that cannot be
# had each end in the usual one-line error and exit status 1, with everything written before it
# valid. tests/fault_shim.cc makes the faults happen at every point they can, deterministically,
# in a build of the tool linked with it (also as root and under the sanitizers, where ulimit
# cannot provoke them).

set -euo pipefail

BIN="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}/tests/rwkvtok_with_faults"
[[ -x "$BIN" ]] || BIN="tests/rwkvtok_with_faults"
T="$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli_fault_test.XXXXXX")"

fail() {
  echo "FAIL: $*" >&2
  [[ -s "$T/err" ]] && { echo "--- stderr:" >&2; head -c 2000 "$T/err" >&2; }
  exit 1
}

[[ -x "$BIN" ]] || fail "tool not found at $BIN"

python3 -c 'import random, sys
r = random.Random(3)
out = bytearray()
while len(out) < 3_000_000:
    k = r.random()
    if k < 0.3: out += bytes(r.randrange(256) for _ in range(r.randint(1, 300)))
    elif k < 0.4: out += b"-" * r.randint(100, 5000)
    else: out += "The quick brown fox, 日本語 naïve café. ".encode() * r.randint(1, 50)
sys.stdout.buffer.write(out)' >"$T/text"
"$BIN" encode "$T/text" >"$T/text.ids" 2>"$T/err" || fail "encode without faults failed"
[[ ! -s "$T/err" ]] || fail "encode without faults wrote to stderr"

# one_line_error MESSAGE WHAT: stderr is exactly that one line.
one_line_error() {
  [[ "$(cat "$T/err")" == "$1" ]] || fail "$2: stderr is '$(head -c 300 "$T/err")', not '$1'"
}

# --- threads: whichever of threads 2 to N of --threads N cannot start, the error names it and
# nothing has been written. The thread that reads the input ahead is not needed: if it cannot
# start, the input is read on the main thread and the output is the same.

for threads in 1 2 3 8 256; do
  for allowed in 0 1 5 $((threads - 2)) $((threads - 1)); do
    (( allowed >= 0 && allowed <= threads - 1 )) || continue
    for command in encode count; do
      rc=0
      RWKVTOK_FAIL_THREAD=$allowed "$BIN" "$command" --threads "$threads" "$T/text" \
        >"$T/out" 2>"$T/err" || rc=$?
      what="$command --threads $threads, thread start $((allowed + 1)) failing"
      if (( allowed < threads - 1 )); then
        [[ $rc == 1 ]] || fail "$what: exit status $rc"
        one_line_error "rwkvtok: cannot start thread $((allowed + 2)) of $threads: Resource temporarily unavailable (try fewer --threads)" "$what"
        [[ ! -s "$T/out" ]] || fail "$what: wrote output before failing"
      else
        [[ $rc == 0 && ! -s "$T/err" ]] || fail "$what: exit status $rc"
        if [[ $command == encode ]]; then
          cmp -s "$T/out" "$T/text.ids" || fail "$what: the output differs"
        else
          [[ "$(cat "$T/out")" == "$(wc -l <"$T/text.ids")" ]] || fail "$what: the count differs"
        fi
      fi
    done
  done
done
cp "$T/text.ids" "$T/stdin"
RWKVTOK_FAIL_THREAD=0 "$BIN" decode <"$T/stdin" >"$T/out" 2>"$T/err" || fail "decode, no thread"
cmp -s "$T/out" "$T/text" || fail "decode without its reading thread differs"
echo "ok: thread start failures"

# --- memory: every allocation in turn fails. Each run either succeeds with the whole output or
# fails with "out of memory" after writing a prefix of it; the sweep ends at the first run that
# succeeds, which must come after some that failed.

# sweep WHAT EXPECTED-OUTPUT ARGS...: the runs, with stdin from $T/stdin.
sweep() {
  local what=$1 expected=$2
  shift 2
  local allowed=0 rc
  while true; do
    rc=0
    RWKVTOK_FAIL_ALLOC=$allowed "$BIN" "$@" <"$T/stdin" >"$T/out" 2>"$T/err" || rc=$?
    if [[ $rc == 0 ]]; then
      cmp -s "$T/out" "$expected" || fail "$what: succeeded with allocation $allowed failing, but its output differs"
      [[ ! -s "$T/err" ]] || fail "$what: succeeded but wrote to stderr"
      break
    fi
    [[ $rc == 1 ]] || fail "$what: exit status $rc with allocation $allowed failing"
    one_line_error "rwkvtok: out of memory" "$what, allocation $allowed failing"
    cmp -s "$T/out" <(head -c "$(wc -c <"$T/out")" "$expected") ||
      fail "$what: with allocation $allowed failing, the output is not a prefix of the whole"
    allowed=$((allowed + 1))
    (( allowed < 1000 )) || fail "$what: still failing after 1000 allocations"
  done
  (( allowed > 0 )) || fail "$what: no allocation failed (is the shim linked?)"
  echo "ok: $what, $allowed allocations"
}

: >"$T/stdin"
sweep "encode" "$T/text.ids" encode "$T/text"
sweep "encode --threads 3" "$T/text.ids" encode --threads 3 "$T/text"
RWKVTOK_BLOCK_BYTES=65536 sweep "encode --threads 2 in small blocks" "$T/text.ids" encode --threads 2 "$T/text"
python3 -c 'import sys; print("[" + ",".join(sys.stdin.read().split()) + "]")' <"$T/text.ids" >"$T/text.json"
sweep "encode --format json" "$T/text.json" encode --format json "$T/text"
wc -l <"$T/text.ids" | tr -d ' ' >"$T/count"
sweep "count --threads 2" "$T/count" count --threads 2 "$T/text"
cp "$T/text.ids" "$T/stdin"
sweep "decode" "$T/text" decode
python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode("utf-8", "replace").encode())' \
  <"$T/text" >"$T/text.replaced"
sweep "decode --utf8 replace" "$T/text.replaced" decode --utf8 replace
: >"$T/stdin"
printf '33155\n' >"$T/hello.ids"
sweep "encode --text" "$T/hello.ids" encode --text Hello
"$BIN" --version >"$T/version"
sweep "--version" "$T/version" --version

# --- binidx: every allocation in turn fails, on 1 and 2 threads. Each run either writes the
# dataset or fails with "out of memory" and leaves the dataset there before it as it was. The
# corpus has a bad line, so --skip-bad is taken too.
python3 -c 'import json, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
lines = [json.dumps({"text": text[i:i + 700]}) for i in range(0, 60000, 700)]
lines.insert(40, "{not json")
print("\n".join(lines))' "$T/text" >"$T/corpus.jsonl"
"$BIN" binidx -o "$T/ds" --skip-bad "$T/corpus.jsonl" >"$T/binidx.out" 2>"$T/err" ||
  fail "binidx without faults failed"
cp "$T/ds.bin" "$T/expected.bin"
cp "$T/ds.idx" "$T/expected.idx"
: >"$T/old.bin"
: >"$T/old.idx"
for threads in 1 2; do
  allowed=0
  while true; do
    cp "$T/old.bin" "$T/ds.bin"
    cp "$T/old.idx" "$T/ds.idx"
    rc=0
    RWKVTOK_FAIL_ALLOC=$allowed "$BIN" binidx -o "$T/ds" --skip-bad --threads $threads \
      "$T/corpus.jsonl" >"$T/out" 2>"$T/err" || rc=$?
    what="binidx --threads $threads, allocation $allowed failing"
    if [[ $rc == 0 ]]; then
      cmp -s "$T/out" "$T/binidx.out" || fail "$what: succeeded, but its summary differs"
      cmp -s "$T/ds.bin" "$T/expected.bin" && cmp -s "$T/ds.idx" "$T/expected.idx" ||
        fail "$what: succeeded, but its dataset differs"
      break
    fi
    [[ $rc == 1 ]] || fail "$what: exit status $rc"
    one_line_error "rwkvtok: out of memory" "$what"
    [[ ! -s "$T/ds.bin" && ! -s "$T/ds.idx" ]] || fail "$what: the dataset there before changed"
    [[ -z "$(ls -A "$T" | grep '^\.ds\.')" ]] || fail "$what: a temporary file was left behind"
    allowed=$((allowed + 1))
    (( allowed < 2000 )) || fail "$what: still failing after 2000 allocations"
  done
  (( allowed > 0 )) || fail "binidx --threads $threads: no allocation failed"
  echo "ok: binidx --threads $threads, $allowed allocations"
done

echo "PASS"
