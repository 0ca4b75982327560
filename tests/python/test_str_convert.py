"""The module's own conversions between str and UTF-8 (python/str_convert.cc), on every vector
target of this CPU that they were compiled for: a str encodes to the ids of str.encode()'s bytes, a
lone surrogate raises str.encode()'s UnicodeEncodeError, and decode() equals bytes.decode() on
valid and invalid UTF-8 with each error handler, long texts included (they take the module's
decoder)."""

import random

import pytest

from rwkvtok import _rwkvtok

# Texts at least this long are decoded by the module rather than by CPython.
LONG = 4096

# Characters by the length of their UTF-8, with the str kinds they make.
RANGES = {
    "ascii": [(0x00, 0x7F)],
    "latin1": [(0x80, 0xFF)],
    "two": [(0x100, 0x7FF)],
    "three": [(0x800, 0xD7FF), (0xE000, 0xFFFF)],
    "four": [(0x10000, 0x10FFFF)],
}
CLASSES = list(RANGES)


@pytest.fixture(params=_rwkvtok._str_targets())
def target(request):
    yield _rwkvtok._use_str_target(request.param)
    _rwkvtok._use_str_target(None)


def character(rng, name):
    low, high = rng.choice(RANGES[name])
    return chr(rng.randint(low, high))


def random_text(rng, length):
    """Runs of one class, or every character of its own, so that vector steps meet both."""
    mode = rng.randrange(4)
    if mode == 0:  # one class throughout, sometimes with one character of another
        name = rng.choice(CLASSES)
        chars = [character(rng, name) for _ in range(length)]
        if chars and rng.random() < 0.5:
            chars[rng.randrange(length)] = character(rng, rng.choice(CLASSES))
        return "".join(chars)
    if mode == 1:  # mixed character by character
        return "".join(character(rng, rng.choice(CLASSES)) for _ in range(length))
    chars = []
    while len(chars) < length:  # runs
        name = rng.choice(CLASSES)
        chars.extend(character(rng, name) for _ in range(rng.randint(1, 40)))
    return "".join(chars[:length])


def lengths(rng):
    return [rng.randint(0, 80) for _ in range(150)] + [rng.randint(LONG // 3, 3 * LONG) for _ in range(25)]


def test_str_targets_include_the_best_and_scalar():
    targets = _rwkvtok._str_targets()
    assert targets and targets[-1] in ("SCALAR", "EMU128")
    with pytest.raises(ValueError, match="no str target"):
        _rwkvtok._use_str_target("NO_SUCH_TARGET")
    assert _rwkvtok._use_str_target(None) == targets[0]


def test_encode_str_is_encode_of_its_utf8(tok, target):
    rng = random.Random(f"encode {target}")
    for length in lengths(rng):
        text = random_text(rng, length)
        utf8 = text.encode()
        ids = tok.encode(text)
        assert ids == tok.encode(utf8), (target, length)
        assert tok.decode_bytes(ids) == utf8
        assert tok.count(text) == len(ids)
        assert tok.encode_numpy(text).tolist() == ids


def test_encode_str_with_a_lone_surrogate_raises_as_str_encode(tok, target):
    rng = random.Random(f"surrogate {target}")
    for length in lengths(rng)[::3]:
        text = list(random_text(rng, length + 1))
        at = rng.randrange(len(text))
        text[at] = chr(rng.randint(0xD800, 0xDFFF))
        text = "".join(text)
        with pytest.raises(UnicodeEncodeError) as expected:
            text.encode()
        with pytest.raises(UnicodeEncodeError) as got:
            tok.encode(text)
        assert (got.value.start, got.value.end, got.value.reason) == (
            expected.value.start,
            expected.value.end,
            expected.value.reason,
        )


def mutate(rng, data):
    """Invalid UTF-8: stray, missing or wrong bytes, overlong forms, surrogates, too-large code
    points, anywhere and at the middle, where the module's decoder splits its work."""
    data = bytearray(data)
    bad = [b"\x80", b"\xbf\xbf\xbf\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xe0\x9f\xbf",
           b"\xed\xa0\x80", b"\xed\xb0\x80", b"\xed\xbf\xbf", b"\xf0\x80\x80\xaf",
           b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\xe4\xb8",
           b"\xf0\x9f\x98"]
    for _ in range(rng.randint(1, 3)):
        at = rng.choice([rng.randint(0, len(data)), len(data) // 2 + rng.randint(-4, 4)])
        at = max(0, min(at, len(data)))
        if rng.random() < 0.5:
            data[at:at] = rng.choice(bad)
        elif data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
    return bytes(data)


def test_decode_is_bytes_decode(tok, target):
    rng = random.Random(f"decode {target}")
    for length in lengths(rng):
        data = random_text(rng, length).encode()
        if rng.random() < 0.4:
            data = mutate(rng, data)
        ids = tok.encode(data)
        for errors in ("replace", "ignore"):
            assert tok.decode(ids, errors) == data.decode("utf-8", errors), (target, errors)
        try:
            expected = data.decode()
        except UnicodeDecodeError as error:
            with pytest.raises(UnicodeDecodeError) as got:
                tok.decode(ids, "strict")
            assert (got.value.start, got.value.end, got.value.reason) == (
                error.start,
                error.end,
                error.reason,
            )
        else:
            assert tok.decode(ids, "strict") == expected


@pytest.mark.parametrize("kind", CLASSES)
def test_decode_makes_the_narrowest_str(tok, target, kind):
    """CPython compares strs of different widths as unequal: each must be made at its own."""
    rng = random.Random(f"kind {target} {kind}")
    text = "a" * LONG + "".join(character(rng, kind) for _ in range(100))
    assert tok.decode(tok.encode(text)) == text
