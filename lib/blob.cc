// Validation of untrusted blobs. Everything is read through bounds that were checked first, so a
// truncated, damaged or hostile blob yields a status, never an out-of-bounds read.

#include <string.h>

#include "lib/blob_format.h"
#include "lib/compact.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"

namespace rwkvtok {
namespace {

using blob::kAlphabetSize;
using blob::LoadU32;
using blob::LoadU64;

Status ReadHeader(const uint8_t* data, size_t size, blob::Header* header) {
  if (size < sizeof(blob::kMagic)) return Status::kBlobTruncated;
  if (memcmp(data, blob::kMagic, sizeof(blob::kMagic)) != 0) return Status::kBlobBadMagic;
  if (size < blob::kHeaderSize) return Status::kBlobTruncated;
  header->version = LoadU32(data + blob::kVersionOffset);
  if (header->version != blob::kVersion) return Status::kBlobUnsupportedVersion;
  if (LoadU32(data + blob::kHeaderSizeOffset) != blob::kHeaderSize) return Status::kBlobCorrupt;
  header->vocab_checksum = LoadU64(data + blob::kVocabChecksumOffset);
  header->body_checksum = LoadU64(data + blob::kBodyChecksumOffset);
  header->unit_count = LoadU32(data + blob::kUnitCountOffset);
  header->token_count = LoadU32(data + blob::kTokenCountOffset);
  header->token_bytes_size = LoadU32(data + blob::kTokenBytesSizeOffset);
  header->max_token_length = LoadU32(data + blob::kMaxTokenLengthOffset);
  for (uint32_t offset = blob::kReservedOffset; offset < blob::kHeaderSize; offset += 4) {
    if (LoadU32(data + offset) != 0) return Status::kBlobCorrupt;
  }
  return Status::kOk;
}

// The decode table: every token lies inside the pool, followed by at least kPoolSlack bytes, and
// is 1 to max_token_length bytes long, the longest exactly that (the header is not under the
// body's checksum); id 0 (end of text) has the entry 0 and other ids without a token have
// kGapEntry; the vocabulary checksum matches.
bool TokenTableIsSound(const blob::Header& header, const uint32_t* entries, const uint8_t* bytes) {
  if (entries[blob::kEndOfTextId] != 0) return false;
  uint64_t checksum = blob::kFnvOffsetBasis;
  uint32_t longest = 0;
  for (uint32_t id = blob::kEndOfTextId + 1; id < header.token_count; ++id) {
    if (entries[id] == blob::kGapEntry) continue;
    const uint32_t offset = blob::EntryOffset(entries[id]);
    const uint32_t length = blob::EntryLength(entries[id]);
    if (length == 0 || length > header.max_token_length) return false;
    if (uint64_t{offset} + length + blob::kPoolSlack > header.token_bytes_size) return false;
    if (length > longest) longest = length;
    checksum = blob::VocabChecksumStep(checksum, id, bytes + offset, length);
  }
  return longest == header.max_token_length && checksum == header.vocab_checksum;
}

// The trie: every node's child indexes are in range, every token unit names a real token (kept
// in the unit, or in an id unit below its children), the root is unreachable, and every byte
// value is a one-byte token (so encoding always makes progress).
bool TrieIsSound(const blob::Header& header, const uint32_t* units, const uint32_t* entries) {
  constexpr uint32_t kIdUnitMask = (1u << blob::kUnitBaseShift) - 1;  // zero in an id unit
  for (uint32_t u = 0; u < header.unit_count; ++u) {
    const uint32_t unit = units[u];
    if ((unit & blob::kUnitOccupied) == 0 && u != blob::kRootUnit) {
      if ((unit & kIdUnitMask) != 0) return false;  // free, or an id unit: never walked from
      continue;
    }
    if (uint64_t{blob::UnitBase(unit)} + kAlphabetSize - 1 >= header.unit_count) return false;
    if ((unit & blob::kUnitNoEdge) != 0) return false;
    if (!blob::UnitIsToken(unit)) {
      if (blob::UnitHasIdInBase(unit)) return false;
      continue;
    }
    uint32_t id = blob::UnitBase(unit);
    if (!blob::UnitHasIdInBase(unit)) {
      if (id < 2) return false;
      const uint32_t id_unit = units[id - 1];
      if ((id_unit & kIdUnitMask) != 0) return false;
      id = blob::UnitBase(id_unit);
    }
    if (id == blob::kEndOfTextId || id >= header.token_count || entries[id] == blob::kGapEntry) {
      return false;
    }
  }
  const uint32_t root = units[blob::kRootUnit];
  if ((root & blob::kUnitCheckMask) != 0 || blob::UnitIsToken(root) ||
      blob::UnitHasIdInBase(root)) {
    return false;
  }
  for (uint32_t byte = 0; byte < kAlphabetSize; ++byte) {
    const uint32_t child = units[blob::UnitBase(root) + byte];
    if ((child & blob::kUnitCheckMask) != blob::UnitCheckFor(static_cast<uint8_t>(byte)) ||
        !blob::UnitIsToken(child)) {
      return false;
    }
  }
  return true;
}

// The first child of `unit` reached by a byte at or after `byte`: that byte, or kAlphabetSize if
// none. Most candidates are not children, so they are passed over 16 at a time by a loop that the
// compiler vectorizes.
uint32_t NextChildByte(const uint32_t* units, uint32_t unit, uint32_t byte) {
  if (blob::UnitHasIdInBase(unit)) return kAlphabetSize;  // no edge leaves such a unit
  const uint32_t* children = units + blob::UnitBase(unit);
  const uint32_t expected = blob::ExpectedCheck(unit, 0);
  for (; byte < kAlphabetSize; ++byte) {
    while (byte % 16 == 0 && byte < kAlphabetSize) {
      uint32_t any = 0;
      for (uint32_t i = 0; i < 16; ++i) {
        any |= static_cast<uint32_t>((children[byte + i] & blob::kUnitCheckMask) ==
                                     (expected | byte) + i);
      }
      if (any != 0) break;
      byte += 16;
    }
    if (byte == kAlphabetSize || (children[byte] & blob::kUnitCheckMask) == (expected | byte))
      break;
  }
  return byte;
}

// Every path the encoder can match spells its token: a depth-first walk over all paths from the
// root checks that each token unit it reaches names an id whose bytes are the path's bytes, and
// that no path is longer than max_token_length. So a token never covers more than
// max_token_length bytes, and decoding what was encoded gives the input back. A trie has fewer
// paths than units; reaching more means nodes share children, and the walk stops there. It keeps
// only the current path's bytes, so its stack is small: to step back it walks down again.
// Runs after TrieIsSound, so every base is in range and every token unit names a token.
bool TriePathsSpellTheirTokens(const blob::Header& header, const uint32_t* units,
                               const uint32_t* entries, const uint8_t* bytes) {
  uint8_t path[blob::kMaxTokenLength];
  uint32_t depth = 0, node = blob::kRootUnit, first_byte = 0, paths = 0;
  for (;;) {
    const uint32_t byte = NextChildByte(units, units[node], first_byte);
    if (byte == kAlphabetSize) {
      if (depth == 0) return true;
      first_byte = path[--depth] + 1u;
      node = blob::kRootUnit;
      for (uint32_t i = 0; i < depth; ++i) node = blob::UnitBase(units[node]) + path[i];
      continue;
    }
    if (depth == header.max_token_length || ++paths >= header.unit_count) return false;
    path[depth++] = static_cast<uint8_t>(byte);
    node = blob::UnitBase(units[node]) + byte;
    first_byte = 0;
    const uint32_t unit = units[node];
    if (blob::UnitIsToken(unit)) {
      const uint32_t entry =
          entries[blob::UnitHasIdInBase(unit) ? blob::UnitBase(unit)
                                              : blob::UnitBase(units[blob::UnitBase(unit) - 1])];
      if (blob::EntryLength(entry) != depth) return false;
      const uint8_t* token = bytes + blob::EntryOffset(entry);
      for (uint32_t i = 0; i < depth; ++i) {
        if (token[i] != path[i]) return false;
      }
    }
  }
}

struct Sections {
  blob::Header header;
  const uint32_t* units;
  const uint32_t* token_entries;
  const uint8_t* token_bytes;
};

Status CheckBlob(const void* data, size_t size, Sections* sections) {
  if (data == nullptr && size != 0) return Status::kInvalidArgument;
  const uint8_t* bytes = static_cast<const uint8_t*>(data);  // null only when empty: truncated
  blob::Header& header = sections->header;
  const Status status = ReadHeader(bytes, size, &header);
  if (status != Status::kOk) return status;
  if (reinterpret_cast<uintptr_t>(data) % blob::kBlobAlignment != 0) {
    return Status::kBlobMisaligned;
  }
  const blob::Layout layout =
      blob::LayoutFor(header.unit_count, header.token_count, header.token_bytes_size);
  if (size < layout.total_size) return Status::kBlobTruncated;
  if (size > layout.total_size) return Status::kBlobCorrupt;
  if (blob::Fnv1a64(bytes + blob::kHeaderSize, size - blob::kHeaderSize) != header.body_checksum) {
    return Status::kBlobChecksumMismatch;
  }
  if (header.token_count < 2 || header.token_count > blob::kMaxTokenCount ||
      header.max_token_length == 0 || header.max_token_length > blob::kMaxTokenLength ||
      header.unit_count < kAlphabetSize + 1 || header.unit_count > blob::kMaxBase + kAlphabetSize ||
      header.token_bytes_size > blob::kMaxTokenBytesSize) {
    return Status::kBlobCorrupt;
  }
  // The sections start at multiples of 8 from a 4-aligned address, so these casts are aligned.
  sections->units = reinterpret_cast<const uint32_t*>(bytes + layout.units);
  sections->token_entries = reinterpret_cast<const uint32_t*>(bytes + layout.token_entries);
  sections->token_bytes = bytes + layout.token_bytes;
  if (!TokenTableIsSound(header, sections->token_entries, sections->token_bytes) ||
      !TrieIsSound(header, sections->units, sections->token_entries) ||
      !TriePathsSpellTheirTokens(header, sections->units, sections->token_entries,
                                 sections->token_bytes)) {
    return Status::kBlobCorrupt;
  }
  return Status::kOk;
}

}  // namespace

Status Validate(const void* data, size_t size) noexcept {
  if (compact::IsCompactBlob(data, size)) return compact::View(data, size, nullptr);
  Sections ignored{};
  return CheckBlob(data, size, &ignored);
}

Status Tokenizer::FromBlob(const void* data, size_t size, Tokenizer* out) noexcept {
  if (out == nullptr) return Status::kInvalidArgument;
  if (compact::IsCompactBlob(data, size)) {
    const Status status = compact::View(data, size, nullptr);
    if (status == Status::kOk) *out = Internal::MakeCompact(static_cast<const uint8_t*>(data));
    return status;
  }
  Sections s{};
  const Status status = CheckBlob(data, size, &s);
  if (status != Status::kOk) return status;
  *out = Internal::Make(s.units, s.token_entries, s.token_bytes, s.header.token_count,
                        s.header.max_token_length, s.header.vocab_checksum);
  return Status::kOk;
}

}  // namespace rwkvtok
