#!/usr/bin/env python3
"""The Python package's speed, against the C++ library of the same build and pyrwkv-tokenizer.

    .venv/bin/pip install pyrwkv-tokenizer==0.9.1
    .venv/bin/python benchmarks/python_bench.py [BENCH_DIR]

BENCH_DIR defaults to ../shared/corpus/bench (or $RWKVTOK_CORPUS_DIR/bench): its *.txt files.
One thread unless said; each figure is the fastest of several runs, in MB/s of text (input for
encoding, output for decoding). "C++ Encode" is the library's Encode (32-bit ids, room for all,
as BM_Encode) timed inside the extension module, so it is the same compiled code.
"""

import os
import pathlib
import platform
import subprocess
import sys
import time

import numpy as np

import rwkvtok
from rwkvtok import _rwkvtok

try:
    import pyrwkv_tokenizer
except ImportError:
    sys.exit("pip install pyrwkv-tokenizer==0.9.1 (the comparison)")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def best_seconds(call, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def fresh_str_seconds(data, call, repeats):
    """A new str each run: CPython keeps a str's UTF-8 once made, so a str used twice would not
    pay for it again, and a user's freshly read text does."""
    best = float("inf")
    for _ in range(repeats):
        text = data.decode("utf-8")
        start = time.perf_counter()
        call(text)
        best = min(best, time.perf_counter() - start)
    return best


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def import_ms():
    code = ("import time; t = time.perf_counter(); import rwkvtok; rwkvtok.World(); "
            "print((time.perf_counter() - t) * 1000)")
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout) for _ in range(5))


def main():
    corpus = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(
        os.environ.get("RWKVTOK_CORPUS_DIR", ROOT.parent / "shared" / "corpus")) / "bench"
    files = sorted(corpus.glob("*.txt"))
    if not files:
        sys.exit(f"no *.txt in {corpus}")
    tok = rwkvtok.World()
    rust = pyrwkv_tokenizer.RWKVTokenizer()
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); rwkvtok {rwkvtok.__version__} "
          f"({rwkvtok.encode_path()}); pyrwkv-tokenizer {pyrwkv_tokenizer.__version__}; "
          f"Python {platform.python_version()}")
    print()
    print("| file | C++ Encode | encode_numpy bytes | / C++ | encode_numpy str | / C++ | "
          "pyrwkv encode | numpy str / pyrwkv | encode (list) | / pyrwkv | decode (list) | "
          "decode (numpy) |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for path in files:
        data = path.read_bytes()
        text = data.decode("utf-8")
        mb = len(data) / 1e6
        ids = tok.encode(data)
        assert ids == rust.encode(text), f"{path.name}: pyrwkv-tokenizer's ids differ"
        ids_array = np.array(ids, np.uint16)
        cpp = mb / _rwkvtok._time_encode(data, 9)
        numpy_bytes = mb / best_seconds(lambda: tok.encode_numpy(data), 9)
        numpy_str = mb / fresh_str_seconds(data, tok.encode_numpy, 9)
        rust_encode = mb / fresh_str_seconds(data, rust.encode, 5)
        to_list = mb / best_seconds(lambda: tok.encode(data), 5)
        decode_list = mb / best_seconds(lambda: tok.decode(ids), 5)
        decode_numpy = mb / best_seconds(lambda: tok.decode(ids_array), 5)
        print(f"| {path.stem} | {cpp:.0f} | {numpy_bytes:.0f} | {numpy_bytes / cpp:.0%} | "
              f"{numpy_str:.0f} | {numpy_str / cpp:.0%} | {rust_encode:.0f} | "
              f"{numpy_str / rust_encode:.1f}x | {to_list:.0f} | {to_list / rust_encode:.1f}x | "
              f"{decode_list:.0f} | {decode_numpy:.0f} |")

    # A batch of 10,000 documents of about 1 KB, cut from the first file at spaces.
    source = files[0].read_bytes().decode("utf-8")
    docs, at = [], 0
    while len(docs) < 10_000:
        end = source.find(" ", at + 1000)
        if end < 0:
            at, end = 0, source.find(" ", 1000)
        docs.append(source[at:end])
        at = end
    batch_mb = sum(len(d.encode()) for d in docs) / 1e6
    assert tok.encode_batch(docs, num_threads=2) == rust.encode_batch(docs)
    print()
    print(f"encode_batch, 10,000 documents of about 1 KB from {files[0].name} ({batch_mb:.1f} MB):")
    ours = {n: batch_mb / best_seconds(lambda: tok.encode_batch(docs, num_threads=n), 5)
            for n in (1, 2)}
    theirs = batch_mb / best_seconds(lambda: rust.encode_batch(docs), 5)
    print(f"  rwkvtok 1 thread {ours[1]:.0f} MB/s, 2 threads {ours[2]:.0f} MB/s; "
          f"pyrwkv-tokenizer {theirs:.0f} MB/s; 2 threads / pyrwkv = {ours[2] / theirs:.1f}x")
    print(f"import rwkvtok; rwkvtok.World(): {import_ms():.1f} ms (fastest of 5 fresh processes)")


if __name__ == "__main__":
    main()
