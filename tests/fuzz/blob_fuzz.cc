// Fuzz target: any bytes offered as a blob are either rejected by Validate with a status, or make
// a tokenizer that encodes and decodes without reading out of bounds, always makes progress,
// never covers more than max_token_length bytes with one id, and decodes what it encoded back to
// the input. Built with RWKVTOK_FUZZ_COMPACT it is compact_blob_fuzz, for compact blobs.
//
// Input: byte 0 says which checksums to recompute over the rest before validating (bit 0: the
// body checksum, bit 1: the vocabulary checksum). Recomputing them lets mutations reach the
// structural checks behind the checksums, as a deliberately forged blob would.

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lib/blob_format.h"
#include "lib/rwkvtok.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/support.h"

namespace {

namespace blob = rwkvtok::blob;
using rwkvtok::Result;
using rwkvtok::Status;
using rwkvtok::Tokenizer;

// Encoding `text` in parts cut at places that `variant` picks, and streaming it in chunks of sizes
// that `variant` picks, give `expected`, the one-shot ids.
void PartsAndStreamsMatch(const Tokenizer& tok, const uint8_t* text, size_t size,
                          const std::vector<uint32_t>& expected, uint64_t variant) {
  std::vector<size_t> cuts = {0, size * (variant % 8) / 8, size * ((variant >> 3) % 8) / 8,
                              size - (variant >> 6) % (size + 1), size};
  std::sort(cuts.begin(), cuts.end());
  std::vector<Tokenizer::Part> parts;
  std::vector<uint32_t> ids(size);
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    parts.push_back(Tokenizer::Part{cuts[k], cuts[k + 1], 0, 0, 0});
    FUZZ_CHECK(tok.EncodePart(text, size, &parts.back(), ids.data()) == Status::kOk);
  }
  const Result joined = tok.JoinParts(text, size, parts.data(), parts.size(), ids.data());
  FUZZ_CHECK(joined.status == Status::kOk && joined.count == expected.size());
  FUZZ_CHECK(joined.position <= size - joined.count);
  FUZZ_CHECK(std::equal(expected.begin(), expected.end(), ids.begin() + joined.position));

  rwkvtok::StreamEncoder encoder(tok);
  std::vector<uint32_t> streamed;
  std::vector<uint32_t> out(size + tok.max_token_length());
  for (size_t at = 0, k = 0; at < size; ++k) {
    const size_t chunk = std::min<size_t>(size - at, 1 + (variant >> (k % 48)) % 300);
    const Result r = encoder.Push(text + at, chunk, out.data(), chunk + tok.max_token_length());
    FUZZ_CHECK(r.status == Status::kOk && encoder.pending() <= tok.max_token_length());
    streamed.insert(streamed.end(), out.begin(), out.begin() + r.count);
    at += chunk;
  }
  const Result r = encoder.Finish(out.data(), tok.max_token_length());
  FUZZ_CHECK(r.status == Status::kOk);
  streamed.insert(streamed.end(), out.begin(), out.begin() + r.count);
  FUZZ_CHECK(streamed == expected);
}

// Encodes `text`, checks the counts, checks that the ids decode to `text` again, and that parts
// and streams give the same ids.
void EncodeAndDecode(const Tokenizer& tok, const uint8_t* text, size_t size) {
  const Result needed = tok.Encode(text, size, static_cast<uint16_t*>(nullptr), 0);
  FUZZ_CHECK(needed.count <= size);
  FUZZ_CHECK(needed.count * uint64_t{tok.max_token_length()} >= size);
  std::unique_ptr<uint16_t[]> ids(new uint16_t[needed.count + 1]);
  const Result r = tok.Encode(text, size, ids.get(), needed.count);
  FUZZ_CHECK(r.status == Status::kOk && r.count == needed.count);
  const Result length = tok.Decode(ids.get(), r.count, nullptr, 0);
  FUZZ_CHECK(length.status != Status::kInvalidId);
  std::unique_ptr<uint8_t[]> bytes(new uint8_t[length.count + 1]);
  const Result d = tok.Decode(ids.get(), r.count, bytes.get(), length.count);
  FUZZ_CHECK(d.status == Status::kOk && d.count == size);
  FUZZ_CHECK(size == 0 || std::memcmp(bytes.get(), text, size) == 0);
  PartsAndStreamsMatch(tok, text, size, std::vector<uint32_t>(ids.get(), ids.get() + r.count),
                       blob::Fnv1a64(text, size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t forge = data[0];
  size -= 1;
  // operator new[] memory is aligned well beyond the 4 bytes a blob needs, and its exact size
  // lets AddressSanitizer catch a read one byte past the blob.
  std::unique_ptr<uint8_t[]> b(new uint8_t[size + 1]);
  std::memcpy(b.get(), data + 1, size);
#ifdef RWKVTOK_FUZZ_COMPACT
  // compact_blob_fuzz: every input is read as a compact blob, whose vocabulary checksum only a
  // sound trie can give, so only the body checksum is recomputed.
  if (size >= blob::kHeaderSize) blob::StoreU32(b.get() + blob::kKindOffset, blob::kKindCompact);
#else
  if (forge & 2) rwkvtok::testing::ForgeVocabChecksum(b.get(), size);
#endif
  if (forge & 1) rwkvtok::testing::ForgeBodyChecksum(b.get(), size);

  const Status status = rwkvtok::Validate(b.get(), size);
  Tokenizer tok = Tokenizer::World();
  FUZZ_CHECK(Tokenizer::FromBlob(b.get(), size, &tok) == status);
  if (status != Status::kOk) {
    FUZZ_CHECK(tok.vocab_checksum() == Tokenizer::World().vocab_checksum());  // left untouched
    return 0;
  }

  for (uint32_t id = 0; id < tok.token_count() + 2; ++id) {
    uint8_t bytes[blob::kMaxTokenLength];
    const Result r = tok.Decode(&id, 1, bytes, sizeof(bytes));
    FUZZ_CHECK(r.ok() ? r.count <= tok.max_token_length() : r.status == Status::kInvalidId);
  }
  uint8_t every_byte[512];
  for (size_t i = 0; i < sizeof(every_byte); ++i) every_byte[i] = static_cast<uint8_t>(i * 7);
  EncodeAndDecode(tok, every_byte, sizeof(every_byte));
  EncodeAndDecode(tok, b.get(), size);  // the blob's own bytes, tokens included
  return 0;
}
