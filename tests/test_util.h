// Helpers shared by the tests: files, the corpus kept beside the checkout, id lists.

#ifndef RWKVTOK_TESTS_TEST_UTIL_H_
#define RWKVTOK_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/rwkvtok.h"

namespace rwkvtok {
namespace testing {

// The whole file as bytes; fails the calling test if it cannot be read.
std::string ReadFileOrDie(const std::string& path);

// Decimal ids, one per line (the corpus .ids format).
std::vector<uint32_t> ParseIdLines(const std::string& text);

// The directory of corpus part `part` ("public" or "bench") in the test's runfiles, and the
// stems of its NAME.txt files that have a NAME.ids beside them, sorted. Empty when the corpus is
// not present beside the checkout.
std::string CorpusDir(const std::string& part);
std::vector<std::string> CorpusStems(const std::string& part);

// A path in the test's runfiles, e.g. "lib/world_blob.bin".
std::string RunfilePath(const std::string& path);

// The built-in blob's file (lib/world_blob.bin) in 4-byte aligned memory, as an application
// would map it, with a spare word after it so tests can shift or extend it.
struct BlobFile {
  std::vector<uint32_t> words;
  size_t size = 0;
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(words.data()); }
};
BlobFile ReadWorldBlobFile();

// Encodes with the tokenizer into a buffer of exactly the needed size; checks the status.
std::vector<uint32_t> EncodeAll(const Tokenizer& tokenizer, const std::string& text);
std::string DecodeAll(const Tokenizer& tokenizer, const std::vector<uint32_t>& ids);

}  // namespace testing
}  // namespace rwkvtok

#endif  // RWKVTOK_TESTS_TEST_UTIL_H_
