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
      return "null pointer with a non-zero size";
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

// Greedy tokenization from any position is fixed. So a text can be cut into segments, each
// encoded from its own start (by another lane or thread), and joined: the true tokenization
// enters a segment where the previous segment's last true token ends; re-encode from there until
// it lands on one of the segment's token boundaries, and from that one on the segment's tokens
// are the true ones.
struct Segment {
  size_t begin;     // the segment's tokens were encoded from here...
  size_t end;       // ...and are those that start before here
  uint32_t* ids;    // their ids
  size_t count;
  size_t last_end;  // where the last of them ends
};

// Tokens re-encoded while joining a segment before the tokenizations agree; beyond this (never
// seen on real text) the rest of the input is encoded plainly.
constexpr size_t kJoinScratch = 32;

enum class Joined { kYes, kRestEncodedPlainly, kBadId };

// Appends the true tokens that start in `seg` to out[*written..), given that the true
// tokenization enters it at *entry; updates both. `seg.ids` may lie in `out` at or after
// out[*written]: every true token starts at a distinct byte, so the ids written never overtake
// the segment's ids still to be read. Gives up after kJoinScratch tokens and encodes the rest of
// the input plainly (then *written is final). Of the segment's ids it reads only those before the
// point of agreement, and checks them: a caller's parts may be damaged.
static Joined JoinSegment(const Tokenizer& tok, const uint8_t* in, size_t size,
                          const Segment& seg, uint32_t* out, size_t* written, size_t* entry) {
  uint32_t scratch[kJoinScratch];
  size_t scratched = 0;
  size_t index = 0;              // the segment's next token
  size_t seg_pos = seg.begin;    // where it starts
  size_t pos = *entry;           // where the true tokenization is
  while (true) {
    const bool seg_left = index < seg.count;
    if (seg_left && seg_pos == pos) break;
    if (seg_left && seg_pos < pos) {
      const uint32_t id = seg.ids[index++];
      if (!Internal::IsValidId(tok, id) || id == blob::kEndOfTextId) return Joined::kBadId;
      seg_pos += Internal::TokenLength(tok, id);
      continue;
    }
    if (!seg_left && pos >= seg.end) break;  // never agreed: the whole segment was re-encoded
    if (scratched == kJoinScratch) {
      memcpy(out + *written, scratch, sizeof(scratch));
      *written = EncodePlain(tok, in, size, pos, out, *written + scratched, SIZE_MAX);
      return Joined::kRestEncodedPlainly;
    }
    const Match m = Internal::LongestMatch(tok, in + pos, size - pos);
    scratch[scratched++] = m.id;
    pos += m.length;
  }
  const size_t kept = seg.count - index;
  uint32_t* const to = out + *written + scratched;
  if (kept != 0 && to != seg.ids + index) memmove(to, seg.ids + index, kept * sizeof(uint32_t));
  if (scratched != 0) memcpy(out + *written, scratch, scratched * sizeof(uint32_t));
  *written += scratched + kept;
  *entry = kept > 0 ? seg.last_end : pos;
  return Joined::kYes;
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

#if RWKVTOK_LANES
// The lanes beat the plain walk from 8 lanes per vector on (BM_EncodeLanes).
constexpr size_t kMinLanes = 8 * lanes::kChains;

// Positions inside a window are 32-bit.
constexpr size_t kLaneWindow = size_t{1} << 30;

// Encodes text[*from..) in lanes over [*from, *from + window) into out[*written..); returns false
// if it had to finish the whole input plainly. Moves *from to a token boundary past the window.
static bool EncodeWindowInLanes(const Tokenizer& tok, const lanes::Trie& trie, size_t lane_count,
                                const uint8_t* in, size_t size, size_t* from, size_t window,
                                uint32_t* out, size_t* written) {
  uint32_t begin[lanes::kMaxLanes] = {}, end[lanes::kMaxLanes] = {};
  uint32_t start[lanes::kMaxLanes], next[lanes::kMaxLanes];
  const size_t segment = window / lane_count;
  for (size_t k = 0; k < lane_count; ++k) {
    begin[k] = static_cast<uint32_t>(k * segment);
    end[k] = static_cast<uint32_t>(k + 1 == lane_count ? window : (k + 1) * segment);
  }
  // Lane ids go to out[*written + position in the window]: room for one id per byte.
  uint32_t* lane_out = out + *written;
  lanes::Walk(trie, in + *from, begin, end, start, next, lane_out);

  size_t entry = *from;
  for (size_t k = 0; k < lane_count; ++k) {
    // The lane's units become ids; then the plain walk finishes its segment.
    lanes::ToIds(trie, lane_out + begin[k], next[k] - begin[k]);
    Segment seg =
        EncodeSegment(tok, in, size, *from + start[k], *from + end[k], lane_out + next[k]);
    seg.begin = *from + begin[k];
    seg.ids = lane_out + begin[k];
    seg.count += next[k] - begin[k];
    if (JoinSegment(tok, in, size, seg, out, written, &entry) != Joined::kYes) return false;
  }
  *from = entry;
  return true;
}

size_t EncodeInLanes(const Tokenizer& tok, size_t lane_count, const uint8_t* in, size_t size,
                     uint32_t* out, size_t min_segment) {
  const lanes::Trie trie = Internal::LaneTrie(tok);
  size_t from = 0;
  size_t written = 0;
  while (size - from >= min_segment * lane_count) {
    const size_t window = size - from < kLaneWindow ? size - from : kLaneWindow;
    if (!EncodeWindowInLanes(tok, trie, lane_count, in, size, &from, window, out, &written)) {
      return written;
    }
  }
  return EncodePlain(tok, in, size, from, out, written, SIZE_MAX);
}
#endif  // RWKVTOK_LANES

Status Tokenizer::EncodePart(const void* text, size_t size, Part* part,
                             uint32_t* ids) const noexcept {
  if (part == nullptr || (text == nullptr && size != 0) || (ids == nullptr && size != 0) ||
      part->begin > part->end || part->end > size) {
    return Status::kInvalidArgument;
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
  const size_t begin = part->begin, end = part->end;
#if RWKVTOK_LANES
  const size_t lane_count = lanes::LaneCount();
  if (lane_count >= kMinLanes && lane_count <= lanes::kMaxLanes &&
      end - begin >= kLaneMinSegment * lane_count) {
    // The lanes see the part as if the text ended with it, which can change only tokens that
    // start within max_token_length of its end: those are encoded again with the bytes after it.
    size_t count = EncodeInLanes(*this, lane_count, in + begin, end - begin, ids + begin,
                                 kLaneMinSegment);
    size_t pos = end;
    while (count > 0 && pos > end - max_token_length_) {
      pos -= Internal::TokenLength(*this, ids[begin + --count]);
    }
    const Segment tail = EncodeSegment(*this, in, size, pos, end, ids + begin + count);
    part->count = count + tail.count;
    part->last_end = tail.last_end;
    return Status::kOk;
  }
#endif
  const Segment seg = EncodeSegment(*this, in, size, begin, end, ids + begin);
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
    if (p.begin != expected_begin || p.end < p.begin || p.end > size || p.count > p.end - p.begin ||
        p.last_end < p.end || p.last_end > size || (p.count == 0 && p.end != p.begin)) {
      return MakeResult(Status::kInvalidArgument, 0, k);
    }
    expected_begin = p.end;
  }
  if (expected_begin != size) return MakeResult(Status::kInvalidArgument, 0, part_count);

  const uint8_t* in = static_cast<const uint8_t*>(text);
  size_t written = 0;
  size_t entry = 0;
  for (size_t k = 0; k < part_count; ++k) {
    const Segment seg{parts[k].begin, parts[k].end, ids + parts[k].begin, parts[k].count,
                      parts[k].last_end};
    const Joined joined = JoinSegment(*this, in, size, seg, ids, &written, &entry);
    if (joined == Joined::kBadId) return MakeResult(Status::kInvalidArgument, 0, k);
    if (joined == Joined::kRestEncodedPlainly) break;
  }
  return MakeResult(Status::kOk, written);
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
  // Lanes pay only when every lane has a long segment: joining costs a few tokens per segment.
  if (sizeof(Id) == sizeof(uint32_t) && capacity >= size) {
    const size_t lane_count = lanes::LaneCount();
    if (lane_count >= kMinLanes && lane_count <= lanes::kMaxLanes &&
        size >= kLaneMinSegment * lane_count) {
      // int32_t and uint32_t ids have the same bits for every id.
      return CountResult(EncodeInLanes(tok, lane_count, in, size,
                                       reinterpret_cast<uint32_t*>(ids), kLaneMinSegment),
                         capacity);
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
