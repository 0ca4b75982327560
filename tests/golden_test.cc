// Golden conformance: every NAME.txt of the corpus beside the checkout (../shared/corpus/public
// and ../shared/corpus/bench) encodes to exactly the reference ids in NAME.ids and decodes back
// to the same bytes, with the built-in blob and with the same blob loaded from its file, in both
// profiles (full and compact).

#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

// The profile's blob file loaded once and kept for the whole run.
const Tokenizer& LoadedWorld(Profile profile) {
  static BlobFile* const files[2] = {new BlobFile, new BlobFile};
  static Tokenizer tokenizers[2] = {Tokenizer::World(), Tokenizer::World()};
  static bool loaded[2] = {false, false};
  const int k = static_cast<int>(profile);
  if (!loaded[k]) {
    EXPECT_TRUE(ReadWorldBlob(profile, files[k])) << ProfileName(profile);
    EXPECT_EQ(Tokenizer::FromBlob(files[k]->bytes(), files[k]->size, &tokenizers[k]), Status::kOk);
    loaded[k] = true;
  }
  return tokenizers[k];
}

void CheckCorpusFile(const std::string& part, const std::string& stem, Profile profile) {
  const std::string dir = CorpusDir(part) + "/";
  std::string text = ReadFileOrDie(dir + stem + ".txt");
  std::vector<uint32_t> expected = ParseIdLines(ReadFileOrDie(dir + stem + ".ids"));
  // In slow builds the compact profile takes the first MiB of a bench file, against the full
  // profile's ids for it (which the same test holds to the reference on the whole file).
  if (profile == Profile::kCompact && kSlowBuild && text.size() > (1 << 20)) {
    text.resize(1 << 20);
    expected = EncodeAll(Tokenizer::World(), text);
  }

  const Tokenizer world = World(profile);
  const std::vector<uint32_t> ids = EncodeAll(world, text);
  ASSERT_EQ(ids.size(), expected.size()) << stem;
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(ids[i], expected[i]) << stem << ": first difference at id index " << i;
  }
  EXPECT_TRUE(DecodeAll(world, ids) == text) << stem << ": decode does not give the text back";

  // The 16- and 32-bit signed entry points produce the same ids.
  std::vector<uint16_t> ids16(text.size());
  std::vector<int32_t> ids32(text.size());
  const Result r16 = world.Encode(text.data(), text.size(), ids16.data(), ids16.size());
  const Result r32 = world.Encode(text.data(), text.size(), ids32.data(), ids32.size());
  ASSERT_EQ(r16.count, expected.size());
  ASSERT_EQ(r32.count, expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), ids16.begin())) << stem;
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), ids32.begin())) << stem;

  EXPECT_TRUE(EncodeAll(LoadedWorld(profile), text) == expected)
      << stem << " (blob loaded from file)";
}

using StemProfile = std::tuple<std::string, Profile>;
std::string StemName(const ::testing::TestParamInfo<StemProfile>& info) {
  return std::get<0>(info.param) + "_" + ProfileName(std::get<1>(info.param));
}

class PublicCorpus : public ::testing::TestWithParam<StemProfile> {};
TEST_P(PublicCorpus, EncodesToReferenceIdsAndDecodesBack) {
  CheckCorpusFile("public", std::get<0>(GetParam()), std::get<1>(GetParam()));
}
INSTANTIATE_TEST_SUITE_P(Golden, PublicCorpus,
                         ::testing::Combine(::testing::ValuesIn(CorpusStems("public")),
                                            ::testing::ValuesIn(kProfiles)),
                         StemName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PublicCorpus);

class BenchCorpus : public ::testing::TestWithParam<StemProfile> {};
TEST_P(BenchCorpus, EncodesToReferenceIdsAndDecodesBack) {
  CheckCorpusFile("bench", std::get<0>(GetParam()), std::get<1>(GetParam()));
}
INSTANTIATE_TEST_SUITE_P(Golden, BenchCorpus,
                         ::testing::Combine(::testing::ValuesIn(CorpusStems("bench")),
                                            ::testing::ValuesIn(kProfiles)),
                         StemName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BenchCorpus);

// Says loudly when the corpus is absent, so a run without it is not mistaken for a pass.
TEST(Golden, CorpusIsPresent) {
  if (CorpusStems("public").empty() || CorpusStems("bench").empty()) {
    GTEST_SKIP() << "../shared/corpus/public or ../shared/corpus/bench is missing: the golden "
                    "conformance tests did not run";
  }
  EXPECT_GE(CorpusStems("public").size(), 1u);
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
