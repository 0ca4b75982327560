// The streaming decoder (ids in, whole UTF-8 characters out) and the streaming encoder (bytes in
// chunks, the one-shot ids out). Their states live in caller-allocated opaque structs.

#include <string.h>

#include <new>

#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"

namespace rwkvtok {
namespace {

rwkvtok_result CResult(rwkvtok_status status, size_t count, size_t position = 0) {
  rwkvtok_result r;
  r.status = status;
  r.reserved = 0;
  r.count = count;
  r.position = position;
  return r;
}

// --- Decoder ------------------------------------------------------------------------------------

struct DecoderState {
  Tokenizer tok;
  uint32_t stop_ids[RWKVTOK_MAX_STOP_IDS];
  uint8_t stop_count;
  uint8_t policy;
  // The start of a UTF-8 character not yet complete: pending_length of its needed_length bytes.
  uint8_t pending[3];
  uint8_t pending_length;
  uint8_t needed_length;
};
static_assert(sizeof(DecoderState) <= sizeof(rwkvtok_decoder), "decoder state outgrew its ABI size");
static_assert(alignof(DecoderState) <= alignof(rwkvtok_decoder), "decoder state alignment");

DecoderState* State(rwkvtok_decoder* dec) {
  return std::launder(reinterpret_cast<DecoderState*>(dec->opaque));
}
const DecoderState* State(const rwkvtok_decoder* dec) {
  return std::launder(reinterpret_cast<const DecoderState*>(dec->opaque));
}

constexpr uint8_t kReplacement[3] = {0xEF, 0xBF, 0xBD};  // U+FFFD

// Writes to `out` only when it is not null, so one routine both measures and writes.
struct Sink {
  uint8_t* out;
  size_t count;
  void Put(const uint8_t* bytes, size_t n) {
    if (out != nullptr) memcpy(out + count, bytes, n);
    count += n;
  }
};

// How many bytes a character starting with `lead` has, or 0 if `lead` cannot start one.
uint8_t SequenceLength(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Whether `byte` may follow the pending bytes. The second byte's range depends on the lead, which
// excludes overlong forms, surrogates and code points above U+10FFFF (Unicode table 3-7).
bool Continues(const DecoderState& s, uint8_t byte) {
  uint8_t low = 0x80, high = 0xBF;
  if (s.pending_length == 1) {
    switch (s.pending[0]) {
      case 0xE0: low = 0xA0; break;
      case 0xED: high = 0x9F; break;
      case 0xF0: low = 0x90; break;
      case 0xF4: high = 0x8F; break;
      default: break;
    }
  }
  return byte >= low && byte <= high;
}

// A maximal invalid subpart, by policy. Returns false if strict decoding must stop here.
bool Invalid(const DecoderState& s, const uint8_t* bytes, size_t n, Sink* sink) {
  switch (s.policy) {
    case RWKVTOK_UTF8_RAW:
      sink->Put(bytes, n);
      return true;
    case RWKVTOK_UTF8_STRICT:
      return false;
    default:
      sink->Put(kReplacement, sizeof(kReplacement));
      return true;
  }
}

// Feeds bytes through the UTF-8 state; returns false when strict decoding met an invalid subpart
// (the state is then reset).
bool Feed(DecoderState* s, const uint8_t* bytes, size_t n, Sink* sink) {
  for (size_t i = 0; i < n;) {
    const uint8_t byte = bytes[i];
    if (s->pending_length == 0) {
      const uint8_t length = SequenceLength(byte);
      if (length == 1) {
        sink->Put(&byte, 1);
      } else if (length == 0) {
        if (!Invalid(*s, &byte, 1, sink)) return false;
      } else {
        s->pending[0] = byte;
        s->pending_length = 1;
        s->needed_length = length;
      }
      ++i;
      continue;
    }
    if (!Continues(*s, byte)) {
      // The pending bytes are a maximal invalid subpart; the byte itself starts afresh.
      const uint8_t length = s->pending_length;
      s->pending_length = 0;
      if (!Invalid(*s, s->pending, length, sink)) return false;
      continue;
    }
    if (s->pending_length + 1 == s->needed_length) {
      sink->Put(s->pending, s->pending_length);
      sink->Put(&byte, 1);
      s->pending_length = 0;
    } else {
      s->pending[s->pending_length++] = byte;
    }
    ++i;
  }
  return true;
}

bool FlushPending(DecoderState* s, Sink* sink) {
  const uint8_t length = s->pending_length;
  s->pending_length = 0;
  return length == 0 || Invalid(*s, s->pending, length, sink);
}

// Runs `step` on a copy of the state to measure, then, if the output fits, on the state itself.
template <typename Step>
rwkvtok_result Atomically(DecoderState* s, void* out, size_t capacity, Step step) {
  if (out == nullptr && capacity != 0) return CResult(RWKVTOK_INVALID_ARGUMENT, 0);
  DecoderState trial = *s;
  Sink measure{nullptr, 0};
  step(&trial, &measure);
  if (measure.count > capacity) return CResult(RWKVTOK_BUFFER_TOO_SMALL, measure.count);
  Sink sink{static_cast<uint8_t*>(out), 0};
  const rwkvtok_status status = step(s, &sink);
  return CResult(status, sink.count);
}

bool IsStopId(const DecoderState& s, uint32_t id) {
  for (uint8_t i = 0; i < s.stop_count; ++i) {
    if (s.stop_ids[i] == id) return true;
  }
  return false;
}

// --- Encoder ------------------------------------------------------------------------------------

// Held bytes (fewer than the longest token) plus enough of the next chunk to finish any token that
// starts among them.
constexpr size_t kEncoderBufferSize = 2 * blob::kMaxTokenLength;

struct EncoderState {
  Tokenizer tok;
  uint32_t held;  // bytes at the start of buffer, not yet part of a final token
  uint8_t buffer[kEncoderBufferSize];
};
static_assert(sizeof(EncoderState) <= sizeof(rwkvtok_encoder), "encoder state outgrew its ABI size");
static_assert(alignof(EncoderState) <= alignof(rwkvtok_encoder), "encoder state alignment");

EncoderState* State(rwkvtok_encoder* enc) {
  return std::launder(reinterpret_cast<EncoderState*>(enc->opaque));
}
const EncoderState* State(const rwkvtok_encoder* enc) {
  return std::launder(reinterpret_cast<const EncoderState*>(enc->opaque));
}

size_t SaturatingAdd(size_t a, size_t b) { return a <= SIZE_MAX - b ? a + b : SIZE_MAX; }

}  // namespace
}  // namespace rwkvtok

using rwkvtok::DecoderState;
using rwkvtok::EncoderState;
using rwkvtok::Internal;
using rwkvtok::Match;
using rwkvtok::Sink;
using rwkvtok::Tokenizer;

extern "C" {

rwkvtok_status rwkvtok_decoder_init(rwkvtok_decoder* dec, const rwkvtok_tokenizer* tok,
                                    int32_t policy) {
  if (dec == nullptr || tok == nullptr || policy < RWKVTOK_UTF8_REPLACE ||
      policy > RWKVTOK_UTF8_RAW) {
    return RWKVTOK_INVALID_ARGUMENT;
  }
  memset(dec, 0, sizeof(*dec));
  DecoderState* s = new (dec->opaque) DecoderState{Tokenizer::FromC(*tok), {}, 1,
                                                   static_cast<uint8_t>(policy), {}, 0, 0};
  s->stop_ids[0] = rwkvtok::blob::kEndOfTextId;
  return RWKVTOK_OK;
}

rwkvtok_status rwkvtok_decoder_set_stop_ids(rwkvtok_decoder* dec, const uint32_t* ids,
                                            size_t count) {
  if (dec == nullptr || (ids == nullptr && count != 0) || count > RWKVTOK_MAX_STOP_IDS) {
    return RWKVTOK_INVALID_ARGUMENT;
  }
  DecoderState* s = rwkvtok::State(dec);
  for (size_t i = 0; i < count; ++i) s->stop_ids[i] = ids[i];
  s->stop_count = static_cast<uint8_t>(count);
  return RWKVTOK_OK;
}

size_t rwkvtok_decoder_max_output(const rwkvtok_decoder* dec) {
  if (dec == nullptr) return 0;
  return 3 * (size_t{rwkvtok::State(dec)->tok.max_token_length()} + 3);
}

rwkvtok_result rwkvtok_decoder_push(rwkvtok_decoder* dec, uint32_t id, void* out,
                                    size_t capacity) {
  if (dec == nullptr) return rwkvtok::CResult(RWKVTOK_INVALID_ARGUMENT, 0);
  DecoderState* s = rwkvtok::State(dec);
  if (rwkvtok::IsStopId(*s, id)) {
    const bool dropping = s->policy == RWKVTOK_UTF8_STRICT && s->pending_length != 0;
    rwkvtok_result r = rwkvtok::Atomically(s, out, capacity, [](DecoderState* st, Sink* sink) {
      (void)rwkvtok::FlushPending(st, sink);
      return RWKVTOK_STOPPED;
    });
    if (r.status == RWKVTOK_STOPPED) r.position = dropping ? 1 : 0;
    return r;
  }
  if (!Internal::IsValidId(s->tok, id)) return rwkvtok::CResult(RWKVTOK_INVALID_ID, 0);
  uint32_t length;
  const uint8_t* bytes = Internal::TokenBytes(s->tok, id, &length);
  return rwkvtok::Atomically(s, out, capacity, [bytes, length](DecoderState* st, Sink* sink) {
    return rwkvtok::Feed(st, bytes, length, sink) ? RWKVTOK_OK : RWKVTOK_INVALID_UTF8;
  });
}

rwkvtok_result rwkvtok_decoder_finish(rwkvtok_decoder* dec, void* out, size_t capacity) {
  if (dec == nullptr) return rwkvtok::CResult(RWKVTOK_INVALID_ARGUMENT, 0);
  return rwkvtok::Atomically(rwkvtok::State(dec), out, capacity, [](DecoderState* st, Sink* sink) {
    return rwkvtok::FlushPending(st, sink) ? RWKVTOK_OK : RWKVTOK_INVALID_UTF8;
  });
}

rwkvtok_status rwkvtok_encoder_init(rwkvtok_encoder* enc, const rwkvtok_tokenizer* tok) {
  if (enc == nullptr || tok == nullptr) return RWKVTOK_INVALID_ARGUMENT;
  memset(enc, 0, sizeof(*enc));
  new (enc->opaque) EncoderState{Tokenizer::FromC(*tok), 0, {}};
  return RWKVTOK_OK;
}

size_t rwkvtok_encoder_pending(const rwkvtok_encoder* enc) {
  return enc == nullptr ? 0 : rwkvtok::State(enc)->held;
}

// The held bytes and the chunk are one text. Tokens that start among the held bytes are matched
// in the state's buffer, topped up with the chunk's first bytes (enough for any token); the rest
// are matched in the chunk itself. A token whose match ran into the end of the chunk might grow
// with the next chunk, so it and everything after it are kept back for the next push.
rwkvtok_result rwkvtok_encoder_push(rwkvtok_encoder* enc, const void* chunk, size_t size,
                                    uint32_t* ids, size_t capacity) {
  if (enc == nullptr || (chunk == nullptr && size != 0) || (ids == nullptr && capacity != 0)) {
    return rwkvtok::CResult(RWKVTOK_INVALID_ARGUMENT, 0);
  }
  EncoderState* s = rwkvtok::State(enc);
  const size_t bound = rwkvtok::SaturatingAdd(size, s->held);
  if (capacity < bound) return rwkvtok::CResult(RWKVTOK_BUFFER_TOO_SMALL, bound);
  const uint8_t* in = static_cast<const uint8_t*>(chunk);
  size_t emitted = 0;

  const size_t held = s->held;
  const size_t topped = size < sizeof(s->buffer) - held ? size : sizeof(s->buffer) - held;
  if (topped != 0) memcpy(s->buffer + held, in, topped);  // `in` may be null when size is 0
  const size_t window = held + topped;
  size_t pos = 0;
  while (pos < held) {
    const Match m = Internal::LongestMatch(s->tok, s->buffer + pos, window - pos);
    // When the window stops short of the chunk's end it still holds more than any token.
    if (!Internal::IsFinal(s->tok, m, s->buffer + pos, window - pos)) {
      memmove(s->buffer, s->buffer + pos, window - pos);
      s->held = static_cast<uint32_t>(window - pos);
      return rwkvtok::CResult(RWKVTOK_OK, emitted);
    }
    ids[emitted++] = m.id;
    pos += m.length;
  }

  size_t at = pos - held;  // now inside the chunk
  while (at < size) {
    const Match m = Internal::LongestMatch(s->tok, in + at, size - at);
    if (!Internal::IsFinal(s->tok, m, in + at, size - at)) break;
    ids[emitted++] = m.id;
    at += m.length;
  }
  if (size != at) memcpy(s->buffer, in + at, size - at);
  s->held = static_cast<uint32_t>(size - at);
  return rwkvtok::CResult(RWKVTOK_OK, emitted);
}

rwkvtok_result rwkvtok_encoder_finish(rwkvtok_encoder* enc, uint32_t* ids, size_t capacity) {
  if (enc == nullptr || (ids == nullptr && capacity != 0)) {
    return rwkvtok::CResult(RWKVTOK_INVALID_ARGUMENT, 0);
  }
  EncoderState* s = rwkvtok::State(enc);
  if (capacity < s->held) return rwkvtok::CResult(RWKVTOK_BUFFER_TOO_SMALL, s->held);
  size_t emitted = 0;
  for (size_t pos = 0; pos < s->held;) {
    const Match m = Internal::LongestMatch(s->tok, s->buffer + pos, s->held - pos);
    ids[emitted++] = m.id;
    pos += m.length;
  }
  s->held = 0;
  return rwkvtok::CResult(RWKVTOK_OK, emitted);
}

}  // extern "C"

namespace rwkvtok {
namespace {
Result FromCResult(const rwkvtok_result& r) {
  return Result{static_cast<Status>(r.status), r.count, r.position};
}
}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, Utf8Policy policy) noexcept {
  const rwkvtok_tokenizer c = tokenizer.ToC();
  (void)rwkvtok_decoder_init(&state_, &c, static_cast<int32_t>(policy));
}
Status StreamDecoder::SetStopIds(const uint32_t* ids, size_t count) noexcept {
  return static_cast<Status>(rwkvtok_decoder_set_stop_ids(&state_, ids, count));
}
size_t StreamDecoder::max_output() const noexcept { return rwkvtok_decoder_max_output(&state_); }
Result StreamDecoder::Push(uint32_t id, void* out, size_t capacity) noexcept {
  return FromCResult(rwkvtok_decoder_push(&state_, id, out, capacity));
}
Result StreamDecoder::Finish(void* out, size_t capacity) noexcept {
  return FromCResult(rwkvtok_decoder_finish(&state_, out, capacity));
}

StreamEncoder::StreamEncoder(const Tokenizer& tokenizer) noexcept {
  const rwkvtok_tokenizer c = tokenizer.ToC();
  (void)rwkvtok_encoder_init(&state_, &c);
}
size_t StreamEncoder::pending() const noexcept { return rwkvtok_encoder_pending(&state_); }
Result StreamEncoder::Push(const void* chunk, size_t size, uint32_t* ids,
                           size_t capacity) noexcept {
  return FromCResult(rwkvtok_encoder_push(&state_, chunk, size, ids, capacity));
}
Result StreamEncoder::Finish(uint32_t* ids, size_t capacity) noexcept {
  return FromCResult(rwkvtok_encoder_finish(&state_, ids, capacity));
}

}  // namespace rwkvtok
