"""The extension module; import these from `rwkvtok` (BinidxError from `rwkvtok.binidx`)."""

from typing import Any, Iterable, Optional, Sequence, TypeVar, Union

from typing_extensions import Buffer

# A text: a str (encoded as UTF-8) or a bytes-like object of single bytes (bytes, bytearray,
# memoryview, a numpy uint8 array), taken byte for byte.
Text = Union[str, Buffer]
T = TypeVar("T", str, bytes, bytearray, memoryview)
# Ids: a sequence of ints, or a buffer of integers (array.array, memoryview, numpy array).
Ids = Union[Sequence[int], Buffer]

__version__: str
ABI_VERSION: int

def World() -> Tokenizer:
    """The built-in World vocabulary (rwkv_vocab_v20230424). Free: no file, no parsing."""

def encode_path() -> str:
    """How encoding walks long texts on this CPU: "lanes/<target>" (vector lanes, e.g.
    "lanes/AVX3") or "plain". The ids are the same either way."""

class BinidxError(ValueError):
    """A damaged dataset or an I/O error in rwkvtok.binidx, with its one-line message."""

class Tokenizer:
    """An immutable tokenizer. One object may be used by many threads at once."""

    @staticmethod
    def from_blob(blob: Buffer) -> Tokenizer:
        """A tokenizer for a blob made by rwkvtok_gen, copied and validated. Raises ValueError
        with the library's message when the blob is not valid."""
    def encode(self, text: Text) -> list[int]:
        """Greedy longest match over the bytes of `text`. A str with a lone surrogate raises
        UnicodeEncodeError, as str.encode does."""
    def encode_numpy(self, text: Text, dtype: Any = None) -> Any:
        """As encode, into a new numpy array of dtype uint16 (the default), int32 or uint32,
        written in place. Needs numpy (ImportError without it)."""
    def encode_batch(self, texts: Iterable[Text], num_threads: Optional[int] = None) -> list[list[int]]:
        """[self.encode(t) for t in texts], on `num_threads` threads (None: one per CPU) with
        the GIL released."""
    def decode(self, ids: Ids, errors: str = "replace") -> str:
        """The tokens' bytes decoded as bytes.decode('utf-8', errors) does: "strict" raises
        UnicodeDecodeError, "replace" gives U+FFFD per maximal invalid subpart, "ignore" drops
        them; any other registered error handler works too. An invalid id raises ValueError
        naming it and its position; id 0 (end of text) decodes to nothing."""
    def decode_bytes(self, ids: Ids) -> bytes:
        """The tokens' bytes, joined."""
    def count(self, text: Text) -> int:
        """len(self.encode(text)), without building the list."""
    def truncate(self, text: T, max_tokens: int) -> T:
        """The longest prefix of `text` (of the same type) that encodes to at most
        `max_tokens` tokens; for a str it also ends on a character boundary."""
    def token_bytes(self, id: int) -> bytes:
        """The bytes of one token (b"" for id 0)."""
    def stream_decoder(self, errors: str = "replace", stop_ids: Sequence[int] = (0,)) -> StreamDecoder:
        """A decoder for generation loops: ids in one at a time, whole characters out."""
    @property
    def n_vocab(self) -> int:
        """The id space of the models: 65536 for World (ids 65530..65535 are reserved and name
        no token); token_count for other vocabularies."""
    @property
    def eot_token(self) -> int:
        """The end-of-text id: 0."""
    @property
    def max_token_length(self) -> int:
        """The longest token, in bytes (128 for World)."""
    @property
    def token_count(self) -> int:
        """Every valid id is below it (65530 for World)."""
    @property
    def vocab_checksum(self) -> int:
        """Identifies the vocabulary."""

class StreamDecoder:
    """Made by Tokenizer.stream_decoder. Characters split across tokens are held back until they
    are complete; invalid bytes are handled by `errors` as bytes.decode would."""

    def push(self, id: int) -> str:
        """The text that this id completes. A stop id ends the text: what is held back is
        flushed, `stopped` becomes True, and the next push begins a new text."""
    def finish(self) -> str:
        """Ends the text: flushes what is held back (an unfinished character is invalid)."""
    @property
    def stopped(self) -> bool:
        """Whether the last push was a stop id (finish() leaves it as it is)."""
    @property
    def pending(self) -> int:
        """Bytes of an unfinished character held back now (0..3)."""
