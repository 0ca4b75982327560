// Encoding many places of one text at once: the walk of lib/internal.h, run in the lanes of a
// vector (Highway, lib/lanes.cc), each lane from its own segment of the text. Tokenization from
// any position is fixed, so lane k's tokens are exact from its segment's start; where the greedy
// tokenization entering from the previous segment lands on one of lane k's token boundaries, the
// rest of lane k's tokens are the true ones. lib/segments.cc finishes each lane and joins them.

#ifndef RWKVTOK_LIB_LANES_H_
#define RWKVTOK_LIB_LANES_H_

#include <stddef.h>
#include <stdint.h>

#include "lib/tuning.h"

namespace rwkvtok {
namespace lanes {

struct Trie {
  const uint32_t* units;
  uint32_t root_unit;
  uint32_t first_token_unit;  // any unit that is a token, to start from
};

// How many lanes the best target of this CPU walks, in kChains vectors of at most kMaxVectorLanes.
size_t LaneCount();
// That target's name, as Highway spells it ("AVX3", "SVE", ...).
const char* TargetName();

// Walks LaneCount() lanes: lane k starts at text[begin[k]] and writes the trie units of its
// tokens (ToIds makes them ids) to out[begin[k]], out[begin[k] + 1], ... (never past
// out[end[k] - 1], since every token has at least one byte).
// All stop once some lane comes within kStopBefore bytes of its end[k], which must be at least
// that far from begin[k]. On return lane k's token in progress started at start[k] and its next
// id goes to out[next[k]].
void Walk(const Trie& trie, const uint8_t* text, const uint32_t* begin, const uint32_t* end,
          uint32_t* start, uint32_t* next, uint32_t* out);

// Replaces each of `count` token units by its token's id.
void ToIds(const Trie& trie, uint32_t* values, size_t count);

}  // namespace lanes
}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_LANES_H_
