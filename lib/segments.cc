// Segments (lib/segments.h): junctions, the lane orchestration of long inputs, and the caller's
// parts (EncodePart, JoinParts).

#include "lib/segments.h"

#include <string.h>

#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"
#include "lib/tuning.h"

namespace rwkvtok {
namespace {

// Joining a segment: the true tokenization enters it at `entry`, where the previous segment's
// last true token ends. Re-encode from there until it lands on one of the segment's token
// boundaries; from that one on, the segment's tokens are the true ones.
struct Junction {
  size_t entry;
  size_t skipped;    // the segment's tokens before the point of agreement
  size_t reencoded;  // the true tokens from the entry to that point (all of them, if none)
  size_t exit;       // where the true tokenization leaves the segment: the next one's entry
  enum { kFound, kGaveUp, kDamaged } outcome;
};

// Finds where `seg` joins, re-encoding at most `limit` tokens (else kGaveUp); id_at(i) is its
// i-th id. Of those it reads only the ones before the point of agreement, and checks each against
// the token the text has there: a caller's parts may be damaged, with ids that name no token or
// do not fit the text (kDamaged). (That match, not the id's length in the decode table, moves on:
// builds without decoding have no such table.)
template <typename IdAt>
Junction FindJunction(const Tokenizer& tok, const uint8_t* in, size_t size, const Segment& seg,
                      size_t entry, size_t limit, IdAt id_at) {
  Junction j{entry, 0, 0, entry, Junction::kFound};
  size_t seg_pos = seg.begin;  // where the segment's next token starts
  size_t pos = entry;          // where the true tokenization is
  while (true) {
    const bool seg_left = j.skipped < seg.count;
    if (seg_left && seg_pos == pos) break;
    if (seg_left && seg_pos < pos) {
      const Match m = Internal::LongestMatch(tok, in + seg_pos, size - seg_pos);
      if (id_at(j.skipped++) != m.id) {
        j.outcome = Junction::kDamaged;
        return j;
      }
      seg_pos += m.length;
      continue;
    }
    if (!seg_left && pos >= seg.end) break;  // never agreed: the whole segment was re-encoded
    if (j.reencoded == limit || pos >= size) {
      j.outcome = j.reencoded == limit ? Junction::kGaveUp : Junction::kDamaged;
      return j;
    }
    pos += Internal::LongestMatch(tok, in + pos, size - pos).length;
    ++j.reencoded;
  }
  j.exit = j.skipped < seg.count ? seg.last_end : pos;
  return j;
}

// How many true ids a joined segment gives.
inline size_t JoinedCount(const Segment& seg, const Junction& j) {
  return j.reencoded + seg.count - j.skipped;
}

// Writes the junction's re-encoded ids and then the segment's kept ones to `to`. The kept ones
// move first, so the re-encoded ones may overwrite where they were. Those are encoded again rather
// than kept from FindJunction: a few tokens on real text, and no scratch space to bound.
void PlaceJoined(const Tokenizer& tok, const uint8_t* in, size_t size, const Segment& seg,
                 const Junction& j, uint32_t* to) {
  const size_t kept = seg.count - j.skipped;
  if (kept != 0 && to + j.reencoded != seg.ids + j.skipped) {
    memmove(to + j.reencoded, seg.ids + j.skipped, kept * sizeof(uint32_t));
  }
  size_t pos = j.entry;
  for (size_t i = 0; i < j.reencoded; ++i) {
    const Match m = Internal::LongestMatch(tok, in + pos, size - pos);
    to[i] = m.id;
    pos += m.length;
  }
}

// Encodes the tokens that start in [begin, end), greedily from `begin`, into ids[0..).
Segment EncodeSegment(const Tokenizer& tok, const uint8_t* in, size_t size, size_t begin,
                      size_t end, uint32_t* ids) {
  Segment seg{begin, end, ids, 0, begin};
  while (seg.last_end < end) {
    const Match m = Internal::LongestMatch(tok, in + seg.last_end, size - seg.last_end);
    ids[seg.count++] = m.id;
    seg.last_end += m.length;
  }
  return seg;
}

// Moves a segment's ids from the start of its room (one id per byte of it) to its end.
Segment AlignRight(Segment seg) {
  if (seg.begin >= seg.end) return seg;
  uint32_t* const to = seg.ids + (seg.end - seg.begin - seg.count);
  if (seg.count != 0 && to != seg.ids) memmove(to, seg.ids, seg.count * sizeof(uint32_t));
  seg.ids = to;
  return seg;
}

#if RWKVTOK_LANES
// The bytes of a window of `lane_count` lanes: lane_span bytes per lane (at least min_segment),
// or with lane_span 0 as many as positions in lanes allow.
size_t WindowBytes(size_t lane_count, size_t min_segment, size_t lane_span) {
  const size_t per_lane = lane_span > min_segment ? lane_span : min_segment;
  return lane_span != 0 && per_lane < kLaneWindow / lane_count ? per_lane * lane_count
                                                               : kLaneWindow;
}

lanes::Trie LaneTrie(const Tokenizer& tok) {
  const uint32_t* const units = Internal::Units(tok);
  const uint32_t root = units[blob::kRootUnit];
  return lanes::Trie{units, root, blob::UnitBase(root)};
}

// Encodes the tokens that start in [*from, *from + window) of in[0..size) in lanes; their ids go
// to the start of out[0..window), or with Align::kRight to its end. Moves *from to where the last
// of them ends and returns how many there are.
size_t EncodeWindowInLanes(const Tokenizer& tok, lanes::Kernel kernel, const lanes::Trie& trie,
                           size_t lane_count, const uint8_t* in, size_t size, size_t* from,
                           size_t window, uint32_t* out, Align align) {
  uint32_t begin[kMaxLanes] = {}, end[kMaxLanes] = {};
  uint32_t start[kMaxLanes], next[kMaxLanes];
  const size_t segment = window / lane_count;
  for (size_t k = 0; k < lane_count; ++k) {
    begin[k] = static_cast<uint32_t>(k * segment);
    end[k] = static_cast<uint32_t>(k + 1 == lane_count ? window : (k + 1) * segment);
  }
  // Lane ids go to out[position in the window]: room for one id per byte.
  lanes::Walk(kernel, trie, in + *from, begin, end, start, next, out);
  // The kGathers walk leaves token units, which become ids only as each lane is placed, while
  // in cache; the kWindows walk leaves ids.
  const bool units_left = kernel == lanes::Kernel::kGathers;

  // First where each lane joins. (The plain walk finishes each segment with ids.)
  Segment segs[kMaxLanes];
  Junction junctions[kMaxLanes];
  size_t entry = *from;
  size_t total = 0;
  size_t joined = 0;  // lanes whose junction was found
  for (size_t k = 0; k < lane_count; ++k, ++joined) {
    const size_t units = next[k] - begin[k];
    Segment seg = EncodeSegment(tok, in, size, *from + start[k], *from + end[k], out + next[k]);
    seg.begin = *from + begin[k];
    seg.ids = out + begin[k];
    seg.count += units;
    const uint32_t* const lane_ids = seg.ids;
    junctions[k] = FindJunction(tok, in, size, seg, entry, kLaneJoinLimit, [&](size_t i) {
      return i < units && units_left ? Internal::TokenId(tok, trie.units[lane_ids[i]])
                                     : lane_ids[i];
    });
    if (junctions[k].outcome != Junction::kFound) break;
    segs[k] = seg;
    entry = junctions[k].exit;
    total += JoinedCount(seg, junctions[k]);
  }

  // Then every lane's ids in place: leftwards from the first lane, or rightwards from the last.
  // Either way no lane's ids are overwritten before they move: every true token starts at a
  // distinct byte, so the true ids before (or after) any point never outnumber its bytes.
  // (Lanes that were not joined are left to the plain walk, whose ids go after the others.)
  const Align placing = joined == lane_count ? align : Align::kLeft;
  uint32_t* to = placing == Align::kLeft ? out : out + window;
  for (size_t n = 0; n < joined; ++n) {
    const size_t k = placing == Align::kLeft ? n : joined - 1 - n;
    if (units_left) lanes::ToIds(trie, segs[k].ids, next[k] - begin[k]);
    const size_t count = JoinedCount(segs[k], junctions[k]);
    if (placing == Align::kRight) to -= count;
    PlaceJoined(tok, in, size, segs[k], junctions[k], to);
    if (placing == Align::kLeft) to += count;
  }
  if (joined < lane_count) {
    const Segment rest = EncodeSegment(tok, in, size, entry, *from + window, to);
    total += rest.count;
    entry = rest.last_end;
    if (align == Align::kRight) memmove(out + (window - total), out, total * sizeof(uint32_t));
  }
  *from = entry;
  return total;
}

// Whether this CPU's lanes pay at all (wide enough vectors)...
bool LanesPay(size_t lane_count) {
  return lane_count >= lanes::MinLanes() && lane_count <= kMaxLanes;
}
// ...and for `bytes` bytes of one text: only when every lane has a long segment, since joining
// costs a few tokens per segment.
bool LanesPay(size_t lane_count, size_t bytes) {
  return LanesPay(lane_count) && bytes >= kLaneMinSegment * lane_count;
}
#endif  // RWKVTOK_LANES

// The lane kernel for this CPU (either, in builds without lanes).
lanes::Kernel KernelForThisCpu() {
#if RWKVTOK_LANES
  return lanes::PreferredKernel();
#else
  return lanes::Kernel::kGathers;
#endif
}

// Encodes the tokens that start in [from, end) of in[0..size), greedily from `from`, into `out`
// (room for one id per byte of them), in lanes (walked by `kernel`) where they pay.
Segment EncodeRange(const Tokenizer& tok, lanes::Kernel kernel, const uint8_t* in, size_t size,
                    size_t from, size_t end, uint32_t* out, Align align) {
#if RWKVTOK_LANES
  const size_t lane_count = lanes::LaneCount();
  if (from < end && !Internal::IsCompact(tok) && LanesPay(lane_count, end - from)) {
    return EncodeInLanes(tok, kernel, lane_count, in, size, from, end, out, kLaneMinSegment, align,
                         lanes::LaneSpan());
  }
#else
  (void)kernel;
#endif
  const Segment seg = EncodeSegment(tok, in, size, from, end, out);
  return align == Align::kRight ? AlignRight(seg) : seg;
}

// Where a run of period `period` begins that holds in[known, end), which is known to repeat with
// it: the first byte from which each one up to `end` equals the one `period` bytes after it.
// SIZE_MAX if it begins before `floor`, where the scan stops.
size_t RunStart(const uint8_t* in, size_t known, size_t period, size_t floor) {
  size_t start = known;
  while (start > floor) {
    const size_t block = start - floor < kRunScanBlock ? start - floor : kRunScanBlock;
    if (memcmp(in + start - block, in + start - block + period, block) != 0) break;
    start -= block;
  }
  while (start > floor && in[start - 1] == in[start - 1 + period]) --start;
  return start > 0 && in[start - 1] == in[start - 1 + period] ? SIZE_MAX : start;
}

// The true tokenization's first token boundary at or after `at`, as the tokenization started
// kLookBehind bytes earlier predicts it: a part that does not begin the text starts its tokens
// there, so that the part before it ends there too and joining them moves nothing.
//
// Inside a periodic run (one character or a short pattern repeated), tokenizations started at
// different places may never agree, so there the walk starts kLookBehind bytes before the run
// (or before the run that ends where it begins, up to kRunsBack runs back). While a token reads
// only bytes of the run, where the next one starts, modulo the period, is a function of where it
// starts: after `period` tokens the walk is in that function's cycle, one more turn of which
// measures the cycle in bytes, and whole turns are skipped up to the last one before the run's
// end. So a run costs a scan back to its start and a few hundred tokens. The scan stops at
// `floor`: a part further into a run than that guesses as elsewhere (and joining re-encodes it).
size_t LikelyBoundary(const Tokenizer& tok, const uint8_t* in, size_t size, size_t at,
                      size_t floor) {
  const size_t longest = tok.max_token_length();
  struct Run {
    size_t start, end, period;
  };
  Run runs[kRunsBack];  // the one that ends at `at`, the one that ends where it starts, ...
  size_t run_count = 0;
  size_t end = at;
  while (run_count < kRunsBack && end > kLookBehind) {
    const size_t from = end - kLookBehind;
    size_t period = 1;
    while (period <= kMaxRunPeriod &&
           memcmp(in + from, in + from + period, kLookBehind - period) != 0) {
      ++period;
    }
    if (period > kMaxRunPeriod) break;
    const size_t start = RunStart(in, from, period, floor);
    if (start == SIZE_MAX || end - start <= longest) break;  // or no token reads only the run
    runs[run_count++] = Run{start, end, period};
    end = start;
  }
  size_t pos = end > kLookBehind ? end - kLookBehind : 0;
  while (pos < end) pos += Internal::LongestMatch(tok, in + pos, size - pos).length;
  while (run_count > 0) {
    const Run& run = runs[--run_count];
    const size_t settled = run.end - longest;  // tokens that start up to here read only the run
    size_t tokens = 0, turn_start = pos;
    while (pos <= settled) {
      pos += Internal::LongestMatch(tok, in + pos, size - pos).length;
      if (++tokens == run.period) turn_start = pos;
      if (tokens > run.period && (pos - turn_start) % run.period == 0) {
        const size_t turn = pos - turn_start;
        if (pos <= settled) pos += (settled - pos) / turn * turn;
        break;
      }
    }
    while (pos < run.end) pos += Internal::LongestMatch(tok, in + pos, size - pos).length;
  }
  return pos;
}

}  // namespace

#if RWKVTOK_LANES
Segment EncodeInLanes(const Tokenizer& tok, lanes::Kernel kernel, size_t lane_count,
                      const uint8_t* in, size_t size, size_t from, size_t end, uint32_t* out,
                      size_t min_segment, Align align, size_t lane_span) {
  const lanes::Trie trie = LaneTrie(tok);
  // A lane stops kStopBefore bytes before its segment's end (lanes::Walk), so no segment is
  // shorter, whatever a test or benchmark asks.
  if (min_segment < kStopBefore) min_segment = kStopBefore;
  const size_t lanes_minimum = min_segment * lane_count;
  // Windows of WindowBytes; a rest too short for a window of its own goes with the one before.
  const size_t span = WindowBytes(lane_count, min_segment, lane_span);
  const auto window_for = [&](size_t rest) {
    return rest < span + lanes_minimum && rest <= kLaneWindow ? rest : span;
  };
  if (align == Align::kRight && from < end && end - from >= lanes_minimum &&
      window_for(end - from) == end - from) {
    size_t pos = from;
    const size_t count =
        EncodeWindowInLanes(tok, kernel, trie, lane_count, in, size, &pos, end - from, out, align);
    return Segment{from, end, out + (end - from - count), count, pos};
  }
  size_t pos = from;
  size_t written = 0;
  while (pos < end && end - pos >= lanes_minimum) {
    const size_t window = window_for(end - pos);
    written += EncodeWindowInLanes(tok, kernel, trie, lane_count, in, size, &pos, window,
                                   out + written, Align::kLeft);
  }
  Segment seg = EncodeSegment(tok, in, size, pos, end, out + written);
  seg.begin = from;
  seg.ids = out;
  seg.count += written;
  return align == Align::kRight ? AlignRight(seg) : seg;
}

const char* EncodePath() {
  // Literals, as nothing here may keep a buffer: one for each vector target Highway has.
  static constexpr const char* kPaths[] = {
      "lanes/AVX3_ZEN4", "lanes/AVX3_DL", "lanes/AVX3", "lanes/AVX2",   "lanes/SVE2_128",
      "lanes/SVE_256",   "lanes/SVE2",    "lanes/SVE",  "lanes/NEON",   "lanes/WASM_EMU256",
      "lanes/WASM",      "lanes/PPC8",    "lanes/RVV",  "lanes/EMU128", "lanes/SCALAR"};
  if (!LanesPay(lanes::LaneCount())) return "plain";
  const char* const target = lanes::TargetName();
  for (const char* path : kPaths) {
    if (strcmp(path + sizeof("lanes/") - 1, target) == 0) return path;
  }
  return "lanes";
}

bool EncodeInLanesIfTheyPay(const Tokenizer& tok, lanes::Kernel kernel, const uint8_t* in,
                            size_t size, uint32_t* ids, size_t* count) {
  const size_t lane_count = lanes::LaneCount();
  if (Internal::IsCompact(tok) || !LanesPay(lane_count, size)) return false;
  *count = EncodeInLanes(tok, kernel, lane_count, in, size, 0, size, ids, kLaneMinSegment,
                         Align::kLeft, lanes::LaneSpan())
               .count;
  return true;
}

bool EncodeInLanesIfTheyPay(const Tokenizer& tok, lanes::Kernel kernel, const uint8_t* in,
                            size_t size, uint16_t* ids, size_t* count) {
  const size_t lane_count = lanes::LaneCount();
  if (Internal::IsCompact(tok) || !LanesPay(lane_count, size)) return false;
  // The lanes need a 32-bit slot per byte, and the caller's room holds half as many. So the text
  // goes in pieces: each piece is encoded into the 32-bit slots that the free room holds, and its
  // ids are narrowed onto the end of those before it. Ids are far fewer than bytes, so the room
  // left soon holds the rest; what is left too short for the lanes is walked plainly.
  // Where the lanes go a window at a time (lanes::LaneSpan), a piece is at most a window and a
  // rest too short for its own, so that its ids are narrowed while they are in the caches.
  const size_t lane_span = lanes::LaneSpan();
  const size_t window = lane_span == 0 ? 0 : WindowBytes(lane_count, kLaneMinSegment, lane_span);
  size_t pos = 0;      // where the true tokenization is
  size_t written = 0;  // ids narrowed so far
  while (pos < size) {
    uint16_t* const room = ids + written;
    const size_t misaligned = reinterpret_cast<uintptr_t>(room) % alignof(uint32_t) == 0 ? 0 : 1;
    const size_t slots = (size - written - misaligned) / 2;
    size_t piece = size - pos < slots ? size - pos : slots;
    if (window != 0 && piece >= 2 * window) piece = window;
    if (!LanesPay(lane_count, piece)) break;
    uint32_t* const wide = reinterpret_cast<uint32_t*>(room + misaligned);
    const Segment seg = EncodeInLanes(tok, kernel, lane_count, in, size, pos, pos + piece, wide,
                                      kLaneMinSegment, Align::kLeft, lane_span);
    // Forwards is safe: the i-th narrow id ends at or before the i-th wide one starts. memcpy,
    // since the two widths share the caller's memory.
    for (size_t i = 0; i < seg.count; ++i) {
      uint32_t id;
      memcpy(&id, wide + i, sizeof(id));
      const uint16_t narrow = static_cast<uint16_t>(id);
      memcpy(room + i, &narrow, sizeof(narrow));
    }
    written += seg.count;
    pos = seg.last_end;
  }
  *count =
      written + Internal::EncodePlain(tok, in + pos, size - pos, ids + written, size - written);
  return true;
}
#else
const char* EncodePath() { return "plain"; }
#endif  // RWKVTOK_LANES

Status Tokenizer::EncodeTexts(const void* text, const size_t* ends, size_t count, uint32_t* ids,
                              size_t* id_counts) const noexcept {
  return EncodeTextsWith(*this, KernelForThisCpu(), text, ends, count, ids, id_counts);
}

Status EncodeTextsWith(const Tokenizer& tok, lanes::Kernel kernel, const void* text,
                       const size_t* ends, size_t count, uint32_t* ids, size_t* id_counts) {
  if (count != 0 && (ends == nullptr || id_counts == nullptr)) return Status::kInvalidArgument;
  for (size_t i = 1; i < count; ++i) {
    if (ends[i] < ends[i - 1]) return Status::kInvalidArgument;
  }
  const size_t size = count == 0 ? 0 : ends[count - 1];
  if (size != 0 && (text == nullptr || ids == nullptr)) return Status::kInvalidArgument;
  const uint8_t* const in = static_cast<const uint8_t*>(text);
  const auto begin_of = [&](size_t i) { return i == 0 ? 0 : ends[i - 1]; };
#if RWKVTOK_LANES
  const bool compact = Internal::IsCompact(tok);  // the lanes walk the full profile's trie
  const lanes::Trie trie = compact ? lanes::Trie{} : LaneTrie(tok);
  const size_t lane_count = lanes::LaneCount();
#else
  (void)kernel;
#endif
  // Groups of texts that span at most a window, since positions in lanes are 32-bit.
  for (size_t first = 0, last; first < count; first = last) {
    const size_t base = begin_of(first);
    for (last = first + 1; last < count && ends[last] - base <= kLaneWindow;) ++last;
#if RWKVTOK_LANES
    // Where each text's lane stopped (lanes::PackStop; 0: all its tokens are yet to encode),
    // kept where its count goes.
    size_t* const stopped = id_counts;
    if (!compact && LanesPay(lane_count) && ends[last - 1] - base <= kLaneWindow) {
      lanes::WalkTexts(kernel, trie, in + base, ends + first, last - first, base, ids + base,
                       stopped + first);
    } else {
      for (size_t i = first; i < last; ++i) stopped[i] = 0;
    }
#endif
    for (size_t i = first; i < last; ++i) {
      const uint8_t* const t = in + begin_of(i);
      const size_t length = ends[i] - begin_of(i);
      uint32_t* const out = ids + begin_of(i);
#if RWKVTOK_LANES
      const size_t start = lanes::StopStart(stopped[i]), units = lanes::StopNext(stopped[i]);
      if (length >= lanes::kMaxLaneText) {
        id_counts[i] = EncodeRange(tok, kernel, t, length, 0, length, out, Align::kLeft).count;
        continue;
      }
      if (units != 0 && kernel == lanes::Kernel::kGathers) lanes::ToIds(trie, out, units);
#else
      const size_t start = 0, units = 0;
#endif
      id_counts[i] = units + EncodeSegment(tok, t, length, start, length, out + units).count;
    }
  }
  return Status::kOk;
}

Status Tokenizer::EncodePart(const void* text, size_t size, Part* part,
                             uint32_t* ids) const noexcept {
  if (part == nullptr || (text == nullptr && size != 0) || (ids == nullptr && size != 0) ||
      part->begin > part->end || part->end > size) {
    return Status::kInvalidArgument;
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
  const size_t begin = part->begin, end = part->end;
  // How far back the part may scan for the run it begins in: in proportion to its length, so
  // that the scans of all parts together cost in proportion to the text.
  const size_t length = end - begin;
  const size_t scan = length > SIZE_MAX / kRunScanPerByte          ? SIZE_MAX
                      : length * kRunScanPerByte < kRunScanMinimum ? kRunScanMinimum
                                                                   : length * kRunScanPerByte;
  const size_t start =
      begin == 0 ? 0 : LikelyBoundary(*this, in, size, begin, begin > scan ? begin - scan : 0);
  // A part that begins the text puts its ids at the end of its range, where the next part's
  // begin: joined, they are already in place.
  const Align align = begin == 0 ? Align::kRight : Align::kLeft;
  const Segment seg =
      EncodeRange(*this, KernelForThisCpu(), in, size, start, end, ids + begin, align);
  part->start = start;
  part->count = seg.count;
  part->last_end = seg.last_end;
  return Status::kOk;
}

Result Tokenizer::JoinParts(const void* text, size_t size, const Part* parts, size_t part_count,
                            uint32_t* ids) const noexcept {
  if ((text == nullptr && size != 0) || (ids == nullptr && size != 0) ||
      (parts == nullptr && part_count != 0)) {
    return Result{Status::kInvalidArgument, 0, 0};
  }
  // The parts must cover the text in order, each within its own range of ids.
  size_t expected_begin = 0;
  for (size_t k = 0; k < part_count; ++k) {
    const Part& p = parts[k];
    const bool fits = p.begin == expected_begin && p.end >= p.begin && p.end <= size &&
                      p.start >= p.begin && p.start <= size && (p.begin != 0 || p.start == 0) &&
                      (p.start < p.end ? p.count != 0 && p.count <= p.end - p.start &&
                                             p.last_end >= p.end && p.last_end <= size
                                       : p.count == 0);
    if (!fits) return Result{Status::kInvalidArgument, 0, k};
    expected_begin = p.end;
  }
  if (expected_begin != size) return Result{Status::kInvalidArgument, 0, part_count};

  // The ids of a part that begins at 0 end at ids[its end]; the others' start at ids[their
  // begin]. Of the parts that begin at 0, all but the last are empty.
  size_t first = 0;
  for (size_t k = 0; k < part_count && parts[k].begin == 0; ++k) {
    first = parts[k].end - parts[k].count;
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
  size_t written = first;
  size_t entry = 0;
  for (size_t k = 0; k < part_count; ++k) {
    const Part& p = parts[k];
    uint32_t* const part_ids = ids + (p.begin == 0 ? p.end - p.count : p.begin);
    const Segment seg{p.start, p.end, part_ids, p.count, p.last_end};
    const Junction j =
        FindJunction(*this, in, size, seg, entry, SIZE_MAX, [&](size_t i) { return seg.ids[i]; });
    // True ids never outnumber the bytes before them; damaged ones might.
    if (j.outcome != Junction::kFound || JoinedCount(seg, j) > size - written) {
      return Result{Status::kInvalidArgument, 0, k};
    }
    PlaceJoined(*this, in, size, seg, j, ids + written);
    written += JoinedCount(seg, j);
    entry = j.exit;
  }
  return Result{Status::kOk, written - first, first};
}

}  // namespace rwkvtok
