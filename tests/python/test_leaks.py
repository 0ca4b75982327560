"""No leaks: 100,000 calls of every kind keep the RSS flat and every object's refcount unchanged."""

import gc
import sys

import numpy as np
import pytest

import rwkvtok


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    pytest.skip("no /proc/self/status")


def calls(tok):
    text = "Hello, world! 你好 😀"
    data = text.encode()
    ids = tok.encode(text)
    ids_array = np.array(ids, np.uint16)
    bad_ids = [1, 65530]

    def run(i):
        tok.encode(text)
        tok.encode(data)
        tok.decode(ids)
        tok.decode_bytes(ids_array)
        tok.count(data)
        tok.truncate(text, 3)
        tok.token_bytes(ids[i % len(ids)])
        if i % 10 == 0:
            tok.encode_numpy(text)
            tok.encode_batch([text, data], num_threads=2)
            decoder = tok.stream_decoder()
            for t in ids:
                decoder.push(t)
            decoder.finish()
        for bad in (lambda: tok.decode(bad_ids), lambda: tok.encode(5),
                    lambda: tok.decode(b"\xff", "strict"), lambda: tok.encode("\ud800")):
            try:
                bad()
            except (ValueError, TypeError, UnicodeError):
                pass

    return run, [text, data, ids, ids_array, bad_ids]


def test_no_leaks(tok):
    run, objects = calls(tok)
    for i in range(2_000):  # warm up: caches, the id objects, the allocator's pools
        run(i)
    gc.collect()
    refcounts = [sys.getrefcount(o) for o in objects]
    start = rss_kb()
    for i in range(100_000):
        run(i)
    gc.collect()
    grown = rss_kb() - start
    assert [sys.getrefcount(o) for o in objects] == refcounts
    assert grown < 2_048, f"RSS grew by {grown} KB over 100,000 rounds"


def test_tokenizers_and_decoders_are_freed(tok, world_blob):
    gc.collect()
    start = rss_kb()
    for _ in range(300):  # 300 copies of a 1 MB blob would be 300 MB
        small = rwkvtok.Tokenizer.from_blob(world_blob)
        decoder = small.stream_decoder()
        del small
        decoder.push(33155)
        del decoder
    gc.collect()
    assert rss_kb() - start < 20_000
