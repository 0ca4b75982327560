// Building a blob (see lib/blob_format.h) from parsed vocabulary tokens, and writing it out as a
// binary file or as a C++ header of constexpr arrays.

#ifndef RWKVTOK_TOOLS_BLOB_BUILDER_H_
#define RWKVTOK_TOOLS_BLOB_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tools/vocab.h"

namespace rwkvtok {
namespace tools {

// The sections of a blob, in memory.
struct BlobSections {
  std::vector<uint32_t> units;
  std::vector<uint32_t> token_entries;
  std::vector<uint8_t> token_bytes;
  uint32_t token_count = 0;
  uint32_t max_token_length = 0;
  uint64_t vocab_checksum = 0;
  uint32_t trie_nodes = 0;  // occupied units, for reporting
};

// Builds the trie and the decode table. Fails (with `error` set) if some byte value is not a
// token of its own, since then some inputs could not be encoded, or if the trie outgrows the unit
// format. Deterministic: the same tokens give the same sections.
bool BuildBlob(const std::vector<VocabToken>& tokens, BlobSections* out, std::string* error);

// The blob file: header then sections, as lib/blob_format.h describes.
std::vector<uint8_t> SerializeBlob(const BlobSections& sections);

// A C++ header defining the sections as constexpr arrays in namespace rwkvtok::<name_space>,
// with the blob's header values as constants, and the compact blob (tools/compact_builder.h) of
// the same vocabulary as kCompactBlob if `compact` is not empty. `source` names the vocabulary in
// a comment.
std::string EmitHeader(const BlobSections& sections, const std::string& name_space,
                       const std::string& source, const std::vector<uint8_t>& compact = {});

}  // namespace tools
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_BLOB_BUILDER_H_
