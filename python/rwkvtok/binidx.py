"""RWKV-LM's binidx training datasets, with the code behind `rwkvtok binidx` (docs/binidx.md).

    from rwkvtok import binidx
    with binidx.Writer("data/corpus") as out:         # data/corpus.bin and .idx, whole or not at all
        for text in binidx.read_jsonl("corpus.jsonl"):  # the command's JSON rules and messages
            out.add(text)                              # its ids, then the end-of-document 0
    print(out.counts)                                  # Counts(documents=..., tokens=...)
    binidx.magic_prime(out.counts.tokens, 4096)        # for RWKV-LM's --magic_prime

Files are written to hidden temporaries beside the target and renamed into place by `close()`
(leaving a `with` block normally); `abort()` (or an exception in the block) removes them. Damaged
datasets and I/O errors raise `BinidxError` (a ValueError) with the command's one-line message.
"""

import collections
import os

from ._rwkvtok import (
    BinidxError,
    _binidx_magic_prime,
    _binidx_merge,
    _binidx_read_field,
    _binidx_shuffled_index,
    _BinidxReader,
    _BinidxWriter,
    _one_line,
)

__all__ = ["BinidxError", "Counts", "Reader", "Writer", "magic_prime", "merge", "parse_line",
           "read_jsonl", "shuffled_index"]

Counts = collections.namedtuple("Counts", ["documents", "tokens"])


def _path(path):
    """A path (str, bytes or os.PathLike) as the bytes the system takes."""
    path = os.fsencode(path)
    if b"\0" in path:
        raise ValueError("embedded null byte")
    return path


class Writer:
    """A new dataset PREFIX.bin/.idx (uint16 ids, each document ending with id 0)."""

    def __init__(self, prefix):
        self._writer = _BinidxWriter(_path(prefix))
        self.counts = None

    def add(self, text):
        """A document: `text` (str, or bytes-like, taken as they are) encoded with World."""
        self._writer.add(text)

    def add_ids(self, ids):
        """A document of World ids already made (no 0 among them: it is added after them)."""
        self._writer.add_ids(ids)

    def close(self):
        """Finishes the dataset and renames it into place; returns its Counts."""
        self.counts = Counts(*self._writer.close())
        return self.counts

    def abort(self):
        """Removes what was written; an existing dataset of that prefix stays as it was."""
        self._writer.abort()

    @property
    def closed(self):
        return self._writer.closed

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if self._writer.closed:
            return False
        if kind is None:
            self.close()  # which leaves nothing behind when it fails
        else:
            self.abort()
        return False


class Reader:
    """A checked dataset (every id and every document's final 0 checked when it is opened). It
    holds the two files open until close() (or the end of a `with` block)."""

    def __init__(self, prefix):
        self._reader = _BinidxReader(_path(prefix))
        self.counts = Counts(self._reader.documents, self._reader.tokens)
        self.dtype = self._reader.dtype

    def __len__(self):
        return self.counts.documents

    def __getitem__(self, index):
        """Document `index`'s ids, its final 0 included."""
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"no document {index} in a dataset of {len(self)}")
        return self._reader.document(index)

    def __iter__(self):
        for index in range(len(self)):
            yield self._reader.document(index)

    def close(self):
        self._reader.close()

    @property
    def closed(self):
        return self._reader.closed

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        self.close()
        return False


def merge(prefix, inputs):
    """Writes the documents of the datasets `inputs` (all uint16, or all int32), in order, as
    PREFIX, of their dtype; its Counts."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise TypeError("inputs must be a list of prefixes, not one prefix")
    inputs = [_path(p) for p in inputs]
    if not inputs:
        raise ValueError("merge needs at least one dataset")
    return Counts(*_binidx_merge(_path(prefix), inputs))


def parse_line(line, field="text"):
    """The document of one JSONL line (bytes, without its line break), by the command's rules;
    ValueError saying what is wrong and at which column."""
    return _binidx_read_field(bytes(memoryview(line)), field)


class read_jsonl:  # noqa: N801 -- used as a function: for text in read_jsonl(path)
    """The documents of a JSONL file, as `rwkvtok binidx` reads them: one per line that is not
    blank (only spaces, tabs, CRs), the line a JSON object whose string member `field` is the
    document. A bad line raises BinidxError "PATH:LINE: what is wrong", or with `skip_bad` is
    skipped and counted in `skipped`."""

    def __init__(self, path, field="text", skip_bad=False):
        self.path, self.field, self.skip_bad = os.fsdecode(path), field, skip_bad
        self.skipped = 0
        self._shown = _one_line(_path(path))  # in messages, as the command shows it

    def __iter__(self):
        self.skipped = 0
        try:
            lines = open(_path(self.path), "rb")
        except OSError as error:
            raise BinidxError(f"cannot open {self._shown}: {error.strerror}") from None
        with lines:
            try:
                for number, line in enumerate(lines, 1):
                    if line.endswith(b"\n"):
                        line = line[:-1]
                    if not line.strip(b" \t\r"):
                        continue
                    try:
                        text = parse_line(line, self.field)
                    except ValueError as error:
                        if self.skip_bad:
                            self.skipped += 1
                            continue
                        raise BinidxError(f"{self._shown}:{number}: {error}") from None
                    yield text
            except OSError as error:  # reading the file: the caller's code runs outside this
                raise BinidxError(f"cannot read {self._shown}: {error.strerror}") from None


def magic_prime(tokens, ctx_len):
    """RWKV-LM's --magic_prime for `tokens` ids and contexts of `ctx_len`, or None when the
    dataset holds fewer than 3 contexts."""
    prime = _binidx_magic_prime(tokens, ctx_len)
    return prime or None


def shuffled_index(i, n, seed, pass_):
    """The input document written i-th in pass `pass_` of `rwkvtok binidx --shuffle --seed`."""
    return _binidx_shuffled_index(i, n, seed, pass_)
