"""rwkvtok.binidx: the same datasets as `rwkvtok binidx` (checked here against a writer of the
test's own, with ids from the reference tokenizer), read back, merged, and JSONL read with the
command's rules."""

import gc
import json
import os
import random
import struct

import pytest

from rwkvtok import binidx


def expected_files(reference, texts):
    """The .bin and .idx of `texts`, from the format (docs/binidx.md) and the reference's ids."""
    chunks, sizes, pointers, offset = [], [], [], 0
    for text in texts:
        ids = (reference.encodeBytes(text) if isinstance(text, bytes) else reference.encode(text))
        ids = list(ids) + [0]
        chunks.append(struct.pack(f"<{len(ids)}H", *ids))
        sizes.append(len(ids))
        pointers.append(offset)
        offset += 2 * len(ids)
    n = len(texts)
    idx = b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, n, n + 1)
    idx += struct.pack(f"<{n}i", *sizes) + struct.pack(f"<{n}q", *pointers)
    idx += struct.pack(f"<{n + 1}q", *range(n + 1))
    return b"".join(chunks), idx


def files(prefix):
    with open(f"{prefix}.bin", "rb") as b, open(f"{prefix}.idx", "rb") as i:
        return b.read(), i.read()


def texts(seed, count):
    rng = random.Random(seed)
    pools = ["abc xyz ", "\u00e9\u00fc", "\u4f60\u597d", "\U0001f600", "\n\t\"\\"]
    return ["".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, 200)))
            for _ in range(count)]


def test_writer_matches_the_format_and_the_reference(tmp_path, reference):
    docs = texts(1, 120) + [""]
    with binidx.Writer(tmp_path / "out") as out:
        for text in docs:
            out.add(text)
        out.add(b"raw \xff bytes")
        out.add_ids([33155, 45])
    assert out.counts.documents == len(docs) + 2
    expected_bin, expected_idx = expected_files(reference, docs + [b"raw \xff bytes", "Hello,"])
    assert files(tmp_path / "out") == (expected_bin, expected_idx)
    assert out.counts.tokens == len(expected_bin) // 2
    reader = binidx.Reader(tmp_path / "out")
    assert len(reader) == len(docs) + 2 and reader.dtype == "uint16"
    assert reader[-1] == [33155, 45, 0]
    assert [reference.decode(ids[:-1]) for ids in list(reader)[: len(docs)]] == docs


def test_writer_discards_on_error_and_abort(tmp_path):
    (tmp_path / "out.bin").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with binidx.Writer(tmp_path / "out") as out:
            out.add("a document")
            raise RuntimeError("stop")
    out = binidx.Writer(tmp_path / "out")
    out.add("x")
    out.abort()
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]
    assert (tmp_path / "out.bin").read_bytes() == b"old"
    with pytest.raises(ValueError, match="closed"):
        out.add("y")


def test_bad_ids_and_bad_datasets(tmp_path):
    out = binidx.Writer(tmp_path / "out")
    with pytest.raises(ValueError, match="invalid token id 65530 at position 1"):
        out.add_ids([5, 65530])
    with pytest.raises(ValueError, match="id 0 at position 0"):
        out.add_ids([0])
    with pytest.raises(ValueError, match="invalid token id -1"):
        out.add_ids([-1])
    out.abort()
    (tmp_path / "bad.idx").write_bytes(b"MMIDIDX")
    (tmp_path / "bad.bin").write_bytes(b"")
    with pytest.raises(binidx.BinidxError, match="shorter than a header"):
        binidx.Reader(tmp_path / "bad")
    with pytest.raises(binidx.BinidxError, match="cannot open"):
        binidx.Reader(tmp_path / "missing")
    with pytest.raises(binidx.BinidxError, match="cannot create"):
        binidx.Writer(tmp_path / "no" / "such")


def test_merge(tmp_path):
    parts = [texts(2, 30), texts(3, 20)]
    for k, docs in enumerate(parts):
        with binidx.Writer(tmp_path / f"p{k}") as out:
            for text in docs:
                out.add(text)
    with binidx.Writer(tmp_path / "together") as out:
        for text in parts[0] + parts[1]:
            out.add(text)
    counts = binidx.merge(tmp_path / "merged", [tmp_path / "p0", tmp_path / "p1"])
    assert counts == out.counts
    assert files(tmp_path / "merged") == files(tmp_path / "together")


def test_read_jsonl_follows_the_command(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"text": t}) for t in texts(4, 10)]
    path.write_bytes(("\n".join(lines[:5] + ["", "  \r", '{"text": 5}'] + lines[5:])).encode())
    with pytest.raises(binidx.BinidxError, match=r"a\.jsonl:8: member \"text\" is a number"):
        list(binidx.read_jsonl(path))
    docs = binidx.read_jsonl(path, skip_bad=True)
    assert list(docs) == texts(4, 10) and docs.skipped == 1
    path.write_bytes(b'{"text": "\\ud800"}\n')
    with pytest.raises(binidx.BinidxError, match="lone surrogate"):
        list(binidx.read_jsonl(path))
    path.write_bytes(b'{"text": "a"}\n\x0c\n{"text": "b"}\n')  # blank is spaces, tabs, CRs only
    with pytest.raises(binidx.BinidxError, match=r"a\.jsonl:2: "):
        list(binidx.read_jsonl(path))
    docs = binidx.read_jsonl(path, skip_bad=True)
    assert list(docs) == ["a", "b"] and docs.skipped == 1
    path.write_bytes(b'{"body": "x", "text": 1}')
    assert list(binidx.read_jsonl(path, field="body")) == ["x"]


def test_numbers_for_training():
    assert binidx.magic_prime(1498226207, 512) == 2926181
    assert binidx.magic_prime(5, 2) is None
    order = [binidx.shuffled_index(i, 50, 7, 1) for i in range(50)]
    assert sorted(order) == list(range(50)) and order != list(range(50))


def test_reader_called_from_a_finalizer(tmp_path):
    """Making a document's list can run a finalizer that reads another document from the same
    reader: each read keeps its own ids."""
    with binidx.Writer(tmp_path / "out") as out:
        out.add("short document number one")
        out.add("x" * 200_000 + " long document")
    reader = binidx.Reader(tmp_path / "out")
    expected = reader[0]

    class ReadsOnCollection:
        def __init__(self):
            self.me = self  # a cycle: freed only by the collector

        def __del__(self):
            reader[1]

    threshold = gc.get_threshold()
    try:
        for _ in range(5):
            gc.collect()
            ReadsOnCollection()
            gc.set_threshold(1)  # the next new list collects
            got = reader[0]
            gc.set_threshold(*threshold)
            assert got == expected
    finally:
        gc.set_threshold(*threshold)


def test_writer_closed_while_a_document_is_added(tmp_path):
    """Python code that runs inside add_ids (an id's __index__) or another thread while add()
    encodes without the GIL may close the dataset: the add then fails, nothing crashes."""
    out = binidx.Writer(tmp_path / "out")

    class AbortsWhenRead:
        def __index__(self):
            out.abort()
            return 5

    with pytest.raises(ValueError, match="closed"):
        out.add_ids([5, AbortsWhenRead(), 6])
    assert out.closed and os.listdir(tmp_path) == []

    import threading
    text = "hello world " * 300_000
    for _ in range(5):
        out = binidx.Writer(tmp_path / "out")
        errors = []

        def add():
            try:
                out.add(text)
            except ValueError as error:
                errors.append(error)

        thread = threading.Thread(target=add)
        thread.start()
        out.abort()
        thread.join()
        assert all("closed" in str(error) for error in errors)
        assert os.listdir(tmp_path) == []


def test_an_error_ends_the_dataset(tmp_path):
    """A write that fails (here a file size limit) ends the dataset: nothing half-written may be
    committed by a later close()."""
    import subprocess
    import sys
    script = f"""
import os, resource, signal
from rwkvtok import binidx
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
out = binidx.Writer({str(tmp_path / 'out')!r})
out.add_ids([5] * 100_000)
resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))
try:
    out.add_ids([5] * 3_000_000)
    raise SystemExit("no error at the size limit")
except binidx.BinidxError as error:
    assert "File too large" in str(error), error
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
assert out.closed
for call in (lambda: out.add_ids([7]), out.close):
    try:
        call()
        raise SystemExit("a call after the error went through")
    except ValueError as error:
        assert "an error ended it" in str(error), error
"""
    subprocess.run([sys.executable, "-c", script], check=True)
    assert os.listdir(tmp_path) == []


def test_a_failed_commit_keeps_the_old_dataset(tmp_path):
    (tmp_path / "old.bin").write_bytes(b"old data")
    (tmp_path / "old.idx").mkdir()  # the new .idx cannot be renamed over a directory
    (tmp_path / "old.idx" / "x").write_bytes(b"")
    with pytest.raises(binidx.BinidxError, match="cannot rename into place .*old.idx"):
        with binidx.Writer(tmp_path / "old") as out:
            out.add("new")
    assert (tmp_path / "old.bin").read_bytes() == b"old data"
    assert sorted(os.listdir(tmp_path)) == ["old.bin", "old.idx"]


def test_paths_of_every_kind(tmp_path):
    for name in [b"bytes", "str", os.fsdecode(b"not utf-8 \xff"), "sp ace \u00e9"]:
        prefix = (os.fsencode(tmp_path) + b"/" + name) if isinstance(name, bytes) \
            else tmp_path / name
        with binidx.Writer(prefix) as out:
            out.add("x")
        assert len(binidx.Reader(prefix)) == 1
        assert binidx.merge(os.fsdecode(prefix) + "-merged", [prefix]).documents == 1
    assert os.path.exists(tmp_path / "bytes.bin") and os.path.exists(tmp_path / "bytes.idx")
    for bad in [tmp_path / "a\0b", b"a\0b"]:
        with pytest.raises(ValueError, match="null"):
            binidx.Writer(bad)
        with pytest.raises(ValueError, match="null"):
            binidx.Reader(bad)
    with pytest.raises(TypeError):
        binidx.Writer(5)


def test_bad_arguments(tmp_path):
    with binidx.Writer(tmp_path / "a") as out:
        out.add("x")
    with pytest.raises(ValueError, match="at least one"):
        binidx.merge(tmp_path / "m", [])
    with pytest.raises(TypeError, match="list of prefixes"):
        binidx.merge(tmp_path / "m", str(tmp_path / "a"))
    assert not os.path.exists(tmp_path / "m.bin")
    with pytest.raises(TypeError):
        binidx.parse_line(5)
    with pytest.raises(TypeError):
        binidx.parse_line('{"text": "x"}')
    for i, n in [(0, 0), (3, 3), (16, 5)]:
        with pytest.raises(ValueError, match="below n"):
            binidx.shuffled_index(i, n, 0, 0)
    with pytest.raises(binidx.BinidxError, match="cannot open .*nope.jsonl: No such file"):
        list(binidx.read_jsonl(tmp_path / "nope.jsonl"))
    with pytest.raises(binidx.BinidxError, match="Is a directory"):
        list(binidx.read_jsonl(tmp_path))


def test_reader_closes_its_files(tmp_path):
    with binidx.Writer(tmp_path / "out") as out:
        out.add("one")
        out.add("two")
    before = len(os.listdir("/proc/self/fd"))
    with binidx.Reader(tmp_path / "out") as reader:
        assert len(os.listdir("/proc/self/fd")) == before + 2
        first = reader[0]
    assert reader.closed and len(os.listdir("/proc/self/fd")) == before
    assert len(reader) == 2 and first[-1] == 0
    with pytest.raises(ValueError, match="closed"):
        reader[1]
    reader.close()  # again: nothing happens


def test_messages_show_names_as_the_command_does(tmp_path):
    """Control bytes in a file's name as C escapes, bytes that are not UTF-8 as \\xNN: a message
    stays one line of text."""
    path = os.fsencode(tmp_path) + b"/a\x01b\xff.jsonl"
    with open(path, "wb") as f:
        f.write(b'{"text": 5}\n')
    shown = os.fsdecode(tmp_path) + "/a\\x01b\\xff.jsonl"
    with pytest.raises(binidx.BinidxError) as error:
        list(binidx.read_jsonl(path))
    assert str(error.value) == shown + ':1: member "text" is a number, not a string'
    with pytest.raises(binidx.BinidxError) as error:
        binidx.Writer(os.fsencode(tmp_path) + b"/no\n\xff/x")
    assert str(error.value).startswith(
        "cannot create a file beside " + os.fsdecode(tmp_path) + "/no\\n\\xff/x.bin: ")


def _dataset(tmp_path, texts=("one", "two", "three")):
    with binidx.Writer(tmp_path / "d") as out:
        for text in texts:
            out.add(text)
    return tmp_path / "d"


def test_close_inside_the_with_block(tmp_path):
    with binidx.Writer(tmp_path / "c") as out:
        out.add("x")
        counts = out.close()
    assert counts == out.counts == binidx.Counts(1, 2)


def test_reader_indexing_and_iteration(tmp_path):
    with binidx.Reader(_dataset(tmp_path)) as reader:
        documents = list(reader)
        assert len(documents) == len(reader) == 3
        assert documents[-1] == reader[2] == reader[-1]
        for bad, named in ((3, 3), (-4, -1)):
            with pytest.raises(IndexError, match=f"no document {named} in a dataset of 3"):
                reader[bad]


def test_read_jsonl_counts_skipped_lines_in_each_pass(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "a"}\r\n \t\r\n\x0b\n{"text": 5}\n{"text": "b"}')
    with pytest.raises(binidx.BinidxError, match=r"a\.jsonl:3: "):
        list(binidx.read_jsonl(path))
    documents = binidx.read_jsonl(path, skip_bad=True)
    for _ in range(2):
        assert list(documents) == ["a", "b"] and documents.skipped == 2


def test_a_nul_in_a_path_is_a_value_error(tmp_path):
    for bad in (str(tmp_path / "a\0b"), os.fsencode(tmp_path) + b"/a\0b"):
        with pytest.raises(ValueError, match="embedded null byte"):
            binidx.Writer(bad)
        with pytest.raises(ValueError, match="embedded null byte"):
            binidx.merge(tmp_path / "m", [bad])
        with pytest.raises(ValueError, match="embedded null byte"):
            binidx.read_jsonl(bad)
    assert not os.listdir(tmp_path)
