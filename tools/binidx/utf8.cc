// UTF-8 checked a byte at a time by a DFA, and whole texts 16 bytes at a time by looking up byte
// pairs in tables (the method of Keiser and Lemire, "Validating UTF-8 in less than one
// instruction per byte", 2021): every way UTF-8 can be wrong shows in a byte, the byte before it
// and, for continuation bytes, the two or three before that.
//
// Where Highway and lib/targets.cc are linked in (RWKVTOK_LANES: the library's builds with
// lanes, and the Python module), the vector check is compiled for each target and chosen at run
// time as the library's lanes are (lib/targets.h).

#if RWKVTOK_LANES
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tools/binidx/utf8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#endif

#ifndef RWKVTOK_TOOLS_BINIDX_UTF8_TABLES
#define RWKVTOK_TOOLS_BINIDX_UTF8_TABLES

#include <cstdint>
#include <cstring>

#include "tools/binidx/utf8.h"

namespace rwkvtok {
namespace binidx {
namespace {

// The DFA's states are multiples of 6: kDfa.rows[byte] >> state & 63 is the next state. Its one
// dependent step per byte checks a run of text at about a byte per cycle.
enum DfaState : uint8_t {
  kAccept = 0,
  kReject = 6,
  kOneMore = 12,    // a continuation byte, then done
  kTwoMore = 18,    // two of them
  kThreeMore = 24,  // three
  kAfterE0 = 30,    // A0..BF (not overlong), then one more
  kAfterED = 36,    // 80..9F (not a surrogate), then one more
  kAfterF0 = 42,    // 90..BF (not overlong), then two more
  kAfterF4 = 48,    // 80..8F (not past U+10FFFF), then two more
};

constexpr uint64_t DfaRow(uint32_t b) {
  // From each state: where the byte leads (kReject unless said).
  uint8_t next[9] = {kReject, kReject, kReject, kReject, kReject,
                     kReject, kReject, kReject, kReject};
  if (b < 0x80) {
    next[kAccept / 6] = kAccept;
  } else if (b < 0xC0) {
    next[kOneMore / 6] = kAccept;
    next[kTwoMore / 6] = kOneMore;
    next[kThreeMore / 6] = kTwoMore;
    next[kAfterE0 / 6] = b >= 0xA0 ? kOneMore : kReject;
    next[kAfterED / 6] = b < 0xA0 ? kOneMore : kReject;
    next[kAfterF0 / 6] = b >= 0x90 ? kTwoMore : kReject;
    next[kAfterF4 / 6] = b < 0x90 ? kTwoMore : kReject;
  } else if (b >= 0xC2 && b < 0xE0) {
    next[kAccept / 6] = kOneMore;
  } else if (b >= 0xE0 && b < 0xF0) {
    next[kAccept / 6] = b == 0xE0 ? kAfterE0 : b == 0xED ? kAfterED : kTwoMore;
  } else if (b >= 0xF0 && b < 0xF5) {
    next[kAccept / 6] = b == 0xF0 ? kAfterF0 : b == 0xF4 ? kAfterF4 : kThreeMore;
  }
  uint64_t row = 0;
  for (int state = 0; state < 9; ++state) row |= uint64_t{next[state]} << (6 * state);
  return row;
}

struct Dfa {
  uint64_t rows[256];
};

constexpr Dfa MakeDfa() {
  Dfa t{};
  for (uint32_t b = 0; b < 256; ++b) t.rows[b] = DfaRow(b);
  return t;
}

constexpr Dfa kDfa = MakeDfa();

#if RWKVTOK_LANES
// The ways a byte can be wrong after the byte before it, one bit each. Each way is a set of high
// nibbles of the byte before, of its low nibbles, and of the byte's high nibbles: a pair of bytes
// is wrong that way when all three of its nibbles are in the sets. So three tables of 16 bytes,
// one per nibble, hold each way's bit where its set has the nibble, and a pair's errors are the
// AND of its three lookups.
struct PairRule {
  uint8_t bit;
  uint16_t before_high, before_low, high;  // nibble sets: bit n for nibble n
};

constexpr uint16_t kAnyNibble = 0xFFFF;
constexpr uint16_t kContinuationHigh = 0x0F00;  // 8..B: 0x80..0xBF
constexpr uint16_t kLeadHigh = 0xF000;          // C..F
constexpr uint16_t kAsciiHigh = 0x00FF;         // 0..7

// A continuation byte after a continuation byte: right only as the third or fourth byte of a
// character, which the bytes two and three back tell. Its bit is the sign bit, to be compared
// with theirs.
constexpr uint8_t kTwoContinuations = 0x80;

constexpr PairRule kPairRules[] = {
    {1 << 0, kLeadHigh, kAnyNibble, ~kContinuationHigh & 0xFFFF},  // a lead, then no continuation
    {1 << 1, kAsciiHigh, kAnyNibble, kContinuationHigh},           // ASCII, then a continuation
    {1 << 2, 1 << 0xE, 1 << 0x0, 1 << 8 | 1 << 9},                 // E0 80..9F: overlong
    {1 << 3, 1 << 0xF, 0xFFF0, 1 << 9 | 1 << 0xA | 1 << 0xB},      // F4..FF 90..BF: past U+10FFFF
    {1 << 4, 1 << 0xE, 1 << 0xD, 1 << 0xA | 1 << 0xB},             // ED A0..BF: a surrogate
    {1 << 5, 1 << 0xC, 1 << 0x0 | 1 << 0x1, kAnyNibble},           // C0, C1: overlong, always
    {1 << 6, 1 << 0xF, 0xFFE1, 1 << 8},  // F0 80..8F: overlong; F5..FF 80..8F: past U+10FFFF
    {kTwoContinuations, kContinuationHigh, kAnyNibble, kContinuationHigh},
};

struct PairTables {
  alignas(16) uint8_t before_high[16];
  alignas(16) uint8_t before_low[16];
  alignas(16) uint8_t high[16];
};

constexpr PairTables MakePairTables() {
  PairTables t{};
  for (const PairRule& rule : kPairRules) {
    for (int nibble = 0; nibble < 16; ++nibble) {
      if (rule.before_high >> nibble & 1) t.before_high[nibble] |= rule.bit;
      if (rule.before_low >> nibble & 1) t.before_low[nibble] |= rule.bit;
      if (rule.high >> nibble & 1) t.high[nibble] |= rule.bit;
    }
  }
  return t;
}

constexpr PairTables kPairTables = MakePairTables();
#endif  // RWKVTOK_LANES

}  // namespace
}  // namespace binidx
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_BINIDX_UTF8_TABLES

#if RWKVTOK_LANES
HWY_BEFORE_NAMESPACE();
namespace rwkvtok {
namespace binidx {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

const char* TargetImpl() { return hwy::TargetName(HWY_TARGET); }

#if HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
// No byte lookups in vectors: the DFA is faster than their emulation.
bool IsUtf8TextImpl(const unsigned char* p, const unsigned char* end) { return IsUtf8(p, end); }
#else
using D8 = hn::Full128<uint8_t>;
using V8 = hn::Vec<D8>;

// The bytes of `bytes` that are wrong after those before them, the last 16 of which are `before`,
// as nonzero lanes; the other vectors are the three tables of kPairTables. (Vectors are passed by
// value: SVE's cannot be members of a struct.)
HWY_INLINE V8 Errors(V8 before_high, V8 before_low, V8 high, V8 bytes, V8 before) {
  const D8 d;
  const V8 before1 = hn::CombineShiftRightBytes<15>(d, bytes, before);
  const V8 pair =
      hn::And(hn::And(hn::TableLookupBytes(before_high, hn::ShiftRight<4>(before1)),
                      hn::TableLookupBytes(before_low, hn::And(before1, hn::Set(d, 0x0F)))),
              hn::TableLookupBytes(high, hn::ShiftRight<4>(bytes)));
  // The sign bit where the byte two back leads 3 or 4 bytes (E0..FF) or the byte three back
  // leads 4 (F0..FF): exactly where a second continuation in a row is right.
  const V8 before2 = hn::CombineShiftRightBytes<14>(d, bytes, before);
  const V8 before3 = hn::CombineShiftRightBytes<13>(d, bytes, before);
  const V8 needs_more = hn::And(hn::Or(hn::SaturatedSub(before2, hn::Set(d, 0xE0 - 0x80)),
                                       hn::SaturatedSub(before3, hn::Set(d, 0xF0 - 0x80))),
                                hn::Set(d, kTwoContinuations));
  return hn::Xor(pair, needs_more);
}

bool IsUtf8TextImpl(const unsigned char* p, const unsigned char* end) {
  const D8 d;
  const V8 before_high = hn::Load(d, kPairTables.before_high);
  const V8 before_low = hn::Load(d, kPairTables.before_low);
  const V8 high = hn::Load(d, kPairTables.high);
  // Before the text: as if ASCII.
  V8 before = hn::Zero(d), errors = hn::Zero(d);
  for (; end - p >= 16; p += 16) {
    const V8 bytes = hn::LoadU(d, p);
    errors = hn::Or(errors, Errors(before_high, before_low, high, bytes, before));
    before = bytes;
  }
  // The rest, then zeros, which no character continues with: one cut off by the end is wrong.
  alignas(16) uint8_t rest[16] = {};
  if (p != end) std::memcpy(rest, p, end - p);
  errors = hn::Or(errors, Errors(before_high, before_low, high, hn::Load(d, rest), before));
  return hn::AllTrue(d, hn::Eq(errors, hn::Zero(d)));
}
#endif

}  // namespace HWY_NAMESPACE
}  // namespace binidx
}  // namespace rwkvtok
HWY_AFTER_NAMESPACE();
#endif  // RWKVTOK_LANES

#if !RWKVTOK_LANES || HWY_ONCE
#if RWKVTOK_LANES
#include "lib/targets.h"
#endif

namespace rwkvtok {
namespace binidx {
namespace {

uint64_t Load8(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

bool IsAscii8(const unsigned char* p) { return (Load8(p) & 0x8080808080808080u) == 0; }

}  // namespace

bool IsUtf8(const unsigned char* p, const unsigned char* end) {
  uint64_t state = kAccept;
  while (p < end) {
    if (state == kAccept && end - p >= 8 && IsAscii8(p)) {
      p += 8;
      continue;
    }
    state = kDfa.rows[*p++] >> state & 63;
  }
  return state == kAccept;
}

bool IsUtf8Text(const unsigned char* p, const unsigned char* end) {
  // Many documents are ASCII throughout, or start so.
  while (end - p >= 8 && IsAscii8(p)) p += 8;
#if RWKVTOK_LANES
  return RWKVTOK_DISPATCH(IsUtf8TextImpl)(p, end);
#else
  return IsUtf8(p, end);
#endif
}

const unsigned char* FirstInvalidUtf8(const unsigned char* p, const unsigned char* end) {
  uint64_t state = kAccept;
  const unsigned char* character = p;
  for (; p < end && state != kReject; ++p) {
    if (state == kAccept) character = p;
    state = kDfa.rows[*p] >> state & 63;
  }
  return state == kAccept ? end : character;
}

const char* Utf8TextTarget() {
#if RWKVTOK_LANES
  return RWKVTOK_DISPATCH(TargetImpl)();
#else
  return "none";
#endif
}

}  // namespace binidx
}  // namespace rwkvtok
#endif  // !RWKVTOK_LANES || HWY_ONCE
