// Golden conformance: every NAME.txt of the corpus beside the checkout (../shared/corpus/public
// and ../shared/corpus/bench) encodes to exactly the reference ids in NAME.ids and decodes back
// to the same bytes, with the built-in blob and with the same blob loaded from its file.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

// world_blob.bin loaded once and kept for the whole run.
const Tokenizer& LoadedWorld() {
  static BlobFile* const file = new BlobFile(ReadWorldBlobFile());
  static const Tokenizer tokenizer = [] {
    Tokenizer t = Tokenizer::World();
    EXPECT_EQ(Tokenizer::FromBlob(file->bytes(), file->size, &t), Status::kOk);
    return t;
  }();
  return tokenizer;
}

void CheckCorpusFile(const std::string& part, const std::string& stem) {
  const std::string dir = CorpusDir(part) + "/";
  const std::string text = ReadFileOrDie(dir + stem + ".txt");
  const std::vector<uint32_t> expected = ParseIdLines(ReadFileOrDie(dir + stem + ".ids"));

  const Tokenizer world = Tokenizer::World();
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

  EXPECT_TRUE(EncodeAll(LoadedWorld(), text) == expected) << stem << " (blob loaded from file)";
}

std::string StemName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class PublicCorpus : public ::testing::TestWithParam<std::string> {};
TEST_P(PublicCorpus, EncodesToReferenceIdsAndDecodesBack) { CheckCorpusFile("public", GetParam()); }
INSTANTIATE_TEST_SUITE_P(Golden, PublicCorpus, ::testing::ValuesIn(CorpusStems("public")),
                         StemName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PublicCorpus);

class BenchCorpus : public ::testing::TestWithParam<std::string> {};
TEST_P(BenchCorpus, EncodesToReferenceIdsAndDecodesBack) { CheckCorpusFile("bench", GetParam()); }
INSTANTIATE_TEST_SUITE_P(Golden, BenchCorpus, ::testing::ValuesIn(CorpusStems("bench")), StemName);
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
