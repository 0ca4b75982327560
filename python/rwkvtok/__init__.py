"""rwkvtok: the RWKV World tokenizer (rwkv_vocab_v20230424), exact and fast.

    import rwkvtok
    tok = rwkvtok.World()
    ids = tok.encode("Hello, world!")      # [33155, 45, 40213, 34]
    tok.decode(ids)                        # 'Hello, world!'

The vocabulary is compiled into the extension module: nothing is read or parsed at import.
`rwkvtok.compat.TRIE_TOKENIZER` is a drop-in for the `rwkv` package's tokenizer;
`rwkvtok.binidx` writes and reads RWKV-LM's binidx datasets.
"""

from ._rwkvtok import ABI_VERSION, StreamDecoder, Tokenizer, World, __version__, encode_path
from . import binidx, compat

__all__ = ["World", "Tokenizer", "StreamDecoder", "encode_path", "binidx", "compat",
           "ABI_VERSION", "__version__"]


def _unpickle(blob):
    """Tokenizers pickle as this call (for multiprocessing): World, or the blob's."""
    return World() if blob is None else Tokenizer.from_blob(blob)
