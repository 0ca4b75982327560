// The public API's contract: sizes, statuses, bounds, token budgets (Count and Prefix), and blob
// loading.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"
#include "lib/blob_format.h"
#include "lib/rwkvtok.h"
#include "lib/world_blob.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

constexpr uint32_t kSentinel = 0xDEADBEEF;
const std::string kText = "Hello, world! 你好，世界。 //--------------- \xff\xfe tail";

TEST(Encode, WorldVocabularyFacts) {
  const Tokenizer world = Tokenizer::World();
  EXPECT_EQ(world.token_count(), 65530u);
  EXPECT_EQ(world.max_token_length(), 128u);
  // Every byte value is its own token, id = byte + 1.
  for (uint32_t byte = 0; byte < 256; ++byte) {
    const uint8_t b = static_cast<uint8_t>(byte);
    uint32_t id = 0;
    const Result r = world.Encode(&b, 1, &id, 1);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(id, byte + 1);
  }
}

TEST(Encode, EmptyInputAndNullPointers) {
  const Tokenizer world = Tokenizer::World();
  uint32_t id = kSentinel;
  Result r = world.Encode(nullptr, 0, &id, 1);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(id, kSentinel);
  r = world.Encode(nullptr, 0, static_cast<uint32_t*>(nullptr), 0);
  EXPECT_EQ(r.status, Status::kOk);
  r = world.Encode(nullptr, 5, &id, 1);
  EXPECT_EQ(r.status, Status::kInvalidArgument);
  r = world.Encode("abc", 3, static_cast<uint32_t*>(nullptr), 4);
  EXPECT_EQ(r.status, Status::kInvalidArgument);
}

TEST(EncodeTexts, EachTextAsEncodeGivesIt) {
  const Tokenizer world = Tokenizer::World();
  const std::string all =
      std::string("Hello") + "" + " world, 世界" + std::string(300, '-') + "\xff";
  const std::vector<size_t> ends = {5, 5, 18, all.size()};
  std::vector<uint32_t> ids(all.size(), kSentinel), alone(all.size());
  std::vector<size_t> counts(ends.size());
  ASSERT_EQ(world.EncodeTexts(all.data(), ends.data(), ends.size(), ids.data(), counts.data()),
            Status::kOk);
  for (size_t i = 0, begin = 0; i < ends.size(); begin = ends[i++]) {
    const Result r = world.Encode(all.data() + begin, ends[i] - begin, alone.data(), alone.size());
    ASSERT_EQ(counts[i], r.count) << "text " << i;
    EXPECT_TRUE(std::equal(alone.begin(), alone.begin() + r.count, ids.begin() + begin));
    EXPECT_EQ(std::count(ids.begin() + begin + r.count, ids.begin() + ends[i], kSentinel),
              ends[i] - begin - r.count)
        << "text " << i << " writes only its ids";
  }
}

TEST(EncodeTexts, BadArgumentsWriteNothing) {
  const Tokenizer world = Tokenizer::World();
  const char text[] = "abcdef";
  size_t ends[] = {3, 2, 6};  // decreasing
  uint32_t ids[6] = {kSentinel, kSentinel, kSentinel, kSentinel, kSentinel, kSentinel};
  size_t counts[3] = {9, 9, 9};
  EXPECT_EQ(world.EncodeTexts(text, ends, 3, ids, counts), Status::kInvalidArgument);
  EXPECT_EQ(std::count(ids, ids + 6, kSentinel), 6);
  EXPECT_EQ(std::count(counts, counts + 3, size_t{9}), 3);
  ends[1] = 3;
  EXPECT_EQ(world.EncodeTexts(nullptr, ends, 3, ids, counts), Status::kInvalidArgument);
  EXPECT_EQ(world.EncodeTexts(text, nullptr, 3, ids, counts), Status::kInvalidArgument);
  EXPECT_EQ(world.EncodeTexts(text, ends, 3, nullptr, counts), Status::kInvalidArgument);
  EXPECT_EQ(world.EncodeTexts(text, ends, 3, ids, nullptr), Status::kInvalidArgument);
  EXPECT_EQ(world.EncodeTexts(nullptr, nullptr, 0, nullptr, nullptr), Status::kOk);
  const size_t empty[] = {0, 0};
  EXPECT_EQ(world.EncodeTexts(nullptr, empty, 2, nullptr, counts), Status::kOk);
  EXPECT_EQ(counts[0] + counts[1], 0u);
}

TEST(Encode, TooSmallBufferReportsSizeAndWritesOnlyWithinCapacity) {
  const Tokenizer world = Tokenizer::World();
  const std::vector<uint32_t> all = EncodeAll(world, kText);
  ASSERT_GT(all.size(), 10u);
  for (size_t capacity = 0; capacity <= all.size() + 1; ++capacity) {
    std::vector<uint32_t> buffer(capacity + 4, kSentinel);
    const Result r = world.Encode(kText.data(), kText.size(), buffer.data(), capacity);
    EXPECT_EQ(r.count, all.size());
    EXPECT_EQ(r.status, capacity >= all.size() ? Status::kOk : Status::kBufferTooSmall);
    const size_t written = std::min(capacity, all.size());
    for (size_t i = 0; i < written; ++i) EXPECT_EQ(buffer[i], all[i]);
    for (size_t i = written; i < buffer.size(); ++i) EXPECT_EQ(buffer[i], kSentinel) << i;
  }
}

TEST(Encode, AllIdWidthsAgree) {
  const Tokenizer world = Tokenizer::World();
  const std::vector<uint32_t> ids = EncodeAll(world, kText);
  std::vector<uint16_t> ids16(kText.size());
  std::vector<int32_t> ids32(kText.size());
  ASSERT_TRUE(world.Encode(kText.data(), kText.size(), ids16.data(), ids16.size()).ok());
  ASSERT_TRUE(world.Encode(kText.data(), kText.size(), ids32.data(), ids32.size()).ok());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(ids16[i], ids[i]);
    EXPECT_EQ(static_cast<uint32_t>(ids32[i]), ids[i]);
  }
}

TEST(Encode, NeverProducesEndOfText) {
  const Tokenizer world = Tokenizer::World();
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  for (const uint32_t id : EncodeAll(world, all_bytes + kText + std::string(3, '\0'))) {
    EXPECT_NE(id, 0u);
  }
}

TEST(Decode, EndOfTextDecodesToNothing) {
  const Tokenizer world = Tokenizer::World();
  const uint32_t ids[] = {0, 34, 0, 0};  // 34 is "!"
  char out[8] = {};
  const Result r = world.Decode(ids, 4, out, sizeof(out));
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(out[0], '!');
}

TEST(Decode, ReservedAndOutOfRangeIdsAreReportedWithTheirPosition) {
  const Tokenizer world = Tokenizer::World();
  for (const uint32_t bad : {65530u, 65531u, 65535u, 65536u, 100000u, 0xFFFFFFFFu}) {
    const uint32_t ids[] = {34, 35, bad, 34};
    char out[16];
    const Result r = world.Decode(ids, 4, out, sizeof(out));
    EXPECT_EQ(r.status, Status::kInvalidId) << bad;
    EXPECT_EQ(r.position, 2u) << bad;
    EXPECT_EQ(r.count, 2u) << "bytes written before the invalid id";
  }
  const uint16_t ids16[] = {65535, 34};
  char out[4];
  Result r = world.Decode(ids16, 2, out, sizeof(out));
  EXPECT_EQ(r.status, Status::kInvalidId);
  EXPECT_EQ(r.position, 0u);
  const int32_t ids32[] = {34, -1};
  r = world.Decode(ids32, 2, out, sizeof(out));
  EXPECT_EQ(r.status, Status::kInvalidId);
  EXPECT_EQ(r.position, 1u);
  const int32_t last_valid[] = {65529};
  r = world.Decode(last_valid, 1, out, 0);
  EXPECT_EQ(r.status, Status::kBufferTooSmall);
  EXPECT_EQ(r.count, 128u);  // the token of 128 spaces
}

TEST(Decode, TooSmallBufferReportsSizeAndWritesOnlyWithinCapacity) {
  const Tokenizer world = Tokenizer::World();
  const std::vector<uint32_t> ids = EncodeAll(world, kText);
  for (size_t capacity = 0; capacity <= kText.size() + 1; ++capacity) {
    std::string buffer(capacity + 8, '#');
    const Result r = world.Decode(ids.data(), ids.size(), &buffer[0], capacity);
    EXPECT_EQ(r.count, kText.size());
    EXPECT_EQ(r.status, capacity >= kText.size() ? Status::kOk : Status::kBufferTooSmall);
    const size_t written = std::min(capacity, kText.size());
    EXPECT_EQ(buffer.substr(0, written), kText.substr(0, written));
    EXPECT_EQ(buffer.substr(written), std::string(buffer.size() - written, '#'));
  }
}

// Random runs of short and long tokens, end of text and invalid ids, at capacities around the
// exact size and the fast loop's block boundaries, against the bytes of the ids one by one.
template <typename Id>
void CheckRandomDecodes(const Tokenizer& world, uint32_t seed, int rounds) {
  const TokenTable& table = WorldTokens();
  std::vector<uint32_t> short_ids, long_ids;  // ids with bytes: up to 16 bytes, and longer
  for (uint32_t id = 0; id < table.bytes.size(); ++id) {
    if (table.valid[id] && !table.bytes[id].empty()) {
      (table.bytes[id].size() <= 16 ? short_ids : long_ids).push_back(id);
    }
  }
  std::mt19937 rng(seed);
  for (int round = 0; round < rounds; ++round) {
    std::vector<Id> ids(rng() % 120);
    std::string expected;
    size_t invalid_at = ids.size();
    for (size_t k = 0; k < ids.size(); ++k) {
      const uint32_t kind = rng() % 100;
      int64_t id;
      if (kind < 80) {
        id = short_ids[rng() % short_ids.size()];
      } else if (kind < 92) {
        id = long_ids[rng() % long_ids.size()];
      } else if (kind < 98) {
        id = 0;
      } else {
        id = std::is_signed<Id>::value && rng() % 2 ? -1 : 65530 + rng() % 6;
      }
      ids[k] = static_cast<Id>(id);
      if (invalid_at < ids.size()) continue;
      if (id < 0 || id >= 65530) {
        invalid_at = k;
      } else {
        expected += table.bytes[id];
      }
    }
    const size_t capacities[] = {expected.size(),
                                 expected.size() + 1,
                                 expected.size() + 64,
                                 rng() % (expected.size() + 1),
                                 63,
                                 64,
                                 65,
                                 79,
                                 80,
                                 81};
    for (const size_t capacity : capacities) {
      std::string out(capacity + 32, '#');
      const Result r = world.Decode(ids.data(), ids.size(), &out[0], capacity);
      const size_t written = std::min(expected.size(), capacity);
      if (invalid_at < ids.size()) {
        ASSERT_EQ(r.status, Status::kInvalidId);
        ASSERT_EQ(r.position, invalid_at);
        ASSERT_EQ(r.count, written);
      } else {
        ASSERT_EQ(r.status, capacity < expected.size() ? Status::kBufferTooSmall : Status::kOk);
        ASSERT_EQ(r.count, expected.size());
      }
      ASSERT_EQ(out.substr(0, written), expected.substr(0, written)) << round << " " << capacity;
      // Nothing past capacity; within it, nothing past the bytes unless an invalid id (which
      // may leave up to 16 bytes of scratch after them).
      const size_t scratch = invalid_at < ids.size() ? 16 : 0;
      const size_t untouched = std::min(capacity, written + scratch);
      ASSERT_EQ(out.substr(untouched), std::string(out.size() - untouched, '#'))
          << round << " " << capacity;
    }
  }
}

TEST(Decode, RandomIdsMatchTheBytesOfEachId) {
  CheckRandomDecodes<uint32_t>(Tokenizer::World(), 1, 3000);
  CheckRandomDecodes<uint16_t>(Tokenizer::World(), 2, 3000);
  CheckRandomDecodes<int32_t>(Tokenizer::World(), 3, 3000);
  CheckRandomDecodes<uint32_t>(Tokenizer::WorldCompact(), 4, 1000);
}

// Blocks of long tokens that fill the buffer: the fast loop must leave the block that would cross
// its end to the exact loop, which writes nothing past the capacity.
TEST(Decode, LongTokensStopAtTheCapacity) {
  const Tokenizer world = Tokenizer::World();
  const TokenTable& table = WorldTokens();
  uint32_t of_13 = 0, of_15 = 0;
  for (uint32_t id = 1; id < table.bytes.size() && (of_13 == 0 || of_15 == 0); ++id) {
    if (table.valid[id] && table.bytes[id].size() == 13) of_13 = id;
    if (table.valid[id] && table.bytes[id].size() == 15) of_15 = id;
  }
  ASSERT_NE(of_13, 0u);
  ASSERT_NE(of_15, 0u);
  std::vector<uint32_t> ids(4, of_13);
  ids.insert(ids.end(), 8, of_15);
  std::string expected;
  for (const uint32_t id : ids) expected += table.bytes[id];
  for (size_t capacity = 64; capacity < expected.size(); ++capacity) {
    std::string out(expected.size() + 64, '#');
    const Result r = world.Decode(ids.data(), ids.size(), &out[0], capacity);
    ASSERT_EQ(r.status, Status::kBufferTooSmall);
    ASSERT_EQ(r.count, expected.size());
    ASSERT_EQ(out.substr(0, capacity), expected.substr(0, capacity)) << capacity;
    ASSERT_EQ(out.substr(capacity), std::string(out.size() - capacity, '#')) << capacity;
  }
}

TEST(Decode, NullPointers) {
  const Tokenizer world = Tokenizer::World();
  char out[4];
  EXPECT_EQ(world.Decode(static_cast<const uint32_t*>(nullptr), 0, out, 4).status, Status::kOk);
  EXPECT_EQ(world.Decode(static_cast<const uint32_t*>(nullptr), 0, nullptr, 0).status, Status::kOk);
  EXPECT_EQ(world.Decode(static_cast<const uint32_t*>(nullptr), 1, out, 4).status,
            Status::kInvalidArgument);
  const uint32_t id = 34;
  EXPECT_EQ(world.Decode(&id, 1, nullptr, 4).status, Status::kInvalidArgument);
}

// Capacities and sizes at the top of size_t are taken at their word, without overflow.
TEST(Sizes, CapacityNearSizeMax) {
  const Tokenizer world = Tokenizer::World();
  const std::vector<uint32_t> expected = EncodeAll(world, kText);
  std::vector<uint32_t> ids(kText.size() + 1, kSentinel);
  for (const size_t capacity : {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX / 2 + 1}) {
    Result r = world.Encode(kText.data(), kText.size(), ids.data(), capacity);
    EXPECT_EQ(r.status, Status::kOk);
    ASSERT_EQ(r.count, expected.size());
    EXPECT_EQ(std::vector<uint32_t>(ids.begin(), ids.begin() + r.count), expected);
    EXPECT_EQ(ids[r.count], kSentinel);
    std::string bytes(kText.size() + 1, '#');
    r = world.Decode(expected.data(), expected.size(), &bytes[0], capacity);
    EXPECT_EQ(r.status, Status::kOk);
    EXPECT_EQ(bytes, kText + "#");
  }
}

TEST(StatusMessage, EveryStatusHasOne) {
  for (int32_t s = 0; s <= static_cast<int32_t>(Status::kStopped); ++s) {
    EXPECT_STRNE(StatusMessage(static_cast<Status>(s)), "unknown status") << s;
  }
  EXPECT_STREQ(StatusMessage(static_cast<Status>(999)), "unknown status");
  // kInvalidArgument covers more than null pointers; its message says so.
  const std::string invalid = StatusMessage(Status::kInvalidArgument);
  for (const char* what : {"null pointer", "policy", "stop id", "parts"}) {
    EXPECT_NE(invalid.find(what), std::string::npos) << what << " in '" << invalid << "'";
  }
}

// --- Count and Prefix --------------------------------------------------------------------------

// Short texts of every kind, for the brute-force checks.
std::vector<std::string> ShortTexts() {
  std::mt19937_64 rng(8);
  std::vector<std::string> texts = {"",
                                    "a",
                                    " ",
                                    std::string(1, '\0'),
                                    "Hello, world!",
                                    std::string(130, ' '),
                                    "//" + std::string(70, '-'),
                                    "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c"};
  for (int n = 0; n < 150; ++n) texts.push_back(RandomUtf8(rng, 25));
  for (int n = 0; n < 150; ++n) texts.push_back(RandomBytes(rng, 60));
  for (int n = 0; n < 150; ++n) texts.push_back(AdversarialUtf8(rng));
  std::vector<std::string> longer;
  for (const std::string& token : SimpleEncoder::World().tokens()) {
    if (token.size() >= 6) longer.push_back(token);
  }
  for (int n = 0; n < 150; ++n) {
    std::string text;
    for (size_t p = Uniform(rng, 1, 3); p > 0; --p) {
      const std::string& token = longer[Uniform(rng, 0, longer.size() - 1)];
      text +=
          token.substr(0, Uniform(rng, 1, token.size())) + static_cast<char>(Uniform(rng, 0, 255));
    }
    texts.push_back(text);
  }
  return texts;
}

TEST(Budget, CountIsTheNumberOfIds) {
  const Tokenizer world = Tokenizer::World();
  std::vector<std::string> texts = ShortTexts();
  for (const auto& [name, text] : CorpusTexts()) texts.push_back(text);
  for (const std::string& text : texts) {
    const Result r = world.Count(text.data(), text.size());
    ASSERT_EQ(r.status, Status::kOk);
    ASSERT_EQ(r.position, 0u);
    ASSERT_EQ(r.count, EncodeAll(world, text).size()) << Hex(text);
  }
  EXPECT_EQ(world.Count(nullptr, 0).status, Status::kOk);
  EXPECT_EQ(world.Count(nullptr, 0).count, 0u);
  EXPECT_EQ(world.Count(nullptr, 1).status, Status::kInvalidArgument);
}

// Prefix(text, N) for every N up to count + 2: the prefix encodes on its own to exactly
// `position` <= N ids, which are the first ids of the whole text's encoding, and no longer prefix
// encodes to N ids or fewer (every longer length is tried).
TEST(Budget, PrefixIsTheLongestPrefixWithinTheBudget) {
  const Tokenizer world = Tokenizer::World();
  for (const std::string& text : ShortTexts()) {
    const std::vector<uint32_t> all = EncodeAll(world, text);
    // Tokens needed by every prefix length, by brute force.
    std::vector<size_t> needed(text.size() + 1);
    for (size_t length = 0; length <= text.size(); ++length) {
      needed[length] = EncodeAll(world, text.substr(0, length)).size();
    }
    for (size_t budget = 0; budget <= all.size() + 2; ++budget) {
      const Result r = world.Prefix(text.data(), text.size(), budget);
      ASSERT_EQ(r.status, Status::kOk);
      ASSERT_LE(r.count, text.size());
      ASSERT_LE(r.position, budget);
      const std::vector<uint32_t> prefix = EncodeAll(world, text.substr(0, r.count));
      ASSERT_EQ(prefix.size(), r.position) << Hex(text) << " budget " << budget;
      ASSERT_TRUE(std::equal(prefix.begin(), prefix.end(), all.begin()))
          << "the prefix's ids are not the first ids of the text: " << Hex(text);
      for (size_t length = r.count + 1; length <= text.size(); ++length) {
        ASSERT_GT(needed[length], budget)
            << Hex(text) << ": a prefix of " << length << " bytes fits " << budget
            << " tokens, longer than the " << r.count << " returned";
      }
      ASSERT_EQ(r.position, std::min(budget, all.size()));
    }
  }
}

// On whole corpus files the prefix for N tokens ends exactly after the first N one-shot ids.
TEST(Budget, PrefixOnCorpusEndsAfterTheFirstIds) {
  const Tokenizer world = Tokenizer::World();
  std::mt19937_64 rng(9);
  for (const auto& [name, text] : CorpusTexts()) {
    const std::vector<uint32_t> ids = EncodeAll(world, text);
    std::vector<size_t> end_of(ids.size() + 1, 0);  // byte length of the first i ids
    for (size_t i = 0; i < ids.size(); ++i) {
      end_of[i + 1] = end_of[i] + WorldTokens().bytes[ids[i]].size();
    }
    std::vector<size_t> budgets = {0, 1, 2, 3, 100, ids.size() + 1, ids.size() + 1000, SIZE_MAX};
    if (!ids.empty()) budgets.push_back(ids.size() - 1);
    budgets.push_back(ids.size());
    for (int n = 0; n < 5; ++n) budgets.push_back(Uniform(rng, 0, ids.size()));
    for (const size_t budget : budgets) {
      const Result r = world.Prefix(text.data(), text.size(), budget);
      const size_t n = std::min(budget, ids.size());
      ASSERT_EQ(r.status, Status::kOk);
      ASSERT_EQ(r.position, n) << name << " budget " << budget;
      ASSERT_EQ(r.count, end_of[n]) << name << " budget " << budget;
    }
  }
}

// A state no tokenizer was put in (zeroed, as after a failed rwkvtok_from_blob) is refused like
// a null one, not read.
TEST(CApi, AnUnsetStateIsRefused) {
  rwkvtok_tokenizer unset;
  std::memset(&unset, 0, sizeof(unset));
  EXPECT_NE(rwkvtok_from_blob("not a blob", 10, &unset), RWKVTOK_OK);
  const char text[] = "Hello";
  uint32_t ids[8] = {33155};
  uint16_t ids16[8] = {33155};
  char bytes[32];
  EXPECT_EQ(rwkvtok_encode(&unset, text, 5, ids, 8).status, RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_encode_u16(&unset, text, 5, ids16, 8).status, RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_decode(&unset, ids, 1, bytes, 32).status, RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_decode_u16(&unset, ids16, 1, bytes, 32).status, RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_count(&unset, text, 5).status, RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_prefix(&unset, text, 5, 1).status, RWKVTOK_INVALID_ARGUMENT);
  const size_t ends[1] = {5};
  size_t counts[1];
  EXPECT_EQ(rwkvtok_encode_texts(&unset, text, ends, 1, ids, counts), RWKVTOK_INVALID_ARGUMENT);
  rwkvtok_part part{0, 5, 0, 0, 0};
  EXPECT_EQ(rwkvtok_encode_part(&unset, text, 5, &part, ids), RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_join_parts(&unset, text, 5, &part, 1, ids).status, RWKVTOK_INVALID_ARGUMENT);
  rwkvtok_decoder dec;
  EXPECT_EQ(rwkvtok_decoder_init(&dec, &unset, RWKVTOK_UTF8_REPLACE), RWKVTOK_INVALID_ARGUMENT);
  rwkvtok_encoder enc;
  EXPECT_EQ(rwkvtok_encoder_init(&enc, &unset), RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_token_count(&unset), 0u);
  // A zeroed encoder (never initialised) is refused too, not read as a tokenizer at address 0.
  std::memset(&enc, 0, sizeof(enc));
  EXPECT_EQ(rwkvtok_encoder_push(&enc, text, 5, ids, 8).status, RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_encoder_finish(&enc, ids, 8).status, RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_encoder_pending(&enc), 0u);
}

TEST(Budget, CApiAgreesWithCpp) {
  const Tokenizer world = Tokenizer::World();
  const rwkvtok_tokenizer c = world.ToC();
  for (const std::string& text : ShortTexts()) {
    const rwkvtok_result count = rwkvtok_count(&c, text.data(), text.size());
    EXPECT_EQ(count.status, RWKVTOK_OK);
    EXPECT_EQ(count.count, world.Count(text.data(), text.size()).count);
    for (size_t budget = 0; budget <= count.count + 1; ++budget) {
      const rwkvtok_result cr = rwkvtok_prefix(&c, text.data(), text.size(), budget);
      const Result r = world.Prefix(text.data(), text.size(), budget);
      EXPECT_EQ(cr.status, static_cast<int32_t>(r.status));
      EXPECT_EQ(cr.count, r.count);
      EXPECT_EQ(cr.position, r.position);
    }
  }
  EXPECT_EQ(rwkvtok_prefix(&c, nullptr, 0, 3).status, RWKVTOK_OK);
  EXPECT_EQ(rwkvtok_prefix(&c, nullptr, 2, 3).status, RWKVTOK_INVALID_ARGUMENT);
}

// --- Blobs loaded at run time ------------------------------------------------------------------

// The blob file in aligned memory, with room to shift it by a byte or extend it by a word.
class BlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = ReadWorldBlobFile();
    size_ = file_.size;
  }
  uint8_t* bytes() { return file_.bytes(); }
  void Reseal() { ForgeBodyChecksum(bytes(), size_); }
  void ForgeChecksums() {
    EXPECT_TRUE(ForgeVocabChecksum(bytes(), size_));
    Reseal();
  }
  Status Check() { return Validate(bytes(), size_); }
  blob::Layout Layout() {
    return blob::LayoutFor(blob::LoadU32(bytes() + blob::kUnitCountOffset),
                           blob::LoadU32(bytes() + blob::kTokenCountOffset),
                           blob::LoadU32(bytes() + blob::kTokenBytesSizeOffset));
  }

  BlobFile file_;
  size_t size_ = 0;
};

TEST_F(BlobTest, FileHoldsExactlyTheEmbeddedArrays) {
  ASSERT_EQ(Check(), Status::kOk);
  const blob::Layout layout = Layout();
  EXPECT_EQ(layout.total_size, size_);
  EXPECT_EQ(blob::LoadU64(bytes() + blob::kVocabChecksumOffset), world_blob::kVocabChecksum);
  EXPECT_EQ(0, std::memcmp(bytes() + layout.units, world_blob::kUnits, sizeof(world_blob::kUnits)));
  EXPECT_EQ(0, std::memcmp(bytes() + layout.token_entries, world_blob::kTokenEntries,
                           sizeof(world_blob::kTokenEntries)));
  EXPECT_EQ(sizeof(world_blob::kTokenBytes) - 1, world_blob::kTokenBytesSize);
  EXPECT_EQ(0, std::memcmp(bytes() + layout.token_bytes, world_blob::kTokenBytes,
                           sizeof(world_blob::kTokenBytes) - 1));
  EXPECT_EQ(Tokenizer::World().vocab_checksum(), world_blob::kVocabChecksum);
}

TEST_F(BlobTest, LoadedBlobEncodesLikeTheEmbeddedOne) {
  Tokenizer loaded = Tokenizer::World();
  ASSERT_EQ(Tokenizer::FromBlob(bytes(), size_, &loaded), Status::kOk);
  EXPECT_EQ(EncodeAll(loaded, kText), EncodeAll(Tokenizer::World(), kText));
  EXPECT_EQ(DecodeAll(loaded, EncodeAll(loaded, kText)), kText);
  EXPECT_EQ(loaded.vocab_checksum(), Tokenizer::World().vocab_checksum());
}

TEST_F(BlobTest, TruncatedAtEveryOffset) {
  for (size_t size = 0; size < size_; ++size) {
    const Status status = Validate(bytes(), size);
    if (status != Status::kBlobTruncated) {
      ADD_FAILURE() << "size " << size << ": " << StatusMessage(status);
      return;
    }
  }
}

TEST_F(BlobTest, TrailingBytesAreRejected) {
  EXPECT_EQ(Validate(bytes(), size_ + 4), Status::kBlobCorrupt);
  // Sizes the caller could not own are rejected from the header alone, before any byte past
  // the header is read.
  EXPECT_EQ(Validate(bytes(), SIZE_MAX), Status::kBlobCorrupt);
  EXPECT_EQ(Validate(bytes(), SIZE_MAX - 3), Status::kBlobCorrupt);
}

// Section sizes at the top of their 32-bit fields add up to more than 4 GiB: no overflow, and on
// any platform the blob is reported as truncated.
TEST_F(BlobTest, HugeSectionSizesAreTruncatedNotOverflowed) {
  for (const uint32_t field : {uint32_t{blob::kUnitCountOffset}, uint32_t{blob::kTokenCountOffset},
                               uint32_t{blob::kTokenBytesSizeOffset}}) {
    const uint32_t saved = blob::LoadU32(bytes() + field);
    for (const uint32_t huge : {0xFFFFFFFFu, 0xFFFFFFFEu, 0x80000000u, 0x40000000u}) {
      blob::StoreU32(bytes() + field, huge);
      EXPECT_EQ(Check(), Status::kBlobTruncated) << field << " " << huge;
    }
    blob::StoreU32(bytes() + field, saved);
  }
  EXPECT_EQ(Check(), Status::kOk);
}

TEST_F(BlobTest, HeaderProblems) {
  Tokenizer untouched = Tokenizer::World();
  bytes()[0] ^= 1;
  EXPECT_EQ(Check(), Status::kBlobBadMagic);
  EXPECT_EQ(Tokenizer::FromBlob(bytes(), size_, &untouched), Status::kBlobBadMagic);
  bytes()[0] ^= 1;
  blob::StoreU32(bytes() + blob::kVersionOffset, blob::kVersion + 1);
  EXPECT_EQ(Check(), Status::kBlobUnsupportedVersion);
  blob::StoreU32(bytes() + blob::kVersionOffset, blob::kVersion);
  // Each reserved word on its own (the first is the kind: 1 would make it a compact blob).
  for (uint32_t offset = blob::kReservedOffset; offset < blob::kHeaderSize; offset += 4) {
    blob::StoreU32(bytes() + offset, offset == blob::kKindOffset ? 2 : 1);
    EXPECT_EQ(Check(), Status::kBlobCorrupt) << "reserved word at " << offset;
    blob::StoreU32(bytes() + offset, 0);
  }
  blob::StoreU32(bytes() + blob::kHeaderSizeOffset, blob::kHeaderSize + 4);
  EXPECT_EQ(Check(), Status::kBlobCorrupt) << "header size";
  blob::StoreU32(bytes() + blob::kHeaderSizeOffset, blob::kHeaderSize);
  EXPECT_EQ(Check(), Status::kOk);
  // No bytes is a truncated blob wherever they are; a null pointer to some is no argument.
  EXPECT_EQ(Validate(nullptr, 0), Status::kBlobTruncated);
  EXPECT_EQ(Validate(bytes(), 0), Status::kBlobTruncated);
  EXPECT_EQ(Validate(nullptr, size_), Status::kInvalidArgument);
  EXPECT_EQ(Tokenizer::FromBlob(bytes(), size_, nullptr), Status::kInvalidArgument);
}

TEST_F(BlobTest, MisalignedStartIsRejected) {
  std::memmove(bytes() + 1, bytes(), size_);
  EXPECT_EQ(Validate(bytes() + 1, size_), Status::kBlobMisaligned);
}

TEST_F(BlobTest, BitFlipsInEverySectionAreCaught) {
  const blob::Layout layout = Layout();
  const uint64_t starts[] = {layout.units, layout.token_entries, layout.token_bytes};
  const uint64_t ends[] = {layout.token_entries, layout.token_bytes, layout.total_size};
  for (int section = 0; section < 3; ++section) {
    for (uint64_t offset = starts[section]; offset < ends[section];
         offset += (ends[section] - starts[section]) / 97 + 1) {
      for (int bit = 0; bit < 8; bit += 3) {
        bytes()[offset] ^= static_cast<uint8_t>(1 << bit);
        EXPECT_EQ(Check(), Status::kBlobChecksumMismatch)
            << "section " << section << " offset " << offset << " bit " << bit;
        bytes()[offset] ^= static_cast<uint8_t>(1 << bit);
      }
    }
  }
  EXPECT_EQ(Check(), Status::kOk);
}

// With the checksum recomputed, damage must still be caught by the structural checks.
TEST_F(BlobTest, StructuralDamageIsCaughtEvenWithAValidChecksum) {
  const blob::Layout layout = Layout();
  const uint32_t unit_count = blob::LoadU32(bytes() + blob::kUnitCountOffset);
  uint32_t* units = reinterpret_cast<uint32_t*>(bytes() + layout.units);
  uint32_t* entries = reinterpret_cast<uint32_t*>(bytes() + layout.token_entries);
  const auto expect_corrupt = [&](const char* what) {
    Reseal();
    EXPECT_EQ(Check(), Status::kBlobCorrupt) << what;
  };

  const uint32_t root = units[0];
  units[0] = blob::MakeUnit(unit_count, false, false, 0);  // children beyond the array
  expect_corrupt("root base out of range");
  units[0] = root | blob::kUnitOccupied;
  expect_corrupt("root reachable");
  units[0] = root | blob::kUnitIdInBase;
  expect_corrupt("root with an id");
  units[0] = root;

  const uint32_t first_child = units[blob::UnitBase(root) + 'a'];
  units[blob::UnitBase(root) + 'a'] = first_child & ~blob::kUnitIsToken;
  expect_corrupt("a byte that is not a token");
  units[blob::UnitBase(root) + 'a'] = first_child | blob::kUnitNoEdge;
  expect_corrupt("a unit with the bit no unit has");
  units[blob::UnitBase(root) + 'a'] = first_child;

  // A leaf keeping its id, and an inner token with its id unit below its children.
  uint32_t leaf = 0, inner = 0;
  for (uint32_t u = 0; u < unit_count && (leaf == 0 || inner == 0); ++u) {
    if (blob::UnitHasIdInBase(units[u])) leaf = u;
    if (blob::UnitIsToken(units[u]) && !blob::UnitHasIdInBase(units[u])) inner = u;
  }
  ASSERT_NE(leaf, 0u);
  ASSERT_NE(inner, 0u);
  const uint32_t leaf_unit = units[leaf];
  const uint32_t token_count = blob::LoadU32(bytes() + blob::kTokenCountOffset);
  units[leaf] = blob::MakeUnit(token_count, true, true, leaf_unit & 0xFF, true);
  expect_corrupt("kept id past the id space");
  units[leaf] = blob::MakeUnit(0, true, true, leaf_unit & 0xFF, true);
  expect_corrupt("kept id 0 (end of text)");
  units[leaf] = leaf_unit & ~blob::kUnitIsToken;
  expect_corrupt("kept id on a unit that is not a token");
  units[leaf] = blob::MakeUnit(unit_count - 255, true, true, leaf_unit & 0xFF, true);
  expect_corrupt("kept id too high to be a base");
  units[leaf] = leaf_unit;
  // An edge out of a leaf that keeps its id: the walk expects the no-edge bit on such a child, so
  // a node given that bit would be followed from the leaf whose id is its index less its label,
  // along a path the validator never walks.
  {
    std::vector<bool> leaf_ids(unit_count, false);
    for (uint32_t u = 0; u < unit_count; ++u) {
      if (blob::UnitHasIdInBase(units[u])) leaf_ids[blob::UnitBase(units[u])] = true;
    }
    uint32_t node = 0;
    for (uint32_t u = blob::UnitBase(root) + 256; u < unit_count && node == 0; ++u) {
      const uint32_t label = units[u] & blob::kUnitLabelMask;
      if ((units[u] & blob::kUnitOccupied) != 0 && u > label && leaf_ids[u - label]) node = u;
    }
    ASSERT_NE(node, 0u);
    units[node] |= blob::kUnitNoEdge;
    expect_corrupt("a node with the no-edge bit: a child of a leaf that keeps its id");
    units[node] &= ~blob::kUnitNoEdge;
  }

  uint32_t* id_unit = &units[blob::UnitBase(units[inner]) - 1];
  const uint32_t inner_id = *id_unit;
  *id_unit = blob::MakeIdUnit(token_count);
  expect_corrupt("id unit past the id space");
  *id_unit = blob::MakeIdUnit(0);
  expect_corrupt("id unit naming end of text");
  *id_unit = inner_id | blob::kUnitOccupied;
  expect_corrupt("id unit that is a node");
  *id_unit = inner_id | 1;
  expect_corrupt("id unit with a label");
  *id_unit = inner_id;
  const uint32_t inner_unit = units[inner];
  units[inner] = blob::MakeUnit(1, true, true, inner_unit & 0xFF);
  expect_corrupt("inner token with no room for its id unit");
  units[inner] = inner_unit;

  // Tries whose paths do not spell their tokens, made from two leaves that are not bytes.
  const auto next_deep_leaf = [&](uint32_t u) {
    while (!blob::UnitHasIdInBase(units[u]) ||
           (u >= blob::UnitBase(root) && u - blob::UnitBase(root) < 256)) {
      ++u;
    }
    return u;
  };
  const uint32_t deep_leaf = next_deep_leaf(256), other_leaf = next_deep_leaf(deep_leaf + 1);
  ASSERT_LT(other_leaf + 255, unit_count);
  const uint32_t deep_leaf_unit = units[deep_leaf], other_leaf_unit = units[other_leaf];
  units[deep_leaf] = (other_leaf_unit & ~0xFFu) | (deep_leaf_unit & 0xFF);
  units[other_leaf] = (deep_leaf_unit & ~0xFFu) | (other_leaf_unit & 0xFF);
  expect_corrupt("two leaves with each other's ids");
  units[other_leaf] = other_leaf_unit;
  const uint32_t label = deep_leaf_unit & 0xFF;
  units[deep_leaf] = blob::MakeUnit(deep_leaf - label, false, true, label);
  expect_corrupt("a node that is its own child: an endless path");
  units[deep_leaf] = blob::MakeUnit(blob::UnitBase(root), false, true, label);
  expect_corrupt("a node sharing the root's children");
  units[deep_leaf] = deep_leaf_unit;
  Reseal();
  ASSERT_EQ(Check(), Status::kOk);

  const uint32_t entry = entries[100];
  const uint32_t pool_size = blob::LoadU32(bytes() + blob::kTokenBytesSizeOffset);
  entries[100] = blob::MakeEntry(pool_size - 1, 2);
  expect_corrupt("token past the pool");
  entries[100] = blob::MakeEntry(pool_size - blob::kPoolSlack, 1);
  expect_corrupt("token in the slack at the end of the pool");
  entries[100] = entry;
  // Byte 0's token moved into the slack, which is zeros: its bytes and so the vocabulary checksum
  // stay the same, and only the slack rule refuses it (a decode would copy 16 bytes past it).
  const uint32_t zero_byte = entries[1];
  entries[1] = blob::MakeEntry(pool_size - 1, 1);
  expect_corrupt("byte 0's token in the slack");
  entries[1] = zero_byte;
  entries[100] = blob::MakeEntry(0, blob::LoadU32(bytes() + blob::kMaxTokenLengthOffset) + 1);
  expect_corrupt("token longer than the longest");
  entries[100] = entry;
  // Damage the forged vocabulary checksum does not give away.
  entries[100] = blob::MakeEntry(blob::EntryOffset(entry), 0);
  ForgeChecksums();
  EXPECT_EQ(Check(), Status::kBlobCorrupt) << "a token with no bytes";
  entries[100] = blob::kGapEntry;
  ForgeChecksums();
  EXPECT_EQ(Check(), Status::kBlobCorrupt) << "a trie token whose id is a gap";
  entries[100] = entry;
  ForgeChecksums();
  EXPECT_EQ(Check(), Status::kOk);
  entries[0] = blob::kGapEntry;
  expect_corrupt("end of text as a gap");
  entries[0] = blob::MakeEntry(1, 0);
  expect_corrupt("end of text with an offset");
  entries[0] = blob::MakeEntry(0, 1);
  expect_corrupt("end of text with bytes");
  entries[0] = 0;

  const uint64_t vocab_checksum = blob::LoadU64(bytes() + blob::kVocabChecksumOffset);
  blob::StoreU64(bytes() + blob::kVocabChecksumOffset, 12345);
  expect_corrupt("vocabulary checksum");
  blob::StoreU64(bytes() + blob::kVocabChecksumOffset, vocab_checksum);
  Reseal();
  ASSERT_EQ(Check(), Status::kOk);

  const uint32_t longest = blob::LoadU32(bytes() + blob::kMaxTokenLengthOffset);
  blob::StoreU32(bytes() + blob::kMaxTokenLengthOffset, longest + 1);
  expect_corrupt("a longest token length no token has");
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
