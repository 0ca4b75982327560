#!/usr/bin/env python3
"""`rwkvtok binidx` against `rwkvtok encode` on the same text, and against what a user would
otherwise run, all in one run.

    .venv/bin/pip install pyrwkv-tokenizer==0.9.1
    bazel build -c opt //tools:rwkvtok
    .venv/bin/python benchmarks/binidx_bench.py [BENCH_DIR]

Each bench text is cut into documents of about 4 KB (at character boundaries) and written as
JSONL. Timed, best of several runs, MB/s of document text (not of JSON): `rwkvtok encode
--format u16` of the text itself; `rwkvtok binidx` of the JSONL on 1 and 2 threads; a
make_data.py-style loop in Python over pyrwkv-tokenizer's `encode` and numpy; and the reference
tokenizer (`rwkv`'s TRIE_TOKENIZER) in that loop, on the first 1 MB only.
"""

import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOL = ROOT / "bazel-bin" / "tools" / "rwkvtok"
DOCUMENT_BYTES = 4096


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def documents(text):
    """~4 KB pieces of `text` (bytes of valid UTF-8), cut where a character starts."""
    pieces, start = [], 0
    while start < len(text):
        end = min(start + DOCUMENT_BYTES, len(text))
        while end < len(text) and (text[end] & 0xC0) == 0x80:
            end += 1
        pieces.append(text[start:end].decode())
        start = end
    return pieces


def best(call, repeats=3):
    fastest = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def run(*args):
    subprocess.run([str(TOOL), *args], check=True, stdout=subprocess.DEVNULL)


def make_data_loop(encode, jsonl, out_prefix, limit=None):
    """make_data.py's loop: json.loads each line, encode, append 0, write uint16; then the index."""
    sizes = []
    done = 0
    with open(jsonl, encoding="utf-8") as lines, open(out_prefix + ".bin", "wb") as out:
        for line in lines:
            text = json.loads(line)["text"]
            ids = encode(text)
            ids.append(0)
            out.write(np.array(ids, dtype=np.uint16).tobytes())
            sizes.append(len(ids))
            done += len(text.encode())
            if limit is not None and done >= limit:
                break
    n = len(sizes)
    pointers = np.concatenate([[0], np.cumsum(np.array(sizes[:-1], dtype=np.int64) * 2)])
    with open(out_prefix + ".idx", "wb") as idx:
        idx.write(b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, n, n + 1))
        idx.write(np.array(sizes, dtype=np.int32).tobytes())
        idx.write(pointers.astype(np.int64).tobytes())
        idx.write(np.arange(n + 1, dtype=np.int64).tobytes())
    return done


def main():
    corpus = os.environ.get("RWKVTOK_CORPUS_DIR") or ROOT.parent / "shared" / "corpus"
    bench = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(corpus) / "bench"
    import pyrwkv_tokenizer
    from rwkv import rwkv_tokenizer

    fast = pyrwkv_tokenizer.RWKVTokenizer()
    reference = rwkv_tokenizer.TRIE_TOKENIZER(
        str(pathlib.Path(rwkv_tokenizer.__file__).with_name("rwkv_vocab_v20230424.txt")))
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); {TOOL}")
    print("| file | encode | binidx, 1 thread | / encode | binidx, 2 threads | / 1 thread "
          "| Python + pyrwkv-tokenizer | binidx / it | Python + reference | binidx / it |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    with tempfile.TemporaryDirectory() as work:
        for path in sorted(bench.glob("*.txt")):
            text = path.read_bytes()
            docs = documents(text)
            size = sum(len(d.encode()) for d in docs)
            jsonl = os.path.join(work, path.stem + ".jsonl")
            with open(jsonl, "w", encoding="utf-8") as f:
                f.writelines(json.dumps({"text": d}, ensure_ascii=False) + "\n" for d in docs)
            out = os.path.join(work, "out")
            encode = size / best(lambda: run("encode", "--format", "u16", str(path))) / 1e6
            one = size / best(lambda: run("binidx", "-o", out, "--threads", "1", jsonl)) / 1e6
            ours = pathlib.Path(out + ".bin").read_bytes(), pathlib.Path(out + ".idx").read_bytes()
            two = size / best(lambda: run("binidx", "-o", out, "--threads", "2", jsonl)) / 1e6
            python_out = os.path.join(work, "python")
            seconds = best(lambda: make_data_loop(fast.encode, jsonl, python_out), repeats=1)
            python = size / seconds / 1e6
            same = (pathlib.Path(python_out + ".bin").read_bytes(),
                    pathlib.Path(python_out + ".idx").read_bytes()) == ours
            limit = 1 << 20
            start = time.perf_counter()
            done = make_data_loop(reference.encode, jsonl, python_out, limit=limit)
            slow = done / (time.perf_counter() - start) / 1e6
            print(f"| {path.stem} | {encode:.0f} | {one:.0f} | {one / encode:.0%} | {two:.0f} | "
                  f"{two / one:.2f}x | {python:.1f} | {one / python:.1f}x | {slow:.2f} | "
                  f"{one / slow:.0f}x |" + ("" if same else " (pyrwkv-tokenizer's files differ)"))


if __name__ == "__main__":
    main()
