"""The library's files: the one list that every build of it reads.

lib/BUILD loads it; CMakeLists.txt and tools/size_report.py read it as text, and
tests/build_lists_test.py (a ctest) holds the recipe in docs/microcontrollers.md to it. lib/world_blob.h,
generated from the vocabulary, comes on top.
"""

# Compiled for every target.
LIB_SRCS = [
    "blob.cc",
    "c_api.cc",
    "compact.cc",
    "segments.cc",
    "stream.cc",
    "tokenizer.cc",
    "world.cc",
]

# The vector kernels, compiled where Highway has vectors to use (x86-64, aarch64), with
# RWKVTOK_LANES=1 defined for every file of the library.
LANES_SRCS = [
    "lanes.cc",
    "targets.cc",
]

# The public API: the one header an application includes.
PUBLIC_HDRS = ["rwkvtok.h"]

# Shared by the library's files; never installed.
PRIVATE_HDRS = [
    "blob_format.h",
    "compact.h",
    "internal.h",
    "lanes.h",
    "segments.h",
    "targets.h",
    "tuning.h",
]
