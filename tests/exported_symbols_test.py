"""The shared library exports the public API of lib/rwkvtok.h and nothing else.

Every C function the header declares is exported, and besides them only the C++ API: the members
of Tokenizer, StreamDecoder and StreamEncoder, StatusMessage and Validate. Everything else (the
lanes, the validator's helpers, the vocabulary's arrays) stays hidden, so that it can change
without touching the ABI (docs/abi.md).

Usage: exported_symbols_test.py LIBRARY HEADER
"""

import re
import subprocess
import sys

CXX_API = re.compile(r"^rwkvtok::(Tokenizer|StreamDecoder|StreamEncoder)::|"
                     r"^rwkvtok::(StatusMessage|Validate)\(")
# What the linker defines in every shared library.
LINKER = {"_init", "_fini", "__bss_start", "_edata", "_end"}


def main():
    library, header = sys.argv[1], sys.argv[2]
    out = subprocess.run(["nm", "-D", "--defined-only", "-C", library], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    exported = set()
    for line in out.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3:
            exported.add(parts[2])
    declared = set(re.findall(r"RWKVTOK_API\s+[\w\s\*]*?\b(rwkvtok_\w+)\s*\(",
                              open(header).read()))
    if len(declared) < 25:
        sys.exit("FAIL: found only %d C functions in %s" % (len(declared), header))
    failures = []
    for name in sorted(declared - exported):
        failures.append("not exported: %s" % name)
    for symbol in sorted(exported):
        if symbol in declared or symbol in LINKER or CXX_API.match(symbol):
            continue
        failures.append("exported but not public: %s" % symbol)
    cxx = [s for s in exported if CXX_API.match(s)]
    if len(cxx) < 20:
        failures.append("only %d C++ API symbols exported" % len(cxx))
    for failure in failures:
        print("FAIL: " + failure)
    if failures:
        sys.exit(1)
    print("PASS: %d C functions and %d C++ symbols exported, nothing else" %
          (len(declared), len(cxx)))


if __name__ == "__main__":
    main()
