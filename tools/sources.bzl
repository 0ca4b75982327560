"""The tools' files: one list that tools/BUILD loads and CMakeLists.txt reads as text."""

# rwkvtok_gen: a vocabulary file in, a blob (and its C++ arrays) out.
GENERATOR_SRCS = [
    "blob_builder.cc",
    "compact_builder.cc",
    "generate.cc",
    "vocab.cc",
]

GENERATOR_HDRS = [
    "blob_builder.h",
    "compact_builder.h",
    "vocab.h",
]

# binidx datasets (RWKV-LM's training data) and the JSONL they are made from: a library of its
# own, for the command and its tests.
BINIDX_SRCS = [
    "binidx/dataset.cc",
    "binidx/jsonl.cc",
    "binidx/utf8.cc",
]

BINIDX_HDRS = [
    "binidx/dataset.h",
    "binidx/jsonl.h",
    "binidx/utf8.h",
]

# The rwkvtok command. The wire formats of ids and the error type stand apart, for their tests.
CLI_SRCS = [
    "cli/args.cc",
    "cli/binidx_command.cc",
    "cli/commands.cc",
    "cli/io.cc",
    "cli/main.cc",
    "cli/workers.cc",
]

CLI_HDRS = [
    "cli/args.h",
    "cli/binidx_command.h",
    "cli/commands.h",
    "cli/io.h",
    "cli/workers.h",
]

ID_FORMAT_SRCS = [
    "cli/error.cc",
    "cli/id_format.cc",
]

ID_FORMAT_HDRS = [
    "cli/error.h",
    "cli/id_format.h",
]
