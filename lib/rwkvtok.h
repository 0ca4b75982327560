// rwkvtok: the RWKV "World" tokenizer (vocabulary rwkv_vocab_v20230424), exact and allocation-free.
//
// Encoding is greedy longest match over bytes: at each position the longest vocabulary entry that
// is a prefix of the remaining input is emitted. Every byte value is a token of its own (for the
// World vocabulary, id = byte + 1), so every input encodes, including invalid UTF-8. Id 0 is the
// end-of-text token: text never encodes to it and it decodes to no bytes. Note that id 1 is the
// byte 0x00, not a special token.
//
// Buffers belong to the caller. No function here allocates, throws, aborts or keeps global state;
// all are safe to call from many threads on one shared Tokenizer.
//
//   const rwkvtok::Tokenizer tok = rwkvtok::Tokenizer::World();
//   std::vector<uint16_t> ids(text.size());              // never more ids than input bytes
//   rwkvtok::Result r = tok.Encode(text.data(), text.size(), ids.data(), ids.size());
//   ids.resize(r.count);
//
// Sizing rule: Encode writes at most one id per input byte; Decode writes at most
// max_token_length() (128 for World) bytes per id. Or call with capacity 0 to learn the size.

#ifndef RWKVTOK_LIB_RWKVTOK_H_
#define RWKVTOK_LIB_RWKVTOK_H_

#include <stddef.h>
#include <stdint.h>

namespace rwkvtok {

enum class Status : uint32_t {
  kOk = 0,
  // The output did not fit. Result::count is the size that would have been needed; the first
  // `capacity` elements of the output were written, nothing after them.
  kBufferTooSmall = 1,
  // Decode met an id that names no token: id 0 is fine, but reserved ids (65530..65535 for World),
  // ids beyond the vocabulary and negative ids are not. Result::position is its index.
  kInvalidId = 2,
  // A null pointer was passed with a non-zero length or capacity.
  kInvalidArgument = 3,
  // Blob problems, reported by Validate and Tokenizer::FromBlob.
  kBlobTruncated = 4,          // shorter than its header says
  kBlobBadMagic = 5,           // not an rwkvtok blob
  kBlobUnsupportedVersion = 6, // made for another version of this library
  kBlobMisaligned = 7,         // does not start at a multiple of 4 bytes
  kBlobChecksumMismatch = 8,   // contents damaged
  kBlobCorrupt = 9,            // inconsistent structure (would read out of bounds or not encode)
};

// A short English description of a status, e.g. for logs. Never null.
const char* StatusMessage(Status status) noexcept;

struct [[nodiscard]] Result {
  Status status;
  // kOk: elements written. kBufferTooSmall: elements needed. kInvalidId: elements written
  // before the invalid id. Encode counts ids, Decode counts bytes.
  size_t count;
  // kInvalidId: index of the first invalid id in the input. Otherwise 0.
  size_t position;

  bool ok() const noexcept { return status == Status::kOk; }
};

// Checks that `size` bytes at `data` are a complete, undamaged blob that encoding and decoding can
// use without reading out of bounds. Reads only inside [data, data + size).
Status Validate(const void* data, size_t size) noexcept;

// An immutable view of a vocabulary blob: a few pointers, cheap to copy. The memory it views must
// outlive it.
class Tokenizer {
 public:
  // The built-in World vocabulary, compiled into the library as read-only data. Needs no
  // initialisation and cannot fail.
  static Tokenizer World() noexcept;

  // Validates the blob at `data` (see Validate) and, on success, points `*out` at it. On failure
  // `*out` is left untouched. `out` must not be null.
  static Status FromBlob(const void* data, size_t size, Tokenizer* out) noexcept;

  // Encodes `size` bytes at `text` into `ids` (room for `capacity` ids). Returns kOk with the
  // number of ids, or kBufferTooSmall with the number needed, or kInvalidArgument for null
  // pointers with non-zero sizes.
  Result Encode(const void* text, size_t size, uint16_t* ids, size_t capacity) const noexcept;
  Result Encode(const void* text, size_t size, int32_t* ids, size_t capacity) const noexcept;
  Result Encode(const void* text, size_t size, uint32_t* ids, size_t capacity) const noexcept;

  // Decodes `count` ids into `bytes` (room for `capacity` bytes). Returns kOk with the number of
  // bytes, kBufferTooSmall with the number needed (saturating at SIZE_MAX), kInvalidId with the
  // index of the first id that names no token, or kInvalidArgument for null pointers with
  // non-zero sizes. The bytes of consecutive tokens are simply joined: a token may be part of a
  // UTF-8 character, so decode a whole sequence before interpreting it as text.
  Result Decode(const uint16_t* ids, size_t count, void* bytes, size_t capacity) const noexcept;
  Result Decode(const int32_t* ids, size_t count, void* bytes, size_t capacity) const noexcept;
  Result Decode(const uint32_t* ids, size_t count, void* bytes, size_t capacity) const noexcept;

  // The size of the id space: every valid id is below it (65530 for World).
  uint32_t token_count() const noexcept;
  // The longest token, in bytes (128 for World).
  uint32_t max_token_length() const noexcept;
  // Identifies the vocabulary (see lib/blob_format.h).
  uint64_t vocab_checksum() const noexcept;

 private:
  constexpr Tokenizer(const uint32_t* units, const uint16_t* unit_tokens,
                      const uint32_t* token_offsets, const uint8_t* token_bytes,
                      uint32_t token_count, uint32_t max_token_length, uint64_t vocab_checksum)
      : units_(units),
        unit_tokens_(unit_tokens),
        token_offsets_(token_offsets),
        token_bytes_(token_bytes),
        token_count_(token_count),
        max_token_length_(max_token_length),
        vocab_checksum_(vocab_checksum) {}

  template <typename Id>
  Result EncodeTo(const void* text, size_t size, Id* ids, size_t capacity) const noexcept;
  template <typename Id>
  Result DecodeFrom(const Id* ids, size_t count, void* bytes, size_t capacity) const noexcept;

  // The sections of a validated blob; see lib/blob_format.h.
  const uint32_t* units_;
  const uint16_t* unit_tokens_;
  const uint32_t* token_offsets_;
  const uint8_t* token_bytes_;
  uint32_t token_count_;
  uint32_t max_token_length_;
  uint64_t vocab_checksum_;
};

}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_RWKVTOK_H_
