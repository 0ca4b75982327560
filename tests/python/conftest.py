"""Fixtures of the Python package's tests (tools/test.sh runs them in the project's venv).

The corpus beside the checkout (../shared/corpus, or $RWKVTOK_CORPUS_DIR) and the generator
(bazel-bin/tools/rwkvtok_gen, or $RWKVTOK_GENERATOR) are used when present; the tests that need
them are skipped, and say so, when they are not.
"""

import os
import pathlib
import subprocess

import pytest

import rwkvtok

ROOT = pathlib.Path(__file__).resolve().parents[2]


def corpus_dir(part):
    root = os.environ.get("RWKVTOK_CORPUS_DIR") or ROOT.parent / "shared" / "corpus"
    return pathlib.Path(root) / part


def corpus_stems(part):
    directory = corpus_dir(part)
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.txt") if p.with_suffix(".ids").exists())


def read_ids(path):
    return [int(line) for line in path.read_text().split()]


@pytest.fixture(scope="session")
def tok():
    return rwkvtok.World()


@pytest.fixture(scope="session")
def reference():
    """The reference: rwkv==0.8.32's TRIE_TOKENIZER with its own vocabulary file."""
    from rwkv import rwkv_tokenizer

    path = pathlib.Path(rwkv_tokenizer.__file__).with_name("rwkv_vocab_v20230424.txt")
    return rwkv_tokenizer.TRIE_TOKENIZER(str(path))


@pytest.fixture(scope="session")
def reference_vocab_path():
    from rwkv import rwkv_tokenizer

    return str(pathlib.Path(rwkv_tokenizer.__file__).with_name("rwkv_vocab_v20230424.txt"))


@pytest.fixture(scope="session")
def generator():
    path = pathlib.Path(os.environ.get("RWKVTOK_GENERATOR") or ROOT / "bazel-bin/tools/rwkvtok_gen")
    if not path.exists():
        pytest.skip(f"no generator at {path} (bazel build //tools:rwkvtok_gen)")
    return path


@pytest.fixture(scope="session")
def make_blob(generator, tmp_path_factory):
    """make_blob(lines) -> the blob rwkvtok_gen makes of a vocabulary of these lines."""

    def make(lines):
        directory = tmp_path_factory.mktemp("blob")
        vocab = directory / "vocab.txt"
        vocab.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        blob = directory / "vocab.bin"
        subprocess.run([str(generator), str(vocab), "--blob", str(blob)], check=True)
        return blob.read_bytes()

    return make


@pytest.fixture(scope="session")
def world_blob(generator, tmp_path_factory):
    vocab = ROOT / "third_party/rwkv_vocab/rwkv_vocab_v20230424.txt"
    blob = tmp_path_factory.mktemp("world") / "world.bin"
    subprocess.run([str(generator), str(vocab), "--blob", str(blob)], check=True)
    return blob.read_bytes()
