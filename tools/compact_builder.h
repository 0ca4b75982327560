// Building a compact blob (lib/blob_format.h, "The compact blob") from parsed vocabulary tokens.

#ifndef RWKVTOK_TOOLS_COMPACT_BUILDER_H_
#define RWKVTOK_TOOLS_COMPACT_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tools/vocab.h"

namespace rwkvtok {
namespace tools {

// What a compact blob holds, for reporting.
struct CompactStats {
  uint32_t nodes = 0;
  uint32_t tokens = 0;
  uint64_t louds_bytes = 0, token_bits_bytes = 0, samples_bytes = 0, labels_bytes = 0;
};

// Builds the compact blob file. A compact blob has no id table, so it needs ids in the order the
// trie numbers its tokens: 1, 2, ... by (length, bytes), with no gaps (World's order). Refuses
// other vocabularies (with `error` naming the first id out of order, or the first missing id),
// as it refuses those without every byte value as a one-byte token. Deterministic.
bool BuildCompactBlob(const std::vector<VocabToken>& tokens, std::vector<uint8_t>* blob,
                      CompactStats* stats, std::string* error);

}  // namespace tools
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_COMPACT_BUILDER_H_
