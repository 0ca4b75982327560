// Tests of the vocabulary parser (tools/vocab.h) and the blob builder (tools/blob_builder.h), on
// small vocabularies written here, checked through the runtime (lib/rwkvtok.h).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tools/blob_builder.h"
#include "tools/vocab.h"

namespace rwkvtok {
namespace tools {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Lines 1..256: the one-byte token of every byte value, id = byte + 1, as in the World vocabulary.
// `skip` leaves one byte out (-1: none).
std::string ByteLines(int skip = -1) {
  std::string text;
  for (int byte = 0; byte < 256; ++byte) {
    if (byte == skip) continue;
    char line[32];
    std::snprintf(line, sizeof(line), "%d b'\\x%02x' 1\n", byte + 1, byte);
    text += line;
  }
  return text;
}

// The id of a one-byte token in ByteLines().
uint32_t ByteId(char c) { return static_cast<uint8_t>(c) + 1u; }

std::vector<VocabToken> ParseOk(std::string_view text) {
  std::vector<VocabToken> tokens;
  std::string error;
  EXPECT_TRUE(ParseVocabulary(text, &tokens, &error)) << error;
  return tokens;
}

// The error for `text`, which must be rejected.
std::string ParseError(std::string_view text) {
  std::vector<VocabToken> tokens;
  std::string error;
  EXPECT_FALSE(ParseVocabulary(text, &tokens, &error)) << "accepted: " << text.substr(0, 200);
  return error;
}

// The error for a vocabulary of the 256 byte tokens followed by `extra` (so line 257 is its first).
std::string ErrorAfterBytes(std::string_view extra) {
  return ParseError(ByteLines() + std::string(extra));
}

// The bytes of `literal`, parsed from a one-line vocabulary whose length column is `length`.
// (Only the builder needs every byte value; the parser takes any set of tokens.)
std::string LiteralBytes(std::string_view literal, size_t length) {
  const std::string line = "1 " + std::string(literal) + " " + std::to_string(length) + "\n";
  const std::vector<VocabToken> tokens = ParseOk(line);
  return tokens.size() == 1 ? tokens[0].bytes : "<parse failed>";
}

// ---------------------------------------------------------------------------------------------
// Rejected vocabularies.

TEST(VocabularyError, EmptyFile) { EXPECT_EQ(ParseError(""), "the vocabulary file is empty"); }

TEST(VocabularyError, ByteOrderMark) {
  EXPECT_EQ(ParseError("\xEF\xBB\xBF" + ByteLines()),
            "line 1: starts with a UTF-8 byte order mark; save the file without it");
}

TEST(VocabularyError, EmptyLineInTheMiddle) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2\n\n258 'cd' 2\n"), "line 258: empty line");
}

TEST(VocabularyError, TrailingBlankLine) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2\n\n"), "line 258: empty line");
}

TEST(VocabularyError, SeveralTrailingBlankLinesReportTheFirst) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2\n\n\n\n"), "line 258: empty line");
}

TEST(VocabularyError, TrailingBlankLineWithCrlf) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2\r\n\r\n"), "line 258: empty line");
}

TEST(VocabularyError, MissingLengthColumn) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab'\n"),
            "line 257: expected a space and the byte length after the literal");
}

TEST(VocabularyError, WrongLength) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 3\n"),
            "line 257: the length column says 3 but the literal is 2 bytes");
}

TEST(VocabularyError, NonNumericLength) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' two\n"),
            "line 257: expected the byte length (a decimal number) after the literal");
}

TEST(VocabularyError, TextAfterLength) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2 x\n"), "line 257: unexpected text after the byte length");
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2 \n"), "line 257: unexpected text after the byte length");
}

TEST(VocabularyError, DuplicateId) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2\n258 'cd' 2\n5 'ef' 2\n"),
            "line 259: id 5 is already defined on line 5");
}

TEST(VocabularyError, DuplicateBytesFromStrAndBytesLiterals) {
  // 'a' is the byte 0x61, already b'\x61' (id 98) on line 98.
  EXPECT_EQ(ErrorAfterBytes("257 'a' 1\n"), "line 257: the same bytes as id 98 on line 98");
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 2\n258 b'ab' 2\n"),
            "line 258: the same bytes as id 257 on line 257");
}

TEST(VocabularyError, DuplicateBytesFromDifferentEscapes) {
  // In a str literal '\x41' is U+0041, which is "A".
  EXPECT_EQ(ErrorAfterBytes("257 'Ab' 2\n258 '\\x41b' 2\n"),
            "line 258: the same bytes as id 257 on line 257");
  EXPECT_EQ(ErrorAfterBytes("257 '\\u00e9' 2\n258 b'\\xc3\\xa9' 2\n"),
            "line 258: the same bytes as id 257 on line 257");
}

TEST(VocabularyError, IdZero) {
  EXPECT_EQ(ErrorAfterBytes("0 'ab' 2\n"),
            "line 257: id 0 is out of range: ids are 1..65535 (0 is end of text)");
}

TEST(VocabularyError, Id65536) {
  EXPECT_EQ(ErrorAfterBytes("65536 'ab' 2\n"),
            "line 257: id 65536 is out of range: ids are 1..65535 (0 is end of text)");
}

TEST(VocabularyError, HugeId) {
  EXPECT_EQ(ErrorAfterBytes("99999999999 'ab' 2\n"),
            "line 257: id 99999999999 is out of range: ids are 1..65535 (0 is end of text)");
}

TEST(VocabularyError, NoId) {
  EXPECT_EQ(ErrorAfterBytes("'ab' 2\n"),
            "line 257: expected a decimal token id at the start of the line");
  EXPECT_EQ(ErrorAfterBytes("-1 'ab' 2\n"),
            "line 257: expected a decimal token id at the start of the line");
}

TEST(VocabularyError, MissingSpaceAfterId) {
  EXPECT_EQ(ErrorAfterBytes("257'ab' 2\n"), "line 257: expected a single space after the id");
  EXPECT_EQ(ErrorAfterBytes("257\t'ab' 2\n"), "line 257: expected a single space after the id");
}

TEST(VocabularyError, BadEscape) {
  EXPECT_EQ(ErrorAfterBytes(R"(257 'a\q' 2)"),
            R"(line 257: bad escape \q: only \\ \' \" \n \t \r \xHH and \uHHHH are supported)");
}

TEST(VocabularyError, HexEscapeWithOneDigit) {
  EXPECT_EQ(ErrorAfterBytes(R"(257 'a\x4' 2)"),
            R"(line 257: bad escape \x: expected 2 hex digits)");
}

TEST(VocabularyError, UnicodeEscapeWithThreeDigits) {
  EXPECT_EQ(ErrorAfterBytes(R"(257 '\u00e' 2)"),
            R"(line 257: bad escape \u: expected 4 hex digits)");
}

TEST(VocabularyError, UnicodeEscapeInBytesLiteral) {
  EXPECT_EQ(ErrorAfterBytes(R"(257 b'\u0041b' 2)"),
            R"(line 257: bad escape \u: bytes literals have no \u escape)");
}

TEST(VocabularyError, SurrogateEscape) {
  EXPECT_EQ(ErrorAfterBytes(R"(257 '\ud800' 3)"),
            R"(line 257: bad escape \u: a surrogate code point has no UTF-8 encoding)");
}

TEST(VocabularyError, UnterminatedLiteral) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab 2\n"), "line 257: unterminated literal: no closing '");
  EXPECT_EQ(ErrorAfterBytes("257 \"ab' 2\n"), "line 257: unterminated literal: no closing \"");
}

TEST(VocabularyError, LiteralEndingInBackslash) {
  EXPECT_EQ(ErrorAfterBytes("257 'ab\\\n"),
            "line 257: unterminated literal: it ends in a backslash");
}

TEST(VocabularyError, InvalidUtf8InStrLiteral) {
  const std::string expected = "line 257: invalid UTF-8 in a string literal";
  EXPECT_EQ(ErrorAfterBytes("257 '\xff' 1\n"), expected);
  EXPECT_EQ(ErrorAfterBytes("257 '\xc3' 1\n"), expected);          // truncated sequence
  EXPECT_EQ(ErrorAfterBytes("257 '\xc0\x80' 2\n"), expected);      // overlong
  EXPECT_EQ(ErrorAfterBytes("257 '\xed\xa0\x80' 3\n"), expected);  // encoded surrogate
}

TEST(VocabularyError, NonAsciiInBytesLiteral) {
  EXPECT_EQ(ErrorAfterBytes("257 b'\xc3\xa9' 2\n"),
            "line 257: non-ASCII character in a bytes literal");
}

TEST(VocabularyError, LiteralWithoutQuotes) {
  const std::string expected =
      "line 257: expected a string literal ('...' or \"...\") or bytes literal (b'...') after "
      "the id";
  EXPECT_EQ(ErrorAfterBytes("257 ab 2\n"), expected);
  EXPECT_EQ(ErrorAfterBytes("257 b 1\n"), expected);
}

TEST(VocabularyError, EmptyLiteral) {
  EXPECT_EQ(ErrorAfterBytes("257 '' 0\n"),
            "line 257: empty token: a token must have at least one byte");
}

TEST(VocabularyError, TokenLongerThan255Bytes) {
  EXPECT_EQ(ErrorAfterBytes("257 '" + std::string(256, 'a') + "' 256\n"),
            "line 257: token is 256 bytes; at most 255 are supported");
}

TEST(VocabularyError, MissingByteTokenIsABuilderError) {
  for (const int byte : {0x41, 0xFF}) {
    const std::vector<VocabToken> tokens = ParseOk(ByteLines(byte) + "257 'ab' 2\n");
    BlobSections sections;
    std::string error;
    EXPECT_FALSE(BuildBlob(tokens, &sections, &error));
    char expected[100];
    std::snprintf(expected, sizeof(expected),
                  "no token for the byte 0x%02X: every byte value must be a token of its own",
                  byte);
    EXPECT_EQ(error, expected);
  }
}

// ---------------------------------------------------------------------------------------------
// Accepted vocabularies and literal syntax.

TEST(Vocabulary, TokensInFileOrderWithLineNumbers) {
  const std::vector<VocabToken> tokens = ParseOk(ByteLines() + "300 'ab' 2\n257 'cd' 2\n");
  ASSERT_EQ(tokens.size(), 258u);
  EXPECT_EQ(tokens[0].id, 1u);
  EXPECT_EQ(tokens[0].bytes, std::string(1, '\0'));
  EXPECT_EQ(tokens[0].line, 1u);
  EXPECT_EQ(tokens[256].id, 300u);
  EXPECT_EQ(tokens[256].bytes, "ab");
  EXPECT_EQ(tokens[256].line, 257u);
  EXPECT_EQ(tokens[257].id, 257u);
  EXPECT_EQ(tokens[257].line, 258u);
}

TEST(Vocabulary, CrlfParsesLikeLf) {
  const std::string lf = ByteLines() + "257 'ab' 2\n258 \"c'd\" 3\n";
  std::string crlf;
  for (const char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::vector<VocabToken> a = ParseOk(lf);
  const std::vector<VocabToken> b = ParseOk(crlf);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << i;
    EXPECT_EQ(a[i].bytes, b[i].bytes) << i;
    EXPECT_EQ(a[i].line, b[i].line) << i;
  }
}

TEST(Vocabulary, MissingFinalNewline) {
  const std::vector<VocabToken> tokens = ParseOk(ByteLines() + "257 'ab' 2");
  ASSERT_EQ(tokens.size(), 257u);
  EXPECT_EQ(tokens.back().bytes, "ab");
  EXPECT_EQ(ParseOk(ByteLines() + "257 'ab' 2\r").size(), 257u);
}

TEST(Vocabulary, HexEscapeInStrIsACodePoint) {
  EXPECT_EQ(LiteralBytes(R"('\x80')", 2), "\xC2\x80");
  EXPECT_EQ(LiteralBytes(R"('\xff')", 2), "\xC3\xBF");
  EXPECT_EQ(LiteralBytes(R"('\x41')", 1), "A");
}

TEST(Vocabulary, HexEscapeInBytesIsAByte) {
  EXPECT_EQ(LiteralBytes(R"(b'\x80')", 1), "\x80");
  EXPECT_EQ(LiteralBytes(R"(b'\xFf\x00')", 2), std::string("\xFF\0", 2));
}

TEST(Vocabulary, UnicodeEscape) {
  EXPECT_EQ(LiteralBytes(R"('\u00e9')", 2), "\xC3\xA9");
  EXPECT_EQ(LiteralBytes(R"('\u0000')", 1), std::string(1, '\0'));
  EXPECT_EQ(LiteralBytes(R"('\u20AC')", 3), "\xE2\x82\xAC");
  EXPECT_EQ(LiteralBytes(R"('\uffff')", 3), "\xEF\xBF\xBF");
}

TEST(Vocabulary, SimpleEscapes) {
  EXPECT_EQ(LiteralBytes(R"('\\')", 1), "\\");
  EXPECT_EQ(LiteralBytes(R"('\'')", 1), "'");
  EXPECT_EQ(LiteralBytes(R"('\"')", 1), "\"");
  EXPECT_EQ(LiteralBytes(R"('\n')", 1), "\n");
  EXPECT_EQ(LiteralBytes(R"('\t')", 1), "\t");
  EXPECT_EQ(LiteralBytes(R"('\r')", 1), "\r");
  EXPECT_EQ(LiteralBytes(R"(b'\\\'\"\n\t\r')", 6), "\\'\"\n\t\r");
}

TEST(Vocabulary, QuotesInsideOtherQuotes) {
  EXPECT_EQ(LiteralBytes(R"("it's")", 4), "it's");
  EXPECT_EQ(LiteralBytes(R"('say "hi"')", 8), "say \"hi\"");
  EXPECT_EQ(LiteralBytes(R"(b"'")", 1), "'");
}

TEST(Vocabulary, RawUtf8InStrLiteral) {
  EXPECT_EQ(LiteralBytes("'\xE6\x97\xA5\xE6\x9C\xAC'", 6), "\xE6\x97\xA5\xE6\x9C\xAC");  // 日本
  EXPECT_EQ(LiteralBytes("'\xF0\x9F\x98\x80'", 4), "\xF0\x9F\x98\x80");                  // U+1F600
  EXPECT_EQ(LiteralBytes("'\xF4\x8F\xBF\xBF'", 4), "\xF4\x8F\xBF\xBF");                  // U+10FFFF
}

TEST(Vocabulary, LongestAllowedToken) {
  EXPECT_EQ(LiteralBytes("'" + std::string(255, 'a') + "'", 255), std::string(255, 'a'));
}

TEST(Vocabulary, HighestId) {
  const std::vector<VocabToken> tokens = ParseOk(ByteLines() + "65535 'ab' 2\n");
  EXPECT_EQ(tokens.back().id, 65535u);
}

// ---------------------------------------------------------------------------------------------
// Blobs built from small vocabularies, used through the runtime.

// A blob copied into 4-byte aligned memory, and a tokenizer viewing it.
struct LoadedBlob {
  std::vector<uint32_t> storage;
  Tokenizer tokenizer = Tokenizer::World();  // replaced by FromBlob
};

BlobSections BuildOk(std::string_view vocabulary) {
  BlobSections sections;
  std::string error;
  EXPECT_TRUE(BuildBlob(ParseOk(vocabulary), &sections, &error)) << error;
  return sections;
}

std::unique_ptr<LoadedBlob> Load(const BlobSections& sections) {
  const std::vector<uint8_t> bytes = SerializeBlob(sections);
  auto blob = std::make_unique<LoadedBlob>();
  blob->storage.resize((bytes.size() + 3) / 4);
  std::memcpy(blob->storage.data(), bytes.data(), bytes.size());
  EXPECT_EQ(Validate(blob->storage.data(), bytes.size()), Status::kOk);
  EXPECT_EQ(Tokenizer::FromBlob(blob->storage.data(), bytes.size(), &blob->tokenizer), Status::kOk);
  return blob;
}

std::vector<uint32_t> Encode(const Tokenizer& tokenizer, std::string_view text) {
  std::vector<uint32_t> ids(text.size());
  const Result result = tokenizer.Encode(text.data(), text.size(), ids.data(), ids.size());
  EXPECT_EQ(result.status, Status::kOk);
  ids.resize(result.ok() ? result.count : 0);
  return ids;
}

// The decoded bytes, with the Result in `*result`.
std::string Decode(const Tokenizer& tokenizer, const std::vector<uint32_t>& ids, Result* result) {
  std::string bytes(ids.size() * tokenizer.max_token_length(), '\0');
  *result = tokenizer.Decode(ids.data(), ids.size(), &bytes[0], bytes.size());
  bytes.resize(std::min(result->count, bytes.size()));
  return bytes;
}

std::string DecodeOk(const Tokenizer& tokenizer, const std::vector<uint32_t>& ids) {
  Result result{};
  std::string bytes = Decode(tokenizer, ids, &result);
  EXPECT_EQ(result.status, Status::kOk);
  return bytes;
}

// "abc" is deliberately not a token; 259, 263 and 264 are gaps.
constexpr uint32_t kAb = 257, kAbcd = 258, kAbcdefgh = 260, kCde = 261, kNihon = 262, kXyz = 265;
const char kSmallTokens[] =
    "257 'ab' 2\n"
    "258 'abcd' 4\n"
    "260 'abcdefgh' 8\n"
    "261 'cde' 3\n"
    "262 '\xE6\x97\xA5\xE6\x9C\xAC' 6\n"
    "265 'xyz' 3\n";

std::string SmallVocabulary() { return ByteLines() + kSmallTokens; }

class SmallBlobTest : public ::testing::Test {
 protected:
  void SetUp() override { blob_ = Load(BuildOk(SmallVocabulary())); }
  const Tokenizer& tokenizer() const { return blob_->tokenizer; }

  std::unique_ptr<LoadedBlob> blob_;
};

// Leaves keep their ids in their units, unless the id is too high to be a base there; those and
// the inner tokens keep them in the unit below their children.
TEST(BlobLayout, LeavesKeepTheirIdsUnlessTooHigh) {
  namespace format = rwkvtok::blob;
  const BlobSections sections = BuildOk(SmallVocabulary() + "60000 'zzzz' 4\n");
  std::vector<uint32_t> kept, below;
  for (const uint32_t unit : sections.units) {
    if (!format::UnitIsToken(unit)) continue;
    if (format::UnitHasIdInBase(unit)) {
      kept.push_back(format::UnitBase(unit));
    } else {
      below.push_back(format::UnitBase(sections.units[format::UnitBase(unit) - 1]));
    }
  }
  EXPECT_THAT(kept, ::testing::Contains(ByteId('\x01')));
  for (const uint32_t id : kept) EXPECT_LT(id + 255, sections.units.size());
  EXPECT_THAT(below, ::testing::Contains(60000u));
  EXPECT_THAT(below, ::testing::Contains(kAb));  // an inner token
  EXPECT_EQ(kept.size() + below.size(), 256u + 7u);
  const auto blob = Load(sections);
  EXPECT_THAT(Encode(blob->tokenizer, "zzzzabcdefghabzzz"),
              ElementsAre(60000u, kAbcdefgh, kAb, ByteId('z'), ByteId('z'), ByteId('z')));
}

// Tokens that are prefixes of, or lie inside, another token take no bytes of their own.
TEST(BlobLayout, DecodePoolSharesBytes) {
  const BlobSections sections = BuildOk(SmallVocabulary());
  // Left: "abcdefgh", the six bytes of "\xE6\x97\xA5\xE6\x9C\xAC", "xyz", and the 240 byte
  // values that occur in none of them; then the slack.
  ASSERT_EQ(sections.token_bytes.size(), 8u + 6u + 3u + 240u + rwkvtok::blob::kPoolSlack);
  EXPECT_EQ(std::vector<uint8_t>(sections.token_bytes.end() - rwkvtok::blob::kPoolSlack,
                                 sections.token_bytes.end()),
            std::vector<uint8_t>(rwkvtok::blob::kPoolSlack, 0));
  const auto blob = Load(sections);
  for (const auto& token : ParseOk(SmallVocabulary())) {
    EXPECT_EQ(DecodeOk(blob->tokenizer, {token.id}), token.bytes) << token.id;
  }
}

TEST_F(SmallBlobTest, HeaderValues) {
  EXPECT_EQ(tokenizer().token_count(), 266u);  // highest id + 1
  EXPECT_EQ(tokenizer().max_token_length(), 8u);
}

TEST_F(SmallBlobTest, LongestMatchFallsBackToTheLastToken) {
  EXPECT_THAT(Encode(tokenizer(), "abcx"), ElementsAre(kAb, ByteId('c'), ByteId('x')));
}

TEST_F(SmallBlobTest, LongestMatchTakesTheWholeToken) {
  EXPECT_THAT(Encode(tokenizer(), "abcd"), ElementsAre(kAbcd));
  EXPECT_THAT(Encode(tokenizer(), "abcdefgh"), ElementsAre(kAbcdefgh));
  EXPECT_THAT(Encode(tokenizer(), "abcdabcd"), ElementsAre(kAbcd, kAbcd));
}

TEST_F(SmallBlobTest, LongestMatchBacktracksOverSeveralBytes) {
  // The walk reaches "abcdefg" before failing, then goes back three bytes to "abcd".
  EXPECT_THAT(Encode(tokenizer(), "abcdefgX"),
              ElementsAre(kAbcd, ByteId('e'), ByteId('f'), ByteId('g'), ByteId('X')));
  // Up to "abc" and back to "ab".
  EXPECT_THAT(Encode(tokenizer(), "abc"), ElementsAre(kAb, ByteId('c')));
}

TEST_F(SmallBlobTest, GreedyNotOptimal) {
  // "ab" + "cde" would be two tokens; greedy takes "abcd" first.
  EXPECT_THAT(Encode(tokenizer(), "abcde"), ElementsAre(kAbcd, ByteId('e')));
}

TEST_F(SmallBlobTest, PrefixOfATokenIsSingleBytes) {
  EXPECT_THAT(Encode(tokenizer(), "xy"), ElementsAre(ByteId('x'), ByteId('y')));
  EXPECT_THAT(Encode(tokenizer(), "a"), ElementsAre(ByteId('a')));
}

TEST_F(SmallBlobTest, EveryByteValueEncodes) {
  const std::string text = std::string("\0\x7F\x80\xFF", 4) + "\xE6\x97\xA5\xE6\x9C\xAC\xE8";
  EXPECT_THAT(Encode(tokenizer(), text),
              ElementsAre(1u, 0x80u, 0x81u, 0x100u, kNihon, ByteId('\xE8')));
}

TEST_F(SmallBlobTest, EmptyInputEncodesToNothing) {
  EXPECT_THAT(Encode(tokenizer(), ""), IsEmpty());
}

TEST_F(SmallBlobTest, DecodeGivesTheBytesBack) {
  EXPECT_EQ(DecodeOk(tokenizer(), {kAb, ByteId('c'), ByteId('x')}), "abcx");
  EXPECT_EQ(DecodeOk(tokenizer(), {kAbcdefgh, kCde, kXyz, kNihon}),
            "abcdefghcdexyz\xE6\x97\xA5\xE6\x9C\xAC");
  const std::string texts[] = {"abcdefgX", "xyzzy", std::string("ab\xFF\0\x01", 5), "abcdabcde"};
  for (const std::string& text : texts) {
    EXPECT_EQ(DecodeOk(tokenizer(), Encode(tokenizer(), text)), text);
  }
}

TEST_F(SmallBlobTest, IdZeroDecodesToNothing) {
  EXPECT_EQ(DecodeOk(tokenizer(), {0}), "");
  EXPECT_EQ(DecodeOk(tokenizer(), {kAb, 0, kAb, 0}), "abab");
}

TEST_F(SmallBlobTest, GapIdsAreInvalid) {
  for (const uint32_t gap : {259u, 263u, 264u}) {
    Result result{};
    const std::string bytes = Decode(tokenizer(), {kAb, kXyz, gap, kAb}, &result);
    EXPECT_EQ(result.status, Status::kInvalidId) << gap;
    EXPECT_EQ(result.position, 2u) << gap;
    EXPECT_EQ(result.count, 5u) << gap;  // the bytes written before it
    EXPECT_EQ(bytes, "abxyz") << gap;
    // The stream decoder refuses it too, and changes nothing.
    StreamDecoder decoder(tokenizer());
    char out[RWKVTOK_DECODER_MAX_OUTPUT];
    ASSERT_EQ(decoder.Push(kAb, out, sizeof(out)).status, Status::kOk);
    const Result pushed = decoder.Push(gap, out, sizeof(out));
    EXPECT_EQ(pushed.status, Status::kInvalidId) << gap;
    EXPECT_EQ(pushed.count, 0u) << gap;
    const Result next = decoder.Push(kXyz, out, sizeof(out));
    EXPECT_EQ(std::string(out, next.count), "xyz") << gap;
  }
}

// Decode copies short tokens four at a time and long ones apart; a gap or an id past the
// vocabulary is found wherever it stands among them, whatever the room, and nothing past the
// capacity is touched.
TEST(BlobDecode, InvalidIdsAreFoundAmongShortAndLongTokens) {
  const auto blob = Load(BuildOk(SmallVocabulary() + "266 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' 26\n"));
  const Tokenizer& tok = blob->tokenizer;
  const std::vector<std::pair<uint32_t, std::string>> tokens = {
      {kAb, "ab"},
      {kAbcdefgh, "abcdefgh"},
      {kNihon, "\xE6\x97\xA5\xE6\x9C\xAC"},
      {266, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
      {ByteId('q'), "q"},
      {0, ""}};
  const uint32_t invalid[] = {259, 263, 264, 267, 65536, 0xFFFFFFFFu};
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<uint32_t> ids(1 + rng() % 100);
    std::vector<std::string> bytes(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto& token = tokens[rng() % tokens.size()];
      ids[i] = token.first;
      bytes[i] = token.second;
    }
    const size_t bad_at = rng() % ids.size();
    ids[bad_at] = invalid[rng() % 6];
    std::string before;
    for (size_t i = 0; i < bad_at; ++i) before += bytes[i];
    for (const size_t capacity :
         {before.size(), before.size() + 15, before.size() + 64, ids.size() * 26 + 64}) {
      std::string out(capacity + 32, '\x55');
      const Result r = tok.Decode(ids.data(), ids.size(), &out[0], capacity);
      ASSERT_EQ(r.status, Status::kInvalidId) << trial;
      ASSERT_EQ(r.position, bad_at) << trial;
      ASSERT_EQ(r.count, before.size()) << trial;
      ASSERT_EQ(out.substr(0, before.size()), before) << trial;
      ASSERT_EQ(out.substr(capacity), std::string(32, '\x55')) << trial;
    }
  }
}

TEST_F(SmallBlobTest, IdsBeyondTheVocabularyAreInvalid) {
  for (const uint32_t id : {266u, 267u, 65535u, 65536u, 0xFFFFFFFFu}) {
    Result result{};
    Decode(tokenizer(), {id}, &result);
    EXPECT_EQ(result.status, Status::kInvalidId) << id;
    EXPECT_EQ(result.position, 0u) << id;
  }
}

TEST(Blob, HighestIdWorks) {
  const std::unique_ptr<LoadedBlob> blob = Load(BuildOk(ByteLines() + "65535 'top' 3\n"));
  EXPECT_EQ(blob->tokenizer.token_count(), 65536u);
  EXPECT_THAT(Encode(blob->tokenizer, "top"), ElementsAre(65535u));
  EXPECT_EQ(DecodeOk(blob->tokenizer, {65535u}), "top");
  Result result{};
  Decode(blob->tokenizer, {65534u}, &result);
  EXPECT_EQ(result.status, Status::kInvalidId);
}

TEST(Blob, OnlyByteTokens) {
  const std::unique_ptr<LoadedBlob> blob = Load(BuildOk(ByteLines()));
  EXPECT_EQ(blob->tokenizer.token_count(), 257u);
  EXPECT_EQ(blob->tokenizer.max_token_length(), 1u);
  EXPECT_THAT(Encode(blob->tokenizer, "ab"), ElementsAre(ByteId('a'), ByteId('b')));
}

TEST(Blob, SharedPrefixesAndDeepTrie) {
  // Many tokens branching at every depth, to exercise the double-array placement.
  std::string extra;
  uint32_t id = 257;
  std::vector<std::string> words;
  for (const char first : std::string("abc")) {
    for (int length = 2; length <= 40; length += 3) {
      std::string word(length, first);
      for (int i = 1; i < length; i += 2) word[i] = static_cast<char>('d' + i % 20);
      words.push_back(word);
      extra += std::to_string(id++) + " '" + word + "' " + std::to_string(word.size()) + "\n";
    }
  }
  const std::unique_ptr<LoadedBlob> blob = Load(BuildOk(ByteLines() + extra));
  for (size_t i = 0; i < words.size(); ++i) {
    EXPECT_THAT(Encode(blob->tokenizer, words[i]), ElementsAre(257u + i)) << words[i];
    EXPECT_EQ(DecodeOk(blob->tokenizer, {static_cast<uint32_t>(257u + i)}), words[i]);
  }
}

// Vocabularies unlike World through every way to encode, against the simple matcher: the lanes
// (a text long enough for 32 lanes of 4 KB, 32-bit and 16-bit ids), the plain walk, parts cut
// at random (often long enough for the lanes too), and streaming in chunks of random sizes. The
// texts are mostly tokens and long runs of one byte, where tokenizations started at different
// offsets agree late or never.
TEST(Blob, EveryEncodePathAgreesOnOtherVocabularies) {
  std::mt19937_64 rng(7);
  const auto line = [](uint32_t id, const std::string& bytes) {
    return std::to_string(id) + " '" + bytes + "' " + std::to_string(bytes.size()) + "\n";
  };
  std::string runs, words;
  uint32_t id = 257;
  for (const size_t length : {2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 255}) {
    runs += line(id++, std::string(length, 'a'));
  }
  std::vector<std::string> seen;
  while (seen.size() < 300) {
    std::string word(2 + rng() % 11, 'a');
    for (char& c : word) c = static_cast<char>('a' + rng() % 3);
    if (std::find(seen.begin(), seen.end(), word) != seen.end()) continue;
    seen.push_back(word);
    words += line(static_cast<uint32_t>(257 + seen.size()), word);
  }
  for (const std::string& vocabulary :
       {ByteLines(), SmallVocabulary(), ByteLines() + runs, ByteLines() + words}) {
    const std::unique_ptr<LoadedBlob> blob = Load(BuildOk(vocabulary));
    const Tokenizer& tok = blob->tokenizer;
    const testing::SimpleEncoder simple(tok);
    std::string text;
    while (text.size() < 600000) {
      const size_t pick = rng() % 10;
      text += pick < 6   ? simple.tokens()[rng() % simple.tokens().size()]
              : pick < 9 ? std::string(1 + rng() % 600, 'a')
                         : std::string(1, static_cast<char>(rng()));
    }
    const std::vector<uint32_t> expected = simple.Encode(text);
    EXPECT_EQ(Encode(tok, text), expected) << "32-bit ids";

    std::vector<uint16_t> ids16(text.size());
    const Result r16 = tok.Encode(text.data(), text.size(), ids16.data(), ids16.size());
    ASSERT_EQ(r16.status, Status::kOk);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), ids16.begin()) &&
                r16.count == expected.size())
        << "16-bit ids";

    std::vector<uint32_t> plain(text.size());
    plain.resize(Internal::EncodePlain(tok, reinterpret_cast<const uint8_t*>(text.data()),
                                       text.size(), plain.data(), plain.size()));
    EXPECT_EQ(plain, expected) << "the plain walk";

    for (int n = 0; n < 4; ++n) {
      std::vector<size_t> cuts = {0, text.size()};
      for (size_t k = rng() % 4; k > 0; --k) cuts.push_back(rng() % text.size());
      std::sort(cuts.begin(), cuts.end());
      std::vector<Tokenizer::Part> parts;
      std::vector<uint32_t> ids(text.size());
      for (size_t k = 0; k + 1 < cuts.size(); ++k) {
        parts.push_back(Tokenizer::Part{cuts[k], cuts[k + 1], 0, 0, 0});
        ASSERT_EQ(tok.EncodePart(text.data(), text.size(), &parts.back(), ids.data()), Status::kOk);
      }
      const Result joined =
          tok.JoinParts(text.data(), text.size(), parts.data(), parts.size(), ids.data());
      ASSERT_EQ(joined.status, Status::kOk);
      EXPECT_EQ(std::vector<uint32_t>(ids.begin() + joined.position,
                                      ids.begin() + joined.position + joined.count),
                expected)
          << "in " << parts.size() << " parts";

      StreamEncoder encoder(tok);
      std::vector<uint32_t> streamed, out;
      for (size_t at = 0; at < text.size();) {
        const size_t chunk = std::min<size_t>(text.size() - at, 1 + rng() % (n == 0 ? 40 : 5000));
        out.resize(chunk + tok.max_token_length());
        const Result r = encoder.Push(text.data() + at, chunk, out.data(), out.size());
        ASSERT_EQ(r.status, Status::kOk);
        streamed.insert(streamed.end(), out.begin(), out.begin() + r.count);
        at += chunk;
      }
      out.resize(tok.max_token_length());
      const Result r = encoder.Finish(out.data(), out.size());
      ASSERT_EQ(r.status, Status::kOk);
      streamed.insert(streamed.end(), out.begin(), out.begin() + r.count);
      EXPECT_EQ(streamed, expected) << "streamed";
    }
  }
}

// A blob of the 256 bytes and `tokens`, which take ids from 257 on.
std::unique_ptr<LoadedBlob> LoadWithTokens(const std::vector<std::string>& tokens) {
  std::string lines = ByteLines();
  for (size_t i = 0; i < tokens.size(); ++i) {
    lines +=
        std::to_string(257 + i) + " '" + tokens[i] + "' " + std::to_string(tokens[i].size()) + "\n";
  }
  return Load(BuildOk(lines));
}

// The ids a stream encoder gives for `chunks` pushed in turn (each with room for its bytes and a
// longest token) and then finished; the most bytes it held after a push go to `*most_held`.
std::vector<uint32_t> StreamIds(const Tokenizer& tok, const std::vector<std::string>& chunks,
                                size_t* most_held) {
  StreamEncoder encoder(tok);
  std::vector<uint32_t> streamed, out;
  *most_held = 0;
  for (const std::string& chunk : chunks) {
    out.resize(chunk.size() + tok.max_token_length());
    const Result r = encoder.Push(chunk.data(), chunk.size(), out.data(), out.size());
    EXPECT_EQ(r.status, Status::kOk);
    streamed.insert(streamed.end(), out.begin(), out.begin() + r.count);
    *most_held = std::max(*most_held, encoder.pending());
  }
  out.resize(tok.max_token_length());
  const Result r = encoder.Finish(out.data(), out.size());
  EXPECT_EQ(r.status, Status::kOk);
  streamed.insert(streamed.end(), out.begin(), out.begin() + r.count);
  return streamed;
}

// The stream encoder holds the bytes of a token that may go on, and must keep room for the longest
// token starting anywhere among them: here 149 held bytes could begin a token of 150, and the one
// taken is a token of 201 that starts at their 106th byte, so it ends 306 bytes into the buffer.
TEST(Blob, StreamEncoderHoldsTokensLongerThanWorlds) {
  const std::string bs(104, 'b');
  const std::string x_token = "x" + bs + "c" + std::string(43, 'b') + "y";
  const std::unique_ptr<LoadedBlob> blob =
      LoadWithTokens({bs, x_token, "c" + std::string(200, 'b')});
  const Tokenizer& tok = blob->tokenizer;
  ASSERT_EQ(tok.max_token_length(), 201u);
  const std::string first = x_token.substr(0, 149), second(300, 'b');
  size_t most_held;
  const std::vector<uint32_t> streamed = StreamIds(tok, {first, second}, &most_held);
  EXPECT_EQ(streamed, Encode(tok, first + second));
  EXPECT_EQ(DecodeOk(tok, streamed), first + second);
}

// The top-up of the held bytes takes as much of the chunk as a token can need: with tokens of the
// largest length a blob allows (255), held bytes of 242 and a token of 255 starting at their 202nd
// byte, the top-up must reach 255 bytes past that start; the test from World (max 128) and the
// 201-byte blob above leave too much slack to see it.
TEST(Blob, StreamEncoderHoldsTokensOfTheLongestLengthABlobAllows) {
  const std::string bs(200, 'b');
  const std::string x_token = "x" + bs + "c" + std::string(40, 'b') + "y";  // 243 bytes
  const std::unique_ptr<LoadedBlob> blob =
      LoadWithTokens({bs, x_token, "c" + std::string(254, 'b')});  // and 255 bytes
  const Tokenizer& tok = blob->tokenizer;
  ASSERT_EQ(tok.max_token_length(), 255u);
  const std::string first = x_token.substr(0, 242), second(300, 'b');
  for (const size_t split : {size_t{300}, size_t{280}, size_t{269}}) {  // second chunk in 1 or 2
    size_t most_held;
    const std::vector<uint32_t> streamed =
        StreamIds(tok, {first, second.substr(0, split), second.substr(split)}, &most_held);
    EXPECT_LE(most_held, tok.max_token_length());
    EXPECT_EQ(streamed, Encode(tok, first + second)) << "split " << split;
    EXPECT_EQ(DecodeOk(tok, streamed), first + second) << "split " << split;
  }
}

// ---------------------------------------------------------------------------------------------
// Determinism and checksums.

TEST(Blob, SameVocabularyGivesIdenticalOutput) {
  const BlobSections a = BuildOk(SmallVocabulary());
  const BlobSections b = BuildOk(SmallVocabulary());
  EXPECT_EQ(SerializeBlob(a), SerializeBlob(b));
  EXPECT_EQ(EmitHeader(a, "small", "small.txt"), EmitHeader(b, "small", "small.txt"));
}

TEST(Blob, LineOrderDoesNotMatter) {
  std::vector<std::string> lines;
  const std::string text = SmallVocabulary();
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end + 1 - start));
    start = end + 1;
  }
  std::shuffle(lines.begin(), lines.end(), std::mt19937(12345));
  std::string shuffled;
  for (const std::string& line : lines) shuffled += line;
  ASSERT_NE(shuffled, text);

  const BlobSections a = BuildOk(text);
  const BlobSections b = BuildOk(shuffled);
  EXPECT_EQ(SerializeBlob(a), SerializeBlob(b));
  EXPECT_EQ(EmitHeader(a, "small", "small.txt"), EmitHeader(b, "small", "small.txt"));
}

TEST(Blob, VocabChecksumChangesWithOneTokensBytes) {
  std::string changed = SmallVocabulary();
  const size_t at = changed.find("'xyz'");
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, 5, "'xyw'");
  const BlobSections a = BuildOk(SmallVocabulary());
  const BlobSections b = BuildOk(changed);
  EXPECT_NE(a.vocab_checksum, b.vocab_checksum);
  EXPECT_EQ(Load(a)->tokenizer.vocab_checksum(), a.vocab_checksum);
  EXPECT_EQ(Load(b)->tokenizer.vocab_checksum(), b.vocab_checksum);
}

TEST(Blob, VocabChecksumChangesWithOneTokensId) {
  std::string changed = SmallVocabulary();
  const size_t at = changed.find("265 'xyz'");
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, 3, "264");
  EXPECT_NE(BuildOk(SmallVocabulary()).vocab_checksum, BuildOk(changed).vocab_checksum);
}

TEST(Blob, HeaderNamesTheNamespaceAndChecksum) {
  const BlobSections sections = BuildOk(SmallVocabulary());
  const std::string header = EmitHeader(sections, "small", "small.txt");
  char checksum[64];
  std::snprintf(checksum, sizeof(checksum), "kVocabChecksum = 0x%016llxull;",
                static_cast<unsigned long long>(sections.vocab_checksum));
  EXPECT_NE(header.find("namespace small {"), std::string::npos);
  EXPECT_NE(header.find("from small.txt."), std::string::npos);
  EXPECT_NE(header.find(checksum), std::string::npos);
  EXPECT_NE(header.find("kTokenCount = 266;"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Added from mutation testing: the boundaries of the checks above.

TEST(VocabularyError, InvalidUtf8AtEveryBoundary) {
  const std::string expected = "line 257: invalid UTF-8 in a string literal";
  EXPECT_EQ(ErrorAfterBytes("257 '\x80' 1\n"), expected);              // a lone continuation byte
  EXPECT_EQ(ErrorAfterBytes("257 '\xE0\x9F\xBF' 3\n"), expected);      // overlong, 3 bytes
  EXPECT_EQ(ErrorAfterBytes("257 '\xF0\x8F\xBF\xBF' 4\n"), expected);  // overlong, 4 bytes
  EXPECT_EQ(ErrorAfterBytes("257 '\xF4\x90\x80\x80' 4\n"), expected);  // above U+10FFFF
  EXPECT_EQ(ErrorAfterBytes("257 '\xF5\x80\x80\x80' 4\n"), expected);  // no such lead byte
  EXPECT_EQ(ErrorAfterBytes("257 '\xE6\x97\xC0' 3\n"), expected);      // a bad last byte
}

TEST(Vocabulary, Utf8AtEveryBoundary) {
  for (const char* s : {"\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                        "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(LiteralBytes("'" + std::string(s) + "'", std::strlen(s)), s);
  }
}

TEST(VocabularyError, RawControlBytesInsideALiteral) {
  EXPECT_EQ(ErrorAfterBytes("257 'a\rb' 3\n"),
            "line 257: a raw carriage return byte inside a literal: write it as an escape");
  EXPECT_EQ(ErrorAfterBytes(std::string("257 'a\0b' 3\n", 12)),
            "line 257: a raw NUL byte inside a literal: write it as an escape");
}

TEST(VocabularyError, NonAsciiInBytesLiteralFromTheFirstByte) {
  EXPECT_EQ(ErrorAfterBytes("257 b'a\x80' 2\n"),
            "line 257: non-ASCII character in a bytes literal");
  EXPECT_EQ(LiteralBytes("b'\x7F'", 1), "\x7F");
}

TEST(VocabularyError, EverySurrogateEscape) {
  const std::string expected =
      R"(line 257: bad escape \u: a surrogate code point has no UTF-8 encoding)";
  EXPECT_EQ(ErrorAfterBytes(R"(257 '\udfff' 3)"), expected);
  EXPECT_EQ(ErrorAfterBytes(R"(257 '\uDBFF' 3)"), expected);
  EXPECT_EQ(LiteralBytes(R"('\ud7ff')", 3), "\xED\x9F\xBF");
  EXPECT_EQ(LiteralBytes(R"('\ue000')", 3), "\xEE\x80\x80");
}

TEST(VocabularyError, BadEscapeShowsASpace) {
  EXPECT_EQ(ErrorAfterBytes("257 'a\\ b' 3\n"),
            R"(line 257: bad escape \ : only \\ \' \" \n \t \r \xHH and \uHHHH are supported)");
}

TEST(VocabularyError, TripleDoubleQuotes) {
  EXPECT_EQ(ErrorAfterBytes("257 \"\"\"ab\"\"\" 2\n"),
            "line 257: triple-quoted literals are not supported");
}

TEST(VocabularyError, TwentyDigitsAreShownWhole) {
  EXPECT_EQ(
      ErrorAfterBytes("99999999999999999999 'ab' 2\n"),
      "line 257: id 99999999999999999999 is out of range: ids are 1..65535 (0 is end of text)");
  EXPECT_EQ(ErrorAfterBytes("257 'ab' 33333333333333333333\n"),
            "line 257: the length column says 33333333333333333333 but the literal is 2 bytes");
}

// A longer token that starts with the missing byte does not stand in for it.
TEST(VocabularyError, MissingByteTokenBesideLongerTokensStartingWithIt) {
  const std::vector<VocabToken> tokens = ParseOk(ByteLines(0x41) + "257 'Ab' 2\n");
  BlobSections sections;
  std::string error;
  EXPECT_FALSE(BuildBlob(tokens, &sections, &error));
  EXPECT_EQ(error, "no token for the byte 0x41: every byte value must be a token of its own");
}

}  // namespace
}  // namespace tools
}  // namespace rwkvtok
