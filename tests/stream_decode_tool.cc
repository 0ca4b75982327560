// A test helper: reads bytes from stdin, turns them into ids, pushes the ids one at a time
// through a StreamDecoder and writes what it emits to stdout.
//
//   stream_decode_tool POLICY [TOKENS]
//     POLICY  replace, strict or raw
//     TOKENS  world (default): the World tokenizer's encoding of the input;
//             bytes: every byte its own token (id = byte + 1), so that every multi-byte
//             character arrives split across tokens.
//
// Exit status: 0; 3 if the strict policy reported invalid UTF-8 (the decoder carries on after
// it); 2 for a usage error or any status the streaming decoder must not return here.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lib/rwkvtok.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: stream_decode_tool replace|strict|raw [world|bytes] <in >out\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) return Usage();
  rwkvtok::Utf8Policy policy;
  if (std::strcmp(argv[1], "replace") == 0) {
    policy = rwkvtok::Utf8Policy::kReplace;
  } else if (std::strcmp(argv[1], "strict") == 0) {
    policy = rwkvtok::Utf8Policy::kStrict;
  } else if (std::strcmp(argv[1], "raw") == 0) {
    policy = rwkvtok::Utf8Policy::kRaw;
  } else {
    return Usage();
  }
  const bool by_bytes = argc == 3 && std::strcmp(argv[2], "bytes") == 0;
  if (argc == 3 && !by_bytes && std::strcmp(argv[2], "world") != 0) return Usage();

  std::string input;
  char chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), stdin)) > 0) input.append(chunk, got);

  const rwkvtok::Tokenizer world = rwkvtok::Tokenizer::World();
  std::vector<uint32_t> ids(input.size());
  if (by_bytes) {
    for (size_t i = 0; i < input.size(); ++i) ids[i] = static_cast<uint8_t>(input[i]) + 1u;
  } else {
    const rwkvtok::Result r = world.Encode(input.data(), input.size(), ids.data(), ids.size());
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
    const rwkvtok::Result r = i < ids.size() ? decoder.Push(ids[i], out.data(), out.size())
                                             : decoder.Finish(out.data(), out.size());
    if (r.status == rwkvtok::Status::kInvalidUtf8) {
      exit_status = 3;
    } else if (r.status != rwkvtok::Status::kOk) {
      std::fprintf(stderr, "id index %zu: %s\n", i, rwkvtok::StatusMessage(r.status));
      return 2;
    }
    if (r.count > out.size() || std::fwrite(out.data(), 1, r.count, stdout) != r.count) return 2;
  }
  return std::fflush(stdout) == 0 ? exit_status : 2;
}
