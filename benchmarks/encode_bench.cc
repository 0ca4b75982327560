// Throughput of Encode and Decode on every NAME.txt in a corpus directory:
// $RWKVTOK_CORPUS_DIR, else ../shared/corpus/bench beside the checkout.
//
//   bazel run //benchmarks:encode_bench
//   RWKVTOK_CORPUS_DIR=/some/dir bazel run //benchmarks:encode_bench -- --benchmark_filter=Encode
//
// bytes_per_second counts text bytes (the input of Encode, the output of Decode); tokens_per_second
// counts ids.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/rwkvtok.h"

namespace {

struct Corpus {
  std::string text;
  std::vector<uint32_t> ids;
};

std::string CorpusDir() {
  if (const char* dir = std::getenv("RWKVTOK_CORPUS_DIR")) return dir;
  // `bazel run` starts in the runfiles tree and says where the workspace is.
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    return std::string(workspace) + "/../shared/corpus/bench";
  }
  return "../shared/corpus/bench";
}

void SetRates(benchmark::State& state, const Corpus& corpus) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.text.size()));
  state.counters["tokens_per_second"] = benchmark::Counter(
      static_cast<double>(corpus.ids.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_token"] =
      static_cast<double>(corpus.text.size()) / std::max<size_t>(corpus.ids.size(), 1);
}

void BM_Encode(benchmark::State& state, const Corpus* corpus) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  std::vector<uint32_t> ids(corpus->text.size());
  for (auto _ : state) {
    const rwkvtok::Result r =
        tokenizer.Encode(corpus->text.data(), corpus->text.size(), ids.data(), ids.size());
    benchmark::DoNotOptimize(r.count);
    benchmark::ClobberMemory();
  }
  SetRates(state, *corpus);
}

void BM_Decode(benchmark::State& state, const Corpus* corpus) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  std::string bytes(corpus->text.size(), '\0');
  for (auto _ : state) {
    const rwkvtok::Result r =
        tokenizer.Decode(corpus->ids.data(), corpus->ids.size(), &bytes[0], bytes.size());
    benchmark::DoNotOptimize(r.count);
    benchmark::ClobberMemory();
  }
  SetRates(state, *corpus);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::string dir = CorpusDir();
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  if (files.empty()) {
    std::cerr << "encode_bench: no .txt files in " << dir << " (set RWKVTOK_CORPUS_DIR)\n";
    return 1;
  }
  std::sort(files.begin(), files.end());
  std::vector<Corpus> corpora(files.size());  // sized once: benchmarks keep pointers into it
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream file(files[i], std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    corpora[i].text = text.str();
    corpora[i].ids.resize(corpora[i].text.size());
    const rwkvtok::Result r = tokenizer.Encode(corpora[i].text.data(), corpora[i].text.size(),
                                               corpora[i].ids.data(), corpora[i].ids.size());
    corpora[i].ids.resize(r.count);
    const std::string stem = files[i].stem().string();
    benchmark::RegisterBenchmark(("BM_Encode/" + stem).c_str(), BM_Encode, &corpora[i]);
    benchmark::RegisterBenchmark(("BM_Decode/" + stem).c_str(), BM_Decode, &corpora[i]);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
