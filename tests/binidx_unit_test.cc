// The parts of tools/binidx that the command's tests (tests/binidx_test.py) cannot reach at
// scale: RWKV-LM's --magic_prime for datasets of billions of tokens, and the JSONL reader's UTF-8
// checks on many long texts, on every vector target.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/utf8_reference.h"
#include "tools/binidx/dataset.h"
#include "tools/binidx/jsonl.h"
#include "tools/binidx/utf8.h"

#if RWKVTOK_LANES
#include "hwy/targets.h"
#include "lib/targets.h"
#endif

namespace rwkvtok {
namespace binidx {
namespace {

bool IsPrimeByTrialDivision(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// make_data.py's rule, read literally: only for at least 3 contexts, the largest i <=
// tokens // ctx_len - 1 with i % 3 == 2 that is prime.
uint64_t Reference(uint64_t tokens, uint64_t ctx_len) {
  if (tokens < ctx_len * 3) return 0;
  for (uint64_t i = tokens / ctx_len - 1; i > 0; --i) {
    if (i % 3 == 2 && IsPrimeByTrialDivision(i)) return i;
  }
  return 0;
}

TEST(MagicPrime, FollowsMakeData) {
  for (uint64_t ctx_len : {1, 2, 3, 7, 512, 4096}) {
    for (uint64_t tokens = 0; tokens < 20000; tokens += 1 + tokens / 50) {
      ASSERT_EQ(MagicPrime(tokens, ctx_len), Reference(tokens, ctx_len))
          << tokens << " tokens, ctx_len " << ctx_len;
    }
  }
  for (uint64_t tokens : {uint64_t{1498226207}, uint64_t{1} << 40, uint64_t{123456789012}}) {
    for (uint64_t ctx_len : {512, 1024, 4096}) {
      ASSERT_EQ(MagicPrime(tokens, ctx_len), Reference(tokens, ctx_len));
    }
  }
  // RWKV-LM's own example: minipile, 1498226207 tokens, at ctx_len 512.
  EXPECT_EQ(MagicPrime(1498226207, 512), 2926181u);
  EXPECT_EQ(MagicPrime(5, 2), 0u);  // fewer than 3 contexts
  EXPECT_EQ(MagicPrime(100, 0), 0u);
}

TEST(ShuffledIndex, IsAPermutationOfEveryPass) {
  for (uint64_t n = 1; n <= 600; n += 1 + n / 7) {
    for (uint64_t pass = 0; pass < 3; ++pass) {
      std::vector<bool> seen(n, false);
      uint64_t moved = 0;
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t k = ShuffledIndex(i, n, 42, pass);
        ASSERT_LT(k, n);
        ASSERT_FALSE(seen[k]) << n << " documents, pass " << pass;
        seen[k] = true;
        moved += k != i;
      }
      if (n >= 10) {
        EXPECT_GT(moved, n / 2);  // an order, not the same one
      }
    }
  }
  // Different seeds and passes, different orders; large counts stay in range.
  EXPECT_NE(ShuffledIndex(5, 1000, 1, 0), ShuffledIndex(5, 1000, 2, 0));
  EXPECT_NE(ShuffledIndex(5, 1000, 1, 0), ShuffledIndex(5, 1000, 1, 1));
  for (uint64_t n : {uint64_t{1} << 32, (uint64_t{1} << 40) + 3, ~uint64_t{0}}) {
    for (uint64_t i = 0; i < 100; ++i) ASSERT_LT(ShuffledIndex(i * 977, n, 9, 0), n);
  }
}

void AppendCodePoint(uint32_t c, std::string* out) {
  if (c < 0x80) {
    *out += static_cast<char>(c);
  } else if (c < 0x800) {
    *out += static_cast<char>(0xC0 | c >> 6);
    *out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *out += static_cast<char>(0xE0 | c >> 12);
    *out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    *out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | c >> 18);
    *out += static_cast<char>(0x80 | (c >> 12 & 0x3F));
    *out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    *out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Valid texts of every script and length are read back whole; one damaged byte anywhere (a
// byte that is never UTF-8, a character cut short, a stray continuation byte) is reported where
// it is. The texts are long enough for the vector check of whole texts (tools/binidx/utf8.h).
TEST(ReadField, Utf8IsCheckedWhereverItBreaks) {
  std::mt19937_64 rng(5);
  const uint32_t ranges[][2] = {
      {0x20, 0x7F}, {0xA0, 0x800}, {0x800, 0xD800}, {0xE000, 0x10000}, {0x10000, 0x110000}};
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    const size_t length = rng() % 3000;
    const auto& range = ranges[rng() % 5];
    while (text.size() < length) {
      uint32_t c = range[0] + rng() % (range[1] - range[0]);
      if (c == '"' || c == '\\') c = 'x';
      AppendCodePoint(rng() % 4 ? c : 0x61, &text);
    }
    const std::string prefix = "{\"text\": \"";
    std::string read, error;
    ASSERT_TRUE(ReadField(prefix + text + "\"}", "text", &read, &error)) << error;
    ASSERT_EQ(read, text);
    if (text.empty()) continue;
    // Damage at a character's first byte, which is then where the error is.
    size_t at = rng() % text.size();
    while ((static_cast<uint8_t>(text[at]) & 0xC0) == 0x80) --at;
    std::string damaged = text;
    switch (rng() % 3) {
      case 0:
        damaged[at] = '\xFF';
        break;
      case 1:  // a lead byte then ASCII: the character is cut short
        damaged.insert(at, 1, '\xE4');
        break;
      default:  // a continuation byte where a character should start
        damaged.insert(at, 1, '\x80');
        break;
    }
    ASSERT_FALSE(ReadField(prefix + damaged + "\"}", "text", &read, &error));
    EXPECT_EQ(error, "invalid UTF-8 at column " + std::to_string(prefix.size() + at + 1));
  }
}

// The second byte's bounds after E0, ED, F0 and F4 (no overlong form, no surrogate, nothing past
// U+10FFFF), and the lead bytes no character has, in a short text and in one long enough for the
// vector check.
TEST(ReadField, Utf8SecondByteBounds) {
  const std::string prefix = "{\"text\": \"";
  const char* const bad[] = {"\xE0\x9F\xBF",     "\xED\xA0\x80", "\xF0\x8F\xBF\xBF",
                             "\xF4\x90\x80\x80", "\xC1\xBF",     "\xF5\x80\x80\x80"};
  const char* const good[] = {"\xE0\xA0\x80", "\xED\x9F\xBF", "\xF0\x90\x80\x80",
                              "\xF4\x8F\xBF\xBF"};
  for (const size_t count : {0, 200}) {
    std::string padding;
    for (size_t i = 0; i < count; ++i) padding += "\xC3\xA9";  // é
    for (const char* b : bad) {
      std::string read, error;
      EXPECT_FALSE(ReadField(prefix + padding + b + padding + "\"}", "text", &read, &error)) << b;
      EXPECT_EQ(error,
                "invalid UTF-8 at column " + std::to_string(prefix.size() + padding.size() + 1));
    }
    for (const char* g : good) {
      std::string read, error;
      EXPECT_TRUE(ReadField(prefix + padding + g + padding + "\"}", "text", &read, &error))
          << error;
      EXPECT_EQ(read, padding + g + padding);
    }
  }
}

// Runs `check` on each vector target IsUtf8Text has on this CPU (once without vectors).
template <typename Check>
void OnEveryTarget(const Check& check) {
#if RWKVTOK_LANES
  targets::ForEachSupported(HWY_TARGETS, [&](int64_t target) {
    targets::RestrictForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    ASSERT_STREQ(Utf8TextTarget(), hwy::TargetName(target));  // the one asked for runs
    check();
  });
  targets::RestrictForTest(0);
#else
  check();
#endif
}

void ExpectAsReference(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t at = Utf8InvalidAt(s);
  ASSERT_EQ(IsUtf8Text(p, p + s.size()), at == s.size()) << testing::PrintToString(s);
  ASSERT_EQ(IsUtf8(p, p + s.size()), at == s.size()) << testing::PrintToString(s);
  ASSERT_EQ(FirstInvalidUtf8(p, p + s.size()) - p, static_cast<ptrdiff_t>(at))
      << testing::PrintToString(s);
}

// Every sequence of up to 4 bytes that matter to UTF-8 (each bound of each kind of byte), at the
// start of a text, across a boundary of 16 bytes, and at its end.
TEST(Utf8Text, AgreesWithDecodingOnEveryShortSequence) {
  const uint8_t kBytes[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
                            0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  const size_t n = sizeof kBytes;
  OnEveryTarget([&] {
    for (size_t code = 0; code < n * n * n * n; ++code) {
      std::string sequence;
      for (size_t k = 0, c = code; k < 4; ++k, c /= n) sequence += static_cast<char>(kBytes[c % n]);
      for (const size_t before : {0, 14, 15}) {
        for (const size_t after : {0, 1}) {
          ExpectAsReference(std::string(before, 'a') + sequence + std::string(after, 'a'));
        }
      }
    }
  });
}

// Texts of every script and length, valid and then damaged anywhere: a byte changed to any
// other, a byte dropped or one inserted.
TEST(Utf8Text, AgreesWithDecodingOnDamagedTexts) {
  const uint32_t ranges[][2] = {
      {0x00, 0x80}, {0x80, 0x800}, {0x800, 0x10000}, {0x10000, 0x110000}, {0x00, 0x110000}};
  OnEveryTarget([&] {
    std::mt19937_64 rng(11);
    for (int n = 0; n < 20000; ++n) {
      std::string text;
      const size_t length = rng() % 200;
      const auto& range = ranges[rng() % 5];
      while (text.size() < length) {
        const uint32_t c = range[0] + rng() % (range[1] - range[0]);
        AppendCodePoint(c >= 0xD800 && c < 0xE000 ? c - 0x800 : c, &text);
      }
      ExpectAsReference(text);
      if (text.empty()) continue;
      const size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[at] = static_cast<char>(rng());
          break;
        case 1:
          text.erase(at, 1);
          break;
        default:
          text.insert(at, 1, static_cast<char>(rng()));
          break;
      }
      ExpectAsReference(text);
    }
  });
}

// A line that names the member many times: the last counts, and an earlier one that is not
// valid (a lone surrogate) is no error once replaced. Each repeat costs only its own bytes.
TEST(ReadField, TheLastOfManyRepeatsCounts) {
  std::string line = "{";
  for (int i = 0; i < 100000; ++i) {
    line += i % 3 == 0   ? "\"text\": \"a\\n\\u00e9\", "
            : i % 3 == 1 ? "\"text\": \"\\ud800\", "
                         : "\"text\": \"\xC3\xA9\\t\", ";
  }
  std::string read, error;
  EXPECT_FALSE(ReadField(line + "\"text\": \"\\udc00\"}", "text", &read, &error));
  EXPECT_EQ(error.compare(0, 14, "lone surrogate"), 0) << error;
  ASSERT_TRUE(ReadField(line + "\"other\": 1}", "text", &read, &error)) << error;
  EXPECT_EQ(read, "a\n\xC3\xA9");  // the member of i = 99999
  ASSERT_TRUE(ReadField(line + "\"text\": \"last \\\"one\\\"\"}", "text", &read, &error)) << error;
  EXPECT_EQ(read, "last \"one\"");
  // Appended to what the text held, as AppendField does for a shard's texts.
  std::string texts = "kept";
  ASSERT_TRUE(AppendField(line + "\"text\": \"\\t\"}", "text", &texts, &error)) << error;
  EXPECT_EQ(texts, "kept\t");
}

}  // namespace
}  // namespace binidx
}  // namespace rwkvtok
