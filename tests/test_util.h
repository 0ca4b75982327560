// The GoogleTest layer over tests/support.h: the same helpers, failing the calling test where
// support.h would report failure, and the corpus sample the streaming and API tests share.

#ifndef RWKVTOK_TESTS_TEST_UTIL_H_
#define RWKVTOK_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/rwkvtok.h"
#include "tests/support.h"

namespace rwkvtok {
namespace testing {

// The whole file as bytes; fails the calling test if it cannot be read.
std::string ReadFileOrDie(const std::string& path);

// The World blob's file (lib/world_blob.bin; see support.h); fails the calling test if it cannot
// be read.
BlobFile ReadWorldBlobFile();

// Every corpus text as (part/stem, bytes), when the corpus is present: the public files whole and
// the first MiB of each 10 MB bench file (a large sample of each language and of code, and still
// quick); in sanitized builds the first 16 KiB and 64 KiB.
const std::vector<std::pair<std::string, std::string>>& CorpusTexts();

// Encodes with the tokenizer into a buffer of exactly the needed size; checks the status.
std::vector<uint32_t> EncodeAll(const Tokenizer& tokenizer, const std::string& text);
std::string DecodeAll(const Tokenizer& tokenizer, const std::vector<uint32_t>& ids);

}  // namespace testing
}  // namespace rwkvtok

#endif  // RWKVTOK_TESTS_TEST_UTIL_H_
