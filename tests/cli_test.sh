#!/bin/bash
# End-to-end tests of the rwkvtok command line tool (tools/cli/): commands, formats, options,
# errors. tests/cli_threads_test.sh, cli_memory_test.sh, cli_live_test.py and cli_fault_test.sh
# cover --threads, large inputs, live input and faults.

set -euo pipefail

BIN="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}/tools/rwkvtok"
[[ -x "$BIN" ]] || BIN="$PWD/tools/rwkvtok"
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

expect_rc() {  # expect_rc CODE WHAT; a success also writes nothing to stderr (no progress line)
  [[ "$rc" == "$1" ]] || fail "$2: exit status $rc, expected $1"
  [[ "$1" != 0 || ! -s "$T/err" ]] || fail "$2: succeeded but wrote to stderr"
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

# Past the first block of ids, the position still counts from the first id.
{ for i in $(seq 3000); do echo 33; done; echo 70000; } >"$T/in"
run decode
(( rc != 0 )) || fail "decode of id 70000 after 3000 ids succeeded"
expect_err "invalid id 70000 at position 3001:" "an invalid id after 3000"

# --- words that are not ids.

run decode --text "1 abc 2"
(( rc != 0 )) || fail "decode of 'abc' succeeded"
expect_err "invalid id 'abc' at position 2:" "non-numeric id"

for word in -1 +5 1x 4294967296 99999999999; do
  run decode --text "33155"$'\t'"$word"
  (( rc != 0 )) || fail "decode of '$word' succeeded"
  expect_err "invalid id '$word' at position 2:" "bad id word '$word'"
done

# --- an error keeps everything before it: every byte of every valid id (raw), with a character
# left unfinished as U+FFFD (replace), or the valid text (strict).

expect_bytes() {  # expect_bytes PRINTF-FORMAT WHAT: stdout is exactly those bytes
  printf "$1" >"$T/expected"
  expect_out "$T/expected" "$2"
}
printf '33155 229 65530' >"$T/in"
run decode
expect_rc 1 "decode of Hello, E4, 65530"
expect_err "invalid id 65530 at position 3:" "decode of Hello, E4, 65530"
expect_bytes 'Hello\xe4' "raw decode before an invalid id"
run decode --utf8 replace
expect_rc 1 "replace decode of Hello, E4, 65530"
expect_bytes 'Hello\xef\xbf\xbd' "replace decode before an invalid id"
run decode --utf8 strict
expect_rc 1 "strict decode of Hello, E4, 65530"
expect_bytes 'Hello' "strict decode before an invalid id"
printf '33155 229 abc' >"$T/in"
run decode --utf8 replace
expect_err "invalid id 'abc' at position 3:" "replace decode before a bad word"
expect_bytes 'Hello\xef\xbf\xbd' "replace decode before a bad word"
printf '\345\000\001' >"$T/in"  # id 229 (E4), then half an id
run decode --format u16
expect_rc 1 "u16 decode of 3 bytes"
expect_err "u16 input of 3 bytes is not a multiple of 2 bytes" "u16 decode of 3 bytes"
expect_bytes '\xe4' "u16 decode before an odd byte"
printf '[33155, 229, 1.5]' >"$T/in"
run decode --format json
expect_rc 1 "JSON decode of 1.5"
expect_err "invalid JSON input at byte 15: expected ',' or ']'" "JSON decode of 1.5"
expect_bytes 'Hello\xe4' "JSON decode before 1.5: nothing of id 1"
printf '[1.5]' >"$T/in"
run decode --format json
expect_empty_out "JSON decode of [1.5]"
printf '[33155, 229' >"$T/in"
run decode --format json
expect_err "ends before the array of ids is closed" "JSON cut inside a number"
expect_bytes 'Hello' "JSON cut inside a number: the number is not taken"
: >"$T/in"

# Words that are not ids are shown escaped and cut short: nothing of them reaches the terminal raw.
printf '1 a\033[2J\000z\tb' >"$T/in"
run decode
expect_err "invalid id 'a\\x1b[2J\\x00z' at position 2: ids are decimal numbers" "escaped word"
python3 -c 'import sys; sys.stdout.write("7 " + "9" * 40 + "x" + "y" * 1000)' >"$T/in"
run decode
expect_err "invalid id '$(printf '9%.0s' {1..32})...' at position 2" "a long word, cut"
(( $(wc -c <"$T/err") < 200 )) || fail "a long word's message is $(wc -c <"$T/err") bytes"
: >"$T/in"

# Strict: where the invalid UTF-8 is, and which id began a character it breaks.
run decode --utf8 strict --text "33155 229 33155"
expect_rc 1 "strict decode of Hello, E4, Hello"
expect_err "rwkvtok: invalid UTF-8: the character begun by id 229 at position 2 is broken by id 33155 at position 3" \
  "strict decode of a broken character"
run decode --utf8 strict --text "33155 229 186 33155"  # E4 B9, then H: begun by 229, not 186
expect_err "the character begun by id 229 at position 2 is broken by id 33155 at position 4" \
  "strict decode of a character broken after two ids"

# Input that never ends but is no id fails at once: decode reads no further than it must.
if [[ -z "${EMULATOR[*]}" ]]; then
  rc=0
  timeout 60 "$BIN" decode /dev/zero >"$T/out" 2>"$T/err" || rc=$?
  expect_rc 1 "decode of /dev/zero"
  expect_err "rwkvtok: invalid id '\x00\x00\x00" "decode of /dev/zero"
  expect_err "...' at position 1: ids are decimal numbers" "decode of /dev/zero"
fi

# --- unreadable input.

for command in encode decode count; do
  run "$command" "$T/does-not-exist"
  (( rc != 0 )) || fail "$command of a missing file succeeded"
  expect_err "cannot read" "$command of a missing file"
  expect_err "$T/does-not-exist" "$command of a missing file names it"
done
run encode ""
expect_rc 1 "encode of the file ''"
expect_err "rwkvtok: cannot read '': No such file or directory" "encode of the file ''"
escaped_name=$'evil\e[31m\nsecond'
run encode "$T/$escaped_name"
expect_rc 1 "encode of a missing file with a control byte in its name"
expect_err "evil\x1b[31m\nsecond': No such file or directory" "a file name is escaped"
(( $(wc -l <"$T/err") == 1 )) || fail "a file name's error is not one line"
if [[ -e /dev/stdin ]]; then
  rc=0
  "${EMULATOR[@]}" "$BIN" count /dev/stdin <&- >"$T/out" 2>"$T/err" || rc=$?
  expect_rc 1 "count /dev/stdin with stdin closed"
  expect_err "rwkvtok: cannot read '/dev/stdin': Bad file descriptor" "count /dev/stdin, stdin closed"
fi
# What holds a closed stdin's place is no file a user can name: /dev/null is read as usual.
rc=0
"${EMULATOR[@]}" "$BIN" count /dev/null <&- >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 "count /dev/null with stdin closed"
[[ "$(cat "$T/out")" == 0 ]] || fail "count /dev/null with stdin closed: not 0"
mkdir "$T/dir"
run encode "$T/dir"
(( rc != 0 )) || fail "encode of a directory succeeded"
expect_err "cannot read" "encode of a directory"

# --- bad command lines: one line naming what is wrong, exit status 2; no arguments: the usage.

check_usage_error() {  # check_usage_error MESSAGE ARGS...
  local message=$1
  shift
  run "$@"
  expect_rc 2 "$*"
  expect_err "$message" "$*"
  (( $(wc -l <"$T/err") == 1 )) || fail "$*: the error is not one line"
}
run
expect_rc 2 "no arguments"
expect_err "usage: rwkvtok" "no arguments"
check_usage_error "rwkvtok: unknown command 'frobnicate': encode, decode, count or binidx" frobnicate
check_usage_error "rwkvtok: binidx comes first, before any option: rwkvtok binidx --help" \
  --format json binidx
check_usage_error "rwkvtok: --text and a FILE cannot both be given" encode --text "a" "$T/text"
check_usage_error "rwkvtok: unknown option '--bogus'" encode --bogus
check_usage_error "rwkvtok: unknown option '-x'" encode -x
check_usage_error "rwkvtok: unknown option '--\x1b[31m'" encode $'--\e[31m'
check_usage_error "rwkvtok: --text needs a value" encode --text
check_usage_error "rwkvtok: --format needs a value" encode --format
check_usage_error "rwkvtok: unexpected argument 'extra': only one FILE may be given" \
  encode "$T/text" extra
check_usage_error "rwkvtok: --eos takes no value" encode --eos=1 --text a
check_usage_error "rwkvtok: no command: encode, decode, count or binidx" --eos
check_usage_error "rwkvtok: unknown option '--=x'" encode --=x
check_usage_error "rwkvtok: unknown option '--bogus=1'" encode --bogus=1
check_usage_error "rwkvtok: unknown option '--bogus'" encode --bogus --format xml --other
for args in "help" "frobnicate --help" "encode --bogus --help"; do
  run $args
  expect_rc 0 "$args"
  grep -qF "usage: rwkvtok" "$T/out" || fail "$args prints no usage"
done
run encode --bogus --version
expect_rc 0 "--version after a bad option"
run encode --format json --format u16 --text Hello
printf '\203\201' >"$T/expected"
expect_out "$T/expected" "an option given twice takes its last value"
run --help
expect_rc 0 "--help"
grep -qF "usage: rwkvtok" "$T/out" || fail "--help prints no usage"
run encode --help
expect_rc 0 "encode --help"
grep -qF "usage: rwkvtok" "$T/out" || fail "encode --help prints no usage"
if [[ -w /dev/full ]]; then
  rc=0
  "${EMULATOR[@]}" "$BIN" --help >/dev/full 2>"$T/err" || rc=$?
  expect_rc 1 "--help > /dev/full"
  expect_err "rwkvtok: cannot write output: No space left on device" "--help > /dev/full"
  rc=0
  "${EMULATOR[@]}" "$BIN" encode --text Hello >/dev/full 2>"$T/err" || rc=$?
  expect_rc 1 "encode > /dev/full"
  expect_err "rwkvtok: cannot write output: No space left on device" "encode > /dev/full"
fi
run --version
expect_rc 0 "--version"
grep -qE '^rwkvtok [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || fail "--version: '$(head -n 1 "$T/out")'"
grep -qF "vocabulary rwkv_vocab_v20230424: 65529 tokens" "$T/out" || fail "--version names no vocabulary"

# '--' ends the options: a file may start with '-'.
printf 'Hello' >"$T/-dash"
(cd "$T" && "${EMULATOR[@]}" "$BIN" encode -- -dash >"$T/out" 2>"$T/err") || fail "encode -- -dash failed"
[[ "$(cat "$T/out")" == "33155" ]] || fail "encode -- -dash gave '$(cat "$T/out")'"
(cd "$T" && "${EMULATOR[@]}" "$BIN" encode -- --text >"$T/out" 2>"$T/err") && fail "encode -- --text read a file named --text"
expect_err "cannot read '--text'" "encode -- --text names the file"

# Closed standard descriptors are errors, and no file the tool opens is taken for them.
rc=0
"${EMULATOR[@]}" "$BIN" encode <&- >"$T/out" 2>"$T/err" || rc=$?
expect_rc 1 "encode with stdin closed"
expect_err "rwkvtok: cannot read standard input: Bad file descriptor" "encode with stdin closed"
rc=0
"${EMULATOR[@]}" "$BIN" encode --text Hello >&- 2>"$T/err" || rc=$?
expect_rc 1 "encode with stdout closed"
expect_err "rwkvtok: cannot write output: Bad file descriptor" "encode with stdout closed"
for threads in 1 2; do
  "${EMULATOR[@]}" "$BIN" encode --threads $threads "$T/text" <&- 2>&- >"$T/out" ||
    fail "encode --threads $threads of a file with stdin and stderr closed"
  expect_out "$T/text.ids" "encode --threads $threads of a file with stdin and stderr closed"
done

# RWKVTOK_BLOCK_BYTES: a whole number of bytes, 1 to 64 MiB.
for value in abc 12abc "" 0 -5 67108865 99999999999999999999999; do
  rc=0
  RWKVTOK_BLOCK_BYTES="$value" "${EMULATOR[@]}" "$BIN" encode --text a >"$T/out" 2>"$T/err" || rc=$?
  expect_rc 2 "RWKVTOK_BLOCK_BYTES='$value'"
  expect_err "rwkvtok: RWKVTOK_BLOCK_BYTES must be a number of bytes from 1 to 67108864, not '$value'" \
    "RWKVTOK_BLOCK_BYTES='$value'"
done
rc=0
RWKVTOK_BLOCK_BYTES=67108864 "${EMULATOR[@]}" "$BIN" encode --text Hello >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 "RWKVTOK_BLOCK_BYTES at its largest"
[[ "$(cat "$T/out")" == "33155" ]] || fail "RWKVTOK_BLOCK_BYTES at its largest"

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


# --- formats: every one round-trips arbitrary bytes, and all carry the same ids.

python3 -c 'import random, sys
r = random.Random(5)
sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(30000)))' >"$T/random"
{ cat "$T/bytes" "$T/text"; printf '\r\n\000\000 naïve 日本語 \xe6\x97\n'; cat "$T/random"; } >"$T/mix"
run encode "$T/mix"
expect_rc 0 "encode of mixed bytes"
cp "$T/out" "$T/mix.ids"
n_ids=$(wc -l <"$T/mix.ids")
for format in lines json u16 u32; do
  run encode --format "$format" "$T/mix"
  expect_rc 0 "encode --format $format"
  cp "$T/out" "$T/mix.$format"
  run decode --format "$format" "$T/mix.$format"
  expect_rc 0 "decode --format $format"
  expect_out "$T/mix" "round trip through --format $format"
  run count --format "$format" "$T/mix"
  [[ "$(cat "$T/out")" == "$n_ids" ]] || fail "count --format $format is '$(cat "$T/out")', not $n_ids"
done
cmp -s "$T/mix.lines" "$T/mix.ids" || fail "--format lines differs from the default"
(( $(wc -c <"$T/mix.u16") == 2 * n_ids )) || fail "u16 output is not 2 bytes per id"
(( $(wc -c <"$T/mix.u32") == 4 * n_ids )) || fail "u32 output is not 4 bytes per id"
# Each format read back by Python gives the lines' ids.
python3 -c 'import json, sys; print("\n".join(map(str, json.load(sys.stdin))))' <"$T/mix.json" \
  >"$T/py.ids" || fail "the JSON output does not parse"
cmp -s "$T/py.ids" "$T/mix.ids" || fail "the JSON array's ids differ from the lines"
for format in u16:H u32:I; do
  python3 -c 'import struct, sys
values = struct.iter_unpack("<" + sys.argv[1], sys.stdin.buffer.read())
print("\n".join(str(v) for (v,) in values))' "${format#*:}" \
    <"$T/mix.${format%:*}" >"$T/py.ids"
  cmp -s "$T/py.ids" "$T/mix.ids" || fail "--format ${format%:*} values differ from the lines"
done
run encode --format json --text ""
expect_rc 0 "json of no ids"
[[ "$(cat "$T/out")" == "[]" ]] || fail "json of no ids is '$(cat "$T/out")'"
run encode --format=json --text "Hello"
[[ "$(cat "$T/out")" == "[33155]" ]] || fail "--format=json Hello is '$(cat "$T/out")'"

# Decode reads JSON with any whitespace, and only JSON arrays of ids.
run decode --format json --text $' [ 33155 ,\n\t45,1\r\n]\n '
expect_rc 0 "decode of spaced JSON"
printf 'Hello,\000' >"$T/expected"
expect_out "$T/expected" "decode of spaced JSON"
run decode --format json --text "[]"
expect_rc 0 "decode of an empty JSON array"
expect_empty_out "decode of an empty JSON array"
check_json_error() {  # check_json_error INPUT MESSAGE
  run decode --format json --text "$1"
  expect_rc 1 "decode of JSON '$1'"
  expect_err "$2" "decode of JSON '$1'"
}
check_json_error "" "ends before the array of ids is closed"
check_json_error "33155" "at byte 1: expected '['"
check_json_error "[1,,2]" "at byte 4: expected an id"
check_json_error "[1 2]" "at byte 4: expected ',' or ']'"
check_json_error "[1,2" "ends before the array of ids is closed"
check_json_error "[1,2,]" "at byte 6: expected an id"
check_json_error "[1]]" "at byte 4: expected nothing after the array"
check_json_error "[-1]" "at byte 2: expected an id or ']'"
check_json_error "[1.5]" "at byte 3: expected ',' or ']'"
check_json_error "[1,99999999999]" "invalid id '99999999999' at position 2: too large"
check_json_error "[1,65530]" "invalid id 65530 at position 2:"

# Binary ids: whole ids only; values that name no token are invalid ids.
printf 'A' >"$T/odd"
run decode --format u16 "$T/odd"
expect_rc 1 "u16 input of 1 byte"
expect_err "u16 input of 1 byte is not a multiple of 2 bytes" "u16 input of 1 byte"
printf '\001\000\000\000\002' >"$T/five"
run decode --format u32 "$T/five"
expect_rc 1 "u32 input of 5 bytes"
expect_err "u32 input of 5 bytes is not a multiple of 4 bytes" "u32 input of 5 bytes"
printf '\111\000\372\377' >"$T/u16bad"
run decode --format u16 "$T/u16bad"
expect_rc 1 "u16 id 65530"
expect_err "invalid id 65530 at position 2:" "u16 id 65530"
printf '\377\377\377\377' >"$T/u32bad"
run decode --format u32 "$T/u32bad"
expect_rc 1 "u32 id 4294967295"
expect_err "invalid id 4294967295 at position 1:" "u32 id 4294967295"

# --- numbers and ids split across read blocks (RWKVTOK_BLOCK_BYTES makes blocks tiny).

for size in 1 2 3 5 7; do
  for format in lines json u16 u32; do
    rc=0
    RWKVTOK_BLOCK_BYTES=$size "${EMULATOR[@]}" "$BIN" decode --format "$format" "$T/mix.$format" >"$T/out" \
      2>"$T/err" || rc=$?
    expect_rc 0 "decode --format $format in blocks of $size"
    expect_out "$T/mix" "decode --format $format in blocks of $size"
  done
  rc=0
  RWKVTOK_BLOCK_BYTES=$size "${EMULATOR[@]}" "$BIN" encode "$T/mix" >"$T/out" 2>"$T/err" || rc=$?
  expect_rc 0 "encode in blocks of $size"
  expect_out "$T/mix.ids" "encode in blocks of $size"
done
printf '1 2 abc' >"$T/in"
RWKVTOK_BLOCK_BYTES=1 run decode
expect_err "invalid id 'abc' at position 3:" "a bad word split across blocks"
: >"$T/in"

# --- --eos appends the end-of-text id 0, in every format; count includes it.

run encode --eos --text "Hello"
expect_rc 0 "encode --eos"
[[ "$(cat "$T/out")" == $'33155\n0' ]] || fail "encode --eos Hello is '$(cat "$T/out")'"
run encode --eos --format json --text "Hello"
[[ "$(cat "$T/out")" == "[33155,0]" ]] || fail "json --eos Hello is '$(cat "$T/out")'"
run encode --eos --format json --text ""
[[ "$(cat "$T/out")" == "[0]" ]] || fail "json --eos of nothing is '$(cat "$T/out")'"
run encode --eos --format u16 --text "Hello"
printf '\203\201\000\000' >"$T/expected"
expect_out "$T/expected" "u16 --eos Hello"
run count --eos --text "Hello"
[[ "$(cat "$T/out")" == "2" ]] || fail "count --eos Hello is '$(cat "$T/out")'"
run encode --eos --threads 2 "$T/mix"
expect_rc 0 "encode --eos --threads 2"
{ cat "$T/mix.ids"; echo 0; } >"$T/expected"
expect_out "$T/expected" "encode --eos --threads 2"
run decode --text "$(cat "$T/expected")"
expect_out "$T/mix" "decode of ids ending with 0"

# --- decode --utf8: raw (default) is the exact bytes; replace is Python's 'replace'; strict fails.

run decode --utf8 raw "$T/mix.ids"
expect_rc 0 "decode --utf8 raw"
expect_out "$T/mix" "decode --utf8 raw"
run decode --utf8 replace "$T/mix.ids"
expect_rc 0 "decode --utf8 replace"
python3 -c 'import sys
sys.stdout.buffer.write(sys.stdin.buffer.read().decode("utf-8", "replace").encode())' \
  <"$T/mix" >"$T/expected"
expect_out "$T/expected" "decode --utf8 replace vs Python's bytes.decode(..., 'replace')"
printf 'Hello, 日本語 naïve \U0001F600\n' >"$T/valid"
run encode "$T/valid"
cp "$T/out" "$T/valid.ids"
run decode --utf8 strict "$T/valid.ids"
expect_rc 0 "decode --utf8 strict of valid text"
expect_out "$T/valid" "decode --utf8 strict of valid text"
# Ids 72, 256, 73 are the bytes 'G', 0xFF (never valid UTF-8), 'H'.
run decode --utf8 strict --text "72 256 73"
expect_rc 1 "strict decode of 0xFF"
expect_err "rwkvtok: invalid UTF-8 in id 256 at position 2" "strict decode of 0xFF"
[[ "$(cat "$T/out")" == "G" ]] || fail "strict decode wrote '$(cat "$T/out")' before the error"
run decode --utf8 replace --text "72 256 73"
[[ "$(cat "$T/out")" == "G�H" ]] || fail "replace decode of 0xFF is '$(cat "$T/out")'"
# Ids 231, 152 are the bytes E6 97: the start of a three-byte character.
run decode --utf8 strict --text "72 231 152"
expect_rc 1 "strict decode of an unfinished character"
expect_err "invalid UTF-8: the input ends inside the character begun by id 231 at position 2" "strict decode of E6 97"
run decode --utf8 strict --text "231 152 0 72"
expect_rc 1 "strict decode of an unfinished character before id 0"
expect_err "invalid UTF-8: the character begun by id 231 at position 1 is unfinished at the end of text, id 0 at position 3" "strict decode of E6 97 0"
run decode --utf8 replace --text "231 152 0 72"
expect_rc 0 "replace decode of E6 97 0 G"
[[ "$(cat "$T/out")" == "�G" ]] || fail "id 0 does not end the unfinished character: '$(cat "$T/out")'"
run decode --text "231 152 0 134"  # raw: the exact bytes E6 97 85
[[ "$(cat "$T/out")" == "旅" ]] || fail "raw decode across id 0 is '$(cat "$T/out")'"

# --- --threads: any count gives the single-thread ids (tests/cli_threads_test.sh does it at size).

python3 -c 'import random, sys
r = random.Random(9)
out = bytearray()
while len(out) < 300000:
    k = r.random()
    if k < 0.4: out += bytes([r.choice(b"-= \n")]) * r.randint(1, 3000)
    elif k < 0.7: out += "The quick brown fox, 日本語 naïve café. ".encode() * r.randint(1, 5)
    else: out += bytes(r.randrange(256) for _ in range(r.randint(1, 200)))
sys.stdout.buffer.write(out)' >"$T/runs"
run encode "$T/runs"
cp "$T/out" "$T/runs.ids"
for threads in 0 1 2 3 8; do
  run encode --threads "$threads" "$T/runs"
  expect_rc 0 "encode --threads $threads"
  expect_out "$T/runs.ids" "encode --threads $threads"
done
# Tiny blocks: many block and part boundaries, each inside some token or run.
for setting in 129:2 997:3 5000:8; do
  rc=0
  RWKVTOK_BLOCK_BYTES=${setting%:*} "${EMULATOR[@]}" "$BIN" encode --threads "${setting#*:}" "$T/runs" >"$T/out" \
    2>"$T/err" || rc=$?
  expect_rc 0 "encode --threads ${setting#*:} in blocks of ${setting%:*}"
  expect_out "$T/runs.ids" "encode --threads ${setting#*:} in blocks of ${setting%:*}"
done
cp "$T/runs" "$T/in"
run count --threads 3
[[ "$(cat "$T/out")" == "$(wc -l <"$T/runs.ids")" ]] || fail "count --threads 3 from stdin"
run encode --threads 2 --format json
python3 -c 'import json, sys; print("\n".join(map(str, json.load(sys.stdin))))' <"$T/out" \
  >"$T/py.ids"
cmp -s "$T/py.ids" "$T/runs.ids" || fail "encode --threads 2 --format json from stdin"
: >"$T/in"
run encode --threads 4 --text "Hello"
[[ "$(cat "$T/out")" == "33155" ]] || fail "encode --threads 4 of a short text"
run encode --threads 4 "$T/empty"
expect_rc 0 "encode --threads 4 of an empty file"
expect_empty_out "encode --threads 4 of an empty file"

# --- --profile compact: the same ids, counts and bytes as the full profile.

head -c 300000 /dev/urandom >"$T/random"
{ cat "$T/runs"; printf 'Hello, 世界! \xff\xfe\n'; cat "$T/random"; } >"$T/mixed"
run encode "$T/mixed"
expect_rc 0 "encode of mixed bytes"
cp "$T/out" "$T/mixed.ids"
for threads in 1 3; do
  run encode --profile compact --threads "$threads" "$T/mixed"
  expect_rc 0 "encode --profile compact --threads $threads"
  expect_out "$T/mixed.ids" "encode --profile compact --threads $threads"
done
run count --profile compact "$T/mixed"
[[ "$(cat "$T/out")" == "$(wc -l <"$T/mixed.ids")" ]] || fail "count --profile compact"
for utf8 in raw replace; do
  run decode --utf8 "$utf8" "$T/mixed.ids"
  cp "$T/out" "$T/mixed.$utf8"
  run decode --profile compact --utf8 "$utf8" "$T/mixed.ids"
  expect_rc 0 "decode --profile compact --utf8 $utf8"
  expect_out "$T/mixed.$utf8" "decode --profile compact --utf8 $utf8"
done
cmp -s "$T/mixed.raw" "$T/mixed" || fail "decode --profile compact: not the bytes encoded"
run encode --profile full --text "Hello"
[[ "$(cat "$T/out")" == "33155" ]] || fail "encode --profile full"

# --- option values: one line naming the problem, exit status 2.

for value in -1 257 abc "" 2x; do
  check_usage_error "rwkvtok: --threads must be a number from 1 to 256, or 0 for one per CPU core, not '$value'" \
    encode --threads "$value" --text a
done
check_usage_error "rwkvtok: --format must be lines, json, u16 or u32, not 'xml'" encode --format xml
check_usage_error "rwkvtok: --utf8 must be raw, replace or strict, not 'latin1'" decode --utf8 latin1
check_usage_error "rwkvtok: --utf8 applies to decode only" encode --utf8 raw
check_usage_error "rwkvtok: --eos applies to encode and count only" decode --eos
check_usage_error "rwkvtok: --threads applies to encode and count only" decode --threads 2
check_usage_error "rwkvtok: --profile must be full or compact, not 'tiny'" encode --profile tiny

echo "PASS"
