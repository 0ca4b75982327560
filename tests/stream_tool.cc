// A test helper that runs the library's streaming encoder and decoder on stdin, for tests written
// in Python or shell.
//
//   stream_tool decode POLICY [TOKENS]
//     Turns the bytes on stdin into ids, pushes them one at a time through a StreamDecoder and
//     writes what it emits. POLICY: replace, strict or raw. TOKENS: world (default), the World
//     tokenizer's encoding of the input; bytes, every byte its own token (id = byte + 1), so that
//     every multi-byte character arrives split across tokens.
//     Exit status 3 if the strict policy reported invalid UTF-8 (the decoder carries on after it).
//   stream_tool encode-pieces SIZE...
//     Pushes the bytes on stdin through a StreamEncoder in pieces of the sizes given (and the rest,
//     if any, in one more piece) and prints, after each piece, how many ids it has written so far;
//     then, after Finish, the total.
//   stream_tool decode-pieces POLICY
//     Reads decimal ids, one per line, pushes them one at a time through a StreamDecoder (stop id
//     0) and prints, after each, how many bytes it has written so far; then, after Finish, the
//     total.
//
// Exit status 2 for a usage error or any status the streaming code must not return here.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lib/rwkvtok.h"

namespace {

using rwkvtok::Result;
using rwkvtok::Status;

int Usage() {
  std::fprintf(stderr,
               "usage: stream_tool decode replace|strict|raw [world|bytes] <in >out\n"
               "       stream_tool encode-pieces SIZE... <text\n"
               "       stream_tool decode-pieces replace|strict|raw <ids\n");
  return 2;
}

bool ParsePolicy(const char* name, rwkvtok::Utf8Policy* policy) {
  if (std::strcmp(name, "replace") == 0) {
    *policy = rwkvtok::Utf8Policy::kReplace;
  } else if (std::strcmp(name, "strict") == 0) {
    *policy = rwkvtok::Utf8Policy::kStrict;
  } else if (std::strcmp(name, "raw") == 0) {
    *policy = rwkvtok::Utf8Policy::kRaw;
  } else {
    return false;
  }
  return true;
}

std::string ReadStdin() {
  std::string input;
  char chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), stdin)) > 0) input.append(chunk, got);
  return input;
}

int Decode(int argc, char** argv) {
  rwkvtok::Utf8Policy policy;
  if (argc < 3 || argc > 4 || !ParsePolicy(argv[2], &policy)) return Usage();
  const bool by_bytes = argc == 4 && std::strcmp(argv[3], "bytes") == 0;
  if (argc == 4 && !by_bytes && std::strcmp(argv[3], "world") != 0) return Usage();

  const std::string input = ReadStdin();
  const rwkvtok::Tokenizer world = rwkvtok::Tokenizer::World();
  std::vector<uint32_t> ids(input.size());
  if (by_bytes) {
    for (size_t i = 0; i < input.size(); ++i) ids[i] = static_cast<uint8_t>(input[i]) + 1u;
  } else {
    const Result r = world.Encode(input.data(), input.size(), ids.data(), ids.size());
    if (!r.ok()) {
      std::fprintf(stderr, "encode: %s\n", rwkvtok::StatusMessage(r.status));
      return 2;
    }
    ids.resize(r.count);
  }

  rwkvtok::StreamDecoder decoder(world, policy);
  std::vector<char> out(RWKVTOK_DECODER_MAX_OUTPUT);
  int exit_status = 0;
  for (size_t i = 0; i <= ids.size(); ++i) {
    const Result r = i < ids.size() ? decoder.Push(ids[i], out.data(), out.size())
                                    : decoder.Finish(out.data(), out.size());
    if (r.status == Status::kInvalidUtf8) {
      exit_status = 3;
    } else if (r.status != Status::kOk) {
      std::fprintf(stderr, "id index %zu: %s\n", i, rwkvtok::StatusMessage(r.status));
      return 2;
    }
    if (r.count > out.size() || std::fwrite(out.data(), 1, r.count, stdout) != r.count) return 2;
  }
  return std::fflush(stdout) == 0 ? exit_status : 2;
}

int EncodePieces(int argc, char** argv) {
  const std::string text = ReadStdin();
  const rwkvtok::Tokenizer world = rwkvtok::Tokenizer::World();
  rwkvtok::StreamEncoder encoder(world);
  std::vector<uint32_t> ids(text.size() + world.max_token_length());
  size_t at = 0, written = 0;
  const auto push = [&](size_t piece) {
    const Result r = encoder.Push(text.data() + at, piece, ids.data(), ids.size());
    at += piece;
    written += r.count;
    std::printf("%zu\n", written);
    return r.ok();
  };
  for (int k = 2; k < argc; ++k) {
    const size_t piece = std::strtoull(argv[k], nullptr, 10);
    if (piece > text.size() - at) return Usage();
    if (!push(piece)) return 2;
  }
  if (at < text.size() && !push(text.size() - at)) return 2;
  const Result end = encoder.Finish(ids.data(), ids.size());
  if (!end.ok()) return 2;
  std::printf("%zu\n", written + end.count);
  return std::fflush(stdout) == 0 ? 0 : 2;
}

int DecodePieces(int argc, char** argv) {
  rwkvtok::Utf8Policy policy;
  if (argc != 3 || !ParsePolicy(argv[2], &policy)) return Usage();
  rwkvtok::StreamDecoder decoder(rwkvtok::Tokenizer::World(), policy);
  std::vector<char> out(RWKVTOK_DECODER_MAX_OUTPUT);
  unsigned long id;
  size_t written = 0;
  while (std::scanf("%lu", &id) == 1) {
    const Result r = decoder.Push(static_cast<uint32_t>(id), out.data(), out.size());
    if (r.status != Status::kOk && r.status != Status::kStopped) return 2;
    written += r.count;
    std::printf("%zu\n", written);
  }
  const Result r = decoder.Finish(out.data(), out.size());
  if (!r.ok()) return 2;
  std::printf("%zu\n", written + r.count);
  return std::fflush(stdout) == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  if (std::strcmp(argv[1], "decode") == 0) return Decode(argc, argv);
  if (std::strcmp(argv[1], "encode-pieces") == 0) return EncodePieces(argc, argv);
  if (std::strcmp(argv[1], "decode-pieces") == 0) return DecodePieces(argc, argv);
  return Usage();
}
