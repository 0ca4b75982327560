#!/bin/bash
# `rwkvtok encode|count --threads N` gives byte-identical output to one thread at size: several MB
# of generated text, text made of long runs of '-', '=' and ' ' (every part boundary falls inside
# a run, where the parts' own tokenizations stay out of step with the true one until the run ends),
# and the benchmark corpus (../shared/corpus/bench), when present, against its reference ids.

set -euo pipefail

BIN="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}/tools/rwkvtok"
[[ -x "$BIN" ]] || BIN="tools/rwkvtok"
CORPUS="${TEST_SRCDIR:-.}/corpus/bench"
[[ -z "${RWKVTOK_CORPUS_DIR:-}" ]] || CORPUS="$RWKVTOK_CORPUS_DIR/bench"
T="$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli_threads_test.XXXXXX")"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ -x "$BIN" ]] || fail "rwkvtok binary not found at $BIN"

# same_for_all_threads FILE WHAT [ENV...]: encode (lines and u16) and count with 2, 3 and 8 threads
# equal one thread's, and stderr stays empty. Sets $T/ids to the ids.
same_for_all_threads() {
  local file=$1 what=$2
  shift 2
  env "$@" "$BIN" encode "$file" >"$T/ids" 2>"$T/err" || fail "$what: encode failed"
  env "$@" "$BIN" encode --format u16 "$file" >"$T/ids.u16" 2>>"$T/err" || fail "$what: u16"
  local count
  count=$(wc -l <"$T/ids")
  for threads in 2 3 8; do
    env "$@" "$BIN" encode --threads "$threads" "$file" >"$T/out" 2>>"$T/err" ||
      fail "$what: encode --threads $threads failed"
    cmp -s "$T/out" "$T/ids" || fail "$what: encode --threads $threads differs from one thread"
    env "$@" "$BIN" encode --threads "$threads" --format u16 <"$file" >"$T/out" 2>>"$T/err" ||
      fail "$what: encode --threads $threads --format u16 failed"
    cmp -s "$T/out" "$T/ids.u16" || fail "$what: u16 with --threads $threads differs"
    [[ "$(env "$@" "$BIN" count --threads "$threads" "$file" 2>>"$T/err")" == "$count" ]] ||
      fail "$what: count --threads $threads is not the number of ids, $count"
  done
  [[ ! -s "$T/err" ]] || fail "$what: something was written to stderr: $(head -c 300 "$T/err")"
  echo "ok: $what ($(wc -c <"$file") bytes, $count ids)"
}

python3 - "$T" <<'PY'
import random, sys
r = random.Random(2024)
words = ("the of and to in is that it was for on are with as his they at be this from have "
         "or by one had not but what all were when we there can an your which their said if do "
         "日本語 テキスト 中文 naïve café Ελληνικά русский 😀 def return {} [] () == != -> ::").split()
text = bytearray()
while len(text) < 6_000_000:
    line = " ".join(r.choice(words) for _ in range(r.randint(3, 30)))
    text += (line[0].upper() + line[1:] + r.choice([".", "!", "?", ":", ","]) +
             r.choice(["\n", "\n\n", " ", "  ", "\t"])).encode()
open(sys.argv[1] + "/text", "wb").write(text)
runs = bytearray()
while len(runs) < 3_000_000:
    runs += bytes([r.choice(b"-= ")]) * r.randint(200, 60000)
    runs += r.choice([b"", b"\n", b"x", b"==>", b"-->", b" ", "—".encode()])
open(sys.argv[1] + "/runs", "wb").write(runs)
PY

same_for_all_threads "$T/text" "generated text"
same_for_all_threads "$T/runs" "runs of '-', '=' and ' '"
# Blocks of 100,003 bytes: dozens of block boundaries, each cutting a run.
same_for_all_threads "$T/runs" "runs of '-', '=' and ' ' in small blocks" RWKVTOK_BLOCK_BYTES=100003

shopt -s nullglob
texts=("$CORPUS"/*.txt)
if (( ${#texts[@]} == 0 )); then
  echo "SKIP: the benchmark corpus (../shared/corpus/bench) is absent; only generated text tested"
fi
for text in "${texts[@]}"; do
  same_for_all_threads "$text" "corpus $(basename "$text")"
  if [[ -f "${text%.txt}.ids" ]]; then
    cmp -s "$T/ids" "${text%.txt}.ids" || fail "$(basename "$text"): ids differ from the reference"
  fi
done

echo "PASS"
