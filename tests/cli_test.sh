#!/bin/bash
# End-to-end tests of the rwkvtok command line tool (tools/cli.cc).

set -euo pipefail

BIN="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}/tools/rwkvtok"
[[ -x "$BIN" ]] || BIN="tools/rwkvtok"
T="$(mktemp -d "${TEST_TMPDIR:-/tmp}/cli_test.XXXXXX")"

fail() {
  echo "FAIL: $*" >&2
  if [[ -s "$T/err" ]]; then
    echo "--- stderr of the last run:" >&2
    cat "$T/err" >&2
  fi
  exit 1
}

[[ -x "$BIN" ]] || fail "rwkvtok binary not found at $BIN"
# Cross builds run the tool under an emulator (third_party/toolchains/qemu_aarch64.sh sets it).
EMULATOR=(${RWKVTOK_EMULATOR:-})

# run ARGS...: runs the tool with stdin from $T/in (empty unless written), stdout to $T/out and
# stderr to $T/err; sets rc to its exit status.
: >"$T/in"
run() {
  rc=0
  "${EMULATOR[@]}" "$BIN" "$@" <"$T/in" >"$T/out" 2>"$T/err" || rc=$?
}

expect_rc() {  # expect_rc CODE WHAT
  [[ "$rc" == "$1" ]] || fail "$2: exit status $rc, expected $1"
}

expect_out() {  # expect_out FILE WHAT: stdout equals the bytes of FILE
  cmp -s "$T/out" "$1" || fail "$2: stdout differs from $1 ($(wc -c <"$T/out") bytes vs $(wc -c <"$1"))"
}

expect_empty_out() {
  [[ ! -s "$T/out" ]] || fail "$1: expected no output, got $(wc -c <"$T/out") bytes"
}

expect_err() {  # expect_err TEXT WHAT: stderr contains TEXT
  grep -qF -- "$1" "$T/err" || fail "$2: stderr lacks '$1'"
}

# --- encode, count and decode of a plain word.

run encode --text "Hello"
expect_rc 0 "encode --text Hello"
cp "$T/out" "$T/hello.ids"
grep -qvE '^[0-9]+$' "$T/hello.ids" && fail "encode prints something other than one id per line"
lines=$(wc -l <"$T/hello.ids")
(( lines >= 1 && lines < 5 )) || fail "encode Hello gave $lines ids, expected 1..4"
# In rwkv_vocab_v20230424.txt, line 33155 is the token 'Hello'.
[[ "$(cat "$T/hello.ids")" == "33155" ]] || fail "encode Hello: got $(cat "$T/hello.ids")"

run count --text "Hello"
expect_rc 0 "count --text Hello"
[[ "$(cat "$T/out")" == "$lines" ]] || fail "count Hello is '$(cat "$T/out")', encode gave $lines ids"

run decode "$T/hello.ids"
expect_rc 0 "decode of Hello's ids"
printf 'Hello' >"$T/hello.txt"
expect_out "$T/hello.txt" "decode of Hello's ids"

# --- the same ids from --text, a file, '-' (stdin) and no argument (stdin).

printf 'The quick brown fox, 日本語 and \xf0\x9f\x98\x80!\n' >"$T/text"
run encode --text "$(cat "$T/text")"$'\n'
cp "$T/out" "$T/text.ids"
[[ -s "$T/text.ids" ]] || fail "encode --text gave no ids"
run encode "$T/text"
expect_rc 0 "encode FILE"
expect_out "$T/text.ids" "encode FILE vs --text"
cp "$T/text" "$T/in"
run encode -
expect_rc 0 "encode -"
expect_out "$T/text.ids" "encode - vs --text"
run encode
expect_rc 0 "encode from stdin"
expect_out "$T/text.ids" "encode (stdin) vs --text"
run count
[[ "$(cat "$T/out")" == "$(wc -l <"$T/text.ids")" ]] || fail "count from stdin"
: >"$T/in"

# --- arbitrary bytes round-trip, with ids separated by mixed whitespace.

printf 'a\000b\377\300\200 \r\n\txyz\344\275\000\000\001end\355\240\200' >"$T/bytes"
run encode "$T/bytes"
expect_rc 0 "encode of binary bytes"
grep -qx 1 "$T/out" || fail "the NUL byte did not encode to id 1"
awk '{ printf "%s%s", $0, (NR % 3 == 0 ? "\n" : (NR % 3 == 1 ? "  " : "\t \n ")) }' "$T/out" \
  >"$T/mixed.ids"
printf '\n\t ' >>"$T/mixed.ids"
grep -q "$(printf '\t')" "$T/mixed.ids" || fail "the mixed id file has no tabs"
run decode "$T/mixed.ids"
expect_rc 0 "decode of whitespace-mixed ids"
expect_out "$T/bytes" "round trip of binary bytes"

# --- id 0 is end of text: no bytes.

run decode --text "0"
expect_rc 0 "decode 0"
expect_empty_out "decode 0"
run decode --text " 0 0
0 "
expect_rc 0 "decode 0 0 0"
expect_empty_out "decode 0 0 0"

# --- ids that name no token.

run decode --text "72 0 65530 1"
(( rc != 0 )) || fail "decode of the reserved id 65530 succeeded"
expect_err "invalid id 65530 at position 3:" "reserved id"

run decode --text "1
70000"
(( rc != 0 )) || fail "decode of id 70000 succeeded"
expect_err "invalid id 70000 at position 2:" "id beyond the vocabulary"

run decode --text "4294967295"
(( rc != 0 )) || fail "decode of id 4294967295 succeeded"
expect_err "invalid id 4294967295 at position 1:" "largest 32-bit id"

# --- words that are not ids.

run decode --text "1 abc 2"
(( rc != 0 )) || fail "decode of 'abc' succeeded"
expect_err "invalid id 'abc' at position 2:" "non-numeric id"

for word in -1 +5 1x 4294967296 99999999999; do
  run decode --text "33155"$'\t'"$word"
  (( rc != 0 )) || fail "decode of '$word' succeeded"
  expect_err "invalid id '$word' at position 2:" "bad id word '$word'"
done

# --- unreadable input.

for command in encode decode count; do
  run "$command" "$T/does-not-exist"
  (( rc != 0 )) || fail "$command of a missing file succeeded"
  expect_err "cannot read" "$command of a missing file"
  expect_err "$T/does-not-exist" "$command of a missing file names it"
done
mkdir "$T/dir"
run encode "$T/dir"
(( rc != 0 )) || fail "encode of a directory succeeded"
expect_err "cannot read" "encode of a directory"

# --- bad command lines: usage and exit status 2.

run frobnicate
expect_rc 2 "unknown command"
expect_err "usage: rwkvtok" "unknown command"
run
expect_rc 2 "no arguments"
expect_err "usage: rwkvtok" "no arguments"
run encode --text "a" "$T/text"
expect_rc 2 "both --text and a file"
run encode --bogus
expect_rc 2 "unknown option"
run encode --text
expect_rc 2 "--text without a value"
run --help
expect_rc 0 "--help"
grep -qF "usage: rwkvtok" "$T/out" || fail "--help prints no usage"

# --- empty input.

: >"$T/empty"
run encode --text ""
expect_rc 0 "encode of empty --text"
expect_empty_out "encode of empty --text"
run encode "$T/empty"
expect_rc 0 "encode of an empty file"
expect_empty_out "encode of an empty file"
run encode
expect_rc 0 "encode of empty stdin"
expect_empty_out "encode of empty stdin"
run count --text ""
expect_rc 0 "count of empty --text"
[[ "$(cat "$T/out")" == "0" ]] || fail "count of empty input is '$(cat "$T/out")'"
run decode "$T/empty"
expect_rc 0 "decode of an empty file"
expect_empty_out "decode of an empty file"

echo "PASS"
