// The streaming decoder (ids in, whole UTF-8 characters out) and the streaming encoder (bytes in
// chunks, the one-shot ids out). Each keeps its state inside the fixed-size C struct it wraps, so
// the C API (lib/c_api.cc) forwards to these classes without a state of its own.

#include <string.h>

#include <new>

#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"

namespace rwkvtok {
namespace {

// --- Decoder ------------------------------------------------------------------------------------

// The policy of a decoder made with one that is not a Utf8Policy: every call then reports
// kInvalidArgument.
constexpr uint8_t kInvalidPolicy = 0xFF;

struct DecoderState {
  Tokenizer tok;
  uint32_t stop_ids[RWKVTOK_MAX_STOP_IDS];
  uint8_t stop_count;
  uint8_t policy;  // a Utf8Policy, or kInvalidPolicy
  // The start of a UTF-8 character not yet complete: pending_length of its needed_length bytes.
  uint8_t pending[3];
  uint8_t pending_length;
  uint8_t needed_length;
};
static_assert(sizeof(DecoderState) <= sizeof(rwkvtok_decoder),
              "decoder state outgrew its ABI size");
static_assert(alignof(DecoderState) <= alignof(rwkvtok_decoder), "decoder state alignment");

DecoderState* State(rwkvtok_decoder* dec) {
  return std::launder(reinterpret_cast<DecoderState*>(dec->opaque));
}
const DecoderState* State(const rwkvtok_decoder* dec) {
  return std::launder(reinterpret_cast<const DecoderState*>(dec->opaque));
}

bool IsPolicy(Utf8Policy policy) {
  return policy == Utf8Policy::kReplace || policy == Utf8Policy::kStrict ||
         policy == Utf8Policy::kRaw;
}

constexpr uint8_t kReplacement[3] = {0xEF, 0xBF, 0xBD};  // U+FFFD

// The most bytes one push can write: every byte of the longest token, and the bytes held back
// before it, each becoming a U+FFFD.
constexpr size_t MaxDecoderOutput(size_t max_token_length) {
  return sizeof(kReplacement) * (max_token_length + sizeof(DecoderState::pending));
}
static_assert(MaxDecoderOutput(blob::kMaxTokenLength) == RWKVTOK_DECODER_MAX_OUTPUT,
              "RWKVTOK_DECODER_MAX_OUTPUT must be the bound for the longest token a blob allows");

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
      case 0xE0:
        low = 0xA0;
        break;
      case 0xED:
        high = 0x9F;
        break;
      case 0xF0:
        low = 0x90;
        break;
      case 0xF4:
        high = 0x8F;
        break;
      default:
        break;
    }
  }
  return byte >= low && byte <= high;
}

// A maximal invalid subpart, by policy. Returns false if strict decoding must stop here.
bool Invalid(const DecoderState& s, const uint8_t* bytes, size_t n, Sink* sink) {
  switch (static_cast<Utf8Policy>(s.policy)) {
    case Utf8Policy::kRaw:
      sink->Put(bytes, n);
      return true;
    case Utf8Policy::kStrict:
      return false;
    case Utf8Policy::kReplace:
      break;
  }
  sink->Put(kReplacement, sizeof(kReplacement));
  return true;
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
// Reporting invalid UTF-8 needs room for one byte even when nothing is written before it, so that
// a call with capacity 0 that would end in that error only measures and can be retried.
template <typename Step>
Result Atomically(DecoderState* s, void* out, size_t capacity, Step step) {
  if (out == nullptr && capacity != 0) return Result{Status::kInvalidArgument, 0, 0};
  DecoderState trial = *s;
  Sink measure{nullptr, 0};
  const Status outcome = step(&trial, &measure);
  const size_t needed = outcome == Status::kInvalidUtf8 && measure.count == 0 ? 1 : measure.count;
  if (needed > capacity) return Result{Status::kBufferTooSmall, needed, 0};
  Sink sink{static_cast<uint8_t*>(out), 0};
  return Result{step(s, &sink), sink.count, 0};
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
static_assert(sizeof(EncoderState) <= sizeof(rwkvtok_encoder),
              "encoder state outgrew its ABI size");
static_assert(alignof(EncoderState) <= alignof(rwkvtok_encoder), "encoder state alignment");

EncoderState* State(rwkvtok_encoder* enc) {
  return std::launder(reinterpret_cast<EncoderState*>(enc->opaque));
}
const EncoderState* State(const rwkvtok_encoder* enc) {
  return std::launder(reinterpret_cast<const EncoderState*>(enc->opaque));
}

size_t SaturatingAdd(size_t a, size_t b) { return a <= SIZE_MAX - b ? a + b : SIZE_MAX; }

}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, Utf8Policy policy) noexcept {
  memset(&state_, 0, sizeof(state_));
  const uint8_t stored = IsPolicy(policy) ? static_cast<uint8_t>(policy) : kInvalidPolicy;
  DecoderState* s = new (state_.opaque) DecoderState{tokenizer, {}, 1, stored, {}, 0, 0};
  s->stop_ids[0] = blob::kEndOfTextId;
}

Status StreamDecoder::status() const noexcept {
  return State(&state_)->policy == kInvalidPolicy ? Status::kInvalidArgument : Status::kOk;
}

Status StreamDecoder::SetStopIds(const uint32_t* ids, size_t count) noexcept {
  if (status() != Status::kOk || (ids == nullptr && count != 0) || count > kMaxStopIds) {
    return Status::kInvalidArgument;
  }
  DecoderState* s = State(&state_);
  for (size_t i = 0; i < count; ++i) s->stop_ids[i] = ids[i];
  s->stop_count = static_cast<uint8_t>(count);
  return Status::kOk;
}

size_t StreamDecoder::max_output() const noexcept {
  if (status() != Status::kOk) return 0;
  return MaxDecoderOutput(State(&state_)->tok.max_token_length());
}

size_t StreamDecoder::pending() const noexcept { return State(&state_)->pending_length; }

Result StreamDecoder::Push(uint32_t id, void* out, size_t capacity) noexcept {
  if (status() != Status::kOk || (out == nullptr && capacity != 0)) {
    return Result{Status::kInvalidArgument, 0, 0};
  }
  DecoderState* s = State(&state_);
  if (IsStopId(*s, id)) {
    const bool dropping =
        s->policy == static_cast<uint8_t>(Utf8Policy::kStrict) && s->pending_length != 0;
    Result r = Atomically(s, out, capacity, [](DecoderState* st, Sink* sink) {
      (void)FlushPending(st, sink);
      return Status::kStopped;
    });
    if (r.status == Status::kStopped) r.position = dropping ? 1 : 0;
    return r;
  }
  if (!Internal::IsValidId(s->tok, id)) return Result{Status::kInvalidId, 0, 0};
  if (Internal::IsCompact(s->tok)) {
    // The compact trie gives a token's bytes by copying them: a few at a time, on the stack.
    return Atomically(s, out, capacity, [id](DecoderState* st, Sink* sink) {
      const compact::Trie trie = Internal::CompactTrie(st->tok);
      const uint32_t length = compact::TokenLength(trie, id);
      uint8_t part[32];
      for (uint32_t from = 0; from < length; from += sizeof(part)) {
        const uint32_t n = length - from < sizeof(part) ? length - from : sizeof(part);
        compact::CopyTokenPart(trie, id, from, n, part);
        if (!Feed(st, part, n, sink)) return Status::kInvalidUtf8;
      }
      return Status::kOk;
    });
  }
  uint32_t length;
  const uint8_t* bytes = Internal::TokenBytes(s->tok, id, &length);
  return Atomically(s, out, capacity, [bytes, length](DecoderState* st, Sink* sink) {
    return Feed(st, bytes, length, sink) ? Status::kOk : Status::kInvalidUtf8;
  });
}

Result StreamDecoder::Finish(void* out, size_t capacity) noexcept {
  if (status() != Status::kOk) return Result{Status::kInvalidArgument, 0, 0};
  return Atomically(State(&state_), out, capacity, [](DecoderState* st, Sink* sink) {
    return FlushPending(st, sink) ? Status::kOk : Status::kInvalidUtf8;
  });
}

StreamEncoder::StreamEncoder(const Tokenizer& tokenizer) noexcept {
  memset(&state_, 0, sizeof(state_));
  new (state_.opaque) EncoderState{tokenizer, 0, {}};
}

size_t StreamEncoder::pending() const noexcept { return State(&state_)->held; }

// The held bytes and the chunk are one text. Tokens that start among the held bytes are matched
// in the state's buffer, topped up with the chunk's first bytes (enough for any token); the rest
// are matched in the chunk itself. A token whose match ran into the end of the chunk might grow
// with the next chunk, so it and everything after it are kept back for the next push.
Result StreamEncoder::Push(const void* chunk, size_t size, uint32_t* ids,
                           size_t capacity) noexcept {
  EncoderState* s = State(&state_);
  // A zeroed rwkvtok_encoder (never initialised) has no tokenizer.
  if ((chunk == nullptr && size != 0) || (ids == nullptr && capacity != 0) ||
      Internal::IsUnset(s->tok)) {
    return Result{Status::kInvalidArgument, 0, 0};
  }
  const size_t bound = SaturatingAdd(size, s->held);
  if (capacity < bound) return Result{Status::kBufferTooSmall, bound, 0};
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
      return Result{Status::kOk, emitted, 0};
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
  return Result{Status::kOk, emitted, 0};
}

Result StreamEncoder::Finish(uint32_t* ids, size_t capacity) noexcept {
  EncoderState* s = State(&state_);
  if ((ids == nullptr && capacity != 0) || Internal::IsUnset(s->tok)) {
    return Result{Status::kInvalidArgument, 0, 0};
  }
  if (capacity < s->held) return Result{Status::kBufferTooSmall, s->held, 0};
  size_t emitted = 0;
  for (size_t pos = 0; pos < s->held;) {
    const Match m = Internal::LongestMatch(s->tok, s->buffer + pos, s->held - pos);
    ids[emitted++] = m.id;
    pos += m.length;
  }
  s->held = 0;
  return Result{Status::kOk, emitted, 0};
}

}  // namespace rwkvtok
