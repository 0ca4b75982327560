#include <string.h>

#include "lib/blob_format.h"
#include "lib/internal.h"
#if RWKVTOK_LANES
#include "lib/lanes.h"
#endif
#include "lib/rwkvtok.h"

#if defined(__GNUC__)
#define RWKVTOK_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define RWKVTOK_NOINLINE __declspec(noinline)
#else
#define RWKVTOK_NOINLINE
#endif

namespace rwkvtok {

const char* StatusMessage(Status status) noexcept {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kBufferTooSmall:
      return "output buffer too small";
    case Status::kInvalidId:
      return "invalid token id";
    case Status::kInvalidArgument:
      return "invalid argument (a null pointer with a non-zero size, a UTF-8 policy or stop "
             "id count out of range, or parts that do not cover the text)";
    case Status::kBlobTruncated:
      return "blob is truncated";
    case Status::kBlobBadMagic:
      return "not an rwkvtok blob (bad magic)";
    case Status::kBlobUnsupportedVersion:
      return "blob format version not supported by this library";
    case Status::kBlobMisaligned:
      return "blob does not start at a 4-byte aligned address";
    case Status::kBlobChecksumMismatch:
      return "blob checksum mismatch (damaged)";
    case Status::kBlobCorrupt:
      return "blob structure is inconsistent";
    case Status::kInvalidUtf8:
      return "invalid UTF-8";
    case Status::kStopped:
      return "stopped at a stop id";
  }
  return "unknown status";
}

namespace {

Result MakeResult(Status status, size_t count, size_t position = 0) {
  return Result{status, count, position};
}

Result CountResult(size_t needed, size_t capacity) {
  return MakeResult(needed <= capacity ? Status::kOk : Status::kBufferTooSmall, needed);
}

// Whether an id of any type is below token_count (and, for int32_t, not negative).
bool InRange(uint16_t id, uint32_t token_count) { return id < token_count; }
bool InRange(uint32_t id, uint32_t token_count) { return id < token_count; }
bool InRange(int32_t id, uint32_t token_count) {
  return id >= 0 && static_cast<uint32_t>(id) < token_count;
}

}  // namespace

// The plain walk: greedy longest match, one token after another, from `pos`.
template <typename Id>
static size_t EncodePlain(const Tokenizer& tok, const uint8_t* in, size_t size, size_t pos,
                          Id* ids, size_t emitted, size_t capacity) {
  while (pos < size) {
    const Match m = Internal::LongestMatch(tok, in + pos, size - pos);
    if (emitted < capacity) ids[emitted] = static_cast<Id>(m.id);
    ++emitted;
    pos += m.length;
  }
  return emitted;
}

// Joining a segment (lib/internal.h): the true tokenization enters it at `entry`, where the
// previous segment's last true token ends. Re-encode from there until it lands on one of the
// segment's token boundaries; from that one on, the segment's tokens are the true ones.
struct Junction {
  size_t entry;
  size_t skipped;    // the segment's tokens before the point of agreement
  size_t reencoded;  // the true tokens from the entry to that point (all of them, if none)
  size_t exit;       // where the true tokenization leaves the segment: the next one's entry
  enum { kFound, kGaveUp, kDamaged } outcome;
};

// Finds where `seg` joins, re-encoding at most `limit` tokens (else kGaveUp); id_at(i) is its
// i-th id. Of those it reads only the ones before the point of agreement, and checks them: a
// caller's parts may be damaged, with ids that name no token or do not fit the text (kDamaged).
template <typename IdAt>
static Junction FindJunction(const Tokenizer& tok, const uint8_t* in, size_t size,
                             const Segment& seg, size_t entry, size_t limit, IdAt id_at) {
  Junction j{entry, 0, 0, entry, Junction::kFound};
  size_t seg_pos = seg.begin;  // where the segment's next token starts
  size_t pos = entry;          // where the true tokenization is
  while (true) {
    const bool seg_left = j.skipped < seg.count;
    if (seg_left && seg_pos == pos) break;
    if (seg_left && seg_pos < pos) {
      const uint32_t id = id_at(j.skipped++);
      if (!Internal::IsValidId(tok, id) || id == blob::kEndOfTextId) {
        j.outcome = Junction::kDamaged;
        return j;
      }
      seg_pos += Internal::TokenLength(tok, id);
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
static void PlaceJoined(const Tokenizer& tok, const uint8_t* in, size_t size, const Segment& seg,
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
static Segment EncodeSegment(const Tokenizer& tok, const uint8_t* in, size_t size, size_t begin,
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
static Segment AlignRight(Segment seg) {
  if (seg.begin >= seg.end) return seg;
  uint32_t* const to = seg.ids + (seg.end - seg.begin - seg.count);
  if (seg.count != 0 && to != seg.ids) memmove(to, seg.ids, seg.count * sizeof(uint32_t));
  seg.ids = to;
  return seg;
}

#if RWKVTOK_LANES
// The lanes beat the plain walk from 8 lanes per vector on (BM_EncodeLanes).
constexpr size_t kMinLanes = 8 * lanes::kChains;

// Positions inside a window are 32-bit.
constexpr size_t kLaneWindow = size_t{1} << 30;

// Tokens re-encoded to join a lane before giving up on the rest of its window's lanes and
// encoding the rest plainly. Only a run of one character several KB long keeps tokenizations
// apart that long; joining each lane would then encode its bytes three times.
constexpr size_t kLaneJoinLimit = 256;

// Encodes the tokens that start in [*from, *from + window) of in[0..size) in lanes; their ids go
// to the start of out[0..window), or with Align::kRight to its end. Moves *from to where the last
// of them ends and returns how many there are.
static size_t EncodeWindowInLanes(const Tokenizer& tok, const lanes::Trie& trie,
                                  size_t lane_count, const uint8_t* in, size_t size,
                                  size_t* from, size_t window, uint32_t* out, Align align) {
  uint32_t begin[lanes::kMaxLanes] = {}, end[lanes::kMaxLanes] = {};
  uint32_t start[lanes::kMaxLanes], next[lanes::kMaxLanes];
  const size_t segment = window / lane_count;
  for (size_t k = 0; k < lane_count; ++k) {
    begin[k] = static_cast<uint32_t>(k * segment);
    end[k] = static_cast<uint32_t>(k + 1 == lane_count ? window : (k + 1) * segment);
  }
  // Lane ids go to out[position in the window]: room for one id per byte.
  lanes::Walk(trie, in + *from, begin, end, start, next, out);

  // First where each lane joins. Its walk leaves token units (the plain walk finishes its
  // segment with ids after them); they become ids only as the lane is placed, while in cache.
  Segment segs[lanes::kMaxLanes];
  Junction junctions[lanes::kMaxLanes];
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
      return i < units ? Internal::TokenId(tok, trie.units[lane_ids[i]]) : lane_ids[i];
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
    lanes::ToIds(trie, segs[k].ids, next[k] - begin[k]);
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

Segment EncodeInLanes(const Tokenizer& tok, size_t lane_count, const uint8_t* in, size_t size,
                      size_t from, size_t end, uint32_t* out, size_t min_segment, Align align) {
  const lanes::Trie trie = Internal::LaneTrie(tok);
  const size_t lanes_minimum = min_segment * lane_count;
  if (align == Align::kRight && from < end && end - from >= lanes_minimum &&
      end - from <= kLaneWindow) {
    size_t pos = from;
    const size_t count =
        EncodeWindowInLanes(tok, trie, lane_count, in, size, &pos, end - from, out, align);
    return Segment{from, end, out + (end - from - count), count, pos};
  }
  size_t pos = from;
  size_t written = 0;
  while (pos < end && end - pos >= lanes_minimum) {
    const size_t window = end - pos < kLaneWindow ? end - pos : kLaneWindow;
    written += EncodeWindowInLanes(tok, trie, lane_count, in, size, &pos, window,
                                   out + written, Align::kLeft);
  }
  Segment seg = EncodeSegment(tok, in, size, pos, end, out + written);
  seg.begin = from;
  seg.ids = out;
  seg.count += written;
  return align == Align::kRight ? AlignRight(seg) : seg;
}

// Whether the lanes pay for `bytes` bytes on this CPU: only when every lane has a long segment,
// since joining costs a few tokens per segment.
static bool LanesPay(size_t lane_count, size_t bytes) {
  return lane_count >= kMinLanes && lane_count <= lanes::kMaxLanes &&
         bytes >= kLaneMinSegment * lane_count;
}
#endif  // RWKVTOK_LANES

// Encodes the tokens that start in [from, end) of in[0..size), greedily from `from`, into `out`
// (room for one id per byte of them), in lanes where they pay.
static Segment EncodeRange(const Tokenizer& tok, const uint8_t* in, size_t size, size_t from,
                           size_t end, uint32_t* out, Align align) {
#if RWKVTOK_LANES
  const size_t lane_count = lanes::LaneCount();
  if (from < end && LanesPay(lane_count, end - from)) {
    return EncodeInLanes(tok, lane_count, in, size, from, end, out, kLaneMinSegment, align);
  }
#endif
  const Segment seg = EncodeSegment(tok, in, size, from, end, out);
  return align == Align::kRight ? AlignRight(seg) : seg;
}

// Tokenizations started at different places agree after a few bytes (a few hundred at most on
// real text), so the one started this far before a point nearly always passes through the true
// tokenization's first token boundary at or after it.
constexpr size_t kLookBehind = 512;

// That boundary, as predicted: a part that does not begin the text starts its tokens there, so
// that the part before it ends there too and joining them moves nothing.
static size_t LikelyBoundary(const Tokenizer& tok, const uint8_t* in, size_t size, size_t at) {
  size_t pos = at > kLookBehind ? at - kLookBehind : 0;
  while (pos < at) pos += Internal::LongestMatch(tok, in + pos, size - pos).length;
  return pos;
}

Status Tokenizer::EncodePart(const void* text, size_t size, Part* part,
                             uint32_t* ids) const noexcept {
  if (part == nullptr || (text == nullptr && size != 0) || (ids == nullptr && size != 0) ||
      part->begin > part->end || part->end > size) {
    return Status::kInvalidArgument;
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
  const size_t begin = part->begin, end = part->end;
  // A part that begins the text puts its ids at the end of its range, where the next part's
  // begin: joined, they are already in place.
  const size_t start = begin == 0 ? 0 : LikelyBoundary(*this, in, size, begin);
  const Align align = begin == 0 ? Align::kRight : Align::kLeft;
  const Segment seg = EncodeRange(*this, in, size, start, end, ids + begin, align);
  part->start = start;
  part->count = seg.count;
  part->last_end = seg.last_end;
  return Status::kOk;
}

Result Tokenizer::JoinParts(const void* text, size_t size, const Part* parts, size_t part_count,
                            uint32_t* ids) const noexcept {
  if ((text == nullptr && size != 0) || (ids == nullptr && size != 0) ||
      (parts == nullptr && part_count != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
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
    if (!fits) return MakeResult(Status::kInvalidArgument, 0, k);
    expected_begin = p.end;
  }
  if (expected_begin != size) return MakeResult(Status::kInvalidArgument, 0, part_count);

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
      return MakeResult(Status::kInvalidArgument, 0, k);
    }
    PlaceJoined(*this, in, size, seg, j, ids + written);
    written += JoinedCount(seg, j);
    entry = j.exit;
  }
  return MakeResult(Status::kOk, written - first, first);
}

// Greedy longest match over the whole input. Long inputs with room for one id per byte go
// through the lanes when the CPU has wide enough vectors; the result is the same.
template <typename Id>
static Result EncodeTo(const Tokenizer& tok, const void* text, size_t size, Id* ids,
                       size_t capacity) {
  if ((text == nullptr && size != 0) || (ids == nullptr && capacity != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
#if RWKVTOK_LANES
  if (sizeof(Id) == sizeof(uint32_t) && capacity >= size) {
    const size_t lane_count = lanes::LaneCount();
    if (LanesPay(lane_count, size)) {
      // int32_t and uint32_t ids have the same bits for every id.
      const Segment seg = EncodeInLanes(tok, lane_count, in, size, 0, size,
                                        reinterpret_cast<uint32_t*>(ids), kLaneMinSegment);
      return CountResult(seg.count, capacity);
    }
  }
#endif
  return CountResult(EncodePlain(tok, in, size, 0, ids, 0, capacity), capacity);
}

// Most tokens are short, so the fast loop copies each with one 16-byte move (the pool has room for
// that after every token, lib/blob_format.h) and then advances by the token's length: the next
// token overwrites the excess. Those excess bytes must stay inside the final output, so the fast
// loop leaves out the shortest run of final ids that holds at least 16 bytes, and the exact loop
// copies those. It takes kDecodeBlock ids at a time and finds a long token or a gap among them with
// one test of their entries' OR: a gap's entry has length bits above 15 (blob::kGapEntry).
constexpr size_t kCopyChunk = blob::kPoolSlack;
constexpr size_t kDecodeBlock = 4;
// Length bits of a token that one move does not copy (16 and up); they are set in a gap's entry.
constexpr uint32_t kLongLengthBits = 0xFFu & ~uint32_t{kCopyChunk - 1};
static_assert((blob::kGapEntry & kLongLengthBits) != 0, "a gap must fail the short-token test");

// Copies a token's bytes in 16-byte moves, writing up to 15 bytes past them.
inline void CopyInChunks(uint8_t* to, const uint8_t* from, uint32_t length) {
  for (uint32_t i = 0; i < length; i += kCopyChunk) memcpy(to + i, from + i, kCopyChunk);
}

// The fast loop's block with a long token in it: copies the four tokens with entries e0..e3 to
// `to` and returns the new end, or returns null and copies nothing if one is a gap or they would
// write past `copy_limit` + 15. Out of line, so that the short-token loop keeps its values in
// registers.
RWKVTOK_NOINLINE static uint8_t* CopyLongBlock(uint8_t* to, const uint8_t* copy_limit,
                                               const uint8_t* pool, uint32_t e0, uint32_t e1,
                                               uint32_t e2, uint32_t e3) {
  if (e0 == blob::kGapEntry || e1 == blob::kGapEntry || e2 == blob::kGapEntry ||
      e3 == blob::kGapEntry) {
    return nullptr;
  }
  const uint32_t l0 = blob::EntryLength(e0), l1 = blob::EntryLength(e1);
  const uint32_t l2 = blob::EntryLength(e2), l3 = blob::EntryLength(e3);
  if (size_t{l0} + l1 + l2 + l3 > static_cast<size_t>(copy_limit - to)) return nullptr;
  CopyInChunks(to, pool + blob::EntryOffset(e0), l0);
  to += l0;
  CopyInChunks(to, pool + blob::EntryOffset(e1), l1);
  to += l1;
  CopyInChunks(to, pool + blob::EntryOffset(e2), l2);
  to += l2;
  CopyInChunks(to, pool + blob::EntryOffset(e3), l3);
  return to + l3;
}

template <typename Id>
static Result DecodeFrom(const Tokenizer& tok, const Id* ids, size_t count, void* bytes,
                         size_t capacity) {
  if ((ids == nullptr && count != 0) || (bytes == nullptr && capacity != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
  }
  uint8_t* out = static_cast<uint8_t*>(bytes);
  const uint32_t token_count = tok.token_count();

  size_t tail = count;
  for (size_t tail_bytes = 0; tail > 0 && tail_bytes < kCopyChunk;) {
    const Id id = ids[--tail];
    if (InRange(id, token_count) && Internal::IsValidId(tok, static_cast<uint32_t>(id))) {
      tail_bytes += Internal::TokenLength(tok, static_cast<uint32_t>(id));
    }
  }

  // Local copies: stores through `out` could alias the tokenizer's fields, which would otherwise
  // be reloaded after every copy.
  const uint32_t* const entries = Internal::TokenEntries(tok);
  const uint8_t* const pool = Internal::TokenPool(tok);
  const Id* at = ids;
  uint8_t* to = out;
  if (capacity >= kCopyChunk * kDecodeBlock && tail >= kDecodeBlock) {
    // A block starts below block_end, at or below block_limit; see CopyLongBlock for copy_limit.
    const Id* const block_end = ids + (tail - (kDecodeBlock - 1));
    const uint8_t* const block_limit = out + (capacity - kCopyChunk * kDecodeBlock);
    const uint8_t* const copy_limit = out + (capacity - (kCopyChunk - 1));
    static_assert(kDecodeBlock == 4, "the block below is written out for four ids");
    while (at < block_end && to <= block_limit && InRange(at[0], token_count) &&
           InRange(at[1], token_count) && InRange(at[2], token_count) &&
           InRange(at[3], token_count)) {
      const uint32_t e0 = entries[at[0]], e1 = entries[at[1]];
      const uint32_t e2 = entries[at[2]], e3 = entries[at[3]];
      if (((e0 | e1 | e2 | e3) & kLongLengthBits) == 0) {
        memcpy(to, pool + blob::EntryOffset(e0), kCopyChunk);
        to += blob::EntryLength(e0);
        memcpy(to, pool + blob::EntryOffset(e1), kCopyChunk);
        to += blob::EntryLength(e1);
        memcpy(to, pool + blob::EntryOffset(e2), kCopyChunk);
        to += blob::EntryLength(e2);
        memcpy(to, pool + blob::EntryOffset(e3), kCopyChunk);
        to += blob::EntryLength(e3);
      } else {
        uint8_t* const end = CopyLongBlock(to, copy_limit, pool, e0, e1, e2, e3);
        if (end == nullptr) break;  // a gap, or too little room: left to the exact loop
        to = end;
      }
      at += kDecodeBlock;
    }
  }

  size_t k = static_cast<size_t>(at - ids);
  size_t needed = static_cast<size_t>(to - out);
  for (; k < count; ++k) {
    const Id id = ids[k];
    if (!InRange(id, token_count) || !Internal::IsValidId(tok, static_cast<uint32_t>(id))) {
      return MakeResult(Status::kInvalidId, needed < capacity ? needed : capacity, k);
    }
    uint32_t length32;
    const uint8_t* token = Internal::TokenBytes(tok, static_cast<uint32_t>(id), &length32);
    const size_t length = length32;
    if (needed < capacity) {
      const size_t room = capacity - needed;
      memcpy(out + needed, token, length < room ? length : room);
    }
    needed = (needed <= SIZE_MAX - length) ? needed + length : SIZE_MAX;
  }
  return CountResult(needed, capacity);
}

Result Tokenizer::Encode(const void* text, size_t size, uint16_t* ids,
                         size_t capacity) const noexcept {
  return EncodeTo(*this, text, size, ids, capacity);
}
Result Tokenizer::Encode(const void* text, size_t size, int32_t* ids,
                         size_t capacity) const noexcept {
  return EncodeTo(*this, text, size, ids, capacity);
}
Result Tokenizer::Encode(const void* text, size_t size, uint32_t* ids,
                         size_t capacity) const noexcept {
  return EncodeTo(*this, text, size, ids, capacity);
}

Result Tokenizer::Decode(const uint16_t* ids, size_t count, void* bytes,
                         size_t capacity) const noexcept {
  return DecodeFrom(*this, ids, count, bytes, capacity);
}
Result Tokenizer::Decode(const int32_t* ids, size_t count, void* bytes,
                         size_t capacity) const noexcept {
  return DecodeFrom(*this, ids, count, bytes, capacity);
}
Result Tokenizer::Decode(const uint32_t* ids, size_t count, void* bytes,
                         size_t capacity) const noexcept {
  return DecodeFrom(*this, ids, count, bytes, capacity);
}

Result Tokenizer::Count(const void* text, size_t size) const noexcept {
  const Result r = EncodeTo(*this, text, size, static_cast<uint32_t*>(nullptr), 0);
  return r.status == Status::kBufferTooSmall ? MakeResult(Status::kOk, r.count) : r;
}

// The prefix ends where the first max_tokens tokens of the whole text end: a prefix cut inside a
// later token still encodes those tokens first (each is the longest match in the shorter text
// too) and then at least one more.
Result Tokenizer::Prefix(const void* text, size_t size, size_t max_tokens) const noexcept {
  if (text == nullptr && size != 0) return MakeResult(Status::kInvalidArgument, 0);
  const uint8_t* in = static_cast<const uint8_t*>(text);
  size_t pos = 0;
  size_t tokens = 0;
  while (pos < size && tokens < max_tokens) {
    pos += Internal::LongestMatch(*this, in + pos, size - pos).length;
    ++tokens;
  }
  return MakeResult(Status::kOk, pos, tokens);
}

}  // namespace rwkvtok
