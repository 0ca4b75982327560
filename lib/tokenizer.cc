// The one-shot functions: Encode, Decode, Count and Prefix, and the status messages. Long texts
// are encoded in vector lanes where the CPU pays for it (lib/segments.h).

#include <string.h>

#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"
#include "lib/segments.h"

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

#if RWKVTOK_LANES
// The ids the lanes write: int32_t and uint32_t ids have the same bits for every id.
uint16_t* LaneIds(uint16_t* ids) { return ids; }
uint32_t* LaneIds(uint32_t* ids) { return ids; }
uint32_t* LaneIds(int32_t* ids) { return reinterpret_cast<uint32_t*>(ids); }
#endif

// Greedy longest match over the whole input. Long inputs with room for one id per byte go
// through the lanes when the CPU has wide enough vectors; the result is the same.
template <typename Id>
Result EncodeTo(const Tokenizer& tok, const void* text, size_t size, Id* ids, size_t capacity) {
  if ((text == nullptr && size != 0) || (ids == nullptr && capacity != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
#if RWKVTOK_LANES
  size_t count;
  // Texts shorter than the lanes ever take (prompts) do not even ask the CPU's target.
  if (capacity >= size && size >= kLaneMinSegment * kMinLanes &&
      EncodeInLanesIfTheyPay(tok, lanes::PreferredKernel(), in, size, LaneIds(ids), &count)) {
    return CountResult(count, capacity);
  }
#endif
  return CountResult(Internal::EncodePlain(tok, in, size, ids, capacity), capacity);
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
// need more than `room` bytes (and 15 more past them). Out of line, so that the short-token loop
// keeps its values in registers.
RWKVTOK_NOINLINE uint8_t* CopyLongBlock(uint8_t* to, size_t room, const uint8_t* pool, uint32_t e0,
                                        uint32_t e1, uint32_t e2, uint32_t e3) {
  if (e0 == blob::kGapEntry || e1 == blob::kGapEntry || e2 == blob::kGapEntry ||
      e3 == blob::kGapEntry) {
    return nullptr;
  }
  const uint32_t l0 = blob::EntryLength(e0), l1 = blob::EntryLength(e1);
  const uint32_t l2 = blob::EntryLength(e2), l3 = blob::EntryLength(e3);
  if (size_t{l0} + l1 + l2 + l3 > room) return nullptr;
  CopyInChunks(to, pool + blob::EntryOffset(e0), l0);
  to += l0;
  CopyInChunks(to, pool + blob::EntryOffset(e1), l1);
  to += l1;
  CopyInChunks(to, pool + blob::EntryOffset(e2), l2);
  to += l2;
  CopyInChunks(to, pool + blob::EntryOffset(e3), l3);
  return to + l3;
}

// The compact profile's decode: each token read up its trie, straight into the output.
template <typename Id>
Result DecodeCompact(const Tokenizer& tok, const Id* ids, size_t count, uint8_t* out,
                     size_t capacity) {
  const compact::Trie trie = Internal::CompactTrie(tok);
  size_t needed = 0;
  for (size_t k = 0; k < count; ++k) {
    const Id id = ids[k];
    if (!InRange(id, trie.token_count)) {
      return MakeResult(Status::kInvalidId, needed < capacity ? needed : capacity, k);
    }
    const bool fits = needed < capacity;
    const uint32_t length =
        compact::CopyTokenPart(trie, static_cast<uint32_t>(id), 0, fits ? capacity - needed : 0,
                               fits ? out + needed : out);
    needed = (needed <= SIZE_MAX - length) ? needed + length : SIZE_MAX;
  }
  return CountResult(needed, capacity);
}

template <typename Id>
Result DecodeFrom(const Tokenizer& tok, const Id* ids, size_t count, void* bytes, size_t capacity) {
  if ((ids == nullptr && count != 0) || (bytes == nullptr && capacity != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
  }
  uint8_t* out = static_cast<uint8_t*>(bytes);
  if (Internal::IsCompact(tok)) return DecodeCompact(tok, ids, count, out, capacity);
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
    // A block starts below block_end, with at most block_room bytes written before it; see
    // CopyLongBlock for copy_room. (Offsets, not pointers: a capacity near SIZE_MAX would take a
    // pointer past the end of memory.)
    const Id* const block_end = ids + (tail - (kDecodeBlock - 1));
    const size_t block_room = capacity - kCopyChunk * kDecodeBlock;
    const size_t copy_room = capacity - (kCopyChunk - 1);
    static_assert(kDecodeBlock == 4, "the block below is written out for four ids");
    while (at < block_end && static_cast<size_t>(to - out) <= block_room &&
           InRange(at[0], token_count) && InRange(at[1], token_count) &&
           InRange(at[2], token_count) && InRange(at[3], token_count)) {
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
        uint8_t* const end =
            CopyLongBlock(to, copy_room - static_cast<size_t>(to - out), pool, e0, e1, e2, e3);
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

}  // namespace

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
  return Internal::WithWalk(*this, [&](const auto& walk) {
    size_t pos = 0;
    size_t tokens = 0;
    while (pos < size && tokens < max_tokens) {
      pos += walk(in + pos, size - pos).length;
      ++tokens;
    }
    return MakeResult(Status::kOk, pos, tokens);
  });
}

}  // namespace rwkvtok
