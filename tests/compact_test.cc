// The compact trie (lib/compact.h) built by tools/compact_builder.h: World's compact blob decodes
// every id to the full blob's bytes and encodes every public and bench file, random and
// adversarial bytes to the simple matcher's ids; other vocabularies too; damaged blobs are
// refused with a status, never read out of bounds; vocabularies out of the compact order are
// refused by the builder.

#include "lib/compact.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"
#include "tools/compact_builder.h"
#include "tools/vocab.h"

namespace rwkvtok {
namespace testing {
namespace {

using tools::VocabToken;

// A blob's bytes, 8-aligned as a loaded file would be.
struct AlignedBlob {
  explicit AlignedBlob(const std::vector<uint8_t>& bytes)
      : words(bytes.size() / 8 + 1), size(bytes.size()) {
    if (!bytes.empty()) std::memcpy(words.data(), bytes.data(), bytes.size());
  }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(words.data()); }
  std::vector<uint64_t> words;
  size_t size;
};

std::vector<VocabToken> TokensOf(const Tokenizer& tok) {
  const TokenTable table = MakeTokenTable(tok);
  std::vector<VocabToken> tokens;
  for (uint32_t id = 1; id < table.bytes.size(); ++id) {
    if (table.valid[id]) tokens.push_back(VocabToken{id, table.bytes[id], id});
  }
  return tokens;
}

std::vector<uint8_t> BuildOk(const std::vector<VocabToken>& tokens) {
  std::vector<uint8_t> blob;
  std::string error;
  EXPECT_TRUE(tools::BuildCompactBlob(tokens, &blob, nullptr, &error)) << error;
  return blob;
}

std::string BuildError(const std::vector<VocabToken>& tokens) {
  std::vector<uint8_t> blob;
  std::string error;
  EXPECT_FALSE(tools::BuildCompactBlob(tokens, &blob, nullptr, &error));
  return error;
}

// Greedy longest match with the compact trie.
std::vector<uint32_t> Encode(const compact::Trie& trie, const std::string& text) {
  std::vector<uint32_t> ids;
  const uint8_t* in = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t pos = 0; pos < text.size();) {
    const Match m = compact::LongestMatch(trie, in + pos, text.size() - pos);
    ids.push_back(m.id);
    pos += m.length;
  }
  return ids;
}

class WorldCompact : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    blob_ = new AlignedBlob(BuildOk(TokensOf(Tokenizer::World())));
    ASSERT_EQ(compact::View(blob_->data(), blob_->size, &trie_), Status::kOk);
  }
  static void TearDownTestSuite() { delete blob_; }

  static AlignedBlob* blob_;
  static compact::Trie trie_;
};

AlignedBlob* WorldCompact::blob_ = nullptr;
compact::Trie WorldCompact::trie_{};

TEST_F(WorldCompact, HeaderAndSize) {
  EXPECT_EQ(trie_.token_count, Tokenizer::World().token_count());
  EXPECT_EQ(trie_.max_token_length, Tokenizer::World().max_token_length());
  EXPECT_EQ(trie_.vocab_checksum, Tokenizer::World().vocab_checksum());
  EXPECT_EQ(trie_.node_count, 116079u);
  // Well inside 192 KiB, for the Cortex-M image's code beside it.
  EXPECT_LT(blob_->size, 188u * 1024) << blob_->size;
}

TEST_F(WorldCompact, EveryIdDecodesToItsBytes) {
  const TokenTable& table = WorldTokens();
  uint8_t bytes[blob::kMaxTokenLength];
  for (uint32_t id = 0; id < table.bytes.size(); ++id) {
    const uint32_t length = compact::TokenLength(trie_, id);
    compact::CopyTokenPart(trie_, id, 0, sizeof(bytes), bytes);
    ASSERT_EQ(std::string(reinterpret_cast<const char*>(bytes), length), table.bytes[id])
        << "id " << id;
  }
}

TEST_F(WorldCompact, EncodesLikeTheSimpleMatcher) {
  const SimpleEncoder& simple = SimpleEncoder::World();
  std::mt19937_64 rng(11);
  for (int n = 0; n < 300; ++n) {
    const std::string text = n % 3 == 0   ? RandomBytes(rng, 2000)
                             : n % 3 == 1 ? RandomUtf8(rng, 600)
                                          : AdversarialUtf8(rng);
    ASSERT_EQ(Encode(trie_, text), simple.Encode(text)) << Hex(text);
  }
  // Every token alone, and every token cut short by a byte.
  for (const std::string& token : simple.tokens()) {
    ASSERT_EQ(Encode(trie_, token), simple.Encode(token)) << Hex(token);
    const std::string cut = token.substr(0, token.size() - 1);
    ASSERT_EQ(Encode(trie_, cut), simple.Encode(cut)) << Hex(cut);
  }
}

TEST_F(WorldCompact, EncodesTheCorpusLikeTheFullTrie) {
  size_t files = 0;
  for (const char* part : {"public", "bench"}) {
    for (const std::string& stem : CorpusStems(part)) {
      std::string text = ReadFileOrDie(CorpusDir(part) + "/" + stem + ".txt");
      if (text.size() > 1000000) text.resize(1000000);  // the bench files: a part of each
      std::vector<uint32_t> full(text.size());
      const Result r =
          Tokenizer::World().Encode(text.data(), text.size(), full.data(), full.size());
      ASSERT_TRUE(r.ok());
      full.resize(r.count);
      ASSERT_EQ(Encode(trie_, text), full) << part << "/" << stem;
      ++files;
    }
  }
  if (files == 0) GTEST_SKIP() << "no corpus beside the checkout";
}

// Each match as the full walk's: id, length, and whether the walk ran out of input inside the
// trie (World's leaves all keep their id in their unit, where the full walk stops as the compact
// walk does at any leaf).
TEST_F(WorldCompact, MatchesAsTheFullWalk) {
  std::mt19937_64 rng(5);
  for (int n = 0; n < 20000; ++n) {
    const std::string text = n % 2 ? RandomUtf8(rng, 4) : RandomBytes(rng, 6);
    const uint8_t* in = reinterpret_cast<const uint8_t*>(text.data());
    const Match c = compact::LongestMatch(trie_, in, text.size());
    const Match f = Internal::LongestMatch(Tokenizer::World(), in, text.size());
    ASSERT_EQ(c.length, f.length) << Hex(text);
    ASSERT_EQ(c.reached_end, f.reached_end) << Hex(text);
    if (!text.empty()) {
      ASSERT_EQ(c.id, f.id) << Hex(text);
    }
  }
}

// The compact tokenizer through the API: Count and Prefix agree with its ids, Decode reports an
// invalid id by position and writes nothing past a short capacity.
TEST(CompactTokenizer, CountPrefixAndDecodeBounds) {
  const Tokenizer compact = Tokenizer::WorldCompact();
  const std::string text = "Count me, 数一数, \xff\xfe and a long run" + std::string(300, ' ');
  const std::vector<uint32_t> ids = EncodeAll(compact, text);
  EXPECT_EQ(ids, EncodeAll(Tokenizer::World(), text));
  const Result count = compact.Count(text.data(), text.size());
  EXPECT_TRUE(count.ok() && count.count == ids.size());
  const Result prefix = compact.Prefix(text.data(), text.size(), ids.size() / 2);
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(EncodeAll(compact, text.substr(0, prefix.count)),
            std::vector<uint32_t>(ids.begin(), ids.begin() + ids.size() / 2));

  const uint32_t invalid[] = {ids[0], compact.token_count(), ids[1]};
  char bytes[64];
  std::memset(bytes, 'x', sizeof(bytes));
  Result r = compact.Decode(invalid, 3, bytes, sizeof(bytes));
  EXPECT_EQ(r.status, Status::kInvalidId);
  EXPECT_EQ(r.position, 1u);
  for (size_t room = 0; room < 12; ++room) {
    std::memset(bytes, 'x', sizeof(bytes));
    r = compact.Decode(ids.data(), ids.size(), bytes, room);
    EXPECT_EQ(r.status, Status::kBufferTooSmall);
    EXPECT_EQ(r.count, text.size());
    EXPECT_EQ(std::string(bytes, room), text.substr(0, room));
    EXPECT_EQ(bytes[room], 'x') << "written past a capacity of " << room;
  }
}

// --- Damage -------------------------------------------------------------------------------------

TEST_F(WorldCompact, DamagedBlobsAreRefused) {
  std::vector<uint8_t> good(blob_->data(), blob_->data() + blob_->size);
  const auto view = [](std::vector<uint8_t> bytes, bool forge_checksum) {
    if (forge_checksum) ForgeBodyChecksum(bytes.data(), bytes.size());
    AlignedBlob copy(bytes);
    compact::Trie trie;
    return compact::View(copy.data(), copy.size, &trie);
  };
  EXPECT_EQ(view(good, false), Status::kOk);
  for (const size_t size : {size_t{0}, size_t{7}, size_t{63}, good.size() - 1}) {
    EXPECT_EQ(view(std::vector<uint8_t>(good.begin(), good.begin() + size), false),
              Status::kBlobTruncated)
        << size;
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_EQ(view(longer, false), Status::kBlobCorrupt);
  std::vector<uint8_t> bad = good;
  bad[0] ^= 1;
  EXPECT_EQ(view(bad, false), Status::kBlobBadMagic);
  bad = good;
  bad[blob::kVersionOffset] ^= 1;
  EXPECT_EQ(view(bad, false), Status::kBlobUnsupportedVersion);
  bad = good;
  bad[good.size() / 2] ^= 1;
  EXPECT_EQ(view(bad, false), Status::kBlobChecksumMismatch);

  // Damage behind a forged checksum: every section, the header's fields.
  const blob::CompactLayout layout =
      blob::CompactLayoutFor(trie_.node_count, trie_.top_count, trie_.max_token_length);
  const uint64_t places[] = {
      layout.louds,         layout.louds + 40,       layout.louds + 5000,
      layout.token_bits,    layout.token_bits + 9,   layout.token_bits + 3000,
      layout.block_starts,  layout.block_starts + 4, layout.token_ranks + 2,
      layout.level_starts,  layout.level_starts + 8, layout.labels,
      layout.labels + 1000, layout.total_size - 1};
  for (const uint64_t at : places) {
    for (const uint8_t flip : {uint8_t{1}, uint8_t{0x80}}) {
      bad = good;
      bad[at] ^= flip;
      EXPECT_EQ(view(bad, true), Status::kBlobCorrupt) << "byte " << at << " ^ " << int{flip};
    }
  }
  for (const uint32_t field : std::initializer_list<uint32_t>{
           blob::kNodeCountOffset, blob::kTokenCountOffset, blob::kMaxTokenLengthOffset,
           blob::kKindOffset, blob::kTokenBytesSizeOffset, blob::kKindOffset + 8}) {
    bad = good;
    bad[field] ^= 1;
    const Status status = view(bad, true);
    EXPECT_TRUE(status == Status::kBlobCorrupt || status == Status::kBlobTruncated)
        << "field " << field << ": " << StatusMessage(status);
  }
  // Counts at the top of their 32-bit fields claim more than the blob holds: truncated, as for a
  // full blob, and no overflow.
  for (const uint32_t field : std::initializer_list<uint32_t>{
           blob::kNodeCountOffset, blob::kTopCountOffset, blob::kMaxTokenLengthOffset}) {
    for (const uint32_t huge : {0xFFFFFFFFu, 0xFFFFFFFEu, 0x80000000u, 0x40000000u}) {
      if (field == blob::kTopCountOffset && huge == 0xFFFFFFFFu) continue;
      bad = good;
      blob::StoreU32(bad.data() + field, huge);
      if (field == blob::kTopCountOffset) {  // a top level needs more nodes than it has
        blob::StoreU32(bad.data() + blob::kNodeCountOffset, huge + 1);
      }
      EXPECT_EQ(view(bad, true), Status::kBlobTruncated) << "field " << field << " = " << huge;
    }
  }
  bad = good;
  bad[blob::kVocabChecksumOffset] ^= 1;
  EXPECT_EQ(view(bad, true), Status::kBlobCorrupt);
  // Misaligned.
  std::vector<uint64_t> words(good.size() / 8 + 2);
  uint8_t* odd = reinterpret_cast<uint8_t*>(words.data()) + 2;
  std::memcpy(odd, good.data(), good.size());
  compact::Trie trie;
  EXPECT_EQ(compact::View(odd, good.size(), &trie), Status::kBlobMisaligned);
}

// Random damage behind a forged checksum: a status every time (the sanitizer builds check that
// nothing is read out of bounds), and a blob that passes still decodes every id within bounds.
TEST_F(WorldCompact, RandomDamageNeverReadsOutOfBounds) {
  std::vector<uint8_t> good(blob_->data(), blob_->data() + blob_->size);
  std::mt19937_64 rng(3);
  for (int n = 0; n < 60; ++n) {
    std::vector<uint8_t> bad = good;
    for (size_t k = Uniform(rng, 1, 4); k > 0; --k) {
      bad[Uniform(rng, blob::kHeaderSize, bad.size() - 1)] ^=
          static_cast<uint8_t>(1u << (rng() % 8));
    }
    ForgeBodyChecksum(bad.data(), bad.size());
    AlignedBlob copy(bad);
    compact::Trie trie;
    if (compact::View(copy.data(), copy.size, &trie) != Status::kOk) continue;
    uint8_t bytes[blob::kMaxTokenLength];
    for (uint32_t id = 1; id < trie.token_count; id += 97)
      compact::CopyTokenPart(trie, id, 0, sizeof(bytes), bytes);
  }
}

// --- Other vocabularies -------------------------------------------------------------------------

std::vector<VocabToken> ByteTokens() {
  std::vector<VocabToken> tokens;
  for (uint32_t b = 0; b < 256; ++b)
    tokens.push_back(VocabToken{b + 1, std::string(1, char(b)), b + 1});
  return tokens;
}

// Adds `words` to the byte tokens with ids in the compact order.
std::vector<VocabToken> WithWords(std::vector<std::string> words) {
  std::vector<VocabToken> tokens = ByteTokens();
  std::sort(words.begin(), words.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  words.erase(std::unique(words.begin(), words.end()), words.end());
  for (const std::string& word : words) {
    const uint32_t id = static_cast<uint32_t>(tokens.size() + 1);
    tokens.push_back(VocabToken{id, word, id});
  }
  return tokens;
}

TEST(Compact, OtherVocabulariesEncodeAndDecode) {
  std::mt19937_64 rng(9);
  std::vector<std::string> runs, words;
  for (const size_t length : {2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 255}) {
    runs.push_back(std::string(length, 'a'));
  }
  while (words.size() < 300) {
    std::string word(2 + rng() % 11, 'a');
    for (char& c : word) c = static_cast<char>('a' + rng() % 3);
    words.push_back(word);
  }
  for (const std::vector<VocabToken>& tokens :
       {ByteTokens(), WithWords(runs), WithWords(words), WithWords({"ab", "abc", "b\xff"})}) {
    AlignedBlob blob(BuildOk(tokens));
    compact::Trie trie;
    ASSERT_EQ(compact::View(blob.data(), blob.size, &trie), Status::kOk);
    // The simple matcher over the same tokens, through a full blob-free table.
    std::vector<std::string> by_id(tokens.size() + 1);
    for (const VocabToken& t : tokens) by_id[t.id] = t.bytes;
    for (uint32_t id = 1; id < by_id.size(); ++id) {
      uint8_t bytes[blob::kMaxTokenLength];
      ASSERT_EQ(compact::TokenLength(trie, id), by_id[id].size());
      compact::CopyTokenPart(trie, id, 0, sizeof(bytes), bytes);
      ASSERT_EQ(std::string(reinterpret_cast<char*>(bytes), by_id[id].size()), by_id[id]);
    }
    for (int n = 0; n < 100; ++n) {
      std::string text;
      while (text.size() < 2000) {
        text +=
            rng() % 3 ? by_id[1 + rng() % (by_id.size() - 1)] : std::string(1 + rng() % 300, 'a');
      }
      // Greedy longest match by brute force over the token list.
      std::vector<uint32_t> expected;
      for (size_t pos = 0; pos < text.size();) {
        uint32_t best = 0;
        for (uint32_t id = 1; id < by_id.size(); ++id) {
          if (by_id[id].size() > (best ? by_id[best].size() : 0) &&
              text.compare(pos, by_id[id].size(), by_id[id]) == 0) {
            best = id;
          }
        }
        expected.push_back(best);
        pos += by_id[best].size();
      }
      ASSERT_EQ(Encode(trie, text), expected);
    }
  }
}

// Siblings' labels must rise: the walk searches children by label, and ids follow the nodes' order.
// Two siblings' labels swapped, with both checksums recomputed over what the trie now spells, are
// refused (else "ab" would no longer encode to its id).
TEST(Compact, SiblingLabelsOutOfOrderAreRefused) {
  std::vector<uint8_t> bytes = BuildOk(WithWords({"ab", "ac"}));
  const blob::CompactLayout layout =
      blob::CompactLayoutFor(blob::LoadU32(bytes.data() + blob::kNodeCountOffset),
                             blob::LoadU32(bytes.data() + blob::kTopCountOffset),
                             blob::LoadU32(bytes.data() + blob::kMaxTokenLengthOffset));
  ASSERT_EQ(bytes[layout.labels], 'b');  // node 257, "ab"
  ASSERT_EQ(bytes[layout.labels + 1], 'c');
  std::swap(bytes[layout.labels], bytes[layout.labels + 1]);
  uint64_t checksum = blob::kFnvOffsetBasis;  // ids 1..256 the bytes, then what 257 and 258 spell
  for (uint32_t id = 1; id <= 256; ++id) {
    const uint8_t byte = static_cast<uint8_t>(id - 1);
    checksum = blob::VocabChecksumStep(checksum, id, &byte, 1);
  }
  checksum = blob::VocabChecksumStep(checksum, 257, reinterpret_cast<const uint8_t*>("ac"), 2);
  checksum = blob::VocabChecksumStep(checksum, 258, reinterpret_cast<const uint8_t*>("ab"), 2);
  blob::StoreU64(bytes.data() + blob::kVocabChecksumOffset, checksum);
  ForgeBodyChecksum(bytes.data(), bytes.size());
  AlignedBlob blob(bytes);
  compact::Trie trie;
  EXPECT_EQ(compact::View(blob.data(), blob.size, &trie), Status::kBlobCorrupt);
}

// Every 2-byte token that starts with one of 200 bytes (51,200 of them: so many nodes and
// children at depth 1 and 2 that 16-bit starts reach only part of those nodes) and some longer
// ones: the builder takes as many top nodes as fit, and the trie still walks and decodes exactly.
TEST(Compact, WideTopLevels) {
  std::vector<std::string> words;
  for (int a = 0; a < 200; ++a) {
    for (int b = 0; b < 256; ++b) {
      words.push_back({static_cast<char>(a), static_cast<char>(b)});
      if (b % 64 == 0) words.push_back({static_cast<char>(a), static_cast<char>(b), 'x', 'y'});
    }
  }
  const std::vector<VocabToken> tokens = WithWords(words);
  AlignedBlob blob(BuildOk(tokens));
  compact::Trie trie;
  ASSERT_EQ(compact::View(blob.data(), blob.size, &trie), Status::kOk);
  EXPECT_LT(trie.top_count, 256u + 51200u) << "16 bits cannot reach every node of depth 2 here";
  uint8_t bytes[blob::kMaxTokenLength];
  for (const VocabToken& t : tokens) {
    ASSERT_EQ(compact::TokenLength(trie, t.id), t.bytes.size());
    compact::CopyTokenPart(trie, t.id, 0, sizeof(bytes), bytes);
    ASSERT_EQ(std::string(reinterpret_cast<char*>(bytes), t.bytes.size()), t.bytes);
    ASSERT_EQ(Encode(trie, t.bytes), std::vector<uint32_t>{t.id});
  }
}

TEST(Compact, TheBuilderRefusesIdsOutOfOrder) {
  std::vector<VocabToken> tokens = WithWords({"ab", "cd"});
  std::swap(tokens[256].id, tokens[257].id);  // "cd" before "ab"
  EXPECT_EQ(BuildError(tokens),
            "the compact profile needs ids in order of (length, bytes): id 258 (line 257) comes "
            "before id 257 in that order");
  tokens = WithWords({"ab", "abc"});
  tokens[257].id = 300;  // a gap
  EXPECT_EQ(BuildError(tokens),
            "the compact profile needs ids 1, 2, 3, ... without gaps: id 258 "
            "is missing");
  tokens = ByteTokens();
  tokens.pop_back();
  tokens.push_back(VocabToken{256, "ab", 256});
  EXPECT_NE(BuildError(tokens), "");
}

// Added from mutation testing: 65,535 tokens are the most 16-bit ids hold (0 is end of text).
TEST(Compact, TheBuilderRefusesMoreThan65535Tokens) {
  std::vector<VocabToken> tokens = ByteTokens();
  for (int a = 0; a < 256 && tokens.size() < 65536; ++a) {
    for (int b = 0; b < 256 && tokens.size() < 65536; ++b) {
      const uint32_t id = static_cast<uint32_t>(tokens.size() + 1);
      tokens.push_back(VocabToken{id, {static_cast<char>(a), static_cast<char>(b)}, id});
    }
  }
  EXPECT_EQ(BuildError(tokens), "too many tokens for 16-bit ids");
  tokens.pop_back();
  EXPECT_FALSE(BuildOk(tokens).empty());
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
