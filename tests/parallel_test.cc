// One text encoded in parts on several threads and joined: exactly the one-shot ids, for any cut
// points, including cuts inside long runs where tokenizations from either side agree late, empty
// parts, and parts large enough for the lanes; and joining refuses parts that do not fit together.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

// Encodes `text` cut at `cuts` (sorted, inside the text), one thread per part.
std::vector<uint32_t> EncodeInParts(const std::string& text, std::vector<size_t> cuts) {
  const Tokenizer tok = Tokenizer::World();
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(text.size());
  std::vector<Tokenizer::Part> parts(cuts.size() - 1);
  for (size_t k = 0; k < parts.size(); ++k) parts[k] = Tokenizer::Part{cuts[k], cuts[k + 1], 0, 0};
  std::vector<uint32_t> ids(text.size());
  std::vector<std::thread> threads;
  for (Tokenizer::Part& part : parts) {
    threads.emplace_back([&] {
      EXPECT_EQ(tok.EncodePart(text.data(), text.size(), &part, ids.data()), Status::kOk);
    });
  }
  for (std::thread& thread : threads) thread.join();
  const Result r = tok.JoinParts(text.data(), text.size(), parts.data(), parts.size(), ids.data());
  EXPECT_EQ(r.status, Status::kOk);
  ids.resize(r.count);
  return ids;
}

std::vector<size_t> RandomCuts(std::mt19937_64& rng, size_t size, size_t count) {
  std::vector<size_t> cuts;
  for (size_t i = 0; i < count && size > 0; ++i) cuts.push_back(rng() % size);
  std::sort(cuts.begin(), cuts.end());  // repeated cuts make empty parts
  return cuts;
}

TEST(Parallel, RandomCutsOfGeneratedText) {
  const SimpleEncoder simple(Tokenizer::World());
  std::mt19937_64 rng(1);
  const std::string runs[] = {std::string(700, ' '), std::string(300, '-'), "//" + std::string(62, '-') + "x"};
  for (int n = 0; n < 200 && !HasFailure(); ++n) {
    std::string text;
    while (text.size() < 3000) {
      const size_t pick = rng() % 10;
      text += pick < 7 ? simple.tokens()[rng() % simple.tokens().size()]
                       : pick < 9 ? runs[rng() % 3] : std::string(1, static_cast<char>(rng()));
    }
    EXPECT_EQ(EncodeInParts(text, RandomCuts(rng, text.size(), 1 + rng() % 12)), simple.Encode(text))
        << "text " << n;
  }
}

TEST(Parallel, CutsEverywhereInARunOfSpaces) {
  const std::string text = "a" + std::string(1000, ' ') + "b" + std::string(129, ' ');
  const std::vector<uint32_t> expected = EncodeAll(Tokenizer::World(), text);
  for (size_t cut = 0; cut <= text.size() && !HasFailure(); ++cut) {
    EXPECT_EQ(EncodeInParts(text, {cut}), expected) << "cut at " << cut;
  }
}

TEST(Parallel, LargePartsOfTheCorpus) {
  std::mt19937_64 rng(2);
  std::vector<std::string> texts;
  for (const std::string& stem : CorpusStems("bench")) {
    texts.push_back(ReadFileOrDie(CorpusDir("bench") + "/" + stem + ".txt"));
  }
  std::string generated;  // large enough for lanes inside parts, corpus or not
  while (generated.size() < 3000000) generated += "Parts of a long text, 分成几部分, 각 부분. ";
  texts.push_back(generated);
  for (const std::string& text : texts) {
    const std::vector<uint32_t> expected = EncodeAll(Tokenizer::World(), text);
    EXPECT_EQ(EncodeInParts(text, RandomCuts(rng, text.size(), 1)), expected);
    EXPECT_EQ(EncodeInParts(text, RandomCuts(rng, text.size(), 3)), expected);
  }
}

TEST(Parallel, EmptyTextAndOnePart) {
  EXPECT_TRUE(EncodeInParts("", {}).empty());
  EXPECT_EQ(EncodeInParts("hello world", {}), EncodeAll(Tokenizer::World(), "hello world"));
}

TEST(Parallel, PartsThatDoNotFitAreRefused) {
  const Tokenizer tok = Tokenizer::World();
  const std::string text = "The parts must cover the text, in order.";
  std::vector<uint32_t> ids(text.size());
  Tokenizer::Part parts[2] = {{0, 10, 0, 0}, {10, text.size(), 0, 0}};
  for (Tokenizer::Part& part : parts) {
    ASSERT_EQ(tok.EncodePart(text.data(), text.size(), &part, ids.data()), Status::kOk);
  }
  const auto join = [&](const Tokenizer::Part* p, size_t n) {
    std::vector<uint32_t> copy = ids;
    return tok.JoinParts(text.data(), text.size(), p, n, copy.data()).status;
  };
  EXPECT_EQ(join(parts, 2), Status::kOk);
  EXPECT_EQ(join(parts, 1), Status::kInvalidArgument) << "the text is not covered";
  EXPECT_EQ(join(parts + 1, 1), Status::kInvalidArgument) << "does not begin at 0";
  Tokenizer::Part bad[2] = {parts[0], parts[1]};
  bad[1].count = bad[1].end - bad[1].begin + 1;
  EXPECT_EQ(join(bad, 2), Status::kInvalidArgument) << "more ids than bytes";
  bad[1] = parts[1];
  bad[1].last_end = text.size() + 1;
  EXPECT_EQ(join(bad, 2), Status::kInvalidArgument) << "ends past the text";
  std::vector<uint32_t> garbage(text.size(), 70000);
  EXPECT_EQ(tok.JoinParts(text.data(), text.size(), parts, 2, garbage.data()).status,
            Status::kInvalidArgument)
      << "ids that name no token";
  Tokenizer::Part inverted{5, 4, 0, 0};
  EXPECT_EQ(tok.EncodePart(text.data(), text.size(), &inverted, ids.data()),
            Status::kInvalidArgument);
  Tokenizer::Part beyond{0, text.size() + 1, 0, 0};
  EXPECT_EQ(tok.EncodePart(text.data(), text.size(), &beyond, ids.data()),
            Status::kInvalidArgument);
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
