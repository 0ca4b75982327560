// The compact profile's trie (lib/blob_format.h, "The compact blob"): validating a compact blob,
// the longest-match walk over it, and a token's bytes from it. About a sixth of the full blob's
// size; every step costs a few word scans instead of one load.

#ifndef RWKVTOK_LIB_COMPACT_H_
#define RWKVTOK_LIB_COMPACT_H_

#include <stddef.h>
#include <stdint.h>

#include "lib/blob_format.h"
#include "lib/rwkvtok.h"

namespace rwkvtok {

struct Match;  // lib/internal.h

namespace compact {

// A validated compact blob's sections.
struct Trie {
  const uint32_t* louds;
  const uint32_t* token_bits;
  const uint32_t* block_starts;
  const uint16_t* top_starts;
  const uint32_t* zero_ranks;
  const uint16_t* token_ranks;
  const uint32_t* level_starts;
  const uint8_t* labels;
  uint32_t node_count;
  uint32_t top_count;    // nodes 1..top_count have their start in top_starts
  uint32_t token_count;  // valid ids are below it
  uint32_t max_token_length;
  uint64_t vocab_checksum;
};

// The sections of a compact blob that View accepted.
inline Trie Open(const uint8_t* blob) {
  Trie t{};
  t.node_count = blob::LoadU32(blob + blob::kNodeCountOffset);
  t.top_count = blob::LoadU32(blob + blob::kTopCountOffset);
  t.token_count = blob::LoadU32(blob + blob::kTokenCountOffset);
  t.max_token_length = blob::LoadU32(blob + blob::kMaxTokenLengthOffset);
  t.vocab_checksum = blob::LoadU64(blob + blob::kVocabChecksumOffset);
  const blob::CompactLayout layout =
      blob::CompactLayoutFor(t.node_count, t.top_count, t.max_token_length);
  // Sections start at multiples of 8 from a 4-aligned blob: these casts are aligned.
  t.louds = reinterpret_cast<const uint32_t*>(blob + layout.louds);
  t.token_bits = reinterpret_cast<const uint32_t*>(blob + layout.token_bits);
  t.block_starts = reinterpret_cast<const uint32_t*>(blob + layout.block_starts);
  t.top_starts = reinterpret_cast<const uint16_t*>(blob + layout.top_starts);
  t.zero_ranks = reinterpret_cast<const uint32_t*>(blob + layout.zero_ranks);
  t.token_ranks = reinterpret_cast<const uint16_t*>(blob + layout.token_ranks);
  t.level_starts = reinterpret_cast<const uint32_t*>(blob + layout.level_starts);
  t.labels = blob + layout.labels;
  return t;
}

// Whether a blob's header says it is a compact one (its other fields unchecked).
inline bool IsCompactBlob(const void* data, size_t size) {
  return data != nullptr && size >= blob::kHeaderSize &&
         blob::LoadU32(static_cast<const uint8_t*>(data) + blob::kKindOffset) == blob::kKindCompact;
}

// Checks the compact blob of `size` bytes at `data` as thoroughly as Validate checks a full one
// (header, size, checksum, and that the trie is well formed and spells every id's token) and, on
// success, points `*out` at its sections (if `out` is not null). Reads only inside the blob; its
// stack is bounded.
Status View(const void* data, size_t size, Trie* out);

// The longest token at the start of in[0..size), as Internal::LongestMatch.
Match LongestMatch(const Trie& trie, const uint8_t* in, size_t size);

// The length of token `id` (1 <= id < token_count; 0 for id 0).
uint32_t TokenLength(const Trie& trie, uint32_t id);

// Writes bytes [from, from + count) of token `id`, those within its length, to out[0..) and
// returns its length (0 for id 0).
uint32_t CopyTokenPart(const Trie& trie, uint32_t id, uint32_t from, size_t count, uint8_t* out);

}  // namespace compact
}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_COMPACT_H_
