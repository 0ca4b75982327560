// The C API: every rwkvtok_* function forwards to the C++ API. The C states are the C++ objects'
// bytes: a rwkvtok_tokenizer holds a Tokenizer, a rwkvtok_decoder a StreamDecoder and a
// rwkvtok_encoder a StreamEncoder, each trivially copyable. Null pointers to those are checked
// here; every other argument is checked by the C++ function.

#include <string.h>

#include <new>
#include <type_traits>

#include "lib/internal.h"
#include "lib/rwkvtok.h"
#include "lib/segments.h"

namespace rwkvtok {
namespace {

// Whether the C++ object can live in the bytes of the C state.
template <typename Cpp, typename C>
constexpr bool FitsIn() {
  return std::is_trivially_copyable<Cpp>::value && std::is_standard_layout<Cpp>::value &&
         sizeof(Cpp) <= sizeof(C) && alignof(Cpp) <= alignof(C);
}
static_assert(FitsIn<Tokenizer, rwkvtok_tokenizer>(), "Tokenizer must fit rwkvtok_tokenizer");
static_assert(FitsIn<StreamDecoder, rwkvtok_decoder>() &&
                  sizeof(StreamDecoder) == sizeof(rwkvtok_decoder),
              "StreamDecoder must be a rwkvtok_decoder");
static_assert(FitsIn<StreamEncoder, rwkvtok_encoder>() &&
                  sizeof(StreamEncoder) == sizeof(rwkvtok_encoder),
              "StreamEncoder must be a rwkvtok_encoder");

rwkvtok_status ToC(Status status) { return static_cast<rwkvtok_status>(status); }

// Whether `tok` is null or a state no tokenizer was put in (zeroed, or left so by a failed
// rwkvtok_from_blob): every tokenizer views some bytes, so its pool is never null.
bool Unset(const rwkvtok_tokenizer* tok) {
  return tok == nullptr || Internal::IsUnset(Tokenizer::FromC(*tok));
}

rwkvtok_result ToC(const Result& r) {
  rwkvtok_result c;
  c.status = ToC(r.status);
  c.reserved = 0;
  c.count = r.count;
  c.position = r.position;
  return c;
}

constexpr Result kNullState{Status::kInvalidArgument, 0, 0};

// The C++ object whose bytes a C state holds (placed there by the C init functions).
StreamDecoder* Cpp(rwkvtok_decoder* dec) {
  return std::launder(reinterpret_cast<StreamDecoder*>(dec));
}
const StreamDecoder* Cpp(const rwkvtok_decoder* dec) {
  return std::launder(reinterpret_cast<const StreamDecoder*>(dec));
}
StreamEncoder* Cpp(rwkvtok_encoder* enc) {
  return std::launder(reinterpret_cast<StreamEncoder*>(enc));
}
const StreamEncoder* Cpp(const rwkvtok_encoder* enc) {
  return std::launder(reinterpret_cast<const StreamEncoder*>(enc));
}

}  // namespace

rwkvtok_tokenizer Tokenizer::ToC() const noexcept {
  rwkvtok_tokenizer c;
  memset(&c, 0, sizeof(c));
  memcpy(&c, this, sizeof(*this));
  return c;
}

Tokenizer Tokenizer::FromC(const rwkvtok_tokenizer& c) noexcept {
  // Tokenizer has no default constructor: a value to overwrite, which names no World (so that a
  // firmware using only the compact one keeps only its blob).
  Tokenizer tok = Internal::Make(nullptr, nullptr, nullptr, 0, 0, 0);
  memcpy(static_cast<void*>(&tok), &c, sizeof(tok));
  return tok;
}

}  // namespace rwkvtok

using rwkvtok::Cpp;
using rwkvtok::kNullState;
using rwkvtok::StreamDecoder;
using rwkvtok::StreamEncoder;
using rwkvtok::ToC;
using rwkvtok::Tokenizer;
using rwkvtok::Unset;

extern "C" {

const char* rwkvtok_version(void) { return RWKVTOK_VERSION_STRING; }

uint32_t rwkvtok_abi_version(void) { return RWKVTOK_ABI_VERSION; }

const char* rwkvtok_encode_path(void) { return rwkvtok::EncodePath(); }

const char* rwkvtok_status_message(rwkvtok_status status) {
  return rwkvtok::StatusMessage(static_cast<rwkvtok::Status>(status));
}

void rwkvtok_world(rwkvtok_tokenizer* out) {
  if (out != nullptr) *out = Tokenizer::World().ToC();
}

void rwkvtok_world_compact(rwkvtok_tokenizer* out) {
  if (out != nullptr) *out = Tokenizer::WorldCompact().ToC();
}

rwkvtok_status rwkvtok_validate(const void* blob, size_t size) {
  return ToC(rwkvtok::Validate(blob, size));
}

rwkvtok_status rwkvtok_from_blob(const void* blob, size_t size, rwkvtok_tokenizer* out) {
  if (out == nullptr) return ToC(kNullState.status);
  // Overwritten by FromBlob on success; not World, which would link its tables into a firmware
  // that only loads blobs.
  Tokenizer tok = Tokenizer::FromC(rwkvtok_tokenizer{});
  const rwkvtok::Status status = Tokenizer::FromBlob(blob, size, &tok);
  if (status == rwkvtok::Status::kOk) *out = tok.ToC();
  return ToC(status);
}

rwkvtok_result rwkvtok_encode(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                              uint32_t* ids, size_t capacity) {
  if (Unset(tok)) return ToC(kNullState);
  return ToC(Tokenizer::FromC(*tok).Encode(text, size, ids, capacity));
}

rwkvtok_result rwkvtok_encode_u16(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                                  uint16_t* ids, size_t capacity) {
  if (Unset(tok)) return ToC(kNullState);
  return ToC(Tokenizer::FromC(*tok).Encode(text, size, ids, capacity));
}

rwkvtok_status rwkvtok_encode_texts(const rwkvtok_tokenizer* tok, const void* text,
                                    const size_t* ends, size_t count, uint32_t* ids,
                                    size_t* id_counts) {
  if (Unset(tok)) return ToC(kNullState.status);
  return ToC(Tokenizer::FromC(*tok).EncodeTexts(text, ends, count, ids, id_counts));
}

rwkvtok_result rwkvtok_decode(const rwkvtok_tokenizer* tok, const uint32_t* ids, size_t count,
                              void* bytes, size_t capacity) {
  if (Unset(tok)) return ToC(kNullState);
  return ToC(Tokenizer::FromC(*tok).Decode(ids, count, bytes, capacity));
}

rwkvtok_result rwkvtok_decode_u16(const rwkvtok_tokenizer* tok, const uint16_t* ids, size_t count,
                                  void* bytes, size_t capacity) {
  if (Unset(tok)) return ToC(kNullState);
  return ToC(Tokenizer::FromC(*tok).Decode(ids, count, bytes, capacity));
}

rwkvtok_result rwkvtok_count(const rwkvtok_tokenizer* tok, const void* text, size_t size) {
  if (Unset(tok)) return ToC(kNullState);
  return ToC(Tokenizer::FromC(*tok).Count(text, size));
}

rwkvtok_result rwkvtok_prefix(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                              size_t max_tokens) {
  if (Unset(tok)) return ToC(kNullState);
  return ToC(Tokenizer::FromC(*tok).Prefix(text, size, max_tokens));
}

rwkvtok_status rwkvtok_encode_part(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                                   rwkvtok_part* part, uint32_t* ids) {
  if (Unset(tok)) return ToC(kNullState.status);
  return ToC(Tokenizer::FromC(*tok).EncodePart(text, size, part, ids));
}

rwkvtok_result rwkvtok_join_parts(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                                  const rwkvtok_part* parts, size_t part_count, uint32_t* ids) {
  if (Unset(tok)) return ToC(kNullState);
  return ToC(Tokenizer::FromC(*tok).JoinParts(text, size, parts, part_count, ids));
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

rwkvtok_status rwkvtok_decoder_init(rwkvtok_decoder* dec, const rwkvtok_tokenizer* tok,
                                    int32_t policy) {
  if (dec == nullptr || Unset(tok)) return ToC(kNullState.status);
  const StreamDecoder* made =
      new (dec) StreamDecoder(Tokenizer::FromC(*tok), static_cast<rwkvtok::Utf8Policy>(policy));
  return ToC(made->status());
}

rwkvtok_status rwkvtok_decoder_set_stop_ids(rwkvtok_decoder* dec, const uint32_t* ids,
                                            size_t count) {
  if (dec == nullptr) return ToC(kNullState.status);
  return ToC(Cpp(dec)->SetStopIds(ids, count));
}

size_t rwkvtok_decoder_max_output(const rwkvtok_decoder* dec) {
  return dec == nullptr ? 0 : Cpp(dec)->max_output();
}

size_t rwkvtok_decoder_pending(const rwkvtok_decoder* dec) {
  return dec == nullptr ? 0 : Cpp(dec)->pending();
}

rwkvtok_result rwkvtok_decoder_push(rwkvtok_decoder* dec, uint32_t id, void* out, size_t capacity) {
  if (dec == nullptr) return ToC(kNullState);
  return ToC(Cpp(dec)->Push(id, out, capacity));
}

rwkvtok_result rwkvtok_decoder_finish(rwkvtok_decoder* dec, void* out, size_t capacity) {
  if (dec == nullptr) return ToC(kNullState);
  return ToC(Cpp(dec)->Finish(out, capacity));
}

rwkvtok_status rwkvtok_encoder_init(rwkvtok_encoder* enc, const rwkvtok_tokenizer* tok) {
  if (enc == nullptr || Unset(tok)) return ToC(kNullState.status);
  new (enc) StreamEncoder(Tokenizer::FromC(*tok));
  return RWKVTOK_OK;
}

size_t rwkvtok_encoder_pending(const rwkvtok_encoder* enc) {
  return enc == nullptr ? 0 : Cpp(enc)->pending();
}

rwkvtok_result rwkvtok_encoder_push(rwkvtok_encoder* enc, const void* chunk, size_t size,
                                    uint32_t* ids, size_t capacity) {
  if (enc == nullptr) return ToC(kNullState);
  return ToC(Cpp(enc)->Push(chunk, size, ids, capacity));
}

rwkvtok_result rwkvtok_encoder_finish(rwkvtok_encoder* enc, uint32_t* ids, size_t capacity) {
  if (enc == nullptr) return ToC(kNullState);
  return ToC(Cpp(enc)->Finish(ids, capacity));
}

}  // extern "C"
