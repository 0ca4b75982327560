// Encoding one text in segments, each greedily from its own start, and joining them where the
// tokenizations agree: how Encode spreads a long text over vector lanes (lib/lanes.h) and how
// EncodePart / JoinParts spread it over the caller's threads. Greedy tokenization from a given
// position is fixed, so a segment's tokens are exact from its start; joining re-encodes from
// where the true tokenization enters the segment until it lands on one of the segment's token
// boundaries, and keeps the segment's tokens from there.

#ifndef RWKVTOK_LIB_SEGMENTS_H_
#define RWKVTOK_LIB_SEGMENTS_H_

#include <stddef.h>
#include <stdint.h>

#include "lib/internal.h"
#if RWKVTOK_LANES
#include "lib/lanes.h"
#endif
#include "lib/rwkvtok.h"
#include "lib/tuning.h"

namespace rwkvtok {

// The tokens of one segment, encoded from its own start.
struct Segment {
  size_t begin;   // the segment's tokens were encoded from here...
  size_t end;     // ...and are those that start before here
  uint32_t* ids;  // their ids
  size_t count;
  size_t last_end;  // where the last of them ends (begin if there is none)
};

// Where a segment's ids go in the room they are given (one id per byte of the segment): to its
// start, or to its end so that the next segment's ids can follow without a move.
enum class Align { kLeft, kRight };

// What rwkvtok_encode_path() says: "lanes/<target>" or "plain".
const char* EncodePath();

// Tokenizer::EncodeTexts with the given lane kernel (it uses lanes::PreferredKernel(); builds
// without lanes ignore it).
Status EncodeTextsWith(const Tokenizer& tok, lanes::Kernel kernel, const void* text,
                       const size_t* ends, size_t count, uint32_t* ids, size_t* id_counts);

#if RWKVTOK_LANES
// Encodes all of in[0..size) into ids[0..count) (room for one id per byte, all of which it may
// write) in vector lanes walked by `kernel`, if they pay for that size on this CPU, and returns
// true; else returns false having written nothing.
bool EncodeInLanesIfTheyPay(const Tokenizer& tok, lanes::Kernel kernel, const uint8_t* in,
                            size_t size, uint32_t* ids, size_t* count);
// The same for 16-bit ids (every World id fits), at the same speed for long texts.
bool EncodeInLanesIfTheyPay(const Tokenizer& tok, lanes::Kernel kernel, const uint8_t* in,
                            size_t size, uint16_t* ids, size_t* count);

// Encodes the tokens that start in [from, end) of in[0..size), greedily from `from`, in
// `lane_count` lanes (lanes::LaneCount() of the current target) as long as every lane gets at
// least `min_segment` bytes, then plainly: in windows of `lane_span` bytes per lane (0: one
// window, as large as 32-bit positions allow). `out` has room for one id per byte of
// [from, end); the ids go to its start, or with Align::kRight to its end, and the Segment
// returned points at them. Encode uses kLaneMinSegment, lanes::PreferredKernel() and
// lanes::LaneSpan(); tests and benchmarks use small segments to join often, and each kernel.
Segment EncodeInLanes(const Tokenizer& tok, lanes::Kernel kernel, size_t lane_count,
                      const uint8_t* in, size_t size, size_t from, size_t end, uint32_t* out,
                      size_t min_segment, Align align = Align::kLeft, size_t lane_span = 0);

#endif

}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_SEGMENTS_H_
