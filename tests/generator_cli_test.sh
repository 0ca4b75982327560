#!/bin/bash
# End-to-end tests of rwkvtok_gen as a command (tools/generate.cc): options, unreadable input,
# outputs written whole or not at all, and vocabulary errors named by line. What it builds is
# tested in tests/generator_test.cc.

set -euo pipefail

GEN="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-rwkvtok}/tools/rwkvtok_gen"
[[ -x "$GEN" ]] || GEN="$PWD/tools/rwkvtok_gen"
T="$(mktemp -d "${TEST_TMPDIR:-/tmp}/generator_cli_test.XXXXXX")"

fail() {
  echo "FAIL: $*" >&2
  [[ -s "$T/err" ]] && { echo "--- stderr of the last run:" >&2; cat "$T/err" >&2; }
  exit 1
}
[[ -x "$GEN" ]] || fail "rwkvtok_gen not found at $GEN"

# run ARGS...: runs the generator in $T/work, stderr to $T/err; sets rc.
mkdir "$T/work"
run() {
  rc=0
  (cd "$T/work" && "$GEN" "$@") >"$T/out" 2>"$T/err" || rc=$?
}
expect() {  # expect CODE MESSAGE WHAT: exit status CODE and a one-line stderr holding MESSAGE
  [[ "$rc" == "$1" ]] || fail "$3: exit status $rc, expected $1"
  grep -qF -- "$2" "$T/err" || fail "$3: stderr does not say: $2"
  (($(wc -l <"$T/err") == 1)) || fail "$3: the error is not one line"
}
no_outputs() {  # no_outputs WHAT: nothing but the inputs is left in the work directory
  local left
  left=$(cd "$T/work" && ls -A | grep -v -e '^vocab' -e '^keep' || true)
  [[ -z "$left" ]] || fail "$1: left behind: $left"
}

# A small vocabulary: the 256 bytes, then a few longer tokens.
python3 - "$T/work/vocab.txt" <<'EOF'
import sys
lines = [f"{b + 1} {repr(chr(b)) if b < 128 else repr(bytes([b]))} 1" for b in range(256)]
for i, token in enumerate(["ab", "abc", "hello", "\u00e9t\u00e9", " world"]):
    lines.append(f"{257 + i} {token!r} {len(token.encode())}")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
vocab="$T/work/vocab.txt"

# --- Success: every output, the same bytes each time. --------------------------------------------
run vocab.txt --header out.h --blob out.bin --compact-blob out.cbin --compact --namespace small
[[ "$rc" == 0 ]] || fail "a good vocabulary: exit status $rc"
for f in out.h out.bin out.cbin; do [[ -s "$T/work/$f" ]] || fail "$f was not written"; done
grep -q "namespace small" "$T/work/out.h" || fail "the header lacks its namespace"
cp "$T/work/out.bin" "$T/first.bin"
run vocab.txt --blob out.bin
cmp -s "$T/work/out.bin" "$T/first.bin" || fail "two runs wrote different blobs"
rm -f "$T/work"/out.*
run --help
[[ "$rc" == 0 ]] || fail "--help: exit status $rc"
grep -q -- "--compact-blob" "$T/out" || fail "--help does not describe the options"

# --- Bad command lines: one line, exit status 2, nothing written. --------------------------------
run vocab.txt --bogus --blob out.bin
expect 2 "unknown option --bogus" "an unknown option"
run vocab.txt --blob
expect 2 "--blob needs a value" "a missing value"
run vocab.txt other.txt --blob out.bin
expect 2 "one VOCAB only" "two vocabularies"
run --blob out.bin
expect 2 "no VOCAB given" "no vocabulary"
run vocab.txt
expect 2 "no output" "no output"
run vocab.txt --blob out.bin --compact
expect 2 "--compact puts the compact blob into the header: it needs --header" "--compact alone"
run vocab.txt --header out.h --namespace my-ns
expect 2 "--namespace must be a C++ identifier (not a keyword or reserved name), not 'my-ns'" "a bad namespace"
run vocab.txt --blob same.bin --compact-blob same.bin
expect 2 "--blob and --compact-blob name the same file" "one file for two outputs"
run vocab.txt --blob ./vocab.txt
expect 2 "--blob names the vocabulary itself" "the vocabulary as an output"
no_outputs "bad command lines"
cmp -s "$vocab" <(cd "$T/work" && cat vocab.txt) || fail "the vocabulary was changed"

# --- Unreadable input: the reason, exit status 1. -------------------------------------------------
run missing.txt --blob out.bin
expect 1 "cannot read missing.txt: No such file or directory" "a missing vocabulary"
mkdir "$T/work/vocab_dir"
run vocab_dir --blob out.bin
expect 1 "cannot read vocab_dir: Is a directory" "a directory as the vocabulary"
rmdir "$T/work/vocab_dir"
if [[ -r /proc/self/mem ]]; then
  run /proc/self/mem --blob out.bin  # reading it from offset 0 fails: a read error, not an end
  expect 1 "cannot read /proc/self/mem: Input/output error" "a read error"
fi
no_outputs "unreadable input"

# --- Outputs that cannot be written: none of them appears, an old one stays as it was. -----------
echo "an older output" >"$T/work/keep.bin"
run vocab.txt --blob keep.bin --compact-blob missing_dir/out.cbin
expect 1 "cannot write missing_dir/out.cbin: No such file or directory" "an unwritable output"
[[ "$(cat "$T/work/keep.bin")" == "an older output" ]] || fail "a failed run replaced an output"
no_outputs "an unwritable output"
# ThreadSanitizer's runtime dies of a file size limit (as in tests/binidx_test.py).
if ! grep -q __tsan_init "$GEN"; then
  rc=0
  (cd "$T/work" && ulimit -f 1 && "$GEN" vocab.txt --header out.h --blob keep.bin) >"$T/out" \
    2>"$T/err" || rc=$?
  expect 1 "cannot write out.h: File too large" "a file size limit"
  [[ "$(cat "$T/work/keep.bin")" == "an older output" ]] || fail "a failed run replaced an output"
  no_outputs "a file size limit"
fi
rm "$T/work/keep.bin"

# --- Vocabulary errors name the line and what is wrong. -------------------------------------------
bad_line() {  # bad_line LINE MESSAGE: the vocabulary with LINE appended is refused at line 262
  { cat "$vocab"; printf '%s\n' "$1"; } >"$T/work/vocab_bad.txt"
  run vocab_bad.txt --blob out.bin
  expect 1 "vocab_bad.txt: line 262: $2" "the line $1"
  no_outputs "the line $1"
}
bad_line "262 '''ab''' 2" "triple-quoted literals are not supported"
bad_line "262 'x' 9" "the length column says 9 but the literal is 1 bytes"
bad_line "262 'xy' 9999999999999999999999999999999" "the length column says 99999999999999999999..."
bad_line "99999999999999999999999999 'xy' 2" "id 99999999999999999999... is out of range"
bad_line "262 '$(printf 'x%.0s' {1..300})' 300" "token is 300 bytes; at most 255 are supported"
bad_line "262 'ab' 2" "the same bytes as id 257"
printf '%s' "$(cat "$vocab")" >"$T/work/vocab_nul.txt"
printf "\n262 'a\0b' 3\n" >>"$T/work/vocab_nul.txt"
run vocab_nul.txt --blob out.bin
expect 1 "line 262: a raw NUL byte inside a literal" "a raw NUL in a literal"
printf "1 'a' 1\r2 'b' 1\r" >"$T/work/vocab_cr.txt"
run vocab_cr.txt --blob out.bin
expect 1 "line 1: unexpected carriage return after the byte length" "CR line endings"
no_outputs "vocabulary errors"

# --- Long tokens sharing long prefixes: the trie of 400 tokens of 255 bytes is built. -------------
python3 - "$T/work/vocab_long.txt" <<'EOF'
import random, sys
rnd = random.Random(7)
lines = [f"{b + 1} {repr(chr(b)) if b < 128 else repr(bytes([b]))} 1" for b in range(256)]
tokens = set()
while len(tokens) < 400:
    tokens.add("".join(rnd.choice("ab") for _ in range(255)))
for i, token in enumerate(sorted(tokens)):
    lines.append(f"{257 + i} '{token}' 255")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
run vocab_long.txt --blob long.bin
[[ "$rc" == 0 && -s "$T/work/long.bin" ]] || fail "a vocabulary of long tokens: exit status $rc"

# --- Added from mutation testing. -------------------------------------------------------------------
rm -f "$T/work/long.bin"
run vocab.txt --header out.h --namespace 9ns
expect 2 "--namespace must be a C++ identifier (not a keyword or reserved name), not '9ns'" "a namespace starting with a digit"
run vocab.txt --header out.h --namespace int
expect 2 "--namespace must be a C++ identifier (not a keyword or reserved name), not 'int'" "a keyword as the namespace"
run vocab.txt --header ns.h --namespace linux
expect 2 "--namespace must be a C++ identifier (not a keyword or reserved name), not 'linux'" "a GNU macro as the namespace"
# A namespace named like a type the header uses: the header names its types from ::.
run vocab.txt --header ns.h --namespace uint32_t
[[ "$rc" == 0 ]] || fail "--namespace uint32_t: exit status $rc"
if command -v g++ >/dev/null; then
  printf '#include "ns.h"\nstatic_assert(rwkvtok::uint32_t::kTokenCount > 256, "");\n' |
    g++ -std=gnu++17 -fsyntax-only -I "$T/work" -x c++ - || fail "the namespace uint32_t does not compile"
  # A macro of the compilation as the namespace: the header says so.
  run vocab.txt --header ns.h --namespace UINT32_MAX
  [[ "$rc" == 0 ]] || fail "--namespace UINT32_MAX: exit status $rc"
  printf '#include "ns.h"\n' | g++ -std=c++17 -fsyntax-only -I "$T/work" -x c++ - 2>"$T/cc_err" &&
    fail "a header whose namespace is a macro compiled"
  grep -q "UINT32_MAX is a macro here" "$T/cc_err" || fail "no message for a macro namespace"
fi
rm -f "$T/work/ns.h"
for reserved in __x86_64__ _GNU_SOURCE a__b; do
  run vocab.txt --header ns.h --namespace "$reserved"
  expect 2 "--namespace must be a C++ identifier (not a keyword or reserved name), not '$reserved'" "a reserved namespace"
done
# One new file named two ways.
run vocab.txt --blob b.bin --compact-blob ./b.bin
expect 2 "--blob and --compact-blob name the same file" "one new file named two ways"
# The last output needs no second name; a symlink to a directory is replaced, not refused.
mkdir "$T/work/adir"
ln -s adir "$T/work/dirlink"
run vocab.txt --blob dirlink
[[ "$rc" == 0 && -f "$T/work/dirlink" && ! -L "$T/work/dirlink" ]] || fail "a symlink to a directory as the output"
rm -rf "$T/work/adir" "$T/work/dirlink"
run vocab.txt --header ./vocab.txt
expect 2 "--header names the vocabulary itself" "the vocabulary as the header"
run vocab.txt --header same.out --blob same.out
expect 2 "--header and --blob name the same file" "one file for the header and the blob"
ln "$T/work/vocab.txt" "$T/work/vocab_link.txt"
run vocab.txt --compact-blob vocab_link.txt
expect 2 "--compact-blob names the vocabulary itself" "a hard link to the vocabulary"
rm "$T/work/vocab_link.txt"
no_outputs "more bad command lines"
run vocab.txt --compact-blob only.cbin
[[ "$rc" == 0 && -s "$T/work/only.cbin" ]] || fail "--compact-blob alone: exit status $rc"
run vocab.txt --header c.h --compact
[[ "$rc" == 0 ]] && grep -q kCompactBlob "$T/work/c.h" || fail "--compact alone: no kCompactBlob"
run vocab.txt --header nc.h --compact-blob nc.cbin
grep -q kCompactBlob "$T/work/nc.h" && fail "kCompactBlob in the header without --compact"
(umask 022 && cd "$T/work" && "$GEN" vocab.txt --blob mode.bin 2>/dev/null)
[[ "$(stat -c %a "$T/work/mode.bin")" == 644 ]] || fail "an output's mode is not 0666 & ~umask"
rm -f "$T/work"/only.cbin "$T/work"/c.h "$T/work"/nc.* "$T/work"/mode.bin
# The size limit: 256 MiB is read (and refused as a vocabulary), a byte more is not read at all.
truncate -s $((256 << 20)) "$T/work/vocab_big.txt"
run vocab_big.txt --blob out.bin
expect 1 "vocab_big.txt: line 1: expected a decimal token id" "a file of 256 MiB"
truncate -s $(((256 << 20) + 1)) "$T/work/vocab_big.txt"
run vocab_big.txt --blob out.bin
expect 1 "vocab_big.txt is larger than any vocabulary (256 MB at most)" "a file over 256 MiB"
rm "$T/work/vocab_big.txt"
no_outputs "the size limit"

# A rename that fails when the outputs are put in place undoes those before it.
echo "an older output" >"$T/work/keep.h"
mkdir "$T/work/out_dir"
run vocab.txt --header keep.h --blob out_dir
expect 1 "cannot write out_dir: Is a directory" "an output that is a directory"
[[ "$(cat "$T/work/keep.h")" == "an older output" ]] || fail "a failed run replaced keep.h"
rm "$T/work/keep.h"
run vocab.txt --header new.h --blob out_dir
expect 1 "cannot write out_dir: Is a directory" "an output that is a directory, the other new"
[[ ! -e "$T/work/new.h" ]] || fail "a failed run left new.h"
rmdir "$T/work/out_dir"
no_outputs "a failed rename"

rm -rf "$T"
echo "PASS: rwkvtok_gen command line"
