#include <string.h>

#include "lib/blob_format.h"
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

bool IsValidId(uint16_t id, uint32_t token_count) { return id < token_count; }
bool IsValidId(uint32_t id, uint32_t token_count) { return id < token_count; }
bool IsValidId(int32_t id, uint32_t token_count) {
  return id >= 0 && static_cast<uint32_t>(id) < token_count;
}

}  // namespace

// The plain walk: follow the input down the trie from the root, remembering the last node that
// ended a token; emit that token and restart after it. Validation guarantees every byte value is a
// one-byte token, so each step consumes at least one byte.
template <typename Id>
Result Tokenizer::EncodeTo(const void* text, size_t size, Id* ids, size_t capacity) const noexcept {
  if ((text == nullptr && size != 0) || (ids == nullptr && capacity != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
  }
  const uint8_t* in = static_cast<const uint8_t*>(text);
  const uint32_t* units = units_;
  const uint32_t root_base = blob::UnitBase(units[blob::kRootUnit]);
  size_t emitted = 0;
  size_t pos = 0;
  while (pos < size) {
    uint32_t base = root_base;
    uint32_t token_unit = 0;
    size_t token_end = pos;
    for (size_t i = pos; i < size; ++i) {
      const uint8_t byte = in[i];
      const uint32_t next = base + byte;
      const uint32_t unit = units[next];
      if ((unit & blob::kUnitCheckMask) != blob::UnitCheckFor(byte)) break;
      if (blob::UnitIsToken(unit)) {
        token_unit = next;
        token_end = i + 1;
      }
      base = blob::UnitBase(unit);
    }
    if (emitted < capacity) ids[emitted] = static_cast<Id>(unit_tokens_[token_unit]);
    ++emitted;
    pos = token_end;
  }
  return CountResult(emitted, capacity);
}

template <typename Id>
Result Tokenizer::DecodeFrom(const Id* ids, size_t count, void* bytes,
                             size_t capacity) const noexcept {
  if ((ids == nullptr && count != 0) || (bytes == nullptr && capacity != 0)) {
    return MakeResult(Status::kInvalidArgument, 0);
  }
  uint8_t* out = static_cast<uint8_t*>(bytes);
  size_t needed = 0;
  for (size_t k = 0; k < count; ++k) {
    const Id id = ids[k];
    // Ids other than end-of-text with no bytes are gaps or reserved ids.
    if (!IsValidId(id, token_count_) ||
        (token_offsets_[id] == token_offsets_[id + 1] &&
         static_cast<uint32_t>(id) != blob::kEndOfTextId)) {
      return MakeResult(Status::kInvalidId, needed < capacity ? needed : capacity, k);
    }
    const uint32_t begin = token_offsets_[id];
    const size_t length = token_offsets_[id + 1] - begin;
    if (needed < capacity) {
      const size_t room = capacity - needed;
      memcpy(out + needed, token_bytes_ + begin, length < room ? length : room);
    }
    needed = (needed <= SIZE_MAX - length) ? needed + length : SIZE_MAX;
  }
  return CountResult(needed, capacity);
}

Result Tokenizer::Encode(const void* text, size_t size, uint16_t* ids,
                         size_t capacity) const noexcept {
  return EncodeTo(text, size, ids, capacity);
}
Result Tokenizer::Encode(const void* text, size_t size, int32_t* ids,
                         size_t capacity) const noexcept {
  return EncodeTo(text, size, ids, capacity);
}
Result Tokenizer::Encode(const void* text, size_t size, uint32_t* ids,
                         size_t capacity) const noexcept {
  return EncodeTo(text, size, ids, capacity);
}

Result Tokenizer::Decode(const uint16_t* ids, size_t count, void* bytes,
                         size_t capacity) const noexcept {
  return DecodeFrom(ids, count, bytes, capacity);
}
Result Tokenizer::Decode(const int32_t* ids, size_t count, void* bytes,
                         size_t capacity) const noexcept {
  return DecodeFrom(ids, count, bytes, capacity);
}
Result Tokenizer::Decode(const uint32_t* ids, size_t count, void* bytes,
                         size_t capacity) const noexcept {
  return DecodeFrom(ids, count, bytes, capacity);
}

uint32_t Tokenizer::token_count() const noexcept { return token_count_; }
uint32_t Tokenizer::max_token_length() const noexcept { return max_token_length_; }
uint64_t Tokenizer::vocab_checksum() const noexcept { return vocab_checksum_; }

}  // namespace rwkvtok
