"""The ids equal the reference's: on the public corpus, and on generated str and bytes."""

import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import corpus_dir, corpus_stems, read_ids

SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("stem", corpus_stems("public") or ["(no corpus)"])
def test_public_corpus(tok, reference, stem):
    if stem == "(no corpus)":
        pytest.skip("no ../shared/corpus/public beside the checkout")
    data = (corpus_dir("public") / f"{stem}.txt").read_bytes()
    expected = read_ids(corpus_dir("public") / f"{stem}.ids")
    assert tok.encode(data) == expected
    assert tok.encode_numpy(data).tolist() == expected
    assert tok.count(data) == len(expected)
    assert tok.decode_bytes(expected) == data
    assert tok.decode(expected) == data.decode("utf-8", "replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert tok.encode(text) == expected
    if len(data) <= 200_000:  # the reference takes ~0.2 s per 1 MB
        assert reference.encode(text) == expected


def long_tokens(tok, minimum):
    return [b for b in (tok.token_bytes(i) for i in range(1, tok.token_count)) if len(b) >= minimum]


@pytest.fixture(scope="module")
def long_token_list(tok):
    return long_tokens(tok, 8)


@SETTINGS
@given(st.text(max_size=300))
def test_str(tok, reference, text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            tok.encode(text)
        return
    assert tok.encode(text) == reference.encode(text)


@SETTINGS
@given(st.binary(max_size=300))
def test_bytes(tok, reference, data):
    ids = reference.encodeBytes(data)
    assert tok.encode(data) == ids
    assert tok.encode(bytearray(data)) == ids
    assert tok.encode(memoryview(data)) == ids
    assert tok.decode_bytes(ids) == data


@SETTINGS
@given(st.lists(st.sampled_from([b"\xe4", b"\xbd", b"\xa0", b"\xf0\x9f", b"\x98\x80", b"\xff",
                                 b"a", b" ", b"\n", b"\xc3", b"\xa9", b"\xed\xa0\x80"]),
                max_size=60).map(b"".join))
def test_invalid_utf8(tok, reference, data):
    ids = tok.encode(data)
    assert ids == reference.encodeBytes(data)
    for errors in ("strict", "replace", "ignore", "surrogateescape", "backslashreplace"):
        try:
            expected = data.decode("utf-8", errors)
        except UnicodeDecodeError as error:
            with pytest.raises(UnicodeDecodeError) as raised:
                tok.decode(ids, errors)
            assert (raised.value.start, raised.value.end, raised.value.reason) == \
                (error.start, error.end, error.reason)
        else:
            assert tok.decode(ids, errors) == expected


@SETTINGS
@given(st.data())
def test_near_misses_of_long_tokens(tok, reference, long_token_list, data):
    """Long tokens cut short, with a byte changed, glued to each other or to noise."""
    pieces = []
    for _ in range(data.draw(st.integers(1, 6))):
        token = data.draw(st.sampled_from(long_token_list))
        kind = data.draw(st.integers(0, 3))
        if kind == 1:
            token = token[:data.draw(st.integers(1, len(token) - 1))]
        elif kind == 2:
            at = data.draw(st.integers(0, len(token) - 1))
            token = token[:at] + bytes([data.draw(st.integers(0, 255))]) + token[at + 1:]
        elif kind == 3:
            token = token + data.draw(st.binary(max_size=3))
        pieces.append(token)
    text = b"".join(pieces)
    assert tok.encode(text) == reference.encodeBytes(text)


def test_long_runs(tok, reference):
    rng = random.Random(7)
    for byte in [b" ", b"\n", b"a", b"=", b"-", b"\x00", b"\xff", "你".encode(), b"ab"]:
        for count in [1, 2, 3, 15, 16, 17, 127, 128, 129, 1000, rng.randrange(2000, 5000)]:
            text = byte * count
            assert tok.encode(text) == reference.encodeBytes(text), (byte, count)


def test_long_random_text_takes_every_path(tok, reference):
    """Texts long enough for the vector lanes (if this CPU has them), from the vocabulary's own
    tokens and random bytes, against the reference."""
    rng = random.Random(11)
    tokens = long_tokens(tok, 1)
    for size in [100_000, 300_000]:
        parts, total = [], 0
        while total < size:
            piece = rng.choice(tokens) if rng.random() < 0.9 else rng.randbytes(rng.randrange(1, 8))
            parts.append(piece)
            total += len(piece)
        text = b"".join(parts)
        expected = reference.encodeBytes(text)
        assert tok.encode(text) == expected
        assert tok.encode_numpy(text).tolist() == expected
        assert tok.encode_batch([text, text[:1000]], num_threads=2) == [expected,
                                                                       reference.encodeBytes(text[:1000])]


def test_str_of_every_kind(tok):
    """A str's UTF-8 is made by the module for each of CPython's three widths, 16 characters at a
    time where they are ASCII: every offset of a non-ASCII character around those blocks."""
    for other in ["é", "\xff", "Ā", "你", "\uffff", "😀", "\U0010ffff"]:
        for length in [1, 15, 16, 17, 31, 32, 33, 70]:
            for at in range(length):
                text = "a" * at + other + "b" * (length - at - 1)
                assert tok.encode(text) == tok.encode(text.encode("utf-8")), (other, length, at)
    for surrogate in ["\ud800", "\udfff"]:
        for text in [surrogate, "é" + surrogate, "x" * 20 + surrogate + "你", "😀" * 17 + surrogate]:
            with pytest.raises(UnicodeEncodeError) as raised:
                tok.encode(text)
            assert raised.value.start == text.index(surrogate)
