"""encode_batch equals the loop on any number of threads; one tokenizer serves many threads."""

import os
import random
import shutil
import subprocess
import sys
import threading

import pytest

import rwkvtok


def documents(count, seed):
    rng = random.Random(seed)
    words = ["Hello", " world", "你好", "😀", "\n", " def", " f(x):", "\xff", "  ", "ab", "🌍🌍"]
    docs = []
    for i in range(count):
        pieces = [rng.choice(words) for _ in range(rng.randrange(0, 200))]
        text = "".join(pieces)
        if i % 3 == 0:
            docs.append(text.encode("utf-8", "surrogatepass") + rng.randbytes(rng.randrange(3)))
        elif i % 3 == 1:
            docs.append(bytearray(text.encode()))
        else:
            docs.append(text)
    return docs


@pytest.mark.parametrize("threads", [1, 2, 3, 4, 8, 64, None])
def test_batch_equals_loop(tok, threads):
    docs = documents(500, threads or 0) + ["", b"", "x" * 200_000]
    assert tok.encode_batch(docs, num_threads=threads) == [tok.encode(d) for d in docs]


def test_batch_inputs(tok):
    assert tok.encode_batch([]) == []
    assert tok.encode_batch(iter(["a", "b"])) == [[98], [99]]
    assert tok.encode_batch(("Hello",), num_threads=1) == [[33155]]
    for bad in ["a str", b"bytes", bytearray(b"x"), 5, None]:
        with pytest.raises(TypeError):
            tok.encode_batch(bad)
    with pytest.raises(TypeError):
        tok.encode_batch(["a", 5])
    with pytest.raises(UnicodeEncodeError):
        tok.encode_batch(["a", "\ud800"])
    for bad in [0, -1]:
        with pytest.raises(ValueError, match="num_threads"):
            tok.encode_batch(["a"], num_threads=bad)
    with pytest.raises(TypeError):
        tok.encode_batch(["a"], num_threads=1.5)


def test_batch_windows(tok):
    """A batch larger than one window (1 MB of text per thread) is encoded window by window."""
    doc = "Hello, world! 你好 " * 100_000  # 2.3 MB
    ids = tok.encode(doc)
    result = tok.encode_batch([doc] * 20, num_threads=2)
    assert len(result) == 20 and all(r == ids for r in result)


def test_python_threads_share_one_tokenizer(tok):
    docs = documents(200, 99) + ["long " * 40_000]
    expected = [tok.encode(d) for d in docs]
    expected_text = [tok.decode(ids) for ids in expected]
    failures = []
    barrier = threading.Barrier(8)

    def work(seed):
        barrier.wait()
        order = list(range(len(docs)))
        random.Random(seed).shuffle(order)
        for i in order:
            if tok.encode(docs[i]) != expected[i] or tok.decode(expected[i]) != expected_text[i]:
                failures.append(i)
        if tok.encode_batch(docs, num_threads=2) != expected:
            failures.append("batch")

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_long_calls_release_the_gil(tok):
    """Another Python thread runs while one encodes a long text."""
    text = b"Hello, world! " * 2_000_000  # 28 MB: a few hundred ms
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    before = len(ticks)
    tok.encode_numpy(text)
    during = len(ticks) - before
    done.set()
    ticker.join()
    assert during >= 5, during


SHIM = r"""
#include <cstdlib>
#include <new>
#include <pthread.h>
static pthread_t main_thread = pthread_self();
// Large allocations fail on every thread but the main one.
void* operator new(std::size_t n) {
  if (n >= 100000 && !pthread_equal(pthread_self(), main_thread)) throw std::bad_alloc();
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
"""


def test_batch_out_of_memory_on_a_thread_is_a_memory_error(tmp_path):
    """Memory that a C++ thread of encode_batch cannot have is a MemoryError, not an abort."""
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.skip("no g++ to build the allocation shim")
    (tmp_path / "shim.cc").write_text(SHIM)
    shim = tmp_path / "shim.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(shim), str(tmp_path / "shim.cc")],
                   check=True)
    program = ("import rwkvtok\n"
               "try:\n"
               "    rwkvtok.World().encode_batch(['hello world ' * 100] * 20000, num_threads=2)\n"
               "except MemoryError:\n"
               "    print('MemoryError')\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            env={**os.environ, "LD_PRELOAD": str(shim)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "MemoryError\n"
