// The compact profile's trie (lib/blob_format.h, "The compact blob"): validating a compact blob,
// the longest-match walk over it, and a token's bytes from it. About a sixth of the full blob's
// size; every step costs a few word scans instead of one load.

#ifndef RWKVTOK_LIB_COMPACT_H_
#define RWKVTOK_LIB_COMPACT_H_

#include <stddef.h>
#include <stdint.h>

#include "lib/internal.h"
#include "lib/rwkvtok.h"

namespace rwkvtok {
namespace compact {

// A validated compact blob's sections.
struct Trie {
  const uint32_t* louds;
  const uint32_t* token_bits;
  const uint32_t* block_starts;
  const uint32_t* byte_starts;
  const uint32_t* zero_ranks;
  const uint16_t* token_ranks;
  const uint32_t* level_starts;
  const uint8_t* labels;
  uint32_t node_count;
  uint32_t token_count;  // valid ids are below it
  uint32_t max_token_length;
  uint64_t vocab_checksum;
};

// Checks the compact blob of `size` bytes at `data` as thoroughly as Validate checks a full one
// (header, size, checksum, and that the trie is well formed and spells every id's token) and, on
// success, points `*out` at its sections. Reads only inside the blob; its stack is bounded.
Status View(const void* data, size_t size, Trie* out);

// The longest token at the start of in[0..size), as Internal::LongestMatch.
Match LongestMatch(const Trie& trie, const uint8_t* in, size_t size);

// The length of token `id` (1 <= id < token_count; 0 for id 0).
uint32_t TokenLength(const Trie& trie, uint32_t id);

// Writes token `id`'s TokenLength bytes to out[0..).
void CopyToken(const Trie& trie, uint32_t id, uint8_t* out);

}  // namespace compact
}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_COMPACT_H_
