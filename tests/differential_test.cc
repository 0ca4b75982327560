// Differential test: the trie encoder of each profile against the simple matcher of
// tests/simple_encoder.h, on many thousands of generated inputs.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

class DifferentialTest : public ::testing::TestWithParam<Profile> {
 protected:
  static void SetUpTestSuite() { simple_ = new SimpleEncoder(Tokenizer::World()); }
  static void TearDownTestSuite() { delete simple_; }

  // Compares one input; returns false (after reporting) on the first mismatch.
  bool Same(const std::string& text) {
    const Tokenizer world = World(GetParam());
    const std::vector<uint32_t> expected = simple_->Encode(text);
    const std::vector<uint32_t> actual = EncodeAll(world, text);
    if (actual != expected) {
      ADD_FAILURE() << "encodings differ for " << text.size() << " bytes: " << Hex(text);
      return false;
    }
    if (DecodeAll(world, actual) != text) {
      ADD_FAILURE() << "round trip fails for " << Hex(text);
      return false;
    }
    return true;
  }

  const std::vector<std::string>& tokens() { return simple_->tokens(); }

  std::mt19937_64 rng_{20230424};
  static SimpleEncoder* simple_;
};

SimpleEncoder* DifferentialTest::simple_ = nullptr;

TEST_P(DifferentialTest, RandomBytes) {
  for (int n = 0; n < 3000; ++n) {
    std::string text(Uniform(rng_, 0, 400), '\0');
    // Half the inputs draw from a few bytes only, which makes long matches likelier.
    const size_t alphabet = n % 2 ? 256 : Uniform(rng_, 2, 8);
    const size_t offset = Uniform(rng_, 0, 255);
    for (char& c : text) c = static_cast<char>((offset + Uniform(rng_, 0, alphabet - 1)) & 0xFF);
    if (!Same(text)) return;
  }
}

TEST_P(DifferentialTest, RandomUtf8AcrossScripts) {
  // Code point ranges: ASCII, Latin, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, Hangul
  // Jamo, general punctuation, CJK symbols, kana, CJK ideographs, Hangul syllables, fullwidth
  // forms, emoji and other astral planes.
  const std::pair<uint32_t, uint32_t> kRanges[] = {
      {0x20, 0x7E},       {0xA0, 0x24F},      {0x370, 0x3FF},    {0x400, 0x4FF},   {0x590, 0x5FF},
      {0x600, 0x6FF},     {0x900, 0x97F},     {0xE00, 0xE7F},    {0x1100, 0x11FF}, {0x2000, 0x206F},
      {0x3000, 0x303F},   {0x3040, 0x30FF},   {0x4E00, 0x9FFF},  {0xAC00, 0xD7A3}, {0xFF00, 0xFFEF},
      {0x1F300, 0x1FAFF}, {0x1D400, 0x1D7FF}, {0x20000, 0x2A6DF}};
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    const size_t script = Uniform(rng_, 0, std::size(kRanges) - 1);
    const size_t length = Uniform(rng_, 0, 120);
    for (size_t i = 0; i < length; ++i) {
      // Mostly one script, with spaces, ASCII and other scripts mixed in.
      const size_t pick = Uniform(rng_, 0, 9);
      const auto& range =
          pick < 6 ? kRanges[script] : kRanges[Uniform(rng_, 0, std::size(kRanges) - 1)];
      if (pick == 9) {
        text += ' ';
      } else {
        AppendUtf8(static_cast<uint32_t>(Uniform(rng_, range.first, range.second)), &text);
      }
    }
    if (!Same(text)) return;
  }
}

TEST_P(DifferentialTest, LongRunsOfOneByte) {
  const std::string kContexts[] = {"", "x", "\n", " ", "//", "#", "int a;", "\xe4\xb8\xad", "\x00"};
  const char kBytes[] = {' ', '\t', '\n', '-', '=',  '#', '*',   '_',
                         '.', '/',  '~',  '0', '\r', 'a', '\xff'};
  for (const char byte : kBytes) {
    for (size_t length = 1; length <= 300; ++length) {
      const std::string& before = kContexts[Uniform(rng_, 0, std::size(kContexts) - 1)];
      const std::string& after = kContexts[Uniform(rng_, 0, std::size(kContexts) - 1)];
      if (!Same(before + std::string(length, byte) + after)) return;
    }
  }
}

// Proper prefixes of long tokens, with the next byte wrong, force the matcher to walk past the
// token it finally emits and fall back, sometimes by dozens of bytes.
TEST_P(DifferentialTest, NearMissesOfLongTokens) {
  std::vector<std::string> longer;
  for (const std::string& token : tokens()) {
    if (token.size() >= 3) longer.push_back(token);
  }
  ASSERT_GT(longer.size(), 1000u);
  for (int n = 0; n < 4000; ++n) {
    std::string text;
    const size_t pieces = Uniform(rng_, 1, 6);
    for (size_t p = 0; p < pieces; ++p) {
      const std::string& token = longer[Uniform(rng_, 0, longer.size() - 1)];
      const size_t cut = Uniform(rng_, 1, token.size() - 1);
      switch (Uniform(rng_, 0, 3)) {
        case 0:  // a proper prefix, then a random byte
          text += token.substr(0, cut) + static_cast<char>(Uniform(rng_, 0, 255));
          break;
        case 1:  // the token with one byte changed
          text += token;
          text[text.size() - token.size() + cut] ^= static_cast<char>(Uniform(rng_, 1, 255));
          break;
        case 2:  // a proper prefix at the very end of the input
          text += token.substr(0, cut);
          break;
        default:  // the whole token followed by part of another
          text += token + longer[Uniform(rng_, 0, longer.size() - 1)].substr(0, cut);
          break;
      }
    }
    if (!Same(text)) return;
  }
  // The longest fall-backs known: "//" + k dashes against the token "//" + 64 dashes, and
  // " " + k "=" against " " + 65 "=".
  for (size_t k = 1; k <= 70; ++k) {
    if (!Same("//" + std::string(k, '-') + "x")) return;
    if (!Same("//" + std::string(k, '-'))) return;
    if (!Same(" " + std::string(k, '=') + "\n")) return;
  }
}

TEST_P(DifferentialTest, EveryTokenConcatenated) {
  std::string all;
  for (const std::string& token : tokens()) all += token;
  EXPECT_TRUE(Same(all));

  // Random orders, in pieces small enough for failures to be readable.
  std::vector<std::string> shuffled = tokens();
  std::shuffle(shuffled.begin(), shuffled.end(), rng_);
  for (size_t start = 0; start < shuffled.size(); start += 16) {
    std::string text;
    for (size_t i = start; i < std::min(start + 16, shuffled.size()); ++i) text += shuffled[i];
    if (!Same(text)) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, DifferentialTest, ::testing::ValuesIn(kProfiles),
                         [](const ::testing::TestParamInfo<Profile>& info) {
                           return std::string(ProfileName(info.param));
                         });

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
