// The C API's tokenizer functions: each forwards to the C++ implementation. A rwkvtok_tokenizer
// holds the bytes of a Tokenizer, which is trivially copyable.

#include <string.h>

#include <type_traits>

#include "lib/rwkvtok.h"

namespace rwkvtok {

static_assert(std::is_trivially_copyable<Tokenizer>::value, "Tokenizer must be memcpy-able");
static_assert(sizeof(Tokenizer) <= sizeof(rwkvtok_tokenizer), "Tokenizer outgrew its ABI size");
static_assert(alignof(Tokenizer) <= alignof(rwkvtok_tokenizer), "Tokenizer alignment");

rwkvtok_tokenizer Tokenizer::ToC() const noexcept {
  rwkvtok_tokenizer c;
  memset(&c, 0, sizeof(c));
  memcpy(&c, this, sizeof(*this));
  return c;
}

Tokenizer Tokenizer::FromC(const rwkvtok_tokenizer& c) noexcept {
  Tokenizer tok = World();
  memcpy(static_cast<void*>(&tok), &c, sizeof(tok));
  return tok;
}

namespace {

rwkvtok_result ToC(const Result& r) {
  rwkvtok_result c;
  c.status = static_cast<rwkvtok_status>(r.status);
  c.reserved = 0;
  c.count = r.count;
  c.position = r.position;
  return c;
}

rwkvtok_result NullTokenizer() { return ToC(Result{Status::kInvalidArgument, 0, 0}); }

}  // namespace
}  // namespace rwkvtok

using rwkvtok::Tokenizer;

extern "C" {

uint32_t rwkvtok_abi_version(void) { return RWKVTOK_ABI_VERSION; }

const char* rwkvtok_status_message(rwkvtok_status status) {
  return rwkvtok::StatusMessage(static_cast<rwkvtok::Status>(status));
}

void rwkvtok_world(rwkvtok_tokenizer* out) {
  if (out != nullptr) *out = Tokenizer::World().ToC();
}

rwkvtok_status rwkvtok_validate(const void* blob, size_t size) {
  return static_cast<rwkvtok_status>(rwkvtok::Validate(blob, size));
}

rwkvtok_status rwkvtok_from_blob(const void* blob, size_t size, rwkvtok_tokenizer* out) {
  if (out == nullptr) return RWKVTOK_INVALID_ARGUMENT;
  Tokenizer tok = Tokenizer::World();
  const rwkvtok::Status status = Tokenizer::FromBlob(blob, size, &tok);
  if (status == rwkvtok::Status::kOk) *out = tok.ToC();
  return static_cast<rwkvtok_status>(status);
}

rwkvtok_result rwkvtok_encode(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                              uint32_t* ids, size_t capacity) {
  if (tok == nullptr) return rwkvtok::NullTokenizer();
  return rwkvtok::ToC(Tokenizer::FromC(*tok).Encode(text, size, ids, capacity));
}

rwkvtok_result rwkvtok_encode_u16(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                                  uint16_t* ids, size_t capacity) {
  if (tok == nullptr) return rwkvtok::NullTokenizer();
  return rwkvtok::ToC(Tokenizer::FromC(*tok).Encode(text, size, ids, capacity));
}

rwkvtok_result rwkvtok_decode(const rwkvtok_tokenizer* tok, const uint32_t* ids, size_t count,
                              void* bytes, size_t capacity) {
  if (tok == nullptr) return rwkvtok::NullTokenizer();
  return rwkvtok::ToC(Tokenizer::FromC(*tok).Decode(ids, count, bytes, capacity));
}

rwkvtok_result rwkvtok_decode_u16(const rwkvtok_tokenizer* tok, const uint16_t* ids, size_t count,
                                  void* bytes, size_t capacity) {
  if (tok == nullptr) return rwkvtok::NullTokenizer();
  return rwkvtok::ToC(Tokenizer::FromC(*tok).Decode(ids, count, bytes, capacity));
}

rwkvtok_result rwkvtok_count(const rwkvtok_tokenizer* tok, const void* text, size_t size) {
  if (tok == nullptr) return rwkvtok::NullTokenizer();
  return rwkvtok::ToC(Tokenizer::FromC(*tok).Count(text, size));
}

rwkvtok_result rwkvtok_prefix(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                              size_t max_tokens) {
  if (tok == nullptr) return rwkvtok::NullTokenizer();
  return rwkvtok::ToC(Tokenizer::FromC(*tok).Prefix(text, size, max_tokens));
}

rwkvtok_status rwkvtok_encode_part(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                                   rwkvtok_part* part, uint32_t* ids) {
  if (tok == nullptr) return RWKVTOK_INVALID_ARGUMENT;
  return static_cast<rwkvtok_status>(Tokenizer::FromC(*tok).EncodePart(text, size, part, ids));
}

rwkvtok_result rwkvtok_join_parts(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                                  const rwkvtok_part* parts, size_t part_count, uint32_t* ids) {
  if (tok == nullptr) return rwkvtok::NullTokenizer();
  return rwkvtok::ToC(Tokenizer::FromC(*tok).JoinParts(text, size, parts, part_count, ids));
}

uint32_t rwkvtok_token_count(const rwkvtok_tokenizer* tok) {
  return tok == nullptr ? 0 : Tokenizer::FromC(*tok).token_count();
}

uint32_t rwkvtok_max_token_length(const rwkvtok_tokenizer* tok) {
  return tok == nullptr ? 0 : Tokenizer::FromC(*tok).max_token_length();
}

uint64_t rwkvtok_vocab_checksum(const rwkvtok_tokenizer* tok) {
  return tok == nullptr ? 0 : Tokenizer::FromC(*tok).vocab_checksum();
}

}  // extern "C"
