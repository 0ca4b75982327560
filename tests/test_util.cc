#include "tests/test_util.h"

#include "gtest/gtest.h"

namespace rwkvtok {
namespace testing {

std::string ReadFileOrDie(const std::string& path) {
  std::string bytes;
  EXPECT_TRUE(ReadFile(path, &bytes)) << "cannot read " << path;
  return bytes;
}

BlobFile ReadWorldBlobFile() {
  BlobFile blob;
  EXPECT_TRUE(ReadWorldBlob(&blob)) << "cannot read " << DataPath("lib/world_blob.bin");
  return blob;
}

const std::vector<std::pair<std::string, std::string>>& CorpusTexts() {
  static const auto* const texts = [] {
    const bool sample = kSanitized || (kEmulated && TestProfile() == Profile::kCompact);
    const size_t public_limit = sample ? 16 << 10 : 1 << 24;
    const size_t bench_limit = sample ? 64 << 10 : 1 << 20;
    auto* t = new std::vector<std::pair<std::string, std::string>>;
    for (const auto& [part, limit] :
         {std::make_pair("public", public_limit), std::make_pair("bench", bench_limit)}) {
      for (const std::string& stem : CorpusStems(part)) {
        const std::string path = CorpusDir(part) + "/" + stem + ".txt";
        std::string text;
        EXPECT_TRUE(ReadFile(path, &text, limit)) << "cannot read " << path;
        t->emplace_back(std::string(part) + "/" + stem, std::move(text));
      }
    }
    return t;
  }();
  return *texts;
}

std::vector<uint32_t> EncodeAll(const Tokenizer& tokenizer, const std::string& text) {
  const Result size =
      tokenizer.Encode(text.data(), text.size(), static_cast<uint32_t*>(nullptr), 0);
  EXPECT_EQ(size.status, text.empty() ? Status::kOk : Status::kBufferTooSmall);
  std::vector<uint32_t> ids(size.count);
  const Result result = tokenizer.Encode(text.data(), text.size(), ids.data(), ids.size());
  EXPECT_EQ(result.status, Status::kOk);
  EXPECT_EQ(result.count, ids.size());
  return ids;
}

std::string DecodeAll(const Tokenizer& tokenizer, const std::vector<uint32_t>& ids) {
  const Result size = tokenizer.Decode(ids.data(), ids.size(), nullptr, 0);
  EXPECT_TRUE(size.status == Status::kOk || size.status == Status::kBufferTooSmall)
      << StatusMessage(size.status);
  std::string bytes(size.count, '\0');
  const Result result = tokenizer.Decode(ids.data(), ids.size(), &bytes[0], bytes.size());
  EXPECT_EQ(result.status, Status::kOk) << StatusMessage(result.status);
  bytes.resize(result.count);
  return bytes;
}

}  // namespace testing
}  // namespace rwkvtok
