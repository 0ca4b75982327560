"""Random calls of every kind on rwkvtok's Python API (atheris): none may crash the interpreter,
raise anything but the documented exceptions, or disagree with the module's own invariants.

    .venv/bin/python tests/python/fuzz_module.py -max_total_time=30
"""

import sys

import atheris

with atheris.instrument_imports():
    import rwkvtok

TOK = rwkvtok.World()
ALLOWED = (ValueError, TypeError, UnicodeError, LookupError, BufferError)
ERRORS = ["replace", "strict", "ignore", "surrogateescape", "backslashreplace", "nope", 5]


@atheris.instrument_func
def one_input(data):
    fdp = atheris.FuzzedDataProvider(data)
    kind = fdp.ConsumeIntInRange(0, 7)
    try:
        if kind == 0:
            raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 400))
            ids = TOK.encode(raw)
            assert TOK.decode_bytes(ids) == raw and TOK.count(raw) == len(ids)
        elif kind == 1:
            text = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 200))
            ids = TOK.encode(text)
            assert TOK.decode(ids, "strict") == text
        elif kind == 2:
            ids = fdp.ConsumeIntListInRange(fdp.ConsumeIntInRange(0, 50), -2, 70000)
            errors = ERRORS[fdp.ConsumeIntInRange(0, len(ERRORS) - 1)]
            TOK.decode(ids, errors)
        elif kind == 3:
            raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 200))
            budget = fdp.ConsumeIntInRange(-1, 100)
            prefix = TOK.truncate(raw.decode("utf-8", "replace"), budget)
            assert TOK.count(prefix) <= budget
        elif kind == 4:
            decoder = TOK.stream_decoder(errors=ERRORS[fdp.ConsumeIntInRange(0, 4)],
                                         stop_ids=fdp.ConsumeIntListInRange(
                                             fdp.ConsumeIntInRange(0, 9), -1, 70000))
            for i in fdp.ConsumeIntListInRange(fdp.ConsumeIntInRange(0, 30), -1, 70000):
                decoder.push(i)
            decoder.finish()
        elif kind == 5:
            rwkvtok.Tokenizer.from_blob(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300)))
        elif kind == 6:
            texts = [fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 50)) for _ in range(
                fdp.ConsumeIntInRange(0, 8))]
            assert TOK.encode_batch(texts, num_threads=fdp.ConsumeIntInRange(1, 3)) == [
                TOK.encode(t) for t in texts]
        else:
            TOK.token_bytes(fdp.ConsumeIntInRange(-5, 70000))
    except ALLOWED:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
