// The command line tool's id wire formats (tools/cli/id_format.h): every format round-trips ids
// cut into pieces anywhere, and malformed input gives exactly the message the tool prints, with
// nothing of the malformed word or number given out.

#include "tools/cli/id_format.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rwkvtok {
namespace cli {
namespace {

constexpr Format kFormats[] = {Format::kLines, Format::kJson, Format::kU16, Format::kU32};

std::string Formatted(Format format, const std::vector<uint32_t>& ids) {
  std::string out;
  for (const uint32_t id : ids) {
    char bytes[kMaxFormattedWidth];
    out.append(bytes, FormatId(format, id, bytes));
  }
  if (format == Format::kJson) out = ids.empty() ? "[]" : "[" + out.substr(1) + "]";
  return out;
}

struct Parsed {
  std::vector<uint32_t> ids;
  std::string error;  // empty if none
};

// Feeds `input` in pieces of the given sizes (cycled), with room for `capacity` ids per call.
Parsed Parse(Format format, const std::string& input, const std::vector<size_t>& pieces = {},
             size_t capacity = 64) {
  IdParser parser(format);
  Parsed result;
  std::vector<uint32_t> ids(capacity);
  size_t at = 0;
  for (size_t k = 0; at < input.size() && !parser.failed(); ++k) {
    size_t piece = pieces.empty() ? input.size() : pieces[k % pieces.size()];
    piece = std::min(piece, input.size() - at);
    for (size_t offset = 0; offset < piece && !parser.failed();) {
      size_t used = 0;
      const size_t n =
          parser.Feed(input.data() + at + offset, piece - offset, ids.data(), ids.size(), &used);
      EXPECT_TRUE(used > 0 || parser.failed());
      EXPECT_LE(used, piece - offset);
      EXPECT_TRUE(n == ids.size() || used == piece - offset || parser.failed())
          << "Feed stopped early";
      result.ids.insert(result.ids.end(), ids.begin(), ids.begin() + n);
      offset += used;
    }
    at += piece;
  }
  if (!parser.failed()) {
    const size_t n = parser.End(ids.data());
    result.ids.insert(result.ids.end(), ids.begin(), ids.begin() + n);
  }
  result.error = parser.error();
  EXPECT_EQ(parser.ids_read(), result.ids.size());
  return result;
}

TEST(FormatId, EachFormatsBytes) {
  char bytes[kMaxFormattedWidth];
  const auto one = [&](Format format, uint32_t id) {
    return std::string(bytes, FormatId(format, id, bytes));
  };
  EXPECT_EQ(one(Format::kLines, 0), "0\n");
  EXPECT_EQ(one(Format::kLines, 65535), "65535\n");
  EXPECT_EQ(one(Format::kJson, 33155), ",33155");
  EXPECT_EQ(one(Format::kU16, 0x8183), std::string("\x83\x81", 2));
  EXPECT_EQ(one(Format::kU32, 0x12345678), std::string("\x78\x56\x34\x12", 4));
  for (const Format format : kFormats) {
    for (uint32_t id = 0; id < 65536; id += 7) {
      EXPECT_LE(static_cast<size_t>(FormatId(format, id, bytes) - bytes), kMaxFormattedWidth);
    }
  }
}

// Many ids at once, of every width in every format, and runs of every length (the binary formats
// are written in blocks), spelled here without the tool's code.
TEST(FormatIds, WritesEachIdAsItsFormatSpellsIt) {
  std::mt19937 rng(11);
  const auto spelled = [](Format format, uint32_t id) {
    switch (format) {
      case Format::kLines:
        return std::to_string(id) + "\n";
      case Format::kJson:
        return "," + std::to_string(id);
      case Format::kU16:
        return std::string{static_cast<char>(id % 256), static_cast<char>(id / 256)};
      case Format::kU32:
        return std::string{static_cast<char>(id % 256), static_cast<char>(id / 256 % 256),
                           static_cast<char>(id / 65536 % 256), static_cast<char>(id / 16777216)};
    }
    return std::string();
  };
  for (const Format format : kFormats) {
    for (size_t count = 0; count < 700; count += 1 + count / 4) {
      std::vector<uint32_t> ids(count);
      std::string expected;
      for (size_t i = 0; i < count; ++i) {
        const uint32_t width = std::uniform_int_distribution<uint32_t>(0, 16)(rng);
        ids[i] = std::uniform_int_distribution<uint32_t>(0, (1u << width) - 1)(rng);
        expected += spelled(format, ids[i]);
      }
      std::vector<char> out(count * kMaxFormattedWidth + 16, '\x7f');
      char* end = FormatIds(format, ids.data(), count, out.data());
      ASSERT_EQ(std::string(out.data(), end), expected) << count << " ids";
      for (const char* p = end; p < out.data() + out.size(); ++p) ASSERT_EQ(*p, '\x7f');
    }
  }
}

TEST(IdParser, EveryFormatRoundTripsInPiecesOfAnySize) {
  std::mt19937 rng(7);
  for (const Format format : kFormats) {
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<uint32_t> ids(std::uniform_int_distribution<size_t>(0, 300)(rng));
      for (uint32_t& id : ids) id = std::uniform_int_distribution<uint32_t>(0, 65535)(rng);
      const std::string input = Formatted(format, ids);
      std::vector<size_t> pieces(5);
      for (size_t& p : pieces) p = std::uniform_int_distribution<size_t>(1, 9)(rng);
      const size_t capacity = std::uniform_int_distribution<size_t>(1, 4)(rng);
      const Parsed parsed = Parse(format, input, pieces, capacity);
      EXPECT_EQ(parsed.error, "");
      EXPECT_EQ(parsed.ids, ids);
    }
  }
}

TEST(IdParser, LinesTakeAnyWhitespaceAndAnyDecimalBelow2To32) {
  const Parsed p = Parse(Format::kLines, " 1\t2\r\n\n3\v4\f 007 4294967295");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.ids, (std::vector<uint32_t>{1, 2, 3, 4, 7, 4294967295u}));
}

TEST(IdParser, LinesRefuseWordsThatAreNotIds) {
  const struct {
    std::string input, error;
    size_t ids_before;
  } kCases[] = {
      {"1 abc 2", "invalid id 'abc' at position 2: ids are decimal numbers", 1},
      {"33155\t-1", "invalid id '-1' at position 2: ids are decimal numbers", 1},
      {"+5", "invalid id '+5' at position 1: ids are decimal numbers", 0},
      {"1x", "invalid id '1x' at position 1: ids are decimal numbers", 0},
      {"4294967296", "invalid id '4294967296' at position 1: too large", 0},
      // 2^64 + 1: would be 1 if the value were kept in 64 bits.
      {"18446744073709551617", "invalid id '18446744073709551617' at position 1: too large", 0},
      {"1 2 99999999999999999999999",
       "invalid id '99999999999999999999999' at position 3: too large", 2},
      {std::string("a\x1b[2J\0z", 7),
       "invalid id 'a\\x1b[2J\\x00z' at position 1: ids are decimal "
       "numbers",
       0},
      {"\xe6\x97\xa5", "invalid id '\\xe6\\x97\\xa5' at position 1: ids are decimal numbers", 0},
      // Known to be no id once it is longer than a message shows: not read to its end.
      {std::string(40, '9') + "x",
       "invalid id '" + std::string(32, '9') + "...' at position 1: too large", 0},
      {std::string(40, 'z') + "1",
       "invalid id '" + std::string(32, 'z') + "...' at position 1: ids are decimal numbers", 0},
  };
  for (const auto& c : kCases) {
    for (const size_t piece : {size_t{1}, size_t{3}, c.input.size()}) {
      const Parsed p = Parse(Format::kLines, c.input, {piece});
      EXPECT_EQ(p.error, c.error) << c.input;
      EXPECT_EQ(p.ids.size(), c.ids_before) << c.input;
    }
  }
}

TEST(IdParser, JsonTakesArraysWithJsonWhitespace) {
  Parsed p = Parse(Format::kJson, " [ 33155 ,\n\t45,1\r\n]\n ");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.ids, (std::vector<uint32_t>{33155, 45, 1}));
  p = Parse(Format::kJson, "[]");
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.ids.empty());
}

// A number is given out only where JSON lets it end, so malformed input gives none of it.
TEST(IdParser, JsonRefusesWhatIsNotAnArrayOfIds) {
  const struct {
    std::string input, error;
    std::vector<uint32_t> ids_before;
  } kCases[] = {
      {"", "invalid JSON input: it ends before the array of ids is closed", {}},
      {"33155", "invalid JSON input at byte 1: expected '[' (ids are decimal numbers)", {}},
      {"[1,,2]", "invalid JSON input at byte 4: expected an id (ids are decimal numbers)", {1}},
      {"[1 2]", "invalid JSON input at byte 4: expected ',' or ']' (ids are decimal numbers)", {1}},
      {"[1,2", "invalid JSON input: it ends before the array of ids is closed", {1}},
      {"[1,2,]", "invalid JSON input at byte 6: expected an id (ids are decimal numbers)", {1, 2}},
      {"[1]]",
       "invalid JSON input at byte 4: expected nothing after the array (ids are decimal "
       "numbers)",
       {1}},
      {"[-1]", "invalid JSON input at byte 2: expected an id or ']' (ids are decimal numbers)", {}},
      {"[1.5]", "invalid JSON input at byte 3: expected ',' or ']' (ids are decimal numbers)", {}},
      {"[7, 1e3]",
       "invalid JSON input at byte 6: expected ',' or ']' (ids are decimal numbers)",
       {7}},
      {"[1,99999999999]", "invalid id '99999999999' at position 2: too large", {1}},
      {"[0,01]",
       "invalid JSON input at byte 5: a number does not start with 0 (ids are decimal "
       "numbers)",
       {0}},
      {"[00]",
       "invalid JSON input at byte 3: a number does not start with 0 (ids are decimal "
       "numbers)",
       {}},
  };
  for (const auto& c : kCases) {
    for (const size_t piece : {size_t{1}, size_t{2}, std::max<size_t>(c.input.size(), 1)}) {
      const Parsed p = Parse(Format::kJson, c.input, {piece});
      EXPECT_EQ(p.error, c.error) << c.input;
      EXPECT_EQ(p.ids, c.ids_before) << c.input;
    }
  }
}

TEST(IdParser, JsonZeroIsANumberOfItsOwn) {
  const Parsed p = Parse(Format::kJson, "[0, 10, 0,100]");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.ids, (std::vector<uint32_t>{0, 10, 0, 100}));
}

// A word that is already no id fails once it is longer than a message shows, so input that never
// ends (/dev/zero) fails at once.
TEST(IdParser, WordsThatCannotBeIdsFailEarly) {
  for (const Format format : {Format::kLines, Format::kJson}) {
    IdParser parser(format);
    const std::string zeros(1 << 20, format == Format::kLines ? '\0' : '7');
    uint32_t ids[4];
    size_t used = 0;
    if (format == Format::kJson) {
      ASSERT_EQ(parser.Feed("[", 1, ids, 4, &used), 0u);
    }
    EXPECT_EQ(parser.Feed(zeros.data(), zeros.size(), ids, 4, &used), 0u);
    EXPECT_TRUE(parser.failed());
    EXPECT_EQ(used, 33u) << "the bytes read before failing";
    EXPECT_NE(parser.error().find("...' at position 1"), std::string::npos) << parser.error();
  }
}

TEST(IdParser, BinaryInputMustHoldWholeIds) {
  Parsed p = Parse(Format::kU16, std::string("\xe5\x00\x01", 3));
  EXPECT_EQ(p.error, "u16 input of 3 bytes is not a multiple of 2 bytes");
  EXPECT_EQ(p.ids, (std::vector<uint32_t>{229}));
  p = Parse(Format::kU16, "A");
  EXPECT_EQ(p.error, "u16 input of 1 byte is not a multiple of 2 bytes");
  p = Parse(Format::kU32, std::string("\x01\x00\x00\x00\x02", 5));
  EXPECT_EQ(p.error, "u32 input of 5 bytes is not a multiple of 4 bytes");
  EXPECT_EQ(p.ids, (std::vector<uint32_t>{1}));
  p = Parse(Format::kU32, "\xff\xff\xff\xff");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.ids, (std::vector<uint32_t>{0xFFFFFFFFu}));
}

}  // namespace
}  // namespace cli
}  // namespace rwkvtok
