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

// The kernel for this CPU (lib/tuning.h says what each does): kWindows where the target has
// 16-lane vectors (AVX-512) on AMD (and Hygon) CPUs (Zen 4 and later) and on Intel ones whose
// gathers are slow (targets::GathersSlow); kGathers elsewhere.
Kernel PreferredKernel();

// The fewest lanes that beat the plain walk on this CPU: kMinLanes, or kSlowGatherMinLanes where
// gathers are slow.
size_t MinLanes();

// How many bytes each lane walks per window of lanes when Encode takes a long text through them:
// kSlowGatherLaneSpan where gathers are slow, else 0 (the whole text in one window).
size_t LaneSpan();

// How many lanes the best target of this CPU walks, in kChains vectors of at most kMaxVectorLanes.
size_t LaneCount();
// That target's name, as Highway spells it ("AVX3", "SVE", ...).
const char* TargetName();

// Walks LaneCount() lanes: lane k starts at text[begin[k]] and writes its tokens to
// out[begin[k]], out[begin[k] + 1], ... (never past out[end[k] - 1], since every token has at
// least one byte): as trie units with Kernel::kGathers (ToIds makes them ids), as ids with
// Kernel::kWindows.
// All stop once some lane comes within kStopBefore bytes of its end[k], which must be at least
// that far from begin[k]. On return lane k's token in progress started at start[k] and its next
// id goes to out[next[k]].
void Walk(Kernel kernel, const Trie& trie, const uint8_t* text, const uint32_t* begin,
          const uint32_t* end, uint32_t* start, uint32_t* next, uint32_t* out);

// Texts that WalkTexts walks in a lane of their own: long enough that the lane steps well before
// kStopBefore, short enough that where a lane stopped in one fits in 16 bits.
constexpr size_t kMinLaneText = 256;
constexpr size_t kMaxLaneText = size_t{1} << 16;
static_assert(kMinLaneText > kStopBefore + kRounds, "a text must outlast one round of checks");

// Where a lane stopped in a text: its token in progress started at text offset `start`, and the
// text's next id goes to offset `next` (the ids before it are as Walk leaves them: units or ids).
inline size_t PackStop(uint32_t start, uint32_t next) { return size_t{start} << 16 | next; }
inline uint32_t StopStart(size_t packed) { return static_cast<uint32_t>(packed >> 16); }
inline uint32_t StopNext(size_t packed) { return static_cast<uint32_t>(packed & 0xFFFF); }

// Walks many texts, a text per lane, each lane taking the next text as it comes within
// kStopBefore of its own text's end. Text i is [ends[i - 1], ends[i]) - base (text 0 starts at 0),
// read from text[] and with its tokens written to out[] at those offsets (as Walk writes them:
// units or ids), which must be below 2^30. Texts of kMinLaneText to kMaxLaneText bytes are walked,
// until fewer than half the lanes have one left; stopped[i] = PackStop of where text i's lane
// stopped, 0 for texts not walked (their tokens all start from offset 0, none written).
void WalkTexts(Kernel kernel, const Trie& trie, const uint8_t* text, const size_t* ends,
               size_t count, size_t base, uint32_t* out, size_t* stopped);

// Replaces each of `count` token units by its token's id.
void ToIds(const Trie& trie, uint32_t* values, size_t count);

}  // namespace lanes
}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_LANES_H_
