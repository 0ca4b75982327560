// Fuzz target: any pair of files offered as a binidx dataset (tools/binidx/dataset.h) is either
// refused by Check with a one-line message naming the file, or read whole by Reader with counts
// that agree with the files' sizes and documents that each end with id 0.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "tools/binidx/dataset.h"
#include "tools/cli/error.h"

namespace {

void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  FUZZ_CHECK(f != nullptr);
  FUZZ_CHECK(size == 0 || std::fwrite(data, 1, size, f) == size);
  std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Two bytes give the length of the index; the rest is the .bin.
  if (size < 2) return 0;
  const size_t idx_size = std::min<size_t>(size - 2, data[0] | size_t{data[1]} << 8);
  char directory[] = "/tmp/rwkvtok_dataset_fuzz.XXXXXX";
  FUZZ_CHECK(mkdtemp(directory) != nullptr);
  const std::string prefix = std::string(directory) + "/d";
  WriteFile(prefix + ".idx", data + 2, idx_size);
  WriteFile(prefix + ".bin", data + 2 + idx_size, size - 2 - idx_size);
  try {
    rwkvtok::binidx::Reader reader(prefix);
    const uint64_t item = reader.dtype_code() == rwkvtok::binidx::kUint16Code ? 2 : 4;
    FUZZ_CHECK(reader.counts().tokens * item == size - 2 - idx_size);
    FUZZ_CHECK(rwkvtok::binidx::kHeaderBytes + 20 * reader.counts().documents + 8 == idx_size);
    std::vector<uint32_t> ids;
    uint64_t documents = 0, tokens = 0;
    while (reader.Next(&ids)) {
      FUZZ_CHECK(!ids.empty() && ids.back() == 0);
      ++documents;
      tokens += ids.size();
    }
    FUZZ_CHECK(documents == reader.counts().documents && tokens == reader.counts().tokens);
  } catch (const rwkvtok::cli::Error& e) {
    const std::string message = e.what();
    FUZZ_CHECK(message.compare(0, prefix.size(), prefix) == 0);
    FUZZ_CHECK(message.find('\n') == std::string::npos);
  }
  unlink((prefix + ".idx").c_str());
  unlink((prefix + ".bin").c_str());
  rmdir(directory);
  return 0;
}
