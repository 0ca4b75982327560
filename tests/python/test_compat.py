"""rwkvtok.compat.TRIE_TOKENIZER against rwkv==0.8.32's: same results, same exceptions."""

import array
import contextlib
import ctypes
import io
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import rwkvtok
from rwkvtok.compat import TRIE_TOKENIZER

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def compat():
    return TRIE_TOKENIZER()


def outcome(call, *args):
    """What a call gives: its result, or the type of what it raised."""
    try:
        return "result", call(*args)
    except BaseException as error:  # noqa: B902 -- compared, never swallowed silently
        return "raised", type(error)


def same(reference, compat, method, *args):
    assert outcome(getattr(compat, method), *args) == outcome(getattr(reference, method), *args), \
        (method, args)


TOKEN_INPUTS = [(ctypes.c_uint32 * 2)(33155, 45), (ctypes.c_uint16 * 1)(0), [], [0], [1, 2, 3], [33155, 45], [65529], [65530], [65535], [70000], [-1],
                [256, 256], [232, 189], [1.0, 2], [True], ["a"], [None], (33155,),
                np.array([33155, 45], np.int64), np.array([-1], np.int32), array.array("H", [33155]),
                range(1, 5), (i for i in [33155, 45]), {33155: 1}, 5, None, "abc", b"ab"]


@pytest.mark.parametrize("tokens", TOKEN_INPUTS, ids=range(len(TOKEN_INPUTS)))
def test_decoding(reference, compat, tokens):
    for method in ("decodeBytes", "decode"):
        # Generators are used up by a call: each side gets its own.
        if hasattr(tokens, "__next__"):
            assert outcome(getattr(compat, method), (i for i in [33155, 45])) == \
                outcome(getattr(reference, method), (i for i in [33155, 45]))
        else:
            same(reference, compat, method, tokens)


ENCODE_INPUTS = ["", "Hello, world!", "你好😀", "a\ud800b", b"bytes", 5, None, ["a"],
                 "x" * 1000]
BYTES_INPUTS = [b"", b"Hello", bytearray(b"\xff\xfeab"), memoryview(b"abc"), [104, 105],
                [104, -1, 300], [104, -1], [-256, 255], (1, 2), [1.5], ["a"], "str", "", 5, None,
                np.array([104, 105], np.uint8), np.array([-56, -6], np.int8),
                array.array("b", [-1, 65]), [np.int64(104)], [True, False]]


@pytest.mark.parametrize("src", ENCODE_INPUTS, ids=range(len(ENCODE_INPUTS)))
def test_encode(reference, compat, src):
    same(reference, compat, "encode", src)


@pytest.mark.parametrize("src", BYTES_INPUTS, ids=range(len(BYTES_INPUTS)))
def test_encode_bytes(reference, compat, src):
    same(reference, compat, "encodeBytes", src)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(reference, compat, data):
    ids = reference.encodeBytes(data)
    assert compat.encodeBytes(data) == ids
    assert compat.decodeBytes(ids) == data
    assert compat.decode(ids) == reference.decode(ids)


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(reference, compat, text):
    same(reference, compat, "encode", text)


def test_dicts(reference, compat):
    assert compat.idx2token == reference.idx2token
    assert compat.token2idx == reference.token2idx


def test_print_tokens(reference, compat):
    for tokens in [[33155, 45, 40213, 34], [256, 232, 189, 160], [], [0], [70000]]:
        printed = []
        for tokenizer in (reference, compat):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                result = outcome(tokenizer.printTokens, tokens)
            printed.append((result, out.getvalue()))
        assert printed[0] == printed[1], tokens


def test_vocabulary_file(reference_vocab_path, tmp_path):
    assert TRIE_TOKENIZER(reference_vocab_path).encode("Hello") == [33155]
    with pytest.raises(FileNotFoundError):
        TRIE_TOKENIZER(str(tmp_path / "missing.txt"))
    other = tmp_path / "other.txt"
    other.write_text("1 'a' 1\n")
    with pytest.raises(ValueError, match="not the World vocabulary"):
        TRIE_TOKENIZER(str(other))


def test_pipeline_switch_is_one_line():
    """rwkv.utils.PIPELINE with its tokenizer replaced in one line. PIPELINE's module imports
    torch, which only its model code uses: a stand-in is enough to load it here."""
    code = """
import sys, types
torch = types.ModuleType("torch"); torch.nn = types.ModuleType("torch.nn")
torch.nn.functional = types.ModuleType("torch.nn.functional")
sys.modules.update({"torch": torch, "torch.nn": torch.nn, "torch.nn.functional": torch.nn.functional})
import rwkvtok
from rwkv.utils import PIPELINE
pipeline = PIPELINE(None, "rwkv_vocab_v20230424")
reference = pipeline.encode("Hello, world! 你好")
pipeline.tokenizer = rwkvtok.compat.TRIE_TOKENIZER()
assert pipeline.encode("Hello, world! 你好") == reference == [33155, 45, 40213, 34, 33, 10464, 11685]
assert pipeline.decode(reference) == "Hello, world! 你好"
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_ids_that_only_index_like_ints(reference, compat):
    """Objects with __index__ but not an int's hash: the reference's dict lookup fails on them."""

    class Index:
        def __index__(self):
            return 33155

    class Int(int):
        def __hash__(self):
            return 7

    for tokens in [[Index()], [Int(33155)], [33155, Index()]]:
        same(reference, compat, "decodeBytes", tokens)
        same(reference, compat, "decode", tokens)


def test_a_changed_idx2token_decides(reference, reference_vocab_path):
    """The reference decodes through its dict: changing or replacing it changes what decode gives."""
    for change in (lambda t: t.idx2token.__setitem__(33155, b"XX"),
                   lambda t: t.idx2token.pop(33155),
                   lambda t: t.idx2token.update({33155: b"YY"}),
                   lambda t: setattr(t, "idx2token", {33155: b"ZZ"}),
                   lambda t: setattr(t, "idx2token", {})):
        ours, theirs = TRIE_TOKENIZER(), type(reference)(reference_vocab_path)
        change(ours), change(theirs)
        for method in ("decodeBytes", "decode"):
            assert outcome(getattr(ours, method), [33155, 45]) == \
                outcome(getattr(theirs, method), [33155, 45])
    untouched = TRIE_TOKENIZER()
    assert untouched.idx2token[33155] == b"Hello" and untouched.decodeBytes([33155]) == b"Hello"
    # A copy of an unchanged table is unchanged (the fast path stays); of a changed one, changed.
    import copy
    import pickle
    for make in (copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))):
        assert not make(untouched.idx2token).changed
        ours = TRIE_TOKENIZER()
        ours.idx2token.__init__({33155: b"II"})
        assert make(ours.idx2token).changed and ours.decodeBytes([33155]) == b"II"


# --- Objects that redefine what the reference relies on: only their own methods decide.

def test_subclasses_that_redefine_iteration_or_indexing(reference, compat):
    class Ids(array.array):
        def __iter__(self):
            return iter([33155])

    class IdList(list):
        def __iter__(self):
            return iter([33155])

    class Short(bytes):
        def __len__(self):
            return 1

    class Flipped(bytearray):
        def __getitem__(self, i):
            return 72 if isinstance(i, int) else super().__getitem__(i)

    same(reference, compat, "decodeBytes", Ids("I", [45]))
    same(reference, compat, "decodeBytes", IdList([45]))
    same(reference, compat, "decode", IdList([45]))
    same(reference, compat, "encodeBytes", Short(b"Hello"))
    same(reference, compat, "encodeBytes", Flipped(b"ab"))


def test_an_id_whose_comparison_fails(reference, compat):
    class Boom:  # the reference hashes ids, never compares them with 0
        def __eq__(self, other):
            raise RuntimeError("compared")

        def __hash__(self):
            return 123456789

    same(reference, compat, "decodeBytes", [Boom()])
    same(reference, compat, "decodeBytes", (33155, Boom()))
    assert compat.decode([Boom()]) == reference.decode([Boom()]) == "\ufffd"


def test_index_is_looked_up_on_the_type(reference, compat):
    class Plain:
        pass

    item = Plain()
    item.__index__ = lambda: 104
    same(reference, compat, "encodeBytes", [item])

    class NotAnInt:
        def __index__(self):
            return 104.0

    same(reference, compat, "encodeBytes", [NotAnInt()])


def test_buffers_that_are_not_flat_bytes(reference, compat):
    for src in [np.zeros((2, 2), np.uint8), np.arange(104, 110, dtype=np.uint8)[::2],
                memoryview(b"Hello")[::2], np.frombuffer(b"Hello", np.uint8).reshape(5, 1),
                memoryview(np.zeros((2, 2), np.uint8))]:
        same(reference, compat, "encodeBytes", src)
    for tokens in [(33155, 45), array.array("I", [33155, 45]), np.array([33155, 0])]:
        same(reference, compat, "decodeBytes", tokens)


def test_str_subclasses_go_through_their_encode(reference, compat):
    class Own(str):
        def encode(self, *args):
            return b"XY"

    class Plain(str):
        pass

    same(reference, compat, "encode", Own("Hello"))
    same(reference, compat, "encode", Plain("a\ud800b"))


def test_decode_gives_fffd_for_any_failure_at_all(reference, compat):
    class Stop(BaseException):
        pass

    class Interrupting:
        def __hash__(self):
            raise Stop

    # The reference's bare except catches even what is not an Exception.
    assert reference.decode([Interrupting()]) == compat.decode([Interrupting()]) == "\ufffd"


def test_messages_match_the_reference(reference, compat):
    def message(call, arg):
        try:
            return "result", call(arg)
        except Exception as error:
            return type(error), str(error)

    class Int:
        def __int__(self):
            return 104

    class Meta(type):
        def __index__(cls):
            return 104

    class Lying:  # a sequence whose length is not its items'
        def __init__(self, items, length):
            self.items, self.length = items, length

        def __len__(self):
            return self.length

        def __getitem__(self, i):
            return self.items[i]

    class WithMeta(metaclass=Meta):
        pass

    import functools
    import re
    for src in ([1.5], ["a"], [None], [104, 300], [Int()], [np.float64(104.0)], [WithMeta()],
                [functools.partial(int)], [re.compile("a")], [array.array("B")], [slice(1)],
                [104, -256, -1], [-257], "", "a", Lying([97, 98], 2 ** 62)):
        assert message(compat.encodeBytes, src) == message(reference.encodeBytes, src), src


def test_file_name_and_dicts_as_the_reference(reference, reference_vocab_path):
    with pytest.raises(FileNotFoundError):
        TRIE_TOKENIZER("")
    ours, theirs = TRIE_TOKENIZER(), type(reference)(reference_vocab_path)
    for t in (ours, theirs):
        t.token2idx = {b"x": 1}
    assert ours.token2idx == theirs.token2idx == {b"x": 1}


@pytest.mark.parametrize("change", [
    lambda d: d.__ior__({33155: b"ZZ"}),
    lambda d: d.clear(),
    lambda d: d.popitem(),
    lambda d: d.__delitem__(33155),
    lambda d: d.setdefault(0, b"00"),
])
def test_every_change_of_idx2token_counts(reference_vocab_path, reference, change):
    ours, theirs = TRIE_TOKENIZER(), type(reference)(reference_vocab_path)
    change(ours.idx2token)
    change(theirs.idx2token)
    for tokens in ([33155, 45], [65529], [0, 33155]):
        for method in ("decodeBytes", "decode"):
            assert outcome(getattr(ours, method), tokens) == outcome(getattr(theirs, method), tokens)
