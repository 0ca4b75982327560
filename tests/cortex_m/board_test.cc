// The library on a Cortex-M: runs on QEMU's MPS2 boards (--config=cortex_m4, --config=cortex_m7)
// with the built-in World blob in flash, and checks every golden vector (golden_vectors.h, made at
// build time by make_vectors with the host encoder): ids from the C++ API for each id type and from
// the C API, counting and prefixes, the text in parts, the streaming encoder in chunks of several
// sizes, decoding back to the text, the streaming decoder under each UTF-8 policy. Any mismatch is
// printed and makes main return 1, which the semihosting exit turns into a failed test.
//
// Compiled four times: against //lib:rwkvtok, again with RWKVTOK_TEST_COMPACT for the compact
// profile (Tokenizer::WorldCompact), and with RWKVTOK_NO_DECODE or RWKVTOK_NO_ENCODE against the
// encode-only and decode-only libraries, where the half that is left out is checked to behave as
// lib/world.cc documents.

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/rwkvtok.h"
#include "tests/cortex_m/golden_vectors.h"

namespace {

using golden::Vector;
using rwkvtok::Result;
using rwkvtok::Status;
using rwkvtok::Tokenizer;

int failures = 0;
const char* current = "";

#define CHECK(condition)                                               \
  do {                                                                 \
    if (!(condition)) {                                                \
      ++failures;                                                      \
      printf("FAIL %s: line %d: %s\n", current, __LINE__, #condition); \
    }                                                                  \
  } while (0)

// Output buffers, in RAM (.bss) rather than on the stack.
constexpr size_t kIdRoom = golden::kMaxTextSize + 256;  // a push needs room for its bytes + 128
constexpr size_t kByteRoom = golden::kMaxReplacedSize + RWKVTOK_DECODER_MAX_OUTPUT;
uint16_t ids16[kIdRoom];
int32_t ids_i32[kIdRoom];
uint32_t ids32[kIdRoom];
uint8_t bytes[kByteRoom];

template <typename Id>
bool SameIds(const Id* got, const Vector& v) {
  for (size_t i = 0; i < v.id_count; ++i) {
    if (static_cast<uint32_t>(got[i]) != v.ids[i]) {
      printf("  %s: id %lu is %lu, expected %lu\n", v.name, static_cast<unsigned long>(i),
             static_cast<unsigned long>(got[i]), static_cast<unsigned long>(v.ids[i]));
      return false;
    }
  }
  return true;
}

// The World tokenizer under test: the compact profile's with RWKVTOK_TEST_COMPACT (an image that
// names only it, so that the full tables are left out), else the full one.
#ifdef RWKVTOK_TEST_COMPACT
Tokenizer TheWorld() { return Tokenizer::WorldCompact(); }
void WorldC(rwkvtok_tokenizer* c) { rwkvtok_world_compact(c); }
#else
Tokenizer TheWorld() { return Tokenizer::World(); }
void WorldC(rwkvtok_tokenizer* c) { rwkvtok_world(c); }
#endif

// --- Stack: how deep a call goes, measured by painting the stack below the caller -------------

constexpr size_t kPaintSize = 4096;
constexpr uint8_t kPaint = 0xA5;

inline uintptr_t StackPointer() {
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

// The deepest use measured for each kind of call, over all vectors.
enum Call { kEncode, kDecode, kStreamEncode, kStreamDecode, kCallKinds };
const char* const kCallNames[kCallKinds] = {"Encode", "Decode", "StreamEncoder::Push",
                                            "rwkvtok_decoder_push"};
size_t deepest_stack[kCallKinds] = {};

// Runs `call` and records the bytes of stack it used below the stack pointer of this function
// (an upper bound for the library function it calls: it includes the call's own overhead).
template <typename F>
__attribute__((noinline)) void MeasureStack(Call kind, const F& call) {
  volatile uint8_t* const top = reinterpret_cast<volatile uint8_t*>(StackPointer());
  volatile uint8_t* const bottom = top - kPaintSize;
  for (volatile uint8_t* p = bottom; p < top; ++p) *p = kPaint;
  call();
  volatile uint8_t* p = bottom;
  while (p < top && *p == kPaint) ++p;
  const size_t used = static_cast<size_t>(top - p);
  if (used > deepest_stack[kind]) deepest_stack[kind] = used;
}

// --- Speed: instructions per byte, counted with SysTick -----------------------------------------

// SysTick counts down from 2^24 - 1 at the core's clock. Under `qemu-system-arm -icount shift=0`
// every instruction takes the same virtual time, so ticks count instructions (tools/
// cortex_m_speed.sh runs the test so); otherwise the numbers printed mean nothing.
volatile uint32_t* const kSysTick = reinterpret_cast<volatile uint32_t*>(0xE000E010u);
void StartSysTick() {
  kSysTick[1] = 0xFFFFFFu;  // reload
  kSysTick[2] = 0;          // current value
  kSysTick[0] = 5;          // enable, core clock, no interrupt
}
uint32_t Ticks() { return kSysTick[2]; }
uint32_t TicksSince(uint32_t start) { return (start - Ticks()) & 0xFFFFFFu; }  // one wrap at most

uint64_t encode_ticks = 0, decode_ticks = 0, timed_bytes = 0;

// Ticks for 10,000 instructions (100 rounds of 98 nops, a subtract and a branch), to turn ticks
// into instructions.
uint32_t CalibrationTicks() {
  const uint32_t start = Ticks();
  __asm__ volatile(
      "mov r0, #100\n"
      "1:\n"
      ".rept 98\n nop\n .endr\n"
      "subs r0, r0, #1\n"
      "bne 1b\n" ::
          : "r0", "cc");
  return TicksSince(start);
}

// --- Encoding -----------------------------------------------------------------------------------

#ifndef RWKVTOK_NO_ENCODE
void CheckEncode(const Tokenizer& tok, const Vector& v) {
  const uint32_t start = Ticks();
  Result r = tok.Encode(v.text, v.text_size, ids16, kIdRoom);
  encode_ticks += TicksSince(start);
  timed_bytes += v.text_size;
  CHECK(r.status == Status::kOk && r.count == v.id_count && SameIds(ids16, v));
  r = tok.Encode(v.text, v.text_size, ids_i32, kIdRoom);
  CHECK(r.status == Status::kOk && r.count == v.id_count && SameIds(ids_i32, v));
  MeasureStack(kEncode, [&] { r = tok.Encode(v.text, v.text_size, ids32, kIdRoom); });
  CHECK(r.status == Status::kOk && r.count == v.id_count && SameIds(ids32, v));

  // Measuring (capacity 0) and a buffer one id short.
  r = tok.Encode(v.text, v.text_size, static_cast<uint32_t*>(nullptr), 0);
  CHECK(r.count == v.id_count &&
        r.status == (v.id_count == 0 ? Status::kOk : Status::kBufferTooSmall));
  if (v.id_count > 0) {
    r = tok.Encode(v.text, v.text_size, ids32, v.id_count - 1);
    CHECK(r.status == Status::kBufferTooSmall && r.count == v.id_count);
  }

  // The C API.
  rwkvtok_tokenizer c;
  WorldC(&c);
  rwkvtok_result cr = rwkvtok_encode(&c, v.text, v.text_size, ids32, kIdRoom);
  CHECK(cr.status == RWKVTOK_OK && cr.count == v.id_count && SameIds(ids32, v));
  cr = rwkvtok_encode_u16(&c, v.text, v.text_size, ids16, kIdRoom);
  CHECK(cr.status == RWKVTOK_OK && cr.count == v.id_count && SameIds(ids16, v));

  // The text in three parts, encoded one after the other here and joined: the same ids.
  rwkvtok_part parts[3] = {};
  parts[0].end = parts[1].begin = v.text_size / 3;
  parts[1].end = parts[2].begin = v.text_size * 2 / 3;
  parts[2].end = v.text_size;
  bool parts_ok = true;
  for (rwkvtok_part& part : parts) {
    parts_ok = parts_ok && rwkvtok_encode_part(&c, v.text, v.text_size, &part, ids32) == RWKVTOK_OK;
  }
  cr = rwkvtok_join_parts(&c, v.text, v.text_size, parts, 3, ids32);
  CHECK(parts_ok && cr.status == RWKVTOK_OK && cr.count == v.id_count &&
        SameIds(ids32 + cr.position, v));

  // Counting, and a prefix of half the tokens: its bytes encode to exactly the first half.
  r = tok.Count(v.text, v.text_size);
  CHECK(r.status == Status::kOk && r.count == v.id_count);
  const size_t half = v.id_count / 2;
  const Result prefix = tok.Prefix(v.text, v.text_size, half);
  CHECK(prefix.status == Status::kOk && prefix.position == half);
  r = tok.Encode(v.text, prefix.count, ids32, kIdRoom);
  CHECK(r.status == Status::kOk && r.count == half &&
        SameIds(ids32, Vector{v.name, v.text, 0, v.ids, half}));

  // The streaming encoder, in chunks of several sizes; the C API's, in chunks of 13 bytes.
  const size_t chunks[] = {1, 7, 61, v.text_size};
  for (const size_t chunk : chunks) {
    rwkvtok::StreamEncoder encoder(tok);
    size_t count = 0;
    bool ok = true;
    for (size_t at = 0; at < v.text_size && ok; at += chunk) {
      const size_t n = v.text_size - at < chunk ? v.text_size - at : chunk;
      MeasureStack(kStreamEncode,
                   [&] { r = encoder.Push(v.text + at, n, ids32 + count, kIdRoom - count); });
      ok = r.status == Status::kOk && encoder.pending() <= tok.max_token_length();
      count += r.count;
    }
    r = encoder.Finish(ids32 + count, kIdRoom - count);
    count += r.count;
    CHECK(ok && r.status == Status::kOk && count == v.id_count && SameIds(ids32, v));
  }
  rwkvtok_encoder encoder;
  CHECK(rwkvtok_encoder_init(&encoder, &c) == RWKVTOK_OK);
  size_t count = 0;
  for (size_t at = 0; at < v.text_size; at += 13) {
    const size_t n = v.text_size - at < 13 ? v.text_size - at : 13;
    cr = rwkvtok_encoder_push(&encoder, v.text + at, n, ids32 + count, kIdRoom - count);
    CHECK(cr.status == RWKVTOK_OK);
    count += cr.count;
  }
  cr = rwkvtok_encoder_finish(&encoder, ids32 + count, kIdRoom - count);
  count += cr.count;
  CHECK(cr.status == RWKVTOK_OK && count == v.id_count && SameIds(ids32, v));
}
#endif

// --- Decoding -----------------------------------------------------------------------------------

#ifndef RWKVTOK_NO_DECODE
bool Same(const uint8_t* got, size_t got_size, const uint8_t* expected, size_t size) {
  return got_size == size && memcmp(got, expected, size) == 0;
}

// Pushes every id of `v` through a streaming decoder with `policy`; returns the bytes written,
// or SIZE_MAX if a push or the finish returned something else than `expected`.
size_t StreamDecode(const Tokenizer& tok, const Vector& v, rwkvtok::Utf8Policy policy,
                    Status* first_error) {
  rwkvtok::StreamDecoder decoder(tok, policy);
  size_t size = 0;
  *first_error = Status::kOk;
  for (size_t i = 0; i < v.id_count; ++i) {
    const Result r = decoder.Push(v.ids[i], bytes + size, kByteRoom - size);
    if (r.status != Status::kOk && *first_error == Status::kOk) *first_error = r.status;
    size += r.count;
  }
  const Result r = decoder.Finish(bytes + size, kByteRoom - size);
  if (r.status != Status::kOk && *first_error == Status::kOk) *first_error = r.status;
  return size + r.count;
}

void CheckDecode(const Tokenizer& tok, const Vector& v) {
  const uint32_t start = Ticks();
  Result r = tok.Decode(v.ids, v.id_count, bytes, kByteRoom);
  decode_ticks += TicksSince(start);
  CHECK(r.status == Status::kOk && Same(bytes, r.count, v.text, v.text_size));
  for (size_t i = 0; i < v.id_count; ++i) ids32[i] = v.ids[i];
  MeasureStack(kDecode, [&] { r = tok.Decode(ids32, v.id_count, bytes, kByteRoom); });
  CHECK(r.status == Status::kOk && Same(bytes, r.count, v.text, v.text_size));
  for (size_t i = 0; i < v.id_count; ++i) ids_i32[i] = static_cast<int32_t>(v.ids[i]);
  r = tok.Decode(ids_i32, v.id_count, bytes, kByteRoom);
  CHECK(r.status == Status::kOk && Same(bytes, r.count, v.text, v.text_size));
  r = tok.Decode(v.ids, v.id_count, nullptr, 0);
  CHECK(r.count == v.text_size);

  rwkvtok_tokenizer c;
  WorldC(&c);
  rwkvtok_result cr = rwkvtok_decode(&c, ids32, v.id_count, bytes, kByteRoom);
  CHECK(cr.status == RWKVTOK_OK && Same(bytes, cr.count, v.text, v.text_size));
  cr = rwkvtok_decode_u16(&c, v.ids, v.id_count, bytes, kByteRoom);
  CHECK(cr.status == RWKVTOK_OK && Same(bytes, cr.count, v.text, v.text_size));

  // Streaming: raw gives the bytes back, replace gives what the host's decoder gave, strict
  // fails exactly on the texts that are not valid UTF-8.
  Status error;
  size_t size = StreamDecode(tok, v, rwkvtok::Utf8Policy::kRaw, &error);
  CHECK(error == Status::kOk && Same(bytes, size, v.text, v.text_size));
  size = StreamDecode(tok, v, rwkvtok::Utf8Policy::kReplace, &error);
  CHECK(error == Status::kOk && Same(bytes, size, v.replaced, v.replaced_size));
  size = StreamDecode(tok, v, rwkvtok::Utf8Policy::kStrict, &error);
  CHECK(v.valid_utf8 ? (error == Status::kOk && Same(bytes, size, v.text, v.text_size))
                     : error == Status::kInvalidUtf8);

  // The C API's decoder, with 0 as its only stop id: pushing it ends the text.
  rwkvtok_decoder decoder;
  CHECK(rwkvtok_decoder_init(&decoder, &c, RWKVTOK_UTF8_REPLACE) == RWKVTOK_OK);
  size = 0;
  for (size_t i = 0; i < v.id_count; ++i) {
    MeasureStack(kStreamDecode, [&] {
      cr = rwkvtok_decoder_push(&decoder, v.ids[i], bytes + size, kByteRoom - size);
    });
    CHECK(cr.status == RWKVTOK_OK);
    size += cr.count;
  }
  cr = rwkvtok_decoder_push(&decoder, 0, bytes + size, kByteRoom - size);
  CHECK(cr.status == RWKVTOK_STOPPED);
  size += cr.count;
  CHECK(Same(bytes, size, v.replaced, v.replaced_size));
}
#endif

// --- The half a build leaves out ----------------------------------------------------------------

#ifdef RWKVTOK_NO_DECODE
void CheckNoDecode(const Tokenizer& tok, const Vector& v) {
  const Result r = tok.Decode(v.ids, v.id_count, bytes, kByteRoom);
  CHECK(v.id_count == 0 ? r.status == Status::kOk
                        : (r.status == Status::kInvalidId && r.position == 0 && r.count == 0));
}
#endif

#ifdef RWKVTOK_NO_ENCODE
void CheckNoEncode(const Tokenizer& tok, const Vector& v) {
  const Result r = tok.Encode(v.text, v.text_size, ids32, kIdRoom);
  bool zeros = true;
  for (size_t i = 0; i < r.count; ++i) zeros = zeros && ids32[i] == 0;
  CHECK(r.status == Status::kOk && r.count == v.text_size && zeros);
}
#endif

// The image runs on the board of its configuration: Cortex-M4 (single-precision FPU) on AN386,
// Cortex-M7 (double-precision FPU) on AN500. CPUID's part number names the core.
void CheckCore() {
  const uint32_t cpuid = *reinterpret_cast<volatile const uint32_t*>(0xE000ED00u);
  const uint32_t part = (cpuid >> 4) & 0xFFFu;
#if defined(__ARM_FP) && (__ARM_FP & 8)
  const uint32_t expected = 0xC27;  // Cortex-M7
#else
  const uint32_t expected = 0xC24;  // Cortex-M4
#endif
  printf("core: CPUID 0x%08lx (%s)\n", static_cast<unsigned long>(cpuid),
         part == 0xC24   ? "Cortex-M4"
         : part == 0xC27 ? "Cortex-M7"
                         : "unknown");
  current = "core";
  CHECK(part == expected);
}

}  // namespace

int main() {
#if defined(RWKVTOK_NO_DECODE)
  const char* build = "encode-only";
#elif defined(RWKVTOK_NO_ENCODE)
  const char* build = "decode-only";
#elif defined(RWKVTOK_TEST_COMPACT)
  const char* build = "compact profile";
#else
  const char* build = "full";
#endif
  printf("rwkvtok board test (%s library): %lu vectors, %lu bytes of text\n", build,
         static_cast<unsigned long>(golden::kVectorCount),
         static_cast<unsigned long>(golden::kTotalTextSize));
  CheckCore();
  StartSysTick();

  const Tokenizer tok = TheWorld();
  current = "world";
  CHECK(tok.max_token_length() == 128);
  CHECK(rwkvtok_abi_version() == RWKVTOK_ABI_VERSION);
  CHECK(strcmp(rwkvtok_encode_path(), "plain") == 0);  // no vector lanes on a microcontroller
#ifdef RWKVTOK_NO_DECODE
  CHECK(tok.token_count() == 1);
#else
  CHECK(tok.token_count() == 65530);
  const uint32_t invalid[3] = {34, 65530, 34};
  const Result r = tok.Decode(invalid, 3, bytes, kByteRoom);
  CHECK(r.status == Status::kInvalidId && r.position == 1 && r.count == 1);
#endif

  for (size_t k = 0; k < golden::kVectorCount; ++k) {
    const Vector& v = golden::kVectors[k];
    current = v.name;
    const int before = failures;
#ifdef RWKVTOK_NO_ENCODE
    CheckNoEncode(tok, v);
#else
    CheckEncode(tok, v);
#endif
#ifdef RWKVTOK_NO_DECODE
    CheckNoDecode(tok, v);
#else
    CheckDecode(tok, v);
#endif
    printf("%s %-22s %5lu bytes %5lu ids\n", failures == before ? "ok  " : "FAIL", v.name,
           static_cast<unsigned long>(v.text_size), static_cast<unsigned long>(v.id_count));
  }
  // tools/size_report.sh bounds every function's stack from the compiler's call graph; this is
  // what the calls really used here, and it must stay within the same budget.
  current = "stack";
  printf("stack used, measured in bytes:");
  for (int kind = 0; kind < kCallKinds; ++kind) {
    if (deepest_stack[kind] == 0) continue;
    printf(" %s %lu", kCallNames[kind], static_cast<unsigned long>(deepest_stack[kind]));
    CHECK(deepest_stack[kind] <= 512);
  }
  printf("\n");
  // Instructions per byte of text, in tenths (printf here has no floating point).
  const uint64_t calibration = CalibrationTicks();
  const auto per_byte_tenths = [&](uint64_t ticks) {
    return calibration == 0 || timed_bytes == 0
               ? 0ul
               : static_cast<unsigned long>(ticks * 10000 * 10 / (calibration * timed_bytes));
  };
  printf("instructions per byte (%s): encode %lu.%lu decode %lu.%lu over %lu bytes\n", build,
         per_byte_tenths(encode_ticks) / 10, per_byte_tenths(encode_ticks) % 10,
         per_byte_tenths(decode_ticks) / 10, per_byte_tenths(decode_ticks) % 10,
         static_cast<unsigned long>(timed_bytes));
  printf("%s: %d failure%s\n", failures == 0 ? "PASS" : "FAIL", failures, failures == 1 ? "" : "s");
  return failures == 0 ? 0 : 1;
}
