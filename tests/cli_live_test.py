"""Live input flows through the command line tool: output keeps up with input that arrives slowly.

A producer sends a piece of input, then waits until all the output that piece makes final has
arrived, and only then sends the next piece (a handshake). The tool passes if every handshake
completes: it must read what is available instead of waiting for a full block, write every id (or
byte) that is final, and flush its output before it waits for more input. The output expected
after each piece is what the library's streaming encoder or decoder gives for the input so far
(tests/stream_tool): an id whose token could still grow with the next bytes waits, and so does a
character that is not complete. Nothing is timed; a piece whose output does not come within
DEADLINE seconds means the tool is stuck.

  encode, one thread and two, lines and u16: text in pieces of 1 to 300 bytes, with runs of one
  character longer than the longest token (whose ids wait) and invalid UTF-8;
  decode, raw and replace, lines and u16: the ids one at a time, with end-of-text ids;
  and standard input and output made non-blocking by whoever shares the pipe: waited on.

Usage: cli_live_test.py PATH_TO_RWKVTOK PATH_TO_STREAM_TOOL
"""

import os
import random
import select
import struct
import subprocess
import sys
import threading
import time

DEADLINE = 60


def make_text(rng):
    words = ("the quick brown fox jumps over a lazy dog . , ! 日本語 テキスト 中文 naïve café "
             "Ελληνικά русский 😀 def return {} [] () == != -> ::").split(" ")
    out = bytearray()
    while len(out) < 6000:
        k = rng.random()
        if k < 0.1:
            out += bytes([rng.choice(b" -=\n")]) * rng.randint(100, 400)
        elif k < 0.15:
            out += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            out += (" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) + "\n").encode()
    return bytes(out)


def piece_sizes(rng, total):
    sizes = []
    while sum(sizes) < total:
        sizes.append(min(total - sum(sizes), rng.choice([1, 1, 2, 3, 7, 20, 64, 129, 300])))
    return sizes


def run(args, data=b""):
    p = subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("FAIL: %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr.decode()))
    return p.stdout


def handshake(what, args, pieces, expected, measure, env=None):
    """Sends each piece, then waits until measure(output so far) == expected[i]."""
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    out = bytearray()
    fd = proc.stdout.fileno()
    try:
        for i, piece in enumerate(pieces):
            proc.stdin.write(piece)
            proc.stdin.flush()
            deadline = time.monotonic() + DEADLINE
            while measure(out) < expected[i]:
                left = deadline - time.monotonic()
                if left <= 0:
                    sys.exit("FAIL: %s: after piece %d of %d, %d of the %d units due arrived"
                             % (what, i + 1, len(pieces), measure(out), expected[i]))
                ready, _, _ = select.select([fd], [], [], left)
                if ready:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        sys.exit("FAIL: %s: the output ended after piece %d" % (what, i + 1))
                    out += chunk
            if measure(out) != expected[i]:
                sys.exit("FAIL: %s: after piece %d, %d units arrived; only %d are final"
                         % (what, i + 1, measure(out), expected[i]))
        proc.stdin.close()
        out += proc.stdout.read()
        if proc.wait() != 0:
            sys.exit("FAIL: %s: exit status %d" % (what, proc.returncode))
    finally:
        if proc.poll() is None:
            proc.kill()
    return bytes(out)


def main():
    cli, tool = sys.argv[1], sys.argv[2]
    rng = random.Random(13)
    text = make_text(rng)
    ids = [int(x) for x in run([cli, "encode"], text).split()]

    # encode: the ids final after each piece, as the streaming encoder writes them.
    sizes = piece_sizes(rng, len(text))
    pieces, at = [], 0
    for size in sizes:
        pieces.append(text[at:at + size])
        at += size
    counts = [int(x) for x in run([tool, "encode-pieces"] + [str(s) for s in sizes], text).split()]
    assert counts[-1] == len(ids), "the streaming encoder disagrees with encode"
    assert len(set(counts[:-1])) > len(sizes) // 3, "too few pieces make ids final"
    for threads in ("1", "2"):
        out = handshake("encode --threads " + threads, [cli, "encode", "--threads", threads],
                        pieces, counts, lambda out: out.count(b"\n"))
        if [int(x) for x in out.split()] != ids:
            sys.exit("FAIL: encode --threads %s of live input gave other ids" % threads)
        out = handshake("encode --format u16 --threads " + threads,
                        [cli, "encode", "--format", "u16", "--threads", threads],
                        pieces, counts, lambda out: len(out) // 2)
        if list(struct.unpack("<%dH" % len(ids), out)) != ids:
            sys.exit("FAIL: encode --format u16 of live input gave other ids")
        print("ok: encode --threads %s, %d pieces, %d ids" % (threads, len(pieces), len(ids)))

    # decode: one id at a time, with an end of text now and then.
    stream = []
    for i in ids:
        stream.append(i)
        if rng.random() < 0.02:
            stream.append(0)
    lines = "".join("%d\n" % i for i in stream).encode()
    for policy in ("raw", "replace"):
        expected = run([tool, "decode-pieces", policy], lines)
        written = [int(x) for x in expected.split()]
        whole = run([cli, "decode", "--utf8", policy], lines)
        assert written[-1] == len(whole), "the streaming decoder disagrees with decode"
        for fmt, pieces in (("lines", ["%d\n" % i for i in stream]),
                            ("u16", [struct.pack("<H", i) for i in stream])):
            pieces = [p.encode() if isinstance(p, str) else p for p in pieces]
            out = handshake("decode --utf8 %s --format %s" % (policy, fmt),
                            [cli, "decode", "--utf8", policy, "--format", fmt],
                            pieces, written, len)
            if out != whole:
                sys.exit("FAIL: decode --utf8 %s --format %s of live input differs" % (policy, fmt))
        print("ok: decode --utf8 %s, %d ids one at a time" % (policy, len(stream)))
    # Blocks too small for the reading thread (which starts at 64 KB): the calling thread reads
    # what has come as well.
    small = dict(os.environ, RWKVTOK_BLOCK_BYTES="4096")
    pieces = [b"%d\n" % i for i in stream[:300]]
    written = [int(x) for x in run([tool, "decode-pieces", "raw"], b"".join(pieces)).split()]
    handshake("decode in blocks of 4 KB", [cli, "decode"], pieces, written, len, env=small)
    print("ok: decode in blocks of 4 KB")
    # Non-blocking descriptors (set by whoever shares the pipe) are waited on, not failed on.
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    proc = subprocess.Popen([cli, "decode"], stdin=read_end, stdout=subprocess.PIPE)
    os.close(read_end)
    for i in stream[:50]:
        os.write(write_end, b"%d\n" % i)
        time.sleep(0.002)
    os.close(write_end)
    out = proc.stdout.read()
    if proc.wait() != 0 or not whole.startswith(out) or len(out) == 0:
        sys.exit("FAIL: decode from a non-blocking pipe: exit status %d" % proc.returncode)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    proc = subprocess.Popen([cli, "encode", "--format", "u32"], stdin=subprocess.PIPE,
                            stdout=write_end)
    os.close(write_end)
    def feed():  # more than a pipe holds, while the output is read slowly
        proc.stdin.write(text * 40)
        proc.stdin.close()
    feeder = threading.Thread(target=feed)
    feeder.start()
    got = bytearray()
    while True:
        chunk = os.read(read_end, 4096)
        if not chunk:
            break
        got += chunk
        time.sleep(0.001)
    os.close(read_end)
    feeder.join()
    if proc.wait() != 0 or len(got) != 4 * 40 * len(ids):
        sys.exit("FAIL: encode to a non-blocking pipe: exit status %d, %d bytes"
                 % (proc.returncode, len(got)))
    print("ok: non-blocking input and output")
    print("PASS")


if __name__ == "__main__":
    main()
