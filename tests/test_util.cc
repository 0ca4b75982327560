#include "tests/test_util.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace rwkvtok {
namespace testing {

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::stringstream data;
  data << file.rdbuf();
  return data.str();
}

std::vector<uint32_t> ParseIdLines(const std::string& text) {
  std::vector<uint32_t> ids;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) ids.push_back(static_cast<uint32_t>(std::stoul(line)));
  return ids;
}

std::string RunfilePath(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return std::string(srcdir) + "/" + (workspace ? workspace : "rwkvtok") + "/" + path;
}

BlobFile ReadWorldBlobFile() {
  const std::string file = ReadFileOrDie(RunfilePath("lib/world_blob.bin"));
  BlobFile blob;
  blob.size = file.size();
  blob.words.assign(file.size() / 4 + 2, 0);
  std::copy(file.begin(), file.end(), reinterpret_cast<char*>(blob.words.data()));
  return blob;
}

std::string CorpusDir(const std::string& part) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return std::string(srcdir ? srcdir : ".") + "/corpus/" + part;
}

std::vector<std::string> CorpusStems(const std::string& part) {
  namespace fs = std::filesystem;
  std::vector<std::string> stems;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(CorpusDir(part), error)) {
    const fs::path path = entry.path();
    if (path.extension() != ".txt") continue;
    fs::path ids = path;
    ids.replace_extension(".ids");
    if (fs::exists(ids)) stems.push_back(path.stem().string());
  }
  std::sort(stems.begin(), stems.end());
  return stems;
}

std::vector<uint32_t> EncodeAll(const Tokenizer& tokenizer, const std::string& text) {
  const Result size = tokenizer.Encode(text.data(), text.size(), static_cast<uint32_t*>(nullptr), 0);
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
