// Many threads encode and decode at once with one shared tokenizer (the built-in one, and one
// loaded from the blob file), and each gets exactly what one thread alone gets. Run under
// --config=tsan it also shows that nothing in the library races.

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 3;

// Texts of real tokens glued together, with random bytes between them.
std::vector<std::string> MakeTexts(const SimpleEncoder& simple) {
  std::mt19937_64 rng(65530);
  const std::vector<std::string>& tokens = simple.tokens();
  std::vector<std::string> texts;
  for (int n = 0; n < 64; ++n) {
    std::string text;
    const size_t pieces = rng() % 400;
    for (size_t p = 0; p < pieces; ++p) {
      text += rng() % 8 ? tokens[rng() % tokens.size()] : std::string(1, static_cast<char>(rng()));
    }
    texts.push_back(text);
  }
  return texts;
}

void EncodeAndDecodeEverywhere(const Tokenizer& shared) {
  const SimpleEncoder simple(shared);
  const std::vector<std::string> texts = MakeTexts(simple);
  std::vector<std::vector<uint32_t>> expected;
  for (const std::string& text : texts) expected.push_back(simple.Encode(text));

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint32_t> ids;
      std::string bytes;
      for (int round = 0; round < kRounds; ++round) {
        for (size_t k = 0; k < texts.size(); ++k) {
          const std::string& text = texts[(k + t) % texts.size()];  // threads start apart
          ids.assign(text.size(), 0);
          Result r = shared.Encode(text.data(), text.size(), ids.data(), ids.size());
          ids.resize(r.count);
          if (!r.ok() || ids != expected[(k + t) % texts.size()]) ++mismatches;
          bytes.assign(text.size(), '\0');
          r = shared.Decode(ids.data(), ids.size(), &bytes[0], bytes.size());
          if (!r.ok() || bytes != text) ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Concurrency, SharedBuiltInTokenizer) { EncodeAndDecodeEverywhere(Tokenizer::World()); }

TEST(Concurrency, SharedLoadedTokenizer) {
  BlobFile blob = ReadWorldBlobFile();
  Tokenizer loaded = Tokenizer::World();
  ASSERT_EQ(Tokenizer::FromBlob(blob.bytes(), blob.size, &loaded), Status::kOk);
  EncodeAndDecodeEverywhere(loaded);
}

TEST(Concurrency, ManyThreadsValidateAndLoadTheSameBlob) {
  BlobFile blob = ReadWorldBlobFile();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Tokenizer loaded = Tokenizer::World();
      if (Tokenizer::FromBlob(blob.bytes(), blob.size, &loaded) != Status::kOk) ++failures;
      if (Validate(blob.bytes(), blob.size - 4) != Status::kBlobTruncated) ++failures;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
