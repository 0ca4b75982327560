#!/usr/bin/env python3
"""`rwkvtok binidx` against `rwkvtok encode` on the same text, and against what a user would
otherwise run, all in one run.

    .venv/bin/pip install pyrwkv-tokenizer==0.9.1
    bazel build -c opt //tools:rwkvtok
    .venv/bin/python benchmarks/binidx_bench.py [BENCH_DIR]

Each bench text is cut into documents of about 4 KB (at character boundaries), written as JSONL
and repeated to 200 MB, as a corpus is large: what is timed is the rate, not the start of a
process or the flush to the disk at the end. Timed, best of several runs, MB/s of document text
(not of JSON): `rwkvtok encode --format u16` of the text itself (repeated alike), written to a
file as binidx writes its own; `rwkvtok binidx` of the JSONL on 1 and 2 threads; a
make_data.py-style loop in Python over pyrwkv-tokenizer's `encode` and numpy, on the text once
(4 to 10 MB); and the reference tokenizer (`rwkv`'s TRIE_TOKENIZER) in that loop, on the first
1 MB. Each run writes new files (the last run's are removed first, untimed), in /dev/shm where
there is one, so that the disk's speed is not what is measured.
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
CORPUS_BYTES = 200 << 20


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


def run(*args, out=os.devnull):
    with open(out, "wb") as sink:
        subprocess.run([str(TOOL), *args], check=True, stdout=sink)


def timed(call, outputs, repeats=5):
    """Best of `repeats` runs of call(), each after removing `outputs`."""
    fastest = float("inf")
    for _ in range(repeats):
        for path in outputs:
            if os.path.exists(path):
                os.remove(path)
        start = time.perf_counter()
        call()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


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
    memory = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=memory) as work:
        for path in sorted(bench.glob("*.txt")):
            text = path.read_bytes()
            docs = documents(text)
            size = sum(len(d.encode()) for d in docs)
            copies = -(-CORPUS_BYTES // size)
            jsonl = os.path.join(work, path.stem + ".jsonl")
            with open(jsonl, "w", encoding="utf-8") as f:
                lines = "".join(json.dumps({"text": d}, ensure_ascii=False) + "\n" for d in docs)
                for _ in range(copies):
                    f.write(lines)
            first = os.path.join(work, path.stem + ".first.jsonl")  # for the Python loops
            with open(first, "w", encoding="utf-8") as f:
                f.write(lines)
            repeated = os.path.join(work, path.stem + ".txt")
            with open(repeated, "wb") as f:
                for _ in range(copies):
                    f.write(text)
            total = size * copies
            out = os.path.join(work, "out")
            ids = os.path.join(work, "ids.u16")
            encode = total / timed(lambda: run("encode", "--format", "u16", repeated, out=ids),
                                   [ids]) / 1e6
            built = [out + ".bin", out + ".idx"]
            one = total / timed(lambda: run("binidx", "-o", out, "--threads", "1", jsonl),
                                built) / 1e6
            two = total / timed(lambda: run("binidx", "-o", out, "--threads", "2", jsonl),
                                built) / 1e6
            run("binidx", "-o", out, "--threads", "1", first)
            ours = pathlib.Path(out + ".bin").read_bytes(), pathlib.Path(out + ".idx").read_bytes()
            python_out = os.path.join(work, "python")
            seconds = timed(lambda: make_data_loop(fast.encode, first, python_out), [], repeats=1)
            python = size / seconds / 1e6
            same = (pathlib.Path(python_out + ".bin").read_bytes(),
                    pathlib.Path(python_out + ".idx").read_bytes()) == ours
            limit = 1 << 20
            start = time.perf_counter()
            done = make_data_loop(reference.encode, first, python_out, limit=limit)
            slow = done / (time.perf_counter() - start) / 1e6
            print(f"| {path.stem} | {encode:.0f} | {one:.0f} | {one / encode:.0%} | {two:.0f} | "
                  f"{two / one:.2f}x | {python:.1f} | {one / python:.1f}x | {slow:.2f} | "
                  f"{one / slow:.0f}x |" + ("" if same else " (pyrwkv-tokenizer's files differ)"),
                  flush=True)
            for name in (jsonl, repeated, ids, *built):
                if os.path.exists(name):
                    os.remove(name)


if __name__ == "__main__":
    main()
