// Runs a fuzz target once on each file named on the command line, or on each file under each
// directory named, so that every saved input is replayed by `bazel test` without libFuzzer.
// `--optional DIR` names a directory that may be missing or empty (the shared corpus).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.h"

namespace fs = std::filesystem;

namespace {

size_t Replay(const fs::path& path) {
  if (fs::is_directory(path)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    size_t count = 0;
    for (const fs::path& file : files) count += Replay(file);
    return count;
  }
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const bool optional = std::string(argv[i]) == "--optional" && i + 1 < argc;
    const fs::path path = argv[optional ? ++i : i];
    if (!fs::exists(path)) {
      if (optional) continue;
      std::fprintf(stderr, "missing input: %s\n", path.c_str());
      return 1;
    }
    const size_t count = Replay(path);
    if (count == 0 && !optional) {
      std::fprintf(stderr, "no inputs under %s\n", path.c_str());
      return 1;
    }
    std::printf("%zu inputs from %s\n", count, path.c_str());
    total += count;
  }
  std::printf("replayed %zu inputs, all passed\n", total);
  return total == 0 ? 1 : 0;
}
