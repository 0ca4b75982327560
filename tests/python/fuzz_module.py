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
    kind = fdp.ConsumeIntInRange(0, 9)
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
        elif kind == 7:
            TOK.token_bytes(fdp.ConsumeIntInRange(-5, 70000))
        elif kind == 8:  # the module's str to UTF-8, lone surrogates included
            text = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 300))
            try:
                utf8 = text.encode()
            except UnicodeEncodeError:
                try:
                    TOK.encode(text)
                except UnicodeEncodeError:
                    return
                raise AssertionError("a lone surrogate was encoded")
            assert TOK.encode(text) == TOK.encode(utf8)
        else:  # the module's UTF-8 to str, which takes texts of 4 KB and more
            raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 300)) or b"a"
            raw = raw * (4096 // len(raw) + 1)
            ids = TOK.encode(raw)
            for errors in ("replace", "ignore"):
                assert TOK.decode(ids, errors) == raw.decode("utf-8", errors)
            try:
                expected = raw.decode()
            except UnicodeDecodeError:
                expected = None
            try:
                assert TOK.decode(ids, "strict") == expected
            except UnicodeDecodeError:
                assert expected is None
    except ALLOWED:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
