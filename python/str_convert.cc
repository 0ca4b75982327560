// UTF-8 to and from CPython's code units, 128 bits at a time on every Highway target.
//
// Encoding: 4 code points are widened to 32-bit lanes, each lane computes its UTF-8 (1 to 4
// bytes, little-endian in the lane), and a shuffle chosen by the 4 lengths packs them.
// Decoding: a 16-byte window starts at a character; the positions of the bytes that start
// characters choose a shuffle that puts up to 4 whole characters, one per 32-bit lane, and how far
// to move on. Each lane then checks its lead byte against the number of bytes the window gave it,
// decodes, and checks the code point's range, so invalid UTF-8 is always found.
#ifndef RWKVTOK_PYTHON_STR_CONVERT_TABLES
#define RWKVTOK_PYTHON_STR_CONVERT_TABLES

#include "python/str_convert.h"

#include <cstring>

namespace rwkvtok_python {
namespace {

// Encoding: the key has two bits per lane, the lane's UTF-8 length less one.
struct EncodeTables {
  alignas(16) uint8_t shuffle[256][16];
  uint8_t length[256];
};

constexpr EncodeTables MakeEncodeTables() {
  EncodeTables t{};
  for (int key = 0; key < 256; ++key) {
    int out = 0;
    for (int lane = 0; lane < 4; ++lane) {
      const int length = ((key >> (2 * lane)) & 3) + 1;
      for (int k = 0; k < length; ++k) t.shuffle[key][out++] = static_cast<uint8_t>(4 * lane + k);
    }
    t.length[key] = static_cast<uint8_t>(out);
    for (; out < 16; ++out) t.shuffle[key][out] = 0x80;  // zero
  }
  return t;
}

constexpr EncodeTables kEncode = MakeEncodeTables();

// Decoding. A pattern is a list of 1 to 4 character lengths (1 to 4 bytes each): pattern numbers
// 1-4 hold one character, 5-20 two, 21-84 three, 85-340 four, each lane's length less one in two
// bits. The window table maps which of a window's bytes 1..12 start a character (byte 0 always
// does) to the pattern of the whole characters it shows (as many as 4, up to the last start seen)
// in bits 0..8 and the bytes they take in bits 12..15; 0 when byte 0's character would be longer
// than 4 bytes, which UTF-8 does not allow.
constexpr int kPatterns = 341;
constexpr int FirstPattern(int count) { return count == 1 ? 1 : 4 * FirstPattern(count - 1) + 1; }

// A pattern's shuffle puts each character in a 32-bit lane, its last byte lowest and its lead byte
// highest (unused bytes and lanes zero); the other fields, lane by lane, depend on its length:
// the bits that carry the code point, the lead byte's fixed bits and their value, and the least
// code point that needs that length.
struct Pattern {
  uint8_t shuffle[16];
  uint32_t payload[4];
  uint32_t lead_mask[4];
  uint32_t lead_bits[4];
  uint32_t least[4];
};

struct DecodeTables {
  uint16_t window[4096];
  alignas(16) Pattern patterns[kPatterns];
  uint8_t count[kPatterns];
};

constexpr DecodeTables MakeDecodeTables() {
  constexpr uint32_t kPayload[5] = {0, 0x7F, 0x1F3F, 0x0F3F3F, 0x073F3F3F};
  constexpr uint32_t kLeadMask[5] = {0, 0x80, 0xE000, 0xF00000, 0xF8000000};
  constexpr uint32_t kLeadBits[5] = {0, 0, 0xC000, 0xE00000, 0xF0000000};
  constexpr uint32_t kLeast[5] = {0, 0, 0x80, 0x800, 0x10000};
  DecodeTables t{};
  for (int count = 1; count <= 4; ++count) {
    for (int code = 0; code < (1 << (2 * count)); ++code) {
      Pattern& pattern = t.patterns[FirstPattern(count) + code];
      int start = 0;
      for (int lane = 0; lane < 4; ++lane) {
        const int length = lane < count ? ((code >> (2 * lane)) & 3) + 1 : 0;
        for (int k = 0; k < 4; ++k) {
          pattern.shuffle[4 * lane + k] =
              static_cast<uint8_t>(k < length ? start + length - 1 - k : 0x80);
        }
        pattern.payload[lane] = kPayload[length];
        pattern.lead_mask[lane] = kLeadMask[length];
        pattern.lead_bits[lane] = kLeadBits[length];
        pattern.least[lane] = kLeast[length];
        start += length;
      }
      t.count[FirstPattern(count) + code] = static_cast<uint8_t>(count);
    }
  }
  for (int key = 0; key < 4096; ++key) {
    int starts[13] = {0};
    int seen = 1;
    for (int byte = 1; byte <= 12; ++byte) {
      if ((key >> (byte - 1)) & 1) starts[seen++] = byte;
    }
    int count = 0, code = 0;
    while (count < 4 && count + 1 < seen && starts[count + 1] - starts[count] <= 4) {
      code |= (starts[count + 1] - starts[count] - 1) << (2 * count);
      ++count;
    }
    t.window[key] =
        count == 0 ? 0 : static_cast<uint16_t>((FirstPattern(count) + code) | starts[count] << 12);
  }
  return t;
}

constexpr DecodeTables kDecode = MakeDecodeTables();

// One character, for the ends that vectors do not cover.
inline size_t PutUtf8(uint32_t c, uint8_t* out) {
  if (c < 0x80) {
    out[0] = static_cast<uint8_t>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<uint8_t>(0xC0 | (c >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<uint8_t>(0xE0 | (c >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<uint8_t>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xF0 | (c >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<uint8_t>(0x80 | (c & 0x3F));
  return 4;
}

// The character at s[0..n) (n > 0): its length, or 0 when it is not valid UTF-8.
inline size_t GetUtf8(const uint8_t* s, size_t n, uint32_t* c) {
  const uint32_t b = s[0];
  auto continues = [&](size_t k) { return k < n && (s[k] & 0xC0) == 0x80; };
  if (b < 0x80) {
    *c = b;
    return 1;
  }
  if (b < 0xC2) return 0;
  if (b < 0xE0) {
    if (!continues(1)) return 0;
    *c = ((b & 0x1F) << 6) | (s[1] & 0x3Fu);
    return 2;
  }
  if (b < 0xF0) {
    if (!continues(1) || !continues(2)) return 0;
    if ((b == 0xE0 && s[1] < 0xA0) || (b == 0xED && s[1] >= 0xA0)) return 0;
    *c = ((b & 0x0F) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    return 3;
  }
  if (b < 0xF5) {
    if (!continues(1) || !continues(2) || !continues(3)) return 0;
    if ((b == 0xF0 && s[1] < 0x90) || (b == 0xF4 && s[1] >= 0x90)) return 0;
    *c = ((b & 0x07) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    return 4;
  }
  return 0;
}

template <typename Unit>
size_t UnitsToUtf8Scalar(const Unit* in, size_t length, uint8_t* out, size_t capacity) {
  size_t o = 0;
  for (size_t i = 0; i < length; ++i) {
    const uint32_t c = in[i];
    if ((c & 0x1FF800) == 0xD800) return kSurrogate;
    if (capacity - o < 4) return kNeedsMore;
    o += PutUtf8(c, out + o);
  }
  return o;
}

template <typename Unit>
bool Utf8ToUnitsScalar(const uint8_t* s, size_t n, Unit* out, size_t characters) {
  for (size_t p = 0, o = 0; p < n;) {
    uint32_t c;
    const size_t length = GetUtf8(s + p, n - p, &c);
    if (length == 0 || o == characters) return false;
    out[o++] = static_cast<Unit>(c);
    p += length;
  }
  return true;
}

// The streams' first bytes before they move past continuation bytes.
inline size_t StreamStart(size_t n, int stream) { return n / kDecodeStreams * stream; }

// Counts continuation bytes and finds the largest byte of s[begin..end) into `scan`.
inline void ScanBytes(const uint8_t* s, size_t begin, size_t end, Utf8Scan* scan) {
  for (size_t i = begin; i < end; ++i) {
    scan->continuations += (s[i] & 0xC0) == 0x80;
    scan->largest = s[i] > scan->largest ? s[i] : scan->largest;
  }
}

inline Utf8Scan ScanUtf8Scalar(const uint8_t* s, size_t n) {
  Utf8Scan scan;
  for (int k = 0; k < kDecodeStreams; ++k) {
    scan.continuations_before[k] = scan.continuations;
    ScanBytes(s, StreamStart(n, k), k + 1 < kDecodeStreams ? StreamStart(n, k + 1) : n, &scan);
  }
  return scan;
}

}  // namespace
}  // namespace rwkvtok_python

#endif  // RWKVTOK_PYTHON_STR_CONVERT_TABLES

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "python/str_convert.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace rwkvtok_python {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

const char* TargetImpl() { return hwy::TargetName(HWY_TARGET); }

#if HWY_TARGET == HWY_SCALAR
// No 128-bit vectors: one character at a time.
template <typename Unit>
size_t UnitsToUtf8T(const Unit* in, size_t length, uint8_t* out, size_t capacity) {
  return UnitsToUtf8Scalar(in, length, out, capacity);
}
Utf8Scan ScanUtf8Impl(const uint8_t* s, size_t n) { return ScanUtf8Scalar(s, n); }
template <typename Unit>
bool Utf8ToUnitsT(const uint8_t* s, size_t n, const Utf8Scan& scan, Unit* out) {
  return Utf8ToUnitsScalar(s, n, out, n - scan.continuations);
}
#else
using D8 = hn::Full128<uint8_t>;
using DI8 = hn::Full128<int8_t>;
using D32 = hn::Full128<uint32_t>;
using DI32 = hn::Full128<int32_t>;
using VI32 = hn::Vec<DI32>;

// --- Encoding ---

// Encoding works on up to 16 code points at a time, 4 to a 128-bit block.
using DV = hn::CappedTag<int32_t, 16>;
using VV = hn::Vec<DV>;

// Lanes(DV()) code points, widened to 32-bit lanes.
HWY_INLINE VV LoadUnits(const uint8_t* in) {
  return hn::PromoteTo(DV(), hn::LoadU(hn::Rebind<uint8_t, DV>(), in));
}
HWY_INLINE VV LoadUnits(const uint16_t* in) {
  return hn::PromoteTo(DV(), hn::LoadU(hn::Rebind<uint16_t, DV>(), in));
}
HWY_INLINE VV LoadUnits(const uint32_t* in) {
  return hn::BitCast(DV(), hn::LoadU(hn::RebindToUnsigned<DV>(), in));
}

// If the 16 units at `in` are ASCII, writes them to `out` as bytes.
HWY_INLINE bool Ascii16(const uint8_t* in, uint8_t* out) {
  const auto v = hn::LoadU(D8(), in);
  if (!hn::AllFalse(DI8(), hn::Lt(hn::BitCast(DI8(), v), hn::Zero(DI8())))) return false;
  hn::StoreU(v, D8(), out);
  return true;
}
HWY_INLINE bool Ascii16(const uint16_t* in, uint8_t* out) {
  const hn::Full128<uint16_t> d;
  const hn::Full128<int16_t> di;
  const auto a = hn::LoadU(d, in), b = hn::LoadU(d, in + 8);
  if (!hn::AllTrue(d, hn::Eq(hn::And(hn::Or(a, b), hn::Set(d, 0xFF80)), hn::Zero(d)))) return false;
  const hn::Rebind<uint8_t, decltype(di)> d8;
  hn::StoreU(hn::DemoteTo(d8, hn::BitCast(di, a)), d8, out);
  hn::StoreU(hn::DemoteTo(d8, hn::BitCast(di, b)), d8, out + 8);
  return true;
}
HWY_INLINE bool Ascii16(const uint32_t* in, uint8_t* out) {
  const D32 d;
  const auto a = hn::LoadU(d, in), b = hn::LoadU(d, in + 4);
  const auto c = hn::LoadU(d, in + 8), e = hn::LoadU(d, in + 12);
  const auto any = hn::Or(hn::Or(a, b), hn::Or(c, e));
  if (!hn::AllTrue(d, hn::Eq(hn::And(any, hn::Set(d, 0xFFFFFF80u)), hn::Zero(d)))) return false;
  const hn::Rebind<uint8_t, D32> d8;
  hn::StoreU(hn::U8FromU32(a), d8, out);
  hn::StoreU(hn::U8FromU32(b), d8, out + 4);
  hn::StoreU(hn::U8FromU32(c), d8, out + 8);
  hn::StoreU(hn::U8FromU32(e), d8, out + 12);
  return true;
}

// Vectors are passed and returned by value, never by address: a vector on the stack must be
// aligned to its size, which AddressSanitizer's stack does not promise for 64 bytes.

// The lanes of `v` that hold a surrogate, which UTF-8 cannot hold.
HWY_INLINE VV Surrogates(VV v) {
  const DV d;
  return hn::VecFromMask(d, hn::Eq(hn::And(v, hn::Set(d, 0x1FF800)), hn::Set(d, 0xD800)));
}

// Writes the UTF-8 of the code points `v` (no surrogates) packed at `out` (up to 16 bytes past it
// written too) and returns its length. Each lane computes its character's UTF-8, little-endian;
// then each block of 4 lanes is packed by the shuffle its 4 lengths choose.
HWY_INLINE size_t EncodeVector(VV v, uint8_t* out) {
  const DV d;
  const auto low6 = hn::Set(d, 0x3F), continuation = hn::Set(d, 0x80);
  const auto two = hn::Gt(v, hn::Set(d, 0x7F)), three = hn::Gt(v, hn::Set(d, 0x7FF)),
             four = hn::Gt(v, hn::Set(d, 0xFFFF));
  // The continuation bytes, last first.
  const auto t0 = hn::Or(hn::And(v, low6), continuation);
  const auto t1 = hn::Or(hn::And(hn::ShiftRight<6>(v), low6), continuation);
  const auto t2 = hn::Or(hn::And(hn::ShiftRight<12>(v), low6), continuation);
  const auto e2 = hn::Or(hn::Or(hn::ShiftRight<6>(v), hn::Set(d, 0xC0)), hn::ShiftLeft<8>(t0));
  const auto e3 = hn::Or(hn::Or(hn::ShiftRight<12>(v), hn::Set(d, 0xE0)),
                         hn::Or(hn::ShiftLeft<8>(t1), hn::ShiftLeft<16>(t0)));
  const auto e4 =
      hn::Or(hn::Or(hn::ShiftRight<18>(v), hn::Set(d, 0xF0)),
             hn::Or(hn::ShiftLeft<8>(t2), hn::Or(hn::ShiftLeft<16>(t1), hn::ShiftLeft<24>(t0))));
  const auto utf8 = hn::IfThenElse(four, e4, hn::IfThenElse(three, e3, hn::IfThenElse(two, e2, v)));
  // Each lane's length less one (a true mask is -1), as a byte; a block's 4 bytes, read as one
  // word and multiplied, give its shuffle's key (2 bits per lane) in the top byte.
  const auto extra = hn::Neg(hn::Add(hn::VecFromMask(d, two),
                                     hn::Add(hn::VecFromMask(d, three), hn::VecFromMask(d, four))));
  const hn::RebindToUnsigned<DV> du;
  const auto extra_bytes = hn::U8FromU32(hn::BitCast(du, extra));
  const hn::Repartition<uint32_t, hn::Rebind<uint8_t, DV> > dw;
  const auto keys =
      hn::ShiftRight<24>(hn::Mul(hn::BitCast(dw, extra_bytes), hn::Set(dw, 0x01041040u)));
  uint32_t key[4];
  hn::StoreU(keys, dw, key);
  uint32_t lanes[16];
  hn::StoreU(hn::BitCast(du, utf8), du, lanes);
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(lanes);
  const D8 d8;
  size_t o = 0;
  for (size_t block = 0; block < hn::Lanes(d) / 4; ++block) {
    const auto packed = hn::TableLookupBytesOr0(hn::LoadU(d8, bytes + 16 * block),
                                                hn::Load(d8, kEncode.shuffle[key[block]]));
    hn::StoreU(packed, d8, out + o);
    o += kEncode.length[key[block]];
  }
  return o;
}

template <typename Unit>
size_t UnitsToUtf8T(const Unit* in, size_t length, uint8_t* out, size_t capacity) {
  const DV d;
  const size_t lanes = hn::Lanes(d);
  auto surrogates = hn::Zero(d);
  size_t i = 0, o = 0;
  // 16 characters are at most 64 bytes, and a step writes 16 bytes past what it keeps.
  while (i + 16 <= length && capacity - o >= 64 + 16) {
    if (Ascii16(in + i, out + o)) {
      i += 16;
      o += 16;
      continue;
    }
    for (const size_t end = i + 16; i < end; i += lanes) {
      const VV v = LoadUnits(in + i);
      surrogates = hn::Or(surrogates, Surrogates(v));
      o += EncodeVector(v, out + o);
    }
  }
  for (; i + lanes <= length && capacity - o >= 4 * lanes + 16; i += lanes) {
    const VV v = LoadUnits(in + i);
    surrogates = hn::Or(surrogates, Surrogates(v));
    o += EncodeVector(v, out + o);
  }
  if (!hn::AllFalse(d, hn::Ne(surrogates, hn::Zero(d)))) return kSurrogate;
  const size_t tail = UnitsToUtf8Scalar(in + i, length - i, out + o, capacity - o);
  return tail >= kNeedsMore ? tail : o + tail;
}

// --- Decoding ---

// Sixteen ASCII bytes at `s`, widened to units at `out`.
HWY_INLINE void Widen16(const uint8_t* s, uint8_t* out) { std::memcpy(out, s, 16); }
HWY_INLINE void Widen16(const uint8_t* s, uint16_t* out) {
  const hn::Full128<uint16_t> d;
  const hn::Rebind<uint8_t, decltype(d)> d8;
  hn::StoreU(hn::PromoteTo(d, hn::LoadU(d8, s)), d, out);
  hn::StoreU(hn::PromoteTo(d, hn::LoadU(d8, s + 8)), d, out + 8);
}
HWY_INLINE void Widen16(const uint8_t* s, uint32_t* out) {
  const D32 d;
  const hn::Rebind<uint8_t, D32> d8;
  for (int k = 0; k < 16; k += 4) hn::StoreU(hn::PromoteTo(d, hn::LoadU(d8, s + k)), d, out + k);
}

// Four code points (each below 0x110000 when valid) as units at `out`.
HWY_INLINE void Store4(VI32 c, uint8_t* out) {
  hn::StoreU(hn::U8FromU32(hn::BitCast(D32(), c)), hn::Rebind<uint8_t, D32>(), out);
}
HWY_INLINE void Store4(VI32 c, uint16_t* out) {
  const hn::Rebind<uint16_t, DI32> d16;
  hn::StoreU(hn::DemoteTo(d16, c), d16, out);
}
HWY_INLINE void Store4(VI32 c, uint32_t* out) { hn::StoreU(hn::BitCast(D32(), c), D32(), out); }

// Decodes the up to 4 characters that `pattern`'s shuffle put in `x` to `out` and returns the
// lanes that are not valid UTF-8: a lead byte that does not announce the length the window found
// (the other bytes of each lane are continuation bytes, as the window found no start among them),
// an overlong form, a surrogate, a code point past U+10FFFF.
template <typename Unit>
HWY_INLINE VI32 Decode4(VI32 x, const Pattern& pattern, Unit* out) {
  const DI32 d;
  const auto bits = hn::And(x, hn::BitCast(d, hn::Load(D32(), pattern.payload)));
  // Each byte's payload moved down by 2 bits per byte below it.
  const auto c = hn::Or(
      hn::Or(hn::And(bits, hn::Set(d, 0xFF)), hn::And(hn::ShiftRight<2>(bits), hn::Set(d, 0xFC0))),
      hn::Or(hn::And(hn::ShiftRight<4>(bits), hn::Set(d, 0x3F000)),
             hn::And(hn::ShiftRight<6>(bits), hn::Set(d, 0xFC0000))));
  const auto lead = hn::And(x, hn::BitCast(d, hn::Load(D32(), pattern.lead_mask)));
  const auto wrong = hn::Or(hn::Or(hn::Ne(lead, hn::BitCast(d, hn::Load(D32(), pattern.lead_bits))),
                                   hn::Lt(c, hn::BitCast(d, hn::Load(D32(), pattern.least)))),
                            hn::Or(hn::Gt(c, hn::Set(d, 0x10FFFF)),
                                   hn::Eq(hn::And(c, hn::Set(d, 0x1FF800)), hn::Set(d, 0xD800))));
  Store4(c, out);
  return hn::VecFromMask(d, wrong);
}

Utf8Scan ScanUtf8Impl(const uint8_t* s, size_t n) {
  const D8 d8;
  Utf8Scan scan;
  for (int k = 0; k < kDecodeStreams; ++k) {
    scan.continuations_before[k] = scan.continuations;
    const size_t end = k + 1 < kDecodeStreams ? StreamStart(n, k + 1) : n;
    size_t i = StreamStart(n, k);
    auto largest = hn::Zero(d8);
    // As signed bytes, 0x80..0xBF are exactly those below -64.
    const DI8 di8;
    const auto limit = hn::Set(di8, -64);
    for (; i + 16 <= end; i += 16) {
      const auto v = hn::LoadU(d8, s + i);
      scan.continuations += hn::CountTrue(di8, hn::Lt(hn::BitCast(di8, v), limit));
      largest = hn::Max(largest, v);
    }
    uint8_t lanes[16];
    hn::StoreU(largest, d8, lanes);
    for (uint8_t lane : lanes) scan.largest = lane > scan.largest ? lane : scan.largest;
    ScanBytes(s, i, end, &scan);
  }
  return scan;
}

// One of the decoder's streams: bytes s[p..end) to units out[o..limit).
struct Stream {
  size_t p, end, o, limit;
  // Whether a vector step fits: it reads 16 bytes and writes at most 16 units.
  bool Fits() const { return p + 16 <= end && o + 16 <= limit; }
};

// Decodes the next 16 ASCII bytes or up to 4 characters of `st` and returns the lanes found not
// to be valid UTF-8; sets `*invalid` when the window is not (without moving on).
template <typename Unit>
HWY_INLINE VI32 Step(const uint8_t* s, Unit* out, Stream& st, bool* invalid) {
  const D8 d8;
  const DI8 di8;
  const auto v = hn::LoadU(d8, s + st.p);
  if (hn::AllFalse(di8, hn::Lt(hn::BitCast(di8, v), hn::Zero(di8)))) {
    Widen16(s + st.p, out + st.o);
    st.p += 16;
    st.o += 16;
    return hn::Zero(DI32());
  }
  uint8_t bits[8];
  hn::StoreMaskBits(d8, hn::Ne(hn::And(v, hn::Set(d8, 0xC0)), hn::Set(d8, 0x80)), bits);
  const uint32_t starts = bits[0] | static_cast<uint32_t>(bits[1]) << 8;
  const uint32_t window = kDecode.window[(starts >> 1) & 0xFFF];
  if ((starts & 1) == 0 || window == 0) {
    *invalid = true;
    return hn::Zero(DI32());
  }
  const Pattern& pattern = kDecode.patterns[window & 0x1FF];
  const auto x = hn::TableLookupBytesOr0(v, hn::Load(d8, pattern.shuffle));
  const VI32 wrong = Decode4(hn::BitCast(DI32(), x), pattern, out + st.o);
  st.o += kDecode.count[window & 0x1FF];
  st.p += window >> 12;
  return wrong;
}

// Each window's next position depends on the last, so one stream leaves the core waiting on that
// chain; the input is cut into kDecodeStreams streams at character boundaries, stepped in turn.
template <typename Unit>
bool Utf8ToUnitsT(const uint8_t* s, size_t n, const Utf8Scan& scan, Unit* out) {
  Stream streams[kDecodeStreams];
  for (int k = 0; k < kDecodeStreams; ++k) {
    const size_t start = StreamStart(n, k);
    size_t p = start;
    // Past the continuation bytes of the previous stream's last character (at most 3; more are
    // invalid, which this stream finds).
    while (k > 0 && p < n && p < start + 3 && (s[p] & 0xC0) == 0x80) ++p;
    streams[k].p = p;
    streams[k].o = start - scan.continuations_before[k];  // characters before `start` and `p`
    if (k > 0) {
      streams[k - 1].end = p;
      streams[k - 1].limit = streams[k].o;
    }
  }
  streams[kDecodeStreams - 1].end = n;
  streams[kDecodeStreams - 1].limit = n - scan.continuations;

  auto bad = hn::Zero(DI32());
  bool invalid = false;
  for (;;) {
    bool all_fit = true;
    for (const Stream& st : streams) all_fit &= st.Fits();
    if (!all_fit) break;
    for (Stream& st : streams) {
      bad = hn::Or(bad, Step(s, out, st, &invalid));
      if (invalid) return false;
    }
  }
  for (Stream& st : streams) {
    while (st.Fits()) {
      bad = hn::Or(bad, Step(s, out, st, &invalid));
      if (invalid) return false;
    }
    if (!Utf8ToUnitsScalar(s + st.p, st.end - st.p, out + st.o, st.limit - st.o)) return false;
  }
  return hn::AllFalse(DI32(), hn::Ne(bad, hn::Zero(DI32())));
}
#endif  // HWY_TARGET == HWY_SCALAR

size_t UnitsToUtf8Impl(const void* units, int kind, size_t length, uint8_t* out, size_t capacity) {
  if (kind == 1) return UnitsToUtf8T(static_cast<const uint8_t*>(units), length, out, capacity);
  if (kind == 2) return UnitsToUtf8T(static_cast<const uint16_t*>(units), length, out, capacity);
  return UnitsToUtf8T(static_cast<const uint32_t*>(units), length, out, capacity);
}

bool Utf8ToUnitsImpl(const uint8_t* s, size_t n, const Utf8Scan& scan, int kind, void* out) {
  if (kind == 1) return Utf8ToUnitsT(s, n, scan, static_cast<uint8_t*>(out));
  if (kind == 2) return Utf8ToUnitsT(s, n, scan, static_cast<uint16_t*>(out));
  return Utf8ToUnitsT(s, n, scan, static_cast<uint32_t*>(out));
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rwkvtok_python
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "lib/targets.h"

namespace rwkvtok_python {

size_t UnitsToUtf8(const void* units, int kind, size_t length, uint8_t* out, size_t capacity) {
  return RWKVTOK_DISPATCH(UnitsToUtf8Impl)(units, kind, length, out, capacity);
}

Utf8Scan ScanUtf8(const uint8_t* s, size_t n) { return RWKVTOK_DISPATCH(ScanUtf8Impl)(s, n); }

bool Utf8ToUnits(const uint8_t* s, size_t n, const Utf8Scan& scan, int kind, void* out) {
  return RWKVTOK_DISPATCH(Utf8ToUnitsImpl)(s, n, scan, kind, out);
}

const char* ConvertTarget() { return RWKVTOK_DISPATCH(TargetImpl)(); }

std::vector<int64_t> TargetsForTest() {
  std::vector<int64_t> targets;
  rwkvtok::targets::ForEachSupported(HWY_TARGETS, [&](int64_t t) { targets.push_back(t); });
  return targets;
}

void UseTargetForTest(int64_t target) { rwkvtok::targets::RestrictForTest(target); }

}  // namespace rwkvtok_python
#endif  // HWY_ONCE
