#include <string.h>

#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"

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

// Greedy longest match, one token after another. A template over the id type so that each
// overload is the same tight loop.
template <typename Id>
static Result EncodeTo(const Tokenizer& tok, const void* text, size_t size, Id* ids,
                       size_t capacity) {
  if ((text == nullptr && size != 0) || (ids == nullptr && capacity != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
  size_t emitted = 0;
  size_t pos = 0;
  while (pos < size) {
    const Match m = Internal::LongestMatch(tok, in + pos, size - pos);
    if (emitted < capacity) ids[emitted] = static_cast<Id>(m.id);
    ++emitted;
    pos += m.length;
  }
  return CountResult(emitted, capacity);
}

// Most tokens are short, so the fast loop copies each with one 16-byte move and then advances by
// the token's length: the next token overwrites the excess. Those excess bytes must stay inside the
// final output, so the fast loop leaves out the shortest run of final ids that holds at least 16
// bytes, and the exact loop copies those.
constexpr size_t kCopyChunk = 16;

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
    if (InRange(id, token_count)) tail_bytes += Internal::TokenLength(tok, static_cast<uint32_t>(id));
  }

  size_t k = 0;
  size_t needed = 0;
  // Local copies: stores through `out` could alias the tokenizer's fields, which would otherwise
  // be reloaded after every copy.
  const uint32_t* const offsets = Internal::TokenOffsets(tok);
  const uint8_t* const token_bytes = Internal::TokenBytes(tok, 0, nullptr);
  const size_t bytes_size = Internal::TokenBytesSize(tok);
  const size_t last_chunk_begin = bytes_size < kCopyChunk ? 0 : bytes_size - kCopyChunk;
  if (capacity >= kCopyChunk && bytes_size >= kCopyChunk) {
    const size_t last_chunk_out = capacity - kCopyChunk;
    for (; k < tail && needed <= last_chunk_out; ++k) {
      const Id id = ids[k];
      if (!InRange(id, token_count)) break;
      const uint32_t begin = offsets[id];
      const uint32_t length = offsets[id + 1] - begin;
      // One test for the rare cases: no bytes (end of text or a gap), long, or near the end.
      if (length - 1 < kCopyChunk && begin <= last_chunk_begin) {
        memcpy(out + needed, token_bytes + begin, kCopyChunk);
      } else if (length == 0) {
        if (static_cast<uint32_t>(id) != blob::kEndOfTextId) break;
      } else if (length <= capacity - needed) {
        memcpy(out + needed, token_bytes + begin, length);
      } else {
        break;
      }
      needed += length;
    }
  }

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
