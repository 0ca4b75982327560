"""The API's promises, one by one, and every kind of bad input."""

import array
import ctypes
import gc
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import rwkvtok

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = "Hello, world! 你好，世界。 Привет 🌍 def f(x): return x**2"


def test_version():
    header = (__import__("conftest").ROOT / "lib/rwkvtok.h").read_text()
    numbers = [line.split()[2] for line in header.splitlines()
               if line.startswith("#define RWKVTOK_VERSION_") and line.split()[1][-5:] in
               ("MAJOR", "MINOR", "PATCH")]
    assert rwkvtok.__version__ == ".".join(numbers)
    from importlib.metadata import version
    assert version("rwkvtok") == rwkvtok.__version__


def test_stubs_name_what_the_package_has():
    """Every public name the stubs declare is where they say, with the members they list."""
    import ast
    import subprocess
    stub = ast.parse((Path(rwkvtok.__file__).parent / "_rwkvtok.pyi").read_text())
    names = {}
    for node in stub.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign):
            names[node.target.id] = node
    assert {"World", "Tokenizer", "StreamDecoder", "ABI_VERSION", "BinidxError"} <= names.keys()
    for name, node in names.items():
        home = rwkvtok.binidx if name == "BinidxError" else rwkvtok
        assert hasattr(home, name), f"{home.__name__}.{name}"
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    assert hasattr(getattr(home, name), member.name), f"{name}.{member.name}"
    assert set(rwkvtok.__all__) <= set(dir(rwkvtok))
    names = {}
    exec("from rwkvtok import *", names)
    assert names["compat"] is rwkvtok.compat and names["binidx"] is rwkvtok.binidx
    # Submodules are there after `import rwkvtok` alone.
    subprocess.run([sys.executable, "-c", "import rwkvtok; rwkvtok.binidx.Writer; "
                    "rwkvtok.compat.TRIE_TOKENIZER"], check=True)


def test_attributes(tok):
    assert tok.n_vocab == 65536
    assert tok.eot_token == 0
    assert tok.max_token_length == 128
    assert tok.token_count == 65530
    assert tok.encode("Hello, world!") == [33155, 45, 40213, 34]
    assert rwkvtok.encode_path() == "plain" or rwkvtok.encode_path().startswith("lanes/")
    assert "World" in repr(tok)


def test_text_types(tok):
    ids = tok.encode(TEXT)
    data = TEXT.encode()
    for text in [data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8),
                 np.frombuffer(data, np.int8), array.array("B", data)]:
        assert tok.encode(text) == ids
        assert tok.count(text) == len(ids)
    with pytest.raises(UnicodeEncodeError):
        tok.encode("a\ud800b")
    for bad in [None, 5, 1.5, ["a"], ("a",), {"a": 1}, np.arange(3, dtype=np.int32)]:
        with pytest.raises(TypeError):
            tok.encode(bad)
        with pytest.raises(TypeError):
            tok.count(bad)
    with pytest.raises(BufferError):
        tok.encode(memoryview(data)[::2])


def test_encode_numpy(tok):
    ids = tok.encode(TEXT)
    for dtype in [None, np.uint16, "uint16", np.int32, np.uint32, np.dtype("=u4")]:
        array_ = tok.encode_numpy(TEXT, dtype) if dtype is not None else tok.encode_numpy(TEXT)
        assert array_.dtype == (np.dtype(dtype) if dtype is not None else np.uint16)
        assert array_.tolist() == ids
        assert array_.flags.owndata and array_.flags.c_contiguous
    for bad in [np.int64, np.float32, np.uint8, ">u2", np.int16]:
        with pytest.raises(ValueError, match="uint16, int32 or uint32"):
            tok.encode_numpy(TEXT, bad)
    with pytest.raises(TypeError):
        tok.encode_numpy(TEXT, "no such dtype")
    assert tok.encode_numpy("").tolist() == []
    long_text = TEXT.encode() * 5000  # long enough for the 32-bit path, then narrowed
    assert tok.encode_numpy(long_text).tolist() == tok.encode(long_text)


def test_decode_inputs(tok):
    ids = tok.encode(TEXT)
    forms = [ids, tuple(ids), array.array("H", ids), array.array("i", ids), array.array("I", ids),
             array.array("q", ids), array.array("L", ids), memoryview(array.array("H", ids)),
             np.array(ids, np.uint16), np.array(ids, np.int32), np.array(ids, np.uint32),
             np.array(ids, np.int64), np.array(ids, np.uint64), np.array([i for i in ids if i < 32768], np.int16),
             np.repeat(np.array(ids, np.int64), 2)[::2], np.array(ids, ">i4"), [np.int64(i) for i in ids],
             np.frombuffer(b"x" + np.array(ids, np.uint16).tobytes(), np.uint16, offset=1),
             np.frombuffer(b"xy" + np.array(ids, np.int32).tobytes(), np.int32, offset=2),
             range(0)]
    for form in forms:
        expected = tok.decode_bytes([int(i) for i in form])
        assert tok.decode_bytes(form) == expected, type(form)
        assert tok.decode(form) == expected.decode("utf-8", "replace")
        if len(form) == len(ids):
            assert expected == TEXT.encode()
    assert tok.decode([0, 0]) == "" and tok.decode_bytes([0]) == b""
    assert tok.decode([True, 34]) == "\x00!"


@pytest.mark.parametrize("ids,position,shown", [
    ([65530], 0, "65530"), ([1, 65535], 1, "65535"), ([1, 2, 65536], 2, "65536"),
    ([5, -1], 1, "-1"), ([2**31], 0, str(2**31)), ([1, 2**64], 1, str(2**64)),
    ([65, 2**32 + 65], 1, str(2**32 + 65)),
    ([2**200], 0, str(2**200)), (np.array([5, -3], np.int64), 1, "-3"),
    (np.array([5, -3], np.int32), 1, "-3"), (np.array([70000], np.uint32), 0, "70000"),
    (np.array([1, 2**63], np.uint64), 1, str(2**63)), (array.array("h", [-2]), 0, "-2"),
])
def test_invalid_ids(tok, ids, position, shown):
    message = f"invalid token id {shown} at position {position}"
    for call in (tok.decode, tok.decode_bytes):
        with pytest.raises(ValueError, match=message):
            call(ids)


def test_bad_ids(tok):
    for bad in ["abc", b"abc", bytearray(b"a"), 5, None, [1.0], [1, "2"], [None],
                np.array([1.0, 2.0]), array.array("d", [1.0])]:
        with pytest.raises(TypeError):
            tok.decode(bad)
    with pytest.raises(ValueError, match="one-dimensional"):
        tok.decode(np.zeros((2, 2), np.int32))
    with pytest.raises(TypeError):
        tok.decode([1], errors=5)
    with pytest.raises(LookupError):
        tok.decode([1], errors="no-such-handler")


def test_decode_errors(tok):
    ids = tok.encode(b"ok \xe4\xbd then \xff end \xf0\x9f\x98")
    data = tok.decode_bytes(ids)
    for errors in ["replace", "ignore", "surrogateescape", "backslashreplace"]:
        assert tok.decode(ids, errors) == data.decode("utf-8", errors)
    assert tok.decode(ids) == data.decode("utf-8", "replace")
    with pytest.raises(UnicodeDecodeError) as raised:
        tok.decode(ids, "strict")
    assert (raised.value.start, raised.value.end) == (3, 5)
    assert raised.value.object == data


def test_token_bytes(tok):
    assert tok.token_bytes(0) == b""
    assert tok.token_bytes(1) == b"\x00" and tok.token_bytes(256) == b"\xff"
    assert tok.token_bytes(33155) == b"Hello"
    assert max(len(tok.token_bytes(i)) for i in range(65400, 65530)) <= 128
    for bad in [-1, 65530, 2**70]:
        with pytest.raises(ValueError, match="invalid token id"):
            tok.token_bytes(bad)
    with pytest.raises(TypeError):
        tok.token_bytes("1")


def test_truncate(tok):
    ids = tok.encode(TEXT)
    for budget in range(len(ids) + 2):
        prefix = tok.truncate(TEXT, budget)
        assert TEXT.startswith(prefix) and type(prefix) is str
        assert tok.count(prefix) <= budget
        data = TEXT.encode()
        prefix_bytes = tok.truncate(data, budget)
        assert type(prefix_bytes) is bytes and data.startswith(prefix_bytes)
        assert tok.encode(prefix_bytes) == ids[:len(tok.encode(prefix_bytes))]
        assert len(tok.encode(prefix_bytes)) == min(budget, len(ids))
        assert type(tok.truncate(bytearray(data), budget)) is bytearray
    assert tok.truncate(TEXT, 10**30) == TEXT
    with pytest.raises(ValueError):
        tok.truncate(TEXT, -1)
    with pytest.raises(TypeError):
        tok.truncate(TEXT, 1.5)


@SETTINGS
@given(st.text(alphabet=st.sampled_from("ab 你😀\u00e9\u0301\n"), max_size=40), st.integers(0, 45))
def test_truncate_is_longest(tok, text, budget):
    """No longer prefix that ends on a character boundary encodes to at most `budget` tokens."""
    prefix = tok.truncate(text, budget)
    assert text.startswith(prefix) and tok.count(prefix) <= budget
    for end in range(len(prefix) + 1, len(text) + 1):
        assert tok.count(text[:end]) > budget


def test_stream_decoder(tok):
    ids = tok.encode("a你好😀b")
    decoder = tok.stream_decoder()
    pieces = [decoder.push(i) for i in ids]
    assert "".join(pieces) + decoder.finish() == "a你好😀b"
    assert all(p in ("", "a", "你", "好", "😀", "b") for p in pieces)
    # Stop ids: the text ends, what is held back is flushed, and the next push begins anew.
    decoder = tok.stream_decoder(stop_ids=(0, 261))
    assert decoder.push(tok.encode("x")[0]) == "x" and not decoder.stopped
    first = tok.encode(b"\xe4\xbd")
    assert [decoder.push(i) for i in first] == [""] * len(first) and decoder.pending == 2
    assert decoder.push(261) == "\ufffd" and decoder.stopped
    assert decoder.push(tok.encode("y")[0]) == "y" and not decoder.stopped
    assert decoder.push(0) == "" and decoder.finish() == ""
    assert decoder.stopped, "finish leaves stopped as the last push set it"
    # With surrogatepass, a low surrogate's form is held back whole, as a high one's is.
    decoder = tok.stream_decoder(errors="surrogatepass", stop_ids=())
    pieces = [decoder.push(byte + 1) for byte in b"x\xed\xb0\x80"] + [decoder.finish()]
    assert "".join(pieces) == "x\udc00"
    for bad in [-1, 65530, 2**40]:
        with pytest.raises(ValueError, match="invalid token id"):
            decoder.push(bad)
    with pytest.raises(TypeError):
        decoder.push("1")
    with pytest.raises(ValueError):
        tok.stream_decoder(stop_ids=range(9))
    with pytest.raises(ValueError):
        tok.stream_decoder(stop_ids=[-1])
    with pytest.raises(LookupError):
        tok.stream_decoder(errors="nope")
    strict = tok.stream_decoder(errors="strict")
    strict.push(tok.encode(b"\xe4")[0])
    with pytest.raises(UnicodeDecodeError):
        strict.finish()


# Bytes that start, continue, complete or spoil UTF-8 sequences (surrogates' forms among them).
UTF8_PARTS = st.lists(st.sampled_from([
    b"a", b"\xed", b"\xa0", b"\x80", b"\xbf", b"\xe2", b"\x82", b"\xac", b"\xf0", b"\x9f",
    b"\x98", b"\xc3", b"\xa9", b"\xf4", b"\x90", b"\xff", b"\xc0", b"\xe0"]), max_size=16).map(b"".join)


@SETTINGS
@given(st.one_of(st.binary(max_size=80), UTF8_PARTS),
       st.sampled_from(["replace", "ignore", "surrogateescape", "backslashreplace",
                        "surrogatepass"]),
       st.booleans())
def test_stream_equals_one_shot(tok, data, errors, bytewise):
    ids = [byte + 1 for byte in data] if bytewise else tok.encode(data)
    decoder = tok.stream_decoder(errors=errors, stop_ids=())
    try:
        expected = data.decode("utf-8", errors)
    except UnicodeDecodeError:  # surrogatepass passes only surrogates
        with pytest.raises(UnicodeDecodeError):
            "".join(decoder.push(i) for i in ids) + decoder.finish()
        return
    assert "".join(decoder.push(i) for i in ids) + decoder.finish() == expected


def test_stream_holds_back_the_form_of_a_character(tok):
    """ED A0 is invalid UTF-8, but with 80 it is the form of a surrogate, which surrogatepass
    decodes: the bytes wait for what follows, as they would in one text."""
    decoder = tok.stream_decoder(errors="surrogatepass")
    pieces = [decoder.push(byte + 1) for byte in b"x\xed\xa0"]
    assert pieces == ["x", "", ""] and decoder.pending == 2
    assert decoder.push(0x80 + 1) == "\ud800" and decoder.pending == 0
    assert decoder.push(0xED + 1) == "" and decoder.pending == 1
    with pytest.raises(UnicodeDecodeError):  # as b"\xed".decode("utf-8", "surrogatepass")
        decoder.finish()
    # Other handlers take invalid bytes as they come: nothing waits that cannot become a character.
    for errors in ("strict", "replace"):
        decoder = tok.stream_decoder(errors=errors)
        assert decoder.push(ord("x") + 1) == "x"
        if errors == "strict":
            with pytest.raises(UnicodeDecodeError):
                decoder.push(0xFF + 1)
        else:
            assert decoder.push(0xFF + 1) == "\ufffd"
        assert decoder.pending == 0 and decoder.push(ord("y") + 1) == "y"


def test_from_blob(tok, world_blob, make_blob):
    world = rwkvtok.Tokenizer.from_blob(world_blob)
    assert world.encode(TEXT) == tok.encode(TEXT) and world.n_vocab == 65536
    assert rwkvtok.Tokenizer.from_blob(bytearray(world_blob)).decode(tok.encode(TEXT)) == TEXT
    lines = [f"{i + 1} {bytes([i])!r} 1" for i in range(256)] + ["257 'ab' 2", "258 b'abc' 3"]
    small = rwkvtok.Tokenizer.from_blob(make_blob(lines))
    assert small.encode("abcab!") == [258, 257, 34]
    assert small.token_count == 259 and small.n_vocab == 259
    with pytest.raises(ValueError, match="invalid token id 300"):
        small.decode([300])
    assert pickle.loads(pickle.dumps(small)).encode("abc") == [258]
    broken = bytearray(world_blob)
    broken[len(broken) // 2] ^= 0xFF
    for blob, words in [(b"", "truncated"), (b"x" * 100, ""), (world_blob[:1000], ""),
                        (bytes(broken), "")]:
        with pytest.raises(ValueError, match="not a valid rwkvtok blob: .*" + words):
            rwkvtok.Tokenizer.from_blob(blob)
    with pytest.raises(TypeError):
        rwkvtok.Tokenizer.from_blob("a str")
    with pytest.raises(TypeError):
        rwkvtok.Tokenizer()


def test_pickle(tok):
    copy = pickle.loads(pickle.dumps(tok))
    assert copy.encode(TEXT) == tok.encode(TEXT) and copy.n_vocab == 65536


def test_numpy_missing_gives_import_error():
    import subprocess
    import sys
    code = ("import sys; sys.modules['numpy'] = None\n"
            "import rwkvtok\n"
            "tok = rwkvtok.World(); assert tok.encode('abc') == [6891]\n"
            "try:\n    tok.encode_numpy('abc')\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "encode_numpy() needs numpy" in out.stdout and "pip install numpy" in out.stdout


def test_import_does_not_load_numpy():
    import subprocess
    import sys
    code = "import sys, rwkvtok; rwkvtok.World().encode('x'); print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_stubs_match_the_module():
    """_rwkvtok.pyi declares exactly the module's public names, classes' members and defaults."""
    import ast
    import inspect
    import pathlib

    from rwkvtok import _rwkvtok

    stub = ast.parse(pathlib.Path(_rwkvtok.__file__).with_name("_rwkvtok.pyi").read_text())

    def public(names):
        return {n for n in names if not n.startswith("_") or n == "__version__"}

    declared = {}
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {m.name: m for m in node.body
                                   if isinstance(m, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            declared[node.name] = node
        elif isinstance(node, ast.AnnAssign):
            declared[node.target.id] = node
    runtime = public(dir(_rwkvtok))
    assert public(declared) - {"Text", "Ids", "T"} == runtime
    for cls in (_rwkvtok.Tokenizer, _rwkvtok.StreamDecoder):
        assert public(declared[cls.__name__]) == public(vars(cls)), cls.__name__
        for name, function in declared[cls.__name__].items():
            member = getattr(cls, name)
            if isinstance(member, property) or not callable(member):
                continue
            stub_args = [a.arg for a in function.args.args if a.arg != "self"]
            signature = member.__nb_signature__[0][0]
            assert all(f"{a}" in signature for a in stub_args), (name, signature)


def test_decode_invalid_forms_the_fast_paths_must_refuse(tok):
    """The last bytes of an overlong 3-byte form and a low surrogate's form, after enough text for
    the vector code, and before dense non-ASCII text."""
    data = b"x" * 5000 + b"\xe0\x9f\xbf"
    assert tok.decode(tok.encode(data)) == "x" * 5000 + "\ufffd" * 3
    data = b"x" * 5000 + b"\xed\xb0\x80" + "\u00e9".encode() * 3000
    assert tok.decode(tok.encode(data)) == "x" * 5000 + "\ufffd" * 3 + "\u00e9" * 3000
    with pytest.raises(UnicodeDecodeError) as raised:
        tok.decode(tok.encode(data), "strict")
    assert (raised.value.start, raised.value.end) == (5000, 5001)


def test_decode_strided_buffers_of_every_width(tok):
    """Every other item of a buffer: each width the library reads in place, and its memoryview."""
    text = "hello world, \u4f60\u597d"
    ids = tok.encode(text)
    both = np.array([i for x in ids for i in (x, 65529)], np.int64)
    for dtype in (np.uint16, np.int32, np.uint32, np.int64):
        assert tok.decode(both.astype(dtype)[::2]) == text, dtype
        assert tok.decode(memoryview(both.astype(dtype))[::2]) == text, dtype


@pytest.mark.parametrize("other", ["é", "\xff", "Ā", "\u07ff", "你", "\uffff", "😀",
                                   "\U0010ffff"])
def test_decode_long_texts(tok, other):
    """Texts of 1 MB and more are made into a str by the module itself: every width, mostly ASCII
    or not at all, characters across its 16-byte steps, and invalid bytes (left to CPython)."""
    base = ("x" * 237 + other + "y" * 11 + other) * 5_000  # 1.25 MB, under 4% not ASCII
    dense = (other * 7 + "a") * 100_000
    for text in [base, other + base, base + other, "z" * 15 + other + base, dense,
                 "é" + dense, dense + "😀", "a" * 1_100_000]:
        data = text.encode()
        ids = tok.encode(data)
        assert tok.decode(ids) == text
        assert tok.decode(np.array(ids, np.uint32), "strict") == text
    for bad in [b"\xff", b"\xe4\xbd", b"\xed\xa0\x80", b"\xed\xb0\x80", b"\xc0\xaf", b"\xe0\x9f\xbf",
                b"\xf4\x90\x80\x80", b"\xf0\x9f\x98"]:
        for data in [base.encode() + bad, bad + base.encode(),
                     base.encode()[:700_001] + bad + base.encode()[700_001:]]:
            ids = tok.encode(data)
            assert tok.decode(ids) == data.decode("utf-8", "replace")
            assert tok.decode(ids, "surrogateescape") == data.decode("utf-8", "surrogateescape")
            with pytest.raises(UnicodeDecodeError) as raised:
                tok.decode(ids, "strict")
            with pytest.raises(UnicodeDecodeError) as expected:
                data.decode("utf-8")
            assert (raised.value.start, raised.value.end) == (expected.value.start,
                                                              expected.value.end)


class ClearsList:
    """An id whose __index__ empties the list it is in."""

    def __init__(self, owner):
        self.owner = owner

    def __index__(self):
        self.owner.clear()
        return 1


def test_ids_that_change_their_list(tok):
    for size in [3, 1_000, 100_000]:
        ids = [ClearsList(None)] + [1] * size
        ids[0].owner = ids
        with pytest.raises(RuntimeError, match="changed size"):
            tok.decode_bytes(ids)
    stops = [1, 2, 3]
    stops[0] = ClearsList(stops)
    decoder = tok.stream_decoder(stop_ids=stops)  # read from a copy: no harm
    assert decoder.push(3) == "" and decoder.stopped


def test_exceptions_of_index_pass_through(tok):
    class Raises:
        def __index__(self):
            raise OverflowError("mine")

    with pytest.raises(OverflowError, match="mine"):
        tok.decode([1, Raises()])


def test_rejected_buffers_are_released(tok):
    data = bytearray(b"\xff" * 8)
    view = memoryview(data).cast("q")
    with pytest.raises(ValueError):
        tok.decode(view)  # -1: not an id
    view.release()
    data.append(1)  # resizable again: no export left
    for bad in [np.zeros(4), np.zeros((2, 2), np.int32), np.array([-1, 5], np.int64)]:
        before = sys.getrefcount(bad)
        for _ in range(20):
            with pytest.raises((TypeError, ValueError)):
                tok.decode_bytes(bad)
        assert sys.getrefcount(bad) == before
    text = np.zeros((2, 3), np.uint8)
    before = sys.getrefcount(text)
    for call in (tok.encode, tok.count, lambda t: tok.truncate(t, 1)):
        with pytest.raises(TypeError, match="one-dimensional"):
            call(text)
    assert sys.getrefcount(text) == before


def test_non_contiguous_text(tok):
    for text in [np.frombuffer(b"abcdef", np.uint8)[::2], memoryview(b"abcdef")[::2]]:
        with pytest.raises(BufferError, match="contiguous"):
            tok.encode(text)


def test_batch_keeps_the_collectors_state(tok):
    import gc
    try:
        gc.disable()
        tok.encode_batch(["abc"] * 100)
        assert not gc.isenabled()
        gc.enable()
        tok.encode_batch(["abc"] * 100)
        assert gc.isenabled()
    finally:
        gc.enable()


def test_ids_from_buffers_without_strides(tok):
    """ctypes arrays export their items with neither shape nor strides."""
    ids = tok.encode(TEXT)
    for kind in (ctypes.c_uint16, ctypes.c_uint32, ctypes.c_int32, ctypes.c_int64, ctypes.c_uint8):
        if kind is ctypes.c_uint8:
            assert tok.decode_bytes((kind * 2)(72, 105)) == b"Gh"
            continue
        assert tok.decode((kind * len(ids))(*ids)) == TEXT
    with pytest.raises(ValueError, match="invalid token id -1 at position 1"):
        tok.decode((ctypes.c_int32 * 2)(5, -1))


def test_calls_from_finalizers_while_a_list_is_made(tok):
    """The collector runs finalizers inside the allocations that make a list: one that calls
    the same tokenizer on the same thread must not touch the memory the first call is using."""
    text = "The quick brown fox jumps over the lazy dog. " * 50
    expected = tok.encode(text)

    class CallsOnCollection:
        def __init__(self, call):
            self.me, self.call = self, call  # a cycle: freed only by the collector

        def __del__(self):
            self.call()

    encode, threshold = tok.encode, gc.get_threshold()
    try:
        for call in (lambda: tok.encode("x" * 1000), lambda: tok.encode("y" * 3_000_000),
                     lambda: tok.encode("zé" * 1000), lambda: tok.decode(expected)):
            for _ in range(5):
                gc.collect()
                CallsOnCollection(call)
                gc.set_threshold(1)  # the next new list collects
                got = encode(text)
                gc.set_threshold(*threshold)
                assert got == expected
    finally:
        gc.set_threshold(*threshold)


def test_unprintable_int_subclasses(tok):
    class Odd(int):
        def __str__(self):
            return "\ud800"

        def __repr__(self):
            raise RuntimeError("not called")

    with pytest.raises(ValueError, match="invalid token id 1180591620717411303424 at position 0"):
        tok.decode([Odd(2**70)])
    with pytest.raises(ValueError, match="invalid token id 1180591620717411303424"):
        tok.stream_decoder().push(Odd(2**70))
    with pytest.raises(ValueError, match="an int too long to write out"):
        tok.decode([10**5000])


def test_batch_leaves_strs_as_they_were(tok):
    """CPython would keep a str's UTF-8 with it for as long as the str lives."""
    texts = ["日本語のテキスト%d" % i * 1000 for i in range(20)] + ["ascii"]
    sizes = [sys.getsizeof(t) for t in texts]
    assert tok.encode_batch(texts, num_threads=2) == [tok.encode(t) for t in texts]
    assert [sys.getsizeof(t) for t in texts] == sizes
    with pytest.raises(UnicodeEncodeError):  # the first bad text raises, as encode() would
        tok.encode_batch(["a", "b\ud800", 5])
    with pytest.raises(TypeError):
        tok.encode_batch(["a", 5, "b\ud800"])


def test_error_handler_names_with_null(tok):
    for call in (lambda: tok.decode([33], errors="strict\0junk"),
                 lambda: tok.stream_decoder(errors="strict\0junk")):
        with pytest.raises(ValueError, match="embedded null character"):
            call()


def test_messages_for_texts_that_are_not(tok):
    released = memoryview(b"hi")
    released.release()
    with pytest.raises(ValueError, match="released"):
        tok.encode(released)
    with pytest.raises(TypeError, match="4-byte items"):
        tok.encode(np.zeros(6, np.int32)[::2])  # not text, however its items lie
    # Whatever encode() takes as one text, encode_batch() refuses as a sequence of texts.
    for one in (memoryview(b"abc"), np.frombuffer(b"abc", np.uint8), bytearray(b"abc"),
                np.array([True, False])):
        tok.encode(one)
        with pytest.raises(TypeError, match="takes a sequence of texts, not one"):
            tok.encode_batch(one)
    assert tok.encode_batch(np.array(["ab", "cd"])) == [tok.encode("ab"), tok.encode("cd")]
