// The Python module's conversions between UTF-8 and CPython's code units (python/str_convert.cc),
// on every Highway target this CPU runs (x86-64), or on the one target the build is for (aarch64:
// NEON or SVE), against a plain implementation here: random texts of every character length, in
// runs and mixed, valid and broken in every way UTF-8 can be, into buffers of exactly the size the
// functions are allowed to write (so that the sanitizers see any byte past them).

#include "python/str_convert.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "hwy/targets.h"

namespace rwkvtok_python {
namespace {

// Python's strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool ReferenceDecode(const std::vector<uint8_t>& s, std::vector<uint32_t>* out) {
  out->clear();
  for (size_t i = 0; i < s.size();) {
    const uint32_t b = s[i];
    size_t length;
    uint32_t c, least;
    if (b < 0x80) {
      out->push_back(b);
      ++i;
      continue;
    } else if (b >= 0xC2 && b < 0xE0) {
      length = 2, c = b & 0x1F, least = 0x80;
    } else if (b >= 0xE0 && b < 0xF0) {
      length = 3, c = b & 0x0F, least = 0x800;
    } else if (b >= 0xF0 && b < 0xF5) {
      length = 4, c = b & 0x07, least = 0x10000;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      c = c << 6 | (s[i + k] & 0x3F);
    }
    if (c < least || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) return false;
    out->push_back(c);
    i += length;
  }
  return true;
}

void ReferenceEncode(uint32_t c, std::vector<uint8_t>* out) {
  if (c < 0x80) {
    out->push_back(static_cast<uint8_t>(c));
  } else if (c < 0x800) {
    out->insert(out->end(),
                {static_cast<uint8_t>(0xC0 | c >> 6), static_cast<uint8_t>(0x80 | (c & 0x3F))});
  } else if (c < 0x10000) {
    out->insert(out->end(), {static_cast<uint8_t>(0xE0 | c >> 12),
                             static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F)),
                             static_cast<uint8_t>(0x80 | (c & 0x3F))});
  } else {
    out->insert(
        out->end(),
        {static_cast<uint8_t>(0xF0 | c >> 18), static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3F)),
         static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F)), static_cast<uint8_t>(0x80 | (c & 0x3F))});
  }
}

class StrConvertTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override {
    UseTargetForTest(GetParam());
    ASSERT_STREQ(ConvertTarget(), hwy::TargetName(GetParam()));  // the one asked for runs
  }
  void TearDown() override { UseTargetForTest(0); }

  // A character of UTF-8 length 1 to 4 (`length` 0: any).
  uint32_t Character(int length) {
    if (length == 0) length = 1 + static_cast<int>(rng_() % 4);
    switch (length) {
      case 1:
        return rng_() % 0x80;
      case 2:
        return 0x80 + rng_() % (0x800 - 0x80);
      case 3: {
        uint32_t c;
        do c = 0x800 + rng_() % (0x10000 - 0x800);
        while (c >= 0xD800 && c < 0xE000);
        return c;
      }
      default:
        return 0x10000 + rng_() % (0x110000 - 0x10000);
    }
  }

  // Runs of one length, or each character of its own.
  std::vector<uint32_t> Text(size_t size) {
    std::vector<uint32_t> text;
    const bool runs = rng_() % 2 == 0;
    while (text.size() < size) {
      const int length = static_cast<int>(rng_() % 5);
      const size_t run = runs ? 1 + rng_() % 40 : 1;
      for (size_t k = 0; k < run && text.size() < size; ++k) text.push_back(Character(length));
    }
    return text;
  }

  size_t Size() { return rng_() % 8 == 0 ? rng_() % 3000 : rng_() % 100; }

  std::mt19937_64 rng_{static_cast<uint64_t>(GetParam())};
};

TEST_P(StrConvertTest, UnitsToUtf8MatchesTheReference) {
  for (int round = 0; round < 4000; ++round) {
    const std::vector<uint32_t> text = Text(Size());
    uint32_t largest = 0;
    for (uint32_t c : text) largest = c > largest ? c : largest;
    // The narrowest kind that holds the text, as CPython stores it, or a wider one.
    int kind = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : 4;
    if (rng_() % 3 == 0) kind = 4;
    std::vector<uint8_t> units(text.size() * kind);
    for (size_t i = 0; i < text.size(); ++i) std::memcpy(&units[i * kind], &text[i], kind);
    std::vector<uint8_t> expected;
    for (uint32_t c : text) ReferenceEncode(c, &expected);

    const size_t most = Utf8Capacity(kind, text.size());
    // Room for the longest UTF-8, or less, which may not be enough.
    const size_t capacity = rng_() % 4 == 0 ? rng_() % (most + 1) : most;
    std::vector<uint8_t> out(capacity);
    const size_t size = UnitsToUtf8(units.data(), kind, text.size(), out.data(), capacity);
    if (size == kNeedsMore) {
      ASSERT_LT(capacity, most) << hwy::TargetName(GetParam());
      continue;
    }
    ASSERT_EQ(size, expected.size()) << hwy::TargetName(GetParam()) << ", kind " << kind;
    ASSERT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<ptrdiff_t>(size)),
              expected)
        << hwy::TargetName(GetParam());
  }
}

TEST_P(StrConvertTest, UnitsToUtf8RefusesSurrogates) {
  for (int round = 0; round < 1000; ++round) {
    std::vector<uint32_t> text = Text(1 + Size());
    text[rng_() % text.size()] = 0xD800 + rng_() % 0x800;
    const int kind = rng_() % 2 == 0 ? 2 : 4;
    std::vector<uint8_t> units(text.size() * kind);
    for (size_t i = 0; i < text.size(); ++i) std::memcpy(&units[i * kind], &text[i], kind);
    const size_t capacity = Utf8Capacity(kind, text.size());
    std::vector<uint8_t> out(capacity);
    ASSERT_EQ(kSurrogate, UnitsToUtf8(units.data(), kind, text.size(), out.data(), capacity))
        << hwy::TargetName(GetParam());
  }
}

// Breaks valid UTF-8: stray, missing or wrong bytes, overlong forms, surrogates, code points past
// U+10FFFF, anywhere or at the middle, where the decoder cuts the text into streams.
void Break(std::mt19937_64& rng, std::vector<uint8_t>* s) {
  static const std::vector<std::vector<uint8_t>> kBad = {{0x80},
                                                         {0xBF, 0xBF, 0xBF, 0xBF},
                                                         {0xC0, 0xAF},
                                                         {0xC1, 0xBF},
                                                         {0xE0, 0x80, 0xAF},
                                                         {0xED, 0xA0, 0x80},
                                                         {0xF0, 0x80, 0x80, 0xAF},
                                                         {0xF4, 0x90, 0x80, 0x80},
                                                         {0xF5, 0x80, 0x80, 0x80},
                                                         {0xFF},
                                                         {0xE4, 0xB8},
                                                         {0xF0, 0x9F, 0x98}};
  for (int k = 1 + static_cast<int>(rng() % 2); k > 0; --k) {
    size_t at = rng() % 2 == 0 ? rng() % (s->size() + 1) : s->size() / 2 + rng() % 9;
    if (at >= 4 && rng() % 2 == 0) at -= 4;
    if (at > s->size()) at = s->size();
    if (rng() % 2 == 0 || s->empty()) {
      const std::vector<uint8_t>& bad = kBad[rng() % kBad.size()];
      s->insert(s->begin() + static_cast<ptrdiff_t>(at), bad.begin(), bad.end());
    } else {
      (*s)[at < s->size() ? at : s->size() - 1] = static_cast<uint8_t>(rng());
    }
  }
}

// Decodes `s` into units of `kind` bytes followed by 64 guard bytes, which must stay untouched.
bool DecodeGuarded(const std::vector<uint8_t>& s, int kind, std::vector<uint32_t>* out) {
  const Utf8Scan scan = ScanUtf8(s.data(), s.size());
  const size_t characters = s.size() - scan.continuations;
  std::vector<uint8_t> buffer(characters * kind + 64, 0xA5);
  const bool valid = Utf8ToUnits(s.data(), s.size(), scan, kind, buffer.data());
  for (size_t i = characters * kind; i < buffer.size(); ++i) {
    EXPECT_EQ(buffer[i], 0xA5) << "written past the units, at unit " << i / kind;
  }
  out->assign(characters, 0);
  for (size_t i = 0; i < characters; ++i) std::memcpy(&(*out)[i], &buffer[i * kind], kind);
  return valid;
}

TEST_P(StrConvertTest, Utf8ToUnitsMatchesTheReference) {
  int invalid = 0;
  for (int round = 0; round < 4000; ++round) {
    std::vector<uint8_t> s;
    for (uint32_t c : Text(Size())) ReferenceEncode(c, &s);
    if (rng_() % 3 == 0) Break(rng_, &s);

    size_t continuations = 0;
    uint8_t largest = 0;
    for (uint8_t b : s) {
      continuations += (b & 0xC0) == 0x80;
      largest = b > largest ? b : largest;
    }
    const Utf8Scan scan = ScanUtf8(s.data(), s.size());
    ASSERT_EQ(scan.continuations, continuations);
    ASSERT_EQ(scan.largest, largest);

    std::vector<uint32_t> expected;
    const bool valid = ReferenceDecode(s, &expected);
    invalid += !valid;
    uint32_t widest = 0;
    for (uint32_t c : expected) widest = c > widest ? c : widest;
    int kind = !valid || rng_() % 2 == 0 ? 4 : widest < 0x100 ? 1 : widest < 0x10000 ? 2 : 4;
    std::vector<uint32_t> decoded;
    ASSERT_EQ(valid, DecodeGuarded(s, kind, &decoded))
        << hwy::TargetName(GetParam()) << ", " << s.size() << " bytes";
    if (!valid) continue;
    ASSERT_EQ(decoded, expected) << hwy::TargetName(GetParam());
  }
  EXPECT_GT(invalid, 500);  // the broken texts were broken
}

// The edges of every UTF-8 length and of the surrogates, alone, in runs, and at every offset from
// a vector step's start (so that both the vector code and the scalar tails see them).
TEST_P(StrConvertTest, BoundaryCharactersRoundTrip) {
  const uint32_t kEdges[] = {0x00,   0x7F,   0x80,    0x7FF,   0x800,   0xD7FF,
                             0xE000, 0xFFFF, 0x10000, 0x3FFFF, 0x40000, 0x10FFFF};
  for (uint32_t c : kEdges) {
    for (size_t before = 0; before <= 40; ++before) {
      for (size_t run : {size_t{1}, size_t{20}}) {
        std::vector<uint32_t> text(before, 'a');
        text.insert(text.end(), run, c);
        text.insert(text.end(), 20, 'b');
        std::vector<uint8_t> utf8;
        for (uint32_t t : text) ReferenceEncode(t, &utf8);
        for (int kind : {1, 2, 4}) {
          if ((kind == 1 && c > 0xFF) || (kind == 2 && c > 0xFFFF)) continue;
          std::vector<uint8_t> units(text.size() * kind);
          for (size_t i = 0; i < text.size(); ++i) std::memcpy(&units[i * kind], &text[i], kind);
          const size_t capacity = Utf8Capacity(kind, text.size());
          std::vector<uint8_t> out(capacity);
          const size_t size = UnitsToUtf8(units.data(), kind, text.size(), out.data(), capacity);
          ASSERT_EQ(size, utf8.size()) << hwy::TargetName(GetParam()) << std::hex << " U+" << c;
          ASSERT_TRUE(std::equal(utf8.begin(), utf8.end(), out.begin()))
              << hwy::TargetName(GetParam()) << std::hex << " U+" << c;
          std::vector<uint32_t> decoded;
          ASSERT_TRUE(DecodeGuarded(utf8, kind, &decoded))
              << hwy::TargetName(GetParam()) << std::hex << " U+" << c << std::dec << " at "
              << before;
          ASSERT_EQ(decoded, text) << hwy::TargetName(GetParam()) << std::hex << " U+" << c;
        }
      }
    }
  }
}

// Each invalid form just past the edge of a valid one (the Break() list has only the far ends),
// at every offset, in the vector code and in the scalar tails.
TEST_P(StrConvertTest, Utf8ToUnitsRefusesEveryEdgeOfInvalid) {
  static const std::vector<std::vector<uint8_t>> kBad = {
      {0xC1, 0xBF},              // U+007F overlong
      {0xE0, 0x9F, 0xBF},        // U+07FF overlong
      {0xE0, 0x90, 0x80},        // U+0400 overlong
      {0xED, 0xA0, 0x80},        // U+D800
      {0xED, 0xB0, 0x80},        // U+DC00, a low surrogate
      {0xED, 0xBF, 0xBF},        // U+DFFF
      {0xF0, 0x8F, 0xBF, 0xBF},  // U+FFFF overlong
      {0xF0, 0x88, 0x80, 0x80},  // U+8000 overlong
      {0xF4, 0x90, 0x80, 0x80},  // U+110000
      {0xF4, 0xBF, 0xBF, 0xBF},  // U+13FFFF
      {0xF5, 0x80, 0x80, 0x80},
      {0xF8, 0x88, 0x80, 0x80, 0x80}};
  for (const std::vector<uint8_t>& bad : kBad) {
    for (size_t before = 0; before <= 40; ++before) {
      for (size_t after : {0, 1, 2, 3, 7, 20, 40}) {
        std::vector<uint8_t> s(before, 'a');
        s.insert(s.end(), bad.begin(), bad.end());
        s.insert(s.end(), after, 'b');
        std::vector<uint32_t> decoded;
        ASSERT_FALSE(DecodeGuarded(s, 4, &decoded))
            << hwy::TargetName(GetParam()) << ", " << std::hex << int{bad[0]} << " " << int{bad[1]}
            << std::dec << " after " << before << " bytes, before " << after;
      }
    }
  }
}

// ScanUtf8's continuations_before[k]: the continuation bytes before byte n * k / kDecodeStreams,
// as str_convert.h promises.
TEST_P(StrConvertTest, ScanUtf8CountsContinuationsBeforeEachStream) {
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> s;
    for (uint32_t c : Text(Size())) ReferenceEncode(c, &s);
    if (rng_() % 3 == 0) Break(rng_, &s);
    const Utf8Scan scan = ScanUtf8(s.data(), s.size());
    for (int k = 0; k < kDecodeStreams; ++k) {
      size_t before = 0;
      for (size_t i = 0; i < s.size() * k / kDecodeStreams; ++i) before += (s[i] & 0xC0) == 0x80;
      ASSERT_EQ(scan.continuations_before[k], before)
          << hwy::TargetName(GetParam()) << ", " << s.size() << " bytes, stream " << k;
    }
  }
}

// Every capacity from 0 to Utf8Capacity for texts of the widest characters: either kNeedsMore, or
// the UTF-8 within the capacity, and nothing written past it.
TEST_P(StrConvertTest, UnitsToUtf8StaysWithinItsCapacity) {
  for (size_t length : {4, 8, 15, 16, 17, 31, 32, 33, 48}) {
    for (int variant = 0; variant < 3; ++variant) {
      std::vector<uint32_t> text;
      for (size_t i = 0; i < length; ++i) text.push_back(Character(variant == 0 ? 4 : 0));
      if (variant == 2) text[length / 2] = 'x';
      std::vector<uint8_t> expected;
      for (uint32_t c : text) ReferenceEncode(c, &expected);
      const size_t most = Utf8Capacity(4, length);
      for (size_t capacity = 0; capacity <= most; ++capacity) {
        std::vector<uint8_t> out(capacity + 64, 0xA5);
        const size_t size = UnitsToUtf8(text.data(), 4, length, out.data(), capacity);
        for (size_t i = capacity; i < out.size(); ++i) {
          ASSERT_EQ(out[i], 0xA5) << hwy::TargetName(GetParam()) << ", capacity " << capacity
                                  << ", length " << length << ": byte " << i << " written";
        }
        if (size == kNeedsMore) continue;
        ASSERT_LE(size, capacity) << hwy::TargetName(GetParam()) << ", length " << length;
        ASSERT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<ptrdiff_t>(size)),
                  expected)
            << hwy::TargetName(GetParam()) << ", capacity " << capacity;
      }
    }
  }
}

// Invalid UTF-8 made of leads followed by too few or too many continuation bytes, where a window
// may show fewer characters than its lanes: Utf8ToUnits may fail but never writes past the
// n - continuations units (nor reads past the n bytes, for AddressSanitizer).
TEST_P(StrConvertTest, Utf8ToUnitsWritesNothingPastItsUnits) {
  static const std::vector<std::vector<uint8_t>> kPieces = {{'a'},
                                                            {0xC2, 0x80},
                                                            {0xE0, 0xA0, 0x80},
                                                            {0xF0, 0x90, 0x80, 0x80},
                                                            {0xF0, 0x80, 0x80, 0x80},
                                                            {0xF0},
                                                            {0x80},
                                                            {0x80, 0x80, 0x80, 0x80}};
  // 16 ASCII bytes, then 3 characters in 16 bytes, the last with 7 continuation bytes.
  std::vector<uint8_t> s(16, 'a');
  for (uint8_t b : {0xF0, 0x80, 0x80, 0x80, 0xF0, 0x80, 0x80, 0x80, 0xF0, 0x80, 0x80, 0x80, 0x80,
                    0x80, 0x80, 0x80}) {
    s.push_back(b);
  }
  std::vector<uint32_t> decoded;
  EXPECT_FALSE(DecodeGuarded(s, 4, &decoded)) << hwy::TargetName(GetParam());
  for (int round = 0; round < 20000; ++round) {
    s.clear();
    const size_t size = rng_() % 80;
    while (s.size() < size) {
      const std::vector<uint8_t>& piece = kPieces[rng_() % kPieces.size()];
      s.insert(s.end(), piece.begin(), piece.end());
    }
    std::vector<uint32_t> expected;
    const bool valid = ReferenceDecode(s, &expected);
    ASSERT_EQ(valid, DecodeGuarded(s, 4, &decoded)) << hwy::TargetName(GetParam());
    if (valid) {
      ASSERT_EQ(decoded, expected) << hwy::TargetName(GetParam());
    }
    if (::testing::Test::HasFailure()) return;
  }
}

std::string Name(const ::testing::TestParamInfo<int64_t>& info) {
  return hwy::TargetName(info.param);
}

INSTANTIATE_TEST_SUITE_P(EveryTarget, StrConvertTest, ::testing::ValuesIn(TargetsForTest()), Name);

}  // namespace
}  // namespace rwkvtok_python
