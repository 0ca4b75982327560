"""A drop-in for the `rwkv` package's tokenizer, `rwkv.rwkv_tokenizer.TRIE_TOKENIZER`.

    pipeline = rwkv.utils.PIPELINE(model, "rwkv_vocab_v20230424")
    pipeline.tokenizer = rwkvtok.compat.TRIE_TOKENIZER()

Same methods, attributes, results and exceptions as the reference on the same inputs, quirks
included: `decode` returns a single '\\ufffd' on any failure (an invalid id, id 0, invalid UTF-8),
`decodeBytes` raises KeyError for an id that names no token, `encode` takes only str and
`encodeBytes` any sequence of byte values. The rules of rwkvtok's own API do not apply here.
"""

import array
import hashlib
from typing import Dict, Iterable, List, Optional

from ._rwkvtok import World

# sha256 of rwkv_vocab_v20230424.txt with LF line endings: the only vocabulary this class serves.
_WORLD_SHA256 = "e6dee3d4e31b4d5c40ac99508ac6c701ceef4bed681bf2167ce9a908552bca89"


class TRIE_TOKENIZER:
    def __init__(self, file_name: Optional[str] = None) -> None:
        """`file_name` may name the World vocabulary file (as the reference requires); any other
        vocabulary raises ValueError: build its blob with rwkvtok_gen and use
        rwkvtok.Tokenizer.from_blob. None (the default) needs no file."""
        if file_name is not None:
            with open(file_name, "r", encoding="utf-8") as f:  # the reference reads it so
                text = f.read()
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != _WORLD_SHA256:
                raise ValueError(
                    f"{file_name} is not the World vocabulary (rwkv_vocab_v20230424): "
                    "rwkvtok.compat serves only that one; for another, build a blob with "
                    "rwkvtok_gen and use rwkvtok.Tokenizer.from_blob")
        self._tok = World()
        self._idx2token: Optional[Dict[int, bytes]] = None
        self._token2idx: Optional[Dict[bytes, int]] = None

    # The reference builds these dicts at once; here they are made on first use.
    @property
    def idx2token(self) -> Dict[int, bytes]:
        if self._idx2token is None:
            token_bytes = self._tok.token_bytes
            table = {}
            for i in range(1, self._tok.token_count):
                try:
                    table[i] = token_bytes(i)
                except ValueError:  # a gap in the ids
                    pass
            self._idx2token = _TokenDict(table)
            self._idx2token.changed = False  # made, not changed
        return self._idx2token

    @idx2token.setter
    def idx2token(self, value: Dict[int, bytes]) -> None:
        self._idx2token = value

    @property
    def token2idx(self) -> Dict[bytes, int]:
        if self._token2idx is None:
            self._token2idx = {v: k for k, v in self.idx2token.items()}
        return self._token2idx

    @token2idx.setter
    def token2idx(self, value: Dict[bytes, int]) -> None:
        self._token2idx = value

    def encodeBytes(self, src) -> List[int]:
        # Read whole only where indexing it is the buffer's own (no subclass may redefine it).
        if type(src) in (bytes, bytearray) or (_plain_buffer(src) and _is_byte_buffer(src)):
            return self._tok.encode(src)
        return self._tok.encode(_byte_values(src))

    def decodeBytes(self, tokens: Iterable[int]) -> bytes:
        # The fast path takes what it can read twice, whose iteration no subclass redefines, of
        # ints and bools only, and leaves id 0 (not a key of idx2token) and anything it refuses
        # to the reference's own dict lookups, which then decide: KeyError, or a key that works
        # (1.0 finds token 1). So only ints are ever compared with 0, as the reference compares
        # none. A changed or replaced idx2token is the reference's table too: then only it
        # decides.
        table = self._idx2token
        unchanged = table is None or (type(table) is _TokenDict and not table.changed)
        if unchanged and (type(tokens) in (list, tuple) or _plain_buffer(tokens)):
            try:
                decoded = self._tok._decode_bytes_of_ints(tokens)
            except (ValueError, TypeError):
                pass
            else:
                if 0 not in tokens:
                    return decoded
        return b"".join(map(lambda i: self.idx2token[i], tokens))

    def encode(self, src: str) -> List[int]:
        if type(src) is str:
            return self._tok.encode(src)
        return self.encodeBytes(src.encode("utf-8"))

    def decode(self, tokens: Iterable[int]) -> str:
        try:
            return self.decodeBytes(tokens).decode("utf-8")
        except:  # noqa: E722 -- as the reference: any failure at all
            return "\ufffd"

    def printTokens(self, tokens: Iterable[int]) -> None:
        for i in tokens:
            s = self.idx2token[i]
            try:
                s = s.decode("utf-8")
            except:  # noqa: E722 -- as the reference
                pass
            print(f"{repr(s)}{i}", end=" ")
        print()


class _TokenDict(dict):
    """idx2token as made here: a dict that notes any change made to it."""

    changed = False

    def __reduce__(self):
        # Made again from a plain dict, not item by item: a copy is unchanged if this was.
        return (_rebuild_token_dict, (dict(self), self.changed))


def _noting_change(name):
    method = getattr(dict, name)

    def changing(self, *args, **kwargs):
        self.changed = True
        return method(self, *args, **kwargs)

    changing.__name__ = name
    return changing


def _rebuild_token_dict(items, changed):
    table = _TokenDict(items)
    table.changed = changed
    return table


for _name in ("__init__", "__setitem__", "__delitem__", "__ior__", "clear", "pop", "popitem",
              "setdefault", "update"):
    setattr(_TokenDict, _name, _noting_change(_name))
del _name


def _plain_buffer(obj) -> bool:
    """Whether obj is a buffer of a type whose items are its buffer's: bytes, bytearray,
    memoryview, array.array or numpy.ndarray themselves, not subclasses, which may redefine
    iteration, indexing or len()."""
    kind = type(obj)
    return kind in (bytes, bytearray, memoryview, array.array) or (
        kind.__name__ == "ndarray" and kind.__module__ == "numpy")


def _is_byte_buffer(obj) -> bool:
    try:
        view = memoryview(obj)
    except TypeError:
        return False
    # Signed bytes too: the reference reads -1 as the entry 255, the same byte.
    return view.ndim == 1 and view.format in ("B", "b") and view.c_contiguous


# Indexed as the reference's trie indexes its lists of 256 children, so that an item is taken,
# or refused with the same exception and message, as it is there.
_BYTE_OF = list(range(256))


def _byte_values(src) -> bytes:
    """The bytes that the reference's trie walk reads from `src`: it indexes a 256-entry list
    with src[i], so items are ints (or have __index__) from -256 to 255, negative ones counting
    from the end."""
    out = bytearray()
    i = 0
    while i < len(src):  # len() each time, as the reference's loop: a sequence may say anything
        value = _BYTE_OF[src[i]]
        if type(value) is list:  # a slice item: the reference then reads .values of a list
            raise AttributeError("'list' object has no attribute 'values'")
        out.append(value)
        i += 1
    return bytes(out)
