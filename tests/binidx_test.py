#!/usr/bin/env python3
"""`rwkvtok binidx` against an independent writer and reader written here from the format
(tools/binidx/dataset.h), with ids from a greedy matcher written here from the vocabulary file,
and its JSONL reader against Python's json module.

    bazel test //tests:binidx_test    (or: python3 tests/binidx_test.py [RWKVTOK] [VOCAB])
"""

import ast
import gzip
import json
import os
import pty
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOL = os.path.join(ROOT, "tools", "rwkvtok")
VOCAB = os.path.join(ROOT, "third_party", "rwkv_vocab", "rwkv_vocab_v20230424.txt")


class Vocabulary:
    """Greedy longest match over bytes, from the vocabulary file alone."""

    def __init__(self, path):
        self.ids = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                first, rest = line.split(" ", 1)
                literal = rest[: rest.rindex(" ")]
                token = ast.literal_eval(literal)
                if isinstance(token, str):
                    token = token.encode("utf-8")
                self.ids[token] = int(first)
        self.prefixes = {token[:k] for token in self.ids for k in range(1, len(token) + 1)}

    def encode(self, data):
        ids, pos = [], 0
        while pos < len(data):
            best, length = None, 1
            while pos + length <= len(data) and data[pos : pos + length] in self.prefixes:
                if data[pos : pos + length] in self.ids:
                    best = length
                length += 1
            ids.append(self.ids[data[pos : pos + best]])
            pos += best
        return ids


def expected_files(vocab, documents):
    """The .bin and .idx bytes of `documents` (bytes each), from the format."""
    sizes, pointers, chunks, offset = [], [], [], 0
    for document in documents:
        ids = vocab.encode(document) + [0]
        chunks.append(struct.pack(f"<{len(ids)}H", *ids))
        sizes.append(len(ids))
        pointers.append(offset)
        offset += 2 * len(ids)
    n = len(documents)
    idx = b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, n, n + 1)
    idx += struct.pack(f"<{n}i", *sizes) + struct.pack(f"<{n}q", *pointers)
    idx += struct.pack(f"<{n + 1}q", *range(n + 1))
    return b"".join(chunks), idx


def read_dataset(prefix):
    """A second reader: the documents' ids, from the .idx and .bin."""
    with open(prefix + ".idx", "rb") as f:
        idx = f.read()
    assert idx[:9] == b"MMIDIDX\x00\x00"
    version, code, n, m = struct.unpack("<QBQQ", idx[9:34])
    assert (version, code, m) == (1, 8, n + 1)
    sizes = struct.unpack(f"<{n}i", idx[34 : 34 + 4 * n])
    pointers = struct.unpack(f"<{n}q", idx[34 + 4 * n : 34 + 12 * n])
    with open(prefix + ".bin", "rb") as f:
        data = f.read()
    return [list(struct.unpack_from(f"<{s}H", data, p)) for s, p in zip(sizes, pointers)]


def magic_prime(tokens, ctx_len):
    """RWKV-LM's make_data.py rule, as it is written there."""

    def is_prime(n):
        if n <= 1:
            return False
        if n <= 3:
            return True
        if n % 2 == 0 or n % 3 == 0:
            return False
        i = 5
        while i * i <= n:
            if n % i == 0 or n % (i + 2) == 0:
                return False
            i += 6
        return True

    if tokens >= ctx_len * 3:
        for i in range(tokens // ctx_len - 1, 0, -1):
            if i % 3 == 2 and is_prime(i):
                return i
    return None


M64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def shuffled_index(i, n, seed, pass_):
    """--shuffle's order, as docs/binidx.md and tools/binidx/dataset.h specify it."""
    h = 1
    while h < 32 and (1 << (2 * h)) < n:
        h += 1
    mask = (1 << h) - 1
    keys = [splitmix64(seed ^ splitmix64(pass_ * 4 + r)) for r in range(4)]

    def permute(x):
        left, right = x >> h, x & mask
        for key in keys:
            left, right = right, left ^ (splitmix64(right ^ key) & mask)
        return (left << h) | right

    x = permute(i)
    while x >= n:
        x = permute(x)
    return x


def random_text(rng, size):
    pools = ["abc xyz ", "\u00e9\u00fc\u00df", "\u4f60\u597d\u4e16\u754c", "\U0001f600\U0001f680",
             "\n\t\"\\/", "\u0000\u001f\u007f", "\u2028\u2029\ufeff"]
    return "".join(rng.choice(rng.choice(pools)) for _ in range(size))


def sanitized(*names):
    """Whether the tool is built with one of these sanitizers ("asan", "tsan")."""
    with open(TOOL, "rb") as f:
        binary = f.read()
    return any(f"__{name}_init".encode() in binary for name in names)


class BinidxTest(unittest.TestCase):
    vocab = None

    @classmethod
    def setUpClass(cls):
        cls.vocab = Vocabulary(VOCAB)
        cls.expected = {}  # the files of the documents last checked

    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.dir], check=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def run_tool(self, *args, stdin=None, **kwargs):
        return subprocess.run([TOOL, *args], input=stdin, capture_output=True, **kwargs)

    def assert_dataset(self, prefix, documents):
        key = tuple(documents)
        if key not in self.expected:
            self.expected.clear()
            self.expected[key] = expected_files(self.vocab, documents)
        expected_bin, expected_idx = self.expected[key]
        with open(prefix + ".bin", "rb") as f:
            self.assertEqual(f.read(), expected_bin)
        with open(prefix + ".idx", "rb") as f:
            self.assertEqual(f.read(), expected_idx)
        self.assertEqual(len(read_dataset(prefix)), len(documents))

    def peak_kb(self, stdin_path, *args):
        """The tool's peak resident set, in KB, run with `args` and stdin from `stdin_path`."""
        # A fresh, small process runs the tool, so that the peak is the tool's own (a child forked
        # from this larger process would start with this one's pages counted).
        measure = ("import resource, subprocess, sys\n"
                   "status = subprocess.call(sys.argv[2:], stdin=open(sys.argv[1], 'rb'), "
                   "stdout=subprocess.DEVNULL)\n"
                   "print(status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        result = subprocess.run([sys.executable, "-c", measure, stdin_path, TOOL, *args],
                                capture_output=True, check=True)
        status, peak = map(int, result.stdout.split())
        self.assertEqual(status, 0, result.stderr)
        return peak

    def assert_nothing_but(self, names):
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(names))

    def test_documents_of_every_kind_match_the_independent_writer(self):
        rng = random.Random(1)
        texts = [random_text(rng, rng.randint(0, 300)) for _ in range(300)]
        texts += ["", " ", "a", "x" * 200_000, random_text(rng, 100_000)]
        lines = []
        for text in texts:
            record = {"id": rng.randint(0, 9), "text": text, "meta": {"a": [1, 2.5e3, None]}}
            line = json.dumps(record, ensure_ascii=rng.random() < 0.5)
            lines.append(line + rng.choice(["", " ", "\r"]))
            if rng.random() < 0.1:
                lines.append(rng.choice(["", "   ", "\t", "\r"]))  # blank lines are skipped
        corpus = self.write("a.jsonl", ("\n".join(lines) + "\n").encode())
        result = self.run_tool("binidx", "-o", self.path("out"), corpus, "--ctx-len", "4096")
        self.assertEqual(result.returncode, 0, result.stderr)
        documents = [t.encode("utf-8", "surrogatepass") for t in texts]
        self.assert_dataset(self.path("out"), documents)
        tokens = sum(len(self.vocab.encode(d)) + 1 for d in documents)
        out = result.stdout.decode()
        self.assertIn(f"{len(documents)} documents, {tokens} tokens", out)
        self.assertIn(f"--my_exit_tokens {tokens}\n", out)
        self.assertIn(f"--magic_prime {magic_prime(tokens, 4096)}\n", out)

    def test_inputs_in_order_text_files_directories_and_stdin(self):
        rng = random.Random(2)
        shards = self.path("shards")
        os.mkdir(shards)
        expected = []
        for name in ["b.jsonl", "a.txt", "c.jsonl"]:  # the directory is read in sorted order
            if name.endswith(".txt"):
                text = random_text(rng, 50_000).encode()
                with open(os.path.join(shards, name), "wb") as f:
                    f.write(text)
                shard = [text]
            else:
                shard = [random_text(rng, rng.randint(0, 50)) for _ in range(100)]
                with open(os.path.join(shards, name), "w", encoding="utf-8") as f:
                    f.writelines(json.dumps({"text": t}) + "\n" for t in shard)
                shard = [t.encode() for t in shard]
            expected.append((name, shard))
        expected.sort()
        stdin_texts = ["from stdin", "\u00e9"]
        stdin = "".join(json.dumps({"body": t, "text": 1}) + "\n" for t in stdin_texts).encode()
        # A last line without its line break is a line.
        single = self.write("single.jsonl", b'{"body": "last"}')
        result = self.run_tool("binidx", "-o", self.path("out"), "--field", "body", "-", single,
                               stdin=stdin)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_dataset(self.path("out"), [t.encode() for t in stdin_texts] + [b"last"])
        result = self.run_tool("binidx", "-o", self.path("out2"), shards)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_dataset(self.path("out2"), [d for _, shard in expected for d in shard])

    def test_compressed_inputs(self):
        texts = [f"document {i} \u00e9" for i in range(300)]
        data = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()
        shards = self.path("shards")
        os.mkdir(shards)
        half = data.index(b"\n", len(data) // 2) + 1
        with gzip.open(os.path.join(shards, "a.jsonl.gz"), "wb") as f:
            f.write(data[:half])
        subprocess.run(["zstd", "-q", "-o", os.path.join(shards, "b.jsonl.zst")],
                       input=data[half:], check=True)
        result = self.run_tool("binidx", "-o", self.path("out"), shards)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_dataset(self.path("out"), [t.encode() for t in texts])
        for name, damaged in [("bad.jsonl.gz", b"\x1f\x8b\x08\x00garbage"),
                              ("bad.jsonl.zst", b"\x28\xb5\x2f\xfdgarbage")]:
            with self.subTest(name):
                bad = self.write(name, damaged)
                result = self.run_tool("binidx", "-o", self.path("broken"), bad)
                self.assertEqual(result.returncode, 1)
                self.assertRegex(result.stderr.decode(),
                                 r"^rwkvtok: .*bad\.jsonl\.(gz|zst): (gzip|zstd) -dc failed "
                                 r"\(exit status \d+\): not a valid \.(gz|zst) file\n$")
                os.remove(bad)
        # Cut short after more than a batch of lines (4 MB per thread): the lines read so far are
        # no dataset, whatever the threads and --skip-bad.
        lines = "".join('{"text": "%s"}\n' % ("x" * (i % 200 + 1)) for i in range(200000))
        whole = gzip.compress(lines.encode())
        cut = self.write("cut.jsonl.gz", whole[:len(whole) // 2])
        for threads in ("1", "2"):
            with self.subTest(threads=threads):
                result = self.run_tool("binidx", "-o", self.path("broken"), "--skip-bad",
                                       "--threads", threads, cut)
                self.assertEqual(result.returncode, 1, result.stdout)
                self.assertIn("gzip -dc failed", result.stderr.decode())
        os.remove(cut)
        self.assert_nothing_but(["shards", "out.bin", "out.idx"])

    def test_memory_stays_small_for_millions_of_documents(self):
        """5 million tiny documents: the peak resident set stays below 24 MB, where keeping their
        sizes alone would take 20 MB more than the tool needs for one."""
        count = 5_000_000
        corpus = self.path("tiny.jsonl")
        with open(corpus, "wb") as f:
            for _ in range(count // 100_000):
                f.write(b'{"text": "a"}\n' * 100_000)
        peak_kb = self.peak_kb(corpus, "binidx", "-o", self.path("out"), "-")
        if not sanitized("asan", "tsan"):  # sanitizers reserve memory of their own
            self.assertLess(peak_kb, 24 * 1024, "KB at the peak")
            print(f"peak resident set of 5 million documents: {peak_kb} KB", file=sys.stderr)
        self.assertEqual(os.path.getsize(self.path("out.idx")), 34 + 20 * count + 8)
        self.assertEqual(os.path.getsize(self.path("out.bin")), 2 * 2 * count)
        result = self.run_tool("binidx", "info", self.path("out"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"{count} documents, {2 * count} tokens", result.stdout.decode())

    def test_merge_is_the_dataset_of_the_inputs_in_order(self):
        rng = random.Random(4)
        parts = [[random_text(rng, rng.randint(0, 200)) for _ in range(rng.randint(0, 50))]
                 for _ in range(3)]
        for k, texts in enumerate(parts):
            corpus = self.write(f"{k}.jsonl", "".join(json.dumps({"text": t}) + "\n"
                                                      for t in texts).encode())
            result = self.run_tool("binidx", "-o", self.path(f"part{k}"), corpus)
            self.assertEqual(result.returncode, 0, result.stderr)
        result = self.run_tool("binidx", "merge", "-o", self.path("merged"), self.path("part0"),
                               self.path("part1"), self.path("part2"), self.path("part0"),
                               "--ctx-len", "8")
        self.assertEqual(result.returncode, 0, result.stderr)
        texts = parts[0] + parts[1] + parts[2] + parts[0]
        self.assert_dataset(self.path("merged"), [t.encode() for t in texts])
        self.assertIn(f"{len(texts)} documents", result.stdout.decode())
        # int32 datasets (as some converters write) merge into an int32 dataset; mixed dtypes
        # are refused, and so is damage.
        def write_wide(name, docs):
            n = len(docs)
            idx = b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 4, n, n + 1)
            idx += struct.pack(f"<{n}i", *map(len, docs))
            idx += struct.pack(f"<{n}q", *[4 * sum(map(len, docs[:i])) for i in range(n)])
            idx += struct.pack(f"<{n + 1}q", *range(n + 1))
            self.write(name + ".idx", idx)
            self.write(name + ".bin", b"".join(struct.pack(f"<{len(d)}i", *d) for d in docs))

        docs = [read_dataset(self.path(f"part{k}")) for k in range(3)]
        for k in range(3):
            write_wide(f"wide{k}", docs[k])
        write_wide("wide_all", docs[0] + docs[1] + docs[2])
        n = len(docs[1])
        info = self.run_tool("binidx", "info", self.path("wide1"))
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn(f"int32 ids, {n} documents", info.stdout.decode())
        result = self.run_tool("binidx", "merge", "-o", self.path("wide_merged"),
                               *[self.path(f"wide{k}") for k in range(3)])
        self.assertEqual(result.returncode, 0, result.stderr)
        for suffix in (".bin", ".idx"):
            with open(self.path("wide_merged") + suffix, "rb") as a, \
                    open(self.path("wide_all") + suffix, "rb") as b:
                self.assertEqual(a.read(), b.read(), suffix)
        result = self.run_tool("binidx", "merge", "-o", self.path("m2"), self.path("part0"),
                               self.path("wide1"))
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{self.path('wide1')}: int32 ids, where {self.path('part0')} has uint16: "
                      "merge takes datasets of one dtype", result.stderr.decode())
        self.assertFalse(os.path.exists(self.path("m2.idx")))
        self.write("broken.idx", b"MMIDIDX")
        self.write("broken.bin", b"")
        result = self.run_tool("binidx", "merge", "-o", self.path("m2"), self.path("broken"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("shorter than a header", result.stderr.decode())
        self.assertFalse(os.path.exists(self.path("m2.idx")))

    def test_dump_gives_the_documents_back(self):
        rng = random.Random(5)
        texts = [random_text(rng, rng.randint(0, 300)) for _ in range(200)] + ["", "\u0000"]
        corpus = self.write("a.jsonl", "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n"
                                               for t in texts).encode())
        invalid = b"ok \xff\xfe bytes \xe4\xbd end \xf0\x9f"
        text_file = self.write("b.txt", invalid)
        self.assertEqual(self.run_tool("binidx", "-o", self.path("out"), corpus,
                                       text_file).returncode, 0)
        result = self.run_tool("binidx", "dump", self.path("out"))
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.split(b"\n")  # not splitlines(): U+2028 is no line break here
        self.assertEqual(lines.pop(), b"")
        self.assertEqual([json.loads(line)["text"] for line in lines],
                         texts + [invalid.decode("utf-8", "replace")])
        # jsonl -> binidx -> jsonl -> binidx: the same dataset again.
        again = self.write("again.jsonl", b"\n".join(lines[:-1]) + b"\n")
        self.assertEqual(self.run_tool("binidx", "-o", self.path("again"), again).returncode, 0)
        self.assert_dataset(self.path("again"), [t.encode() for t in texts])

    def test_progress_line_on_a_terminal_only(self):
        primary, secondary = pty.openpty()
        process = subprocess.Popen([TOOL, "binidx", "-o", self.path("out"), "-"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=secondary)
        os.close(secondary)
        process.stdin.write(b'{"text": "x"}\n' * 1000)
        process.stdin.flush()
        time.sleep(0.8)  # the line is drawn after half a second
        process.stdin.write(b'{"text": "y"}\n' * 1000)
        process.stdin.close()
        out = process.stdout.read()
        self.assertEqual(process.wait(), 0)
        terminal = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the other side is closed
                break
            if not chunk:
                break
            terminal += chunk
        os.close(primary)
        # Documents count once written: a batch waits for 1 MB of lines or the end of the input.
        self.assertRegex(terminal, rb"^\rrwkvtok: 28.0 KB  [0-9.]+ KB/s  0 documents\r +\r$")
        self.assertIn(b"2000 documents", out)
        # Not on a pipe: stderr stays empty.
        corpus = self.write("a.jsonl", b'{"text": "x"}\n')
        self.assertEqual(self.run_tool("binidx", "-o", self.path("out"), corpus).stderr, b"")

    def test_every_number_of_threads_writes_the_same_dataset(self):
        rng = random.Random(6)
        texts = [random_text(rng, rng.choice([0, 5, 50, 2000, 20000])) for _ in range(400)]
        lines = [json.dumps({"text": t}) for t in texts]
        corpus = self.write("a.jsonl", ("\n".join(lines) + "\n").encode())
        for threads in range(1, 9):
            result = self.run_tool("binidx", "-o", self.path(f"t{threads}"), "--threads",
                                   str(threads), corpus)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assert_dataset(self.path(f"t{threads}"), [t.encode() for t in texts])
        # The first bad line is the one reported, whatever the threads.
        lines[250] = '{"text": 1}'
        lines[260] = "{oops"
        corpus = self.write("b.jsonl", ("\n".join(lines) + "\n").encode())
        for threads in (1, 3, 8):
            result = self.run_tool("binidx", "-o", self.path("bad"), "--threads", str(threads),
                                   corpus)
            self.assertEqual(result.returncode, 1)
            self.assertIn(f"{corpus}:251: member", result.stderr.decode())
            result = self.run_tool("binidx", "-o", self.path("skip"), "--threads", str(threads),
                                   "--skip-bad", corpus)
            self.assertIn("skipped 2 bad lines", result.stdout.decode())
            self.assert_dataset(self.path("skip"), [t.encode() for i, t in enumerate(texts)
                                                    if i not in (250, 260)])

    def test_epochs_and_shuffle(self):
        rng = random.Random(7)
        texts = [random_text(rng, rng.randint(0, 40)) for _ in range(97)]
        stdin = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()
        result = self.run_tool("binidx", "-o", self.path("plain"), "--epochs", "3", "-", stdin=stdin)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_dataset(self.path("plain"), [t.encode() for t in texts] * 3)
        for seed in (0, 12345):
            result = self.run_tool("binidx", "-o", self.path("mixed"), "--epochs", "2",
                                   "--shuffle", "--seed", str(seed), "-", stdin=stdin)
            self.assertEqual(result.returncode, 0, result.stderr)
            order = [shuffled_index(i, len(texts), seed, p) for p in range(2)
                     for i in range(len(texts))]
            self.assertEqual(sorted(order[:97]), list(range(97)))
            self.assertNotEqual(order[:97], list(range(97)))
            self.assert_dataset(self.path("mixed"), [texts[k].encode() for k in order])
            self.assert_nothing_but(["mixed.bin", "mixed.idx", "plain.bin", "plain.idx"])
        # --shuffle alone: one pass, shuffled.
        result = self.run_tool("binidx", "-o", self.path("once"), "--shuffle", "-", stdin=stdin)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("97 documents", result.stdout.decode())
        self.assert_dataset(self.path("once"),
                            [texts[shuffled_index(i, len(texts), 0, 0)].encode() for i in range(97)])

    def test_info_reads_what_binidx_wrote(self):
        corpus = self.write("a.jsonl", b'{"text": "hello"}\n{"text": ""}\n')
        self.assertEqual(self.run_tool("binidx", "-o", self.path("out"), corpus).returncode, 0)
        result = self.run_tool("binidx", "info", self.path("out"), "--ctx-len", "1")
        self.assertEqual(result.returncode, 0, result.stderr)
        tokens = len(self.vocab.encode(b"hello")) + 2
        self.assertIn(f"uint16 ids, 2 documents, {tokens} tokens", result.stdout.decode())
        self.assertIn(f"--magic_prime {magic_prime(tokens, 1)}", result.stdout.decode())

    def test_info_finds_damage(self):
        corpus = self.write("a.jsonl", b'{"text": "hello"}\n{"text": "world"}\n')
        self.assertEqual(self.run_tool("binidx", "-o", self.path("good"), corpus).returncode, 0)
        with open(self.path("good.idx"), "rb") as f:
            idx = f.read()
        with open(self.path("good.bin"), "rb") as f:
            data = f.read()
        n = 2
        damages = {
            "not a binidx index": (b"NOTMAGIC!" + idx[9:], data),
            "version 2": (idx[:9] + struct.pack("<Q", 2) + idx[17:], data),
            "dtype code 6": (idx[:17] + b"\x06" + idx[18:], data),
            "doc_idx entries": (idx[:26] + struct.pack("<Q", 5) + idx[34:], data),
            "2 documents do not take": (idx[:-1], data),
            "has size 0": (idx[:34] + struct.pack("<i", 0) + idx[38:], data),
            "starts at byte": (idx[:34 + 4 * n + 8] + struct.pack("<q", 6) + idx[34 + 4 * n + 16:],
                               data),
            "doc_idx[1] is 7": (idx[:34 + 12 * n + 8] + struct.pack("<q", 7) + idx[34 + 12 * n + 16:],
                                data),
            "bytes, but the index gives": (idx, data + b"\x00\x00"),
            "not the end-of-document id 0": (idx, data[:-2] + b"\x01\x00"),
            "not a World id": (idx, b"\xff\xff" + data[2:]),
            "holds id 65530": (idx, struct.pack("<H", 65530) + data[2:]),  # the first reserved
            "doc_idx[2] is 9": (idx[:-8] + struct.pack("<q", 9), data),
            # 20 bytes a document times this count wraps around 2^64 to the file's size.
            "4611686018427387906 documents do not take":
                (idx[:18] + struct.pack("<QQ", n + (1 << 62), n + 1 + (1 << 62)) + idx[34:], data),
            "shorter than a header": (idx[:20], data),
        }
        for message, (bad_idx, bad_bin) in damages.items():
            with self.subTest(message):
                self.write("bad.idx", bad_idx)
                self.write("bad.bin", bad_bin)
                result = self.run_tool("binidx", "info", self.path("bad"))
                self.assertEqual(result.returncode, 1)
                self.assertIn(message, result.stderr.decode())
                self.assertEqual(result.stderr.count(b"\n"), 1)

    def test_bad_lines_name_file_line_and_what_is_wrong(self):
        cases = {
            b'{"text": "a"': "unterminated|'}' expected",
            b'[1, 2]': "not a JSON object",
            b'{"title": "a"}': 'no member "text"',
            b'{"text": 5}': 'member "text" is a number, not a string',
            b'{"text": ["a"]}': "is an array",
            b'{"text": null}': "is null",
            b'{"text": "\xff"}': "invalid UTF-8",
            b'{"text": "\\ud800"}': "lone surrogate \\ud800",
            b'{"text": "\\udc00\\ud800"}': "lone surrogate",
            b'{"text": "a\x01"}': "control character",
            b'{"text": "\\x"}': "invalid escape",
            b'{"text": "a"} {}': "more after the JSON object",
            b'{"text": NaN}': "not JSON",
            b'{"text": "a",}': "member name",
            b'{"text": 01}': "expected",
            b'\xef\xbb\xbf{"text": "a"}': "a byte order mark \\(JSON has none\\) at column 1",
            b'bad': "not JSON \\(unexpected character\\) at column 1",
            b'\x00': "not JSON \\(unexpected character\\) at column 1",
            b'"text"': "not a JSON object",
            b'\xff{"text": "a"}': "invalid UTF-8 at column 1",
            b'{"text": "a"}\xff': "invalid UTF-8 at column 14",
            b'{"x": 1 \xff, "text": "a"}': "invalid UTF-8 at column 9",
            b'{"text": "b", "text": "a\\udc00"}': "lone surrogate \\udc00",
            b'{"text": "\xe0\x9f\xbf"}': "invalid UTF-8 at column 11",  # overlong
            b'{"text": "\xed\xa0\x80"}': "invalid UTF-8 at column 11",  # a surrogate
            b'{"text": "\xf4\x90\x80\x80"}': "invalid UTF-8 at column 11",  # past U+10FFFF
            b'{"text": "\\udc00\\udc00"}':
                "lone surrogate \\udc00 \\(UTF-8 cannot hold it\\) at column 11",
            b'{"text": "a", "n": 1.}': "invalid number",
            b'{"text": "a", "n": 1.e5}': "invalid number",
            b'{"text": "\xff", "text": "ok"}': "invalid UTF-8 at column 11",
            b'{"a": ' + b"[" * 1001 + b"]" * 1001 + b', "text": "x"}': "nested more than 1000",
        }
        for line, message in cases.items():
            with self.subTest(line=line):
                corpus = self.write("bad.jsonl", b'{"text": "fine"}\n\n' + line + b"\n")
                # An existing dataset stays as it was.
                self.write("out.bin", b"old")
                self.write("out.idx", b"old")
                result = self.run_tool("binidx", "-o", self.path("out"), corpus)
                self.assertEqual(result.returncode, 1)
                err = result.stderr.decode()
                self.assertTrue(err.startswith(f"rwkvtok: {corpus}:3: "), err)
                self.assertRegex(err, message.replace("[", "\\[").replace("\\u", "\\\\u"))
                self.assert_nothing_but(["bad.jsonl", "out.bin", "out.idx"])
                with open(self.path("out.bin"), "rb") as f:
                    self.assertEqual(f.read(), b"old")
                result = self.run_tool("binidx", "-o", self.path("skip"), "--skip-bad", corpus)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("skipped 1 bad lines", result.stdout.decode())
                self.assert_dataset(self.path("skip"), [b"fine"])
                for name in ("skip.bin", "skip.idx"):
                    os.remove(self.path(name))

    def test_every_control_character_in_a_long_string(self):
        # Past 16 plain bytes, where strings are scanned a vector at a time.
        lines = b"".join(b'{"text": "' + b"a" * 20 + bytes([c]) + b"a" * 20 + b'"}\n'
                         for c in range(0x20) if c != 0x0A)  # a line feed ends the line
        corpus = self.write("bad.jsonl", lines)
        result = self.run_tool("binidx", "-o", self.path("out"), "--skip-bad", corpus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("skipped 31 bad lines", result.stdout.decode())
        for number in range(1, 32):
            with self.subTest(line=number):
                line = lines.split(b"\n")[number - 1]
                corpus = self.write("one.jsonl", line + b"\n")
                result = self.run_tool("binidx", "-o", self.path("out"), corpus)
                self.assertEqual(result.returncode, 1)
                self.assertIn(":1: control character in a string (JSON needs it escaped) at column 31",
                              result.stderr.decode())

    def test_jsonl_reader_agrees_with_python_json(self):
        rng = random.Random(3)
        lines, documents = [], []

        def value(depth):
            kind = rng.randrange(7 if depth < 4 else 4)
            if kind == 0:
                return random_text(rng, rng.randint(0, 8))
            if kind == 1:
                return rng.choice([0, -1, 3.25, 1e300, -2.5e-7, 10**30])
            if kind == 2:
                return rng.choice([True, False, None])
            if kind == 3:
                return ""
            if kind == 4:
                return [value(depth + 1) for _ in range(rng.randint(0, 3))]
            return {random_text(rng, 2): value(depth + 1) for _ in range(rng.randint(0, 3))}

        for _ in range(3000):
            record = {random_text(rng, 2): value(1) for _ in range(rng.randint(0, 3))}
            if rng.random() < 0.8:
                record["text"] = value(1) if rng.random() < 0.2 else random_text(rng, 20)
            line = json.dumps(record, ensure_ascii=rng.random() < 0.5).encode()
            if rng.random() < 0.3:  # break it somewhere
                at = rng.randrange(len(line) + 1)
                junk = rng.choice([b'"', b"\\", b"{", b"}", b",", b":", b"\xff", b"\\u12",
                                   b"\\ud83d", b"0", b"-", b"e", b" ", b"\x00"])
                line = line[:at] + junk + line[at + rng.randint(0, 2):]
            if b"\n" in line or not line.strip(b" \t\r"):
                continue
            lines.append(line)
            try:
                text = json.loads(line.decode("utf-8"))["text"]
                assert isinstance(text, str)
                documents.append(text.encode("utf-8"))  # fails for lone surrogates
            except (ValueError, KeyError, TypeError, AssertionError, UnicodeError):
                pass
        corpus = self.write("mixed.jsonl", b"\n".join(lines) + b"\n")
        result = self.run_tool("binidx", "-o", self.path("out"), "--skip-bad", corpus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"skipped {len(lines) - len(documents)} bad lines", result.stdout.decode())
        self.assertGreater(len(lines) - len(documents), 500)
        self.assert_dataset(self.path("out"), documents)

    def test_a_full_disk_leaves_nothing_behind(self):
        if sanitized("tsan"):
            self.skipTest("ThreadSanitizer's runtime dies of a file size limit")
        # Long documents fill the .bin while they are read; many short ones leave the .bin
        # small and fill the .idx as it is finished, after the last document.
        for lines, size_limit in ((["word " * 2000] * 100, 20_000), (["a"] * 30_000, 300_000)):
            corpus = self.write("a.jsonl", ("\n".join(json.dumps({"text": t}) for t in lines)
                                            + "\n").encode())

            def limit():
                resource.setrlimit(resource.RLIMIT_FSIZE, (size_limit, size_limit))

            result = self.run_tool("binidx", "-o", self.path("out"), corpus, preexec_fn=limit)
            self.assertEqual(result.returncode, 1, result.stderr.decode()[-3000:])
            self.assertEqual(result.stdout, b"", "no summary for a dataset that is not written")
            self.assertRegex(result.stderr.decode(),
                             r"^rwkvtok: cannot write .*out\.(bin|idx): File too large\n$")
            self.assert_nothing_but(["a.jsonl"])

    def test_sigint_leaves_nothing_behind(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(sig=sig):
                process = subprocess.Popen([TOOL, "binidx", "-o", self.path("out"), "-"],
                                           stdin=subprocess.PIPE, stderr=subprocess.PIPE)
                process.stdin.write(b'{"text": "some text"}\n' * 1000)
                process.stdin.flush()
                time.sleep(0.5)  # it now waits for more input, its files open
                self.assertEqual(len(os.listdir(self.dir)), 2)  # the two temporaries
                process.send_signal(sig)
                _, err = process.communicate()
                self.assertEqual(process.returncode, 1)
                self.assertRegex(err.decode(), r"^rwkvtok: (interrupted|terminated); no dataset written\n$")
                self.assert_nothing_but([])

    def test_a_lone_surrogate_in_a_replaced_member_does_not_matter(self):
        line = b'{"text": "a\\udc00", "other": "\\ud800", "text": "b"}'
        self.assertEqual(json.loads(line)["text"], "b")
        corpus = self.write("a.jsonl", line + b"\n")
        result = self.run_tool("binidx", "-o", self.path("out"), corpus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_dataset(self.path("out"), [b"b"])

    def test_the_dataset_may_be_written_into_an_input_directory(self):
        self.write("a.jsonl", b'{"text": "a"}\n')
        for _ in range(2):  # the second time over the dataset the first wrote
            result = self.run_tool("binidx", "-o", "corpus", ".", cwd=self.dir)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assert_dataset(self.path("corpus"), [b"a"])
        self.assert_nothing_but(["a.jsonl", "corpus.bin", "corpus.idx"])

    def test_closed_or_full_standard_streams(self):
        corpus = self.write("a.jsonl", b'{"text": "a"}\n')
        self.assertEqual(self.run_tool("binidx", "-o", self.path("old"), corpus).returncode, 0)
        with open(self.path("old.bin"), "rb") as f:
            old = f.read()

        def close(fd):
            return lambda: os.close(fd)

        os.symlink("/dev/stdin", self.path("stdin.jsonl"))  # a path to standard input

        for args, closed, message in [
                (["-o", self.path("old"), "-"], 0, "cannot read standard input"),
                (["-o", self.path("old"), self.path("stdin.jsonl")], 0, "cannot read standard input"),
                (["-o", self.path("old"), corpus], 1, "cannot write output"),
                (["dump", self.path("old")], 1, "cannot write output"),
                (["info", self.path("old")], 1, "cannot write output"),
                (["--help"], 1, "cannot write output"),
                (["--version"], 1, "cannot write output")]:
            with self.subTest(args=args):
                result = self.run_tool("binidx", *args, preexec_fn=close(closed))
                self.assertEqual(result.returncode, 1)
                self.assertIn(message, result.stderr.decode())
        with open("/dev/full", "wb") as full:
            result = subprocess.run([TOOL, "binidx", "-o", self.path("new"), corpus], stdout=full,
                                    stderr=subprocess.PIPE)
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot write output: No space left on device", result.stderr.decode())
        # A closed pipe: the summary cannot be written, so no dataset appears.
        process = subprocess.Popen([TOOL, "binidx", "-o", self.path("new"), corpus],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.close()
        _, err = process.communicate()
        self.assertEqual(process.returncode, 1, err)
        self.assertIn("cannot write output: Broken pipe", err.decode())
        self.assert_nothing_but(["a.jsonl", "old.bin", "old.idx", "stdin.jsonl"])
        with open(self.path("old.bin"), "rb") as f:
            self.assertEqual(f.read(), old)

    def test_dump_of_a_dataset_with_ids_0_inside_documents(self):
        # Other tools pack documents with 0 between them inside one document: 0 decodes to nothing.
        docs = [[33155, 0, 40213, 0], [0], [33155, 0]]
        n = len(docs)
        idx = b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, n, n + 1)
        idx += struct.pack(f"<{n}i", *map(len, docs))
        idx += struct.pack(f"<{n}q", *[2 * sum(map(len, docs[:i])) for i in range(n)])
        idx += struct.pack(f"<{n + 1}q", *range(n + 1))
        self.write("packed.idx", idx)
        self.write("packed.bin", b"".join(struct.pack(f"<{len(d)}H", *d) for d in docs))
        result = self.run_tool("binidx", "dump", self.path("packed"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([json.loads(line)["text"] for line in result.stdout.splitlines()],
                         ["Hello world", "", "Hello"])

    def test_messages_are_one_line_whatever_the_names(self):
        name = self.path("no\x1b[31mred\nsecond line.jsonl")
        result = self.run_tool("binidx", "-o", self.path("x"), name)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.count(b"\n"), 1, result.stderr)
        self.assertIn(b"no\\x1b[31mred\\nsecond line.jsonl", result.stderr)

    def test_a_small_input_on_many_threads_takes_little_memory(self):
        corpus = self.write("a.jsonl", b'{"text": "a"}\n')
        peak_kb = self.peak_kb(corpus, "binidx", "-o", self.path("out"), "--threads", "256", "-")
        if not sanitized("asan", "tsan"):
            self.assertLess(peak_kb, 64 << 10)  # batches of 4 MB per thread would be 2 GB
        self.assert_dataset(self.path("out"), [b"a"])

    def test_long_names(self):
        corpus = self.write("a.jsonl", b'{"text": "a"}\n')
        name = "n" * 251  # NAME.bin and NAME.idx are 255 bytes: as long as a name may be
        for extra in ([], ["--epochs", "2"]):
            with self.subTest(extra=extra):
                result = self.run_tool("binidx", "-o", self.path(name), *extra, corpus)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assert_dataset(self.path(name), [b"a"] * (2 if extra else 1))
        self.assert_nothing_but(["a.jsonl", name + ".bin", name + ".idx"])
        too_long = "n" * 252  # NAME.bin would be 256 bytes
        result = self.run_tool("binidx", "-o", self.path(too_long), corpus)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, b"")
        self.assertIn("File name too long", result.stderr.decode())
        self.assert_nothing_but(["a.jsonl", name + ".bin", name + ".idx"])

    def test_an_index_that_cannot_be_renamed_into_place(self):
        # A non-empty directory named PREFIX.idx: the new .bin is renamed into place, the .idx
        # cannot follow, so the .bin that was there before comes back (or none, if none was).
        corpus = self.write("a.jsonl", b'{"text": "new"}\n')
        for name in ("out", "n" * 251):
            for old_bin in (b"old bin", None):
                with self.subTest(name=len(name), old_bin=old_bin):
                    if old_bin is not None:
                        self.write(name + ".bin", old_bin)
                    os.mkdir(self.path(name + ".idx"))
                    self.write(name + ".idx/keep", b"")
                    result = self.run_tool("binidx", "-o", self.path(name), corpus)
                    try:
                        self.assertEqual(result.returncode, 1)
                        self.assertIn("cannot rename into place", result.stderr.decode())
                        if old_bin is not None:
                            with open(self.path(name + ".bin"), "rb") as f:
                                self.assertEqual(f.read(), old_bin)
                            self.assert_nothing_but(["a.jsonl", name + ".bin", name + ".idx"])
                        else:
                            self.assert_nothing_but(["a.jsonl", name + ".idx"])
                    finally:
                        shutil.rmtree(self.path(name + ".idx"))
                        if os.path.exists(self.path(name + ".bin")):
                            os.remove(self.path(name + ".bin"))

    def test_command_line_errors(self):
        cases = [
            (["binidx"], "needs -o PREFIX"),
            (["binidx", "-o", "x"], "needs at least one INPUT"),
            (["binidx", "-o", "x", "--ctx-len", "0", "a.jsonl"], "--ctx-len must be"),
            (["binidx", "-o", "x", "--wat", "a.jsonl"], "unknown option '--wat'"),
            (["binidx", "info"], "binidx info takes one PREFIX"),
            (["binidx", "dump", "a", "b"], "binidx dump takes one PREFIX"),
            (["binidx", "merge", "-o", "x"], "binidx merge needs at least one PREFIX"),
            (["binidx", "merge", "-o", "x", "--field", "t", "a"], "binidx merge takes"),
            (["binidx", "-o", "x", "--threads", "300", "a.jsonl"], "--threads must be"),
            (["binidx", "info", "x", "--threads", "2"], "binidx info takes one PREFIX"),
            (["binidx", "-o", "x", "--seed", "2", "a.jsonl"], "--seed applies to --shuffle"),
            (["binidx", "-o", "x", "--epochs", "0", "a.jsonl"], "--epochs must be a number, 1 or more"),
            (["binidx", "merge", "-o", "x", "--shuffle", "a"], "apply to building a dataset"),
            (["binidx", "-o", "", "a.jsonl"], "binidx needs -o PREFIX"),
            (["binidx", "-o=x", "a.jsonl"], "unknown option '-o=x'"),  # only --name=value
        ]
        for args, message in cases:
            with self.subTest(args=args):
                result = self.run_tool(*args)
                self.assertEqual(result.returncode, 2)
                self.assertIn(message, result.stderr.decode())
        result = self.run_tool("binidx", "-o", self.path("x"), self.write("a.csv", b""))
        self.assertEqual(result.returncode, 1)
        self.assertIn("binidx reads .jsonl, .jsonl.gz, .jsonl.zst and .txt files", result.stderr.decode())
        corpus = self.write("a.jsonl", b'{"text": "a"}\n')
        result = self.run_tool("binidx", "-o", self.path("missing/out"), corpus)
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot create a file beside", result.stderr.decode())
        result = self.run_tool("binidx", "-o", self.path("x"), corpus, self.path("nothing.jsonl"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot open", result.stderr.decode())
        self.assert_nothing_but(["a.csv", "a.jsonl"])
        for words in (["--help"], ["help"], ["-o", "x", "--help"]):
            result = self.run_tool("binidx", *words)
            self.assertEqual(result.returncode, 0)
            self.assertIn(b"usage: rwkvtok binidx", result.stdout)
        result = self.run_tool("binidx", "-o", self.path("x"), "--", "--help")  # an INPUT
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, b"")
        self.assertIn("cannot open --help", result.stderr.decode())
        result = self.run_tool("binidx", "-o", "x", "a.jsonl", "--version")
        self.assertEqual(result.returncode, 0)
        self.assertTrue(result.stdout.startswith(b"rwkvtok "), result.stdout)
        # A file named like the subcommand is an input when written as a path.
        info = self.write("info", b"")
        result = self.run_tool("binidx", "-o", self.path("x"), "./info", cwd=self.dir)
        self.assertIn("binidx reads .jsonl, .jsonl.gz, .jsonl.zst and .txt files", result.stderr.decode())
        del info


if __name__ == "__main__":
    if len(sys.argv) > 2:
        TOOL, VOCAB = os.path.abspath(sys.argv[1]), sys.argv[2]
        del sys.argv[1:3]
    unittest.main()
