// Every constant that sets how encoding spreads one text over vector lanes (lib/lanes.cc) and
// over the caller's threads (lib/segments.cc): the numbers a change for speed touches. Each was
// chosen by measurement with benchmarks/encode_bench.cc; what it trades is said beside it.

#ifndef RWKVTOK_LIB_TUNING_H_
#define RWKVTOK_LIB_TUNING_H_

#include <stddef.h>
#include <stdint.h>

namespace rwkvtok {

// --- The lane walk (lib/lanes.cc) ---------------------------------------------------------------

// The walk steps this many vectors of lanes in turn, so that one's gathers overlap the other's.
constexpr size_t kChains = 2;
// At most this many 32-bit lanes per vector are used (AVX-512's 16; wider SVE vectors are capped).
constexpr size_t kMaxVectorLanes = 16;
constexpr size_t kMaxLanes = kChains * kMaxVectorLanes;
// Rounds of steps between the checks that every lane is still inside its segment; each round moves
// a lane at most one byte.
constexpr uint32_t kRounds = 16;
// Lanes stop this many bytes before their segment's end, so that every read of a round (4 bytes
// at a time) stays inside the text.
constexpr uint32_t kStopBefore = 32;
static_assert(kRounds + 4 < kStopBefore, "a round's reads must stay before the segment's end");

namespace lanes {
// How a lane step reads its text and writes its tokens.
//   kGathers: gathers the next byte (and the restart byte) every step and scatters the candidate
//             token every step; leaves token units in the output (ToIds makes them ids). Where
//             gathers and scatters are cheap (Intel).
//   kWindows: gathers a 4-byte window of text every 3 steps and appends emitted tokens to a
//             stream with a compress, sorted into the lanes' outputs as ids after each block of
//             steps. Where every gather and scatter costs: AMD Zen 4 with AVX-512 (16 lanes and a
//             one-instruction compress; with AVX2 they lose: docs/performance.md).
enum class Kernel { kGathers, kWindows };
}  // namespace lanes

// --- When Encode takes the lanes (lib/segments.cc) ----------------------------------------------

// The lanes beat the plain walk from 8 lanes per vector on (BM_EncodeLanes): SSE4's 4 lose on
// Chinese.
constexpr size_t kMinLanes = 8 * kChains;
// Every lane gets at least this many bytes, since joining a lane costs a few tokens.
constexpr size_t kLaneMinSegment = 4096;
// Where the microcode slows gathers (targets::GathersSlow: Intel Ice Lake and its kin), the lanes
// pay only with 16 per vector (AVX-512), walked by kWindows, and a long text goes through them a
// window of kSlowGatherLaneSpan bytes per lane at a time, rather than in one window: the window's
// text and ids stay in the caches. On an Ice Lake Xeon that made Encode 1.6x to 2.1x faster
// than the gathers in one window; spans of 4096 bytes beat the others tried (docs/performance.md).
constexpr size_t kSlowGatherMinLanes = kMaxLanes;
constexpr size_t kSlowGatherLaneSpan = 4096;
static_assert(kSlowGatherLaneSpan >= kLaneMinSegment, "a window must give every lane a segment");
// Positions inside a window of lanes are 32-bit.
constexpr size_t kLaneWindow = size_t{1} << 30;
// Tokens re-encoded to join a lane before giving up on the rest of its window's lanes and encoding
// the rest plainly. Only a run of one character several KB long keeps tokenizations apart that
// long; joining each lane would then encode its bytes three times.
constexpr size_t kLaneJoinLimit = 256;

// --- Parts on the caller's threads (lib/segments.cc) --------------------------------------------

// Tokenizations started at different places agree after a few bytes (a few hundred at most on
// real text), so the one started this far before a cut nearly always passes through the true
// tokenization's first token boundary at or after it: where a part after the first starts.
constexpr size_t kLookBehind = 512;
// Periodic runs with a period up to this many bytes (two periods fit in kLookBehind) are walked
// from before they begin (LikelyBoundary), scanning back for their start this many bytes a step.
constexpr size_t kMaxRunPeriod = kLookBehind / 2;
constexpr size_t kRunScanBlock = 4096;
// A part scans back for the start of the run it begins in over at most this many times its own
// length (and at least kRunScanMinimum bytes): at memory speed, less time than encoding the part
// takes, and the scans of all parts together stay in proportion to the text.
constexpr size_t kRunScanPerByte = 32;
constexpr size_t kRunScanMinimum = 64 << 10;
// Runs that each end where the next begins: how many of them, back from a cut, it walks from
// before.
constexpr size_t kRunsBack = 4;

}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_TUNING_H_
