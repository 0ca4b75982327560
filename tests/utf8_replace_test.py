"""Checks the streaming decoder (through tests/stream_tool) against Python itself.

Python's bytes.decode('utf-8', 'replace') replaces each maximal invalid subpart with U+FFFD
(Unicode §3.9, as lib/rwkvtok.h promises for RWKVTOK_UTF8_REPLACE). Thousands of adversarial byte
strings go through the tool in one batch per mode, each followed by a newline: a newline is ASCII,
so it ends any invalid subpart before it and is itself always valid, which makes the replacement of
the batch exactly the replacements of the strings, each followed by a newline. The strings hold no
newline of their own, so the output splits back into one result per string.

Every string is tried with the World tokenizer's ids and with one token per byte (every
multi-byte character split across tokens); also raw (the exact bytes back), strict on valid text
(the text back, no error), and single strings whose unfinished character is cut by the end of the
input (finish must replace it).

Usage: utf8_replace_test.py PATH_TO_STREAM_TOOL
"""

import itertools
import random
import subprocess
import sys

# Bytes at the edges of every range the UTF-8 rules distinguish.
EDGES = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
         0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFB, 0xFC,
         0xFE, 0xFF]

PIECES = [
    b"a", b" ", b"\x7f", "é".encode(), "\u07ff".encode(), "\u0800".encode(), "中".encode(),
    "\ud7ff".encode(), "\ue000".encode(), "\ufffd".encode(), "\U00010000".encode(),
    "😀".encode(), "\U0010ffff".encode(),
    # cut short
    b"\xc2", b"\xe0", b"\xe0\xa0", b"\xe4", b"\xe4\xb8", b"\xed", b"\xed\x9f", b"\xf0",
    b"\xf0\x9f", b"\xf0\x9f\x98", b"\xf4", b"\xf4\x8f", b"\xf4\x8f\xbf",
    # overlong
    b"\xc0\x80", b"\xc1\xbf", b"\xc0\xaf", b"\xe0\x80\x80", b"\xe0\x9f\xbf", b"\xe0\x80",
    b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf", b"\xf0\x8f",
    # surrogates
    b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0", b"\xed\xb0\x80",
    # above U+10FFFF, and bytes that never occur
    b"\xf4\x90\x80\x80", b"\xf4\x90", b"\xf5\x80\x80\x80", b"\xf7\xbf\xbf\xbf",
    b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80", b"\xfe", b"\xff",
    # lone and surplus continuation bytes
    b"\x80", b"\x8f", b"\x90", b"\x9f", b"\xa0", b"\xbf", b"\x80\x80\x80\x80",
    b"\xe4\xb8\xad\xad", b"\xf0\x9f\x98\x80\x80",
]


def adversarial_strings():
    rng = random.Random(20230424)
    strings = []
    # Every string of one and two bytes.
    strings += [bytes([a]) for a in range(256)]
    strings += [bytes([a, b]) for a in range(256) for b in range(256)]
    # Three edge bytes in every order; four with a lead that announces three continuations.
    strings += [bytes(t) for t in itertools.product(EDGES, repeat=3)]
    for lead in (0xE0, 0xED, 0xF0, 0xF1, 0xF4):
        for second in EDGES:
            for third in (0x41, 0x80, 0xBF, 0xC0):
                for fourth in (0x41, 0x80, 0xBF, 0xF0):
                    strings.append(bytes([lead, second, third, fourth]))
    # Random mixes of the pieces and of random bytes.
    for _ in range(4000):
        s = b""
        for _ in range(rng.randint(1, 12)):
            s += bytes([rng.randrange(256)]) if rng.random() < 0.1 else rng.choice(PIECES)
        strings.append(s)
    # Random bytes.
    for _ in range(500):
        s = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        strings.append(s)
    return [s.replace(b"\n", b" ") for s in strings]


def run(tool, policy, tokens, data):
    p = subprocess.run([tool, "decode", policy, tokens], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def python_replace(data):
    return data.decode("utf-8", "replace").encode("utf-8")


def main():
    tool = sys.argv[1]
    strings = adversarial_strings()
    batch = b"".join(s + b"\n" for s in strings)
    valid = [s for s in strings if s.decode("utf-8", "ignore").encode() == s]
    valid_batch = b"".join(s + b"\n" for s in valid)
    failures = []

    def fail(message):
        failures.append(message)

    for tokens in ("world", "bytes"):
        # replace: string by string equal to Python's replacement.
        rc, out, err = run(tool, "replace", tokens, batch)
        if rc != 0:
            fail(f"replace/{tokens}: exit status {rc}: {err}")
        got = out.split(b"\n")
        expected = python_replace(batch).split(b"\n")
        if len(got) != len(expected):
            fail(f"replace/{tokens}: {len(got)} lines of output, expected {len(expected)}")
        for s, g, e in zip(strings, got, expected):
            if g != e:
                fail(f"replace/{tokens}: input {s.hex(' ')}: got {g.hex(' ')}, "
                     f"Python gives {e.hex(' ')}")
        # raw: the exact bytes.
        rc, out, err = run(tool, "raw", tokens, batch)
        if rc != 0 or out != batch:
            same = "equals" if out == batch else "differs from"
            fail(f"raw/{tokens}: exit status {rc}, output {same} the input: {err}")
        # strict on valid text: the text, no error.
        rc, out, err = run(tool, "strict", tokens, valid_batch)
        if rc != 0 or out != valid_batch:
            fail(f"strict/{tokens} on {len(valid)} valid strings: exit status {rc}, output "
                 f"{'equals' if out == valid_batch else 'differs from'} the input: {err}")
        # strict on the whole batch: errors are reported.
        rc, out, err = run(tool, "strict", tokens, batch)
        if rc != 3:
            fail(f"strict/{tokens} on invalid input: exit status {rc}, expected 3: {err}")

    # An unfinished character at the very end: finish replaces it (and raw passes it through).
    rng = random.Random(7)
    ends = [b"\xc2", b"\xe4\xb8", b"\xf0\x9f\x98", b"\xed", b"\xf4\x8f\xbf", b"\xe0", b"\xe0\xa0",
            b"\xf1\x80\x80", b"\xed\xa0", b"\xf4\x90", b"\xc0", b"\xff", b"\x80"]
    for end in ends:
        for prefix in (b"", b"abc ", "中".encode(), rng.choice(strings)):
            data = prefix + end
            for tokens in ("world", "bytes"):
                rc, out, err = run(tool, "replace", tokens, data)
                if rc != 0 or out != python_replace(data):
                    fail(f"replace/{tokens}, input ending unfinished {data.hex(' ')}: exit status "
                         f"{rc}, got {out.hex(' ')}, Python gives {python_replace(data).hex(' ')}")
                rc, out, err = run(tool, "raw", tokens, data)
                if rc != 0 or out != data:
                    fail(f"raw/{tokens}, input {data.hex(' ')}: got {out.hex(' ')}")

    print(f"{len(strings)} adversarial strings ({len(batch)} bytes), {len(valid)} of them valid")
    if failures:
        for message in failures[:20]:
            print("FAIL:", message)
        print(f"{len(failures)} failure(s)")
        return 1
    print("all agree with Python")
    return 0


if __name__ == "__main__":
    sys.exit(main())
