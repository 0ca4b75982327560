// Throughput of Encode and Decode on every NAME.txt of the corpus's bench part, found as the tests
// find it (tests/support.h: $RWKVTOK_CORPUS_DIR/bench, else ../shared/corpus/bench beside the
// checkout), and on a generated adversarial text ("adversarial": near misses of the longest
// tokens, which make a longest-match walk go far and fall back).
//
//   bazel run //benchmarks:encode_bench
//   RWKVTOK_CORPUS_DIR=/my/corpus bazel run //benchmarks:encode_bench -- --benchmark_filter=Encode
//
//   BM_Encode/<name>           Encode as an application calls it (uint32_t ids, room for all)
//   BM_Encode16/<name>         the same with uint16_t ids
//   BM_EncodePlain/<name>      the plain walk (Internal::EncodePlain), which Encode takes where
//                              lanes do not pay
//   BM_EncodeBaseline/<name>   the simplest correct double-array walk over the same blob
//   BM_EncodeLanes/<T>/<K>/<name>  the lane encoder forced onto Highway target T and kernel K
//                              (gathers, windows: lib/tuning.h); SCALAR is its scalar twin
//   BM_EncodeParts/<n>/<name>  the text cut into n parts, encoded on n threads (the calling one
//                              and n - 1 started once), joined
//   BM_EncodeShort/<n>/<name>  prompt-sized calls: pieces of n bytes (16 to 4096) cut from the
//                              text, one Encode each; ns_per_call. BM_EncodePlainShort: the plain
//                              walk on the same pieces, called as a function of its own
//   BM_EncodeEach/<name>       the text cut into 4 KB documents, Encode on each in turn
//   BM_EncodeTexts/<name>      the same documents in one EncodeTexts call
//   BM_Decode/<name>
//   BM_EncodeCompact/<name>, BM_DecodeCompact/<name>: the compact profile's trie (lib/compact.h),
//                              built from World's tokens at start, one token at a time
//   BM_ValidateWorldBlob       Validate on the World blob file (what FromBlob costs beyond it)
//
// bytes_per_second counts text bytes (the input of Encode, the output of Decode); tokens_per_second
// counts ids.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "hwy/targets.h"
#include "lib/blob_format.h"
#include "lib/compact.h"
#include "lib/internal.h"
#include "lib/lanes.h"
#include "lib/rwkvtok.h"
#include "lib/segments.h"
#include "lib/targets.h"
#include "lib/world_blob.h"
#include "tests/support.h"
#include "tools/compact_builder.h"

namespace {

struct Corpus {
  std::string text;
  std::vector<uint32_t> ids;
};

void SetRates(benchmark::State& state, const Corpus& corpus) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.text.size()));
  state.counters["tokens_per_second"] = benchmark::Counter(
      static_cast<double>(corpus.ids.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_token"] =
      static_cast<double>(corpus.text.size()) / std::max<size_t>(corpus.ids.size(), 1);
}

// Encode with `Id` ids and room for all.
template <typename Id>
void BM_Encode(benchmark::State& state, const Corpus* corpus) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  std::vector<Id> ids(corpus->text.size());
  rwkvtok::Result r{};
  for (auto _ : state) {
    r = tokenizer.Encode(corpus->text.data(), corpus->text.size(), ids.data(), ids.size());
    benchmark::DoNotOptimize(r.count);
    benchmark::ClobberMemory();
  }
  ids.resize(r.count);
  if (!std::equal(ids.begin(), ids.end(), corpus->ids.begin(), corpus->ids.end())) {
    state.SkipWithError("ids differ");
  }
  SetRates(state, *corpus);
}

// The plain walk, as Encode takes it on every CPU without wide vectors, on microcontrollers and
// for texts too short for the lanes.
void BM_EncodePlain(benchmark::State& state, const Corpus* corpus) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  std::vector<uint32_t> ids(corpus->text.size());
  size_t count = 0;
  for (auto _ : state) {
    count = rwkvtok::Internal::EncodePlain(tokenizer,
                                           reinterpret_cast<const uint8_t*>(corpus->text.data()),
                                           corpus->text.size(), ids.data(), ids.size());
    benchmark::DoNotOptimize(count);
    benchmark::ClobberMemory();
  }
  ids.resize(count);
  if (ids != corpus->ids) state.SkipWithError("plain ids differ");
  SetRates(state, *corpus);
}

// The baseline: a plain double-array walk straight over the blob's sections, kept as simple as
// possible so that every speed-up is measured against it.
size_t EncodeBaseline(const uint8_t* in, size_t size, uint32_t* ids) {
  namespace blob = rwkvtok::blob;
  const uint32_t* units = rwkvtok::world_blob::kUnits;
  size_t count = 0;
  size_t pos = 0;
  while (pos < size) {
    uint32_t node = units[blob::kRootUnit];
    uint32_t token_unit = 0;
    size_t token_end = pos;
    for (size_t i = pos; i < size; ++i) {
      const uint32_t child = blob::UnitBase(node) + in[i];
      if ((units[child] & blob::kUnitCheckMask) != blob::ExpectedCheck(node, in[i])) break;
      if (blob::UnitIsToken(units[child])) {
        token_unit = child;
        token_end = i + 1;
      }
      node = units[child];
    }
    const uint32_t unit = units[token_unit];
    if (blob::UnitHasIdInBase(unit)) {
      ids[count++] = blob::UnitBase(unit);
    } else {
      ids[count++] = blob::UnitBase(units[blob::UnitBase(unit) - 1]);
    }
    pos = token_end;
  }
  return count;
}

void BM_EncodeBaseline(benchmark::State& state, const Corpus* corpus) {
  std::vector<uint32_t> ids(corpus->text.size());
  size_t count = 0;
  for (auto _ : state) {
    count = EncodeBaseline(reinterpret_cast<const uint8_t*>(corpus->text.data()),
                           corpus->text.size(), ids.data());
    benchmark::DoNotOptimize(count);
    benchmark::ClobberMemory();
  }
  ids.resize(count);
  if (ids != corpus->ids) state.SkipWithError("baseline ids differ");
  SetRates(state, *corpus);
}

void BM_EncodeLanes(benchmark::State& state, const Corpus* corpus, int64_t target,
                    rwkvtok::lanes::Kernel kernel) {
  rwkvtok::targets::RestrictForTest(target);
  const size_t lane_count = rwkvtok::lanes::LaneCount();
  std::vector<uint32_t> ids(corpus->text.size());
  size_t count = 0;
  for (auto _ : state) {
    count = rwkvtok::EncodeInLanes(rwkvtok::Tokenizer::World(), kernel, lane_count,
                                   reinterpret_cast<const uint8_t*>(corpus->text.data()),
                                   corpus->text.size(), 0, corpus->text.size(), ids.data(),
                                   rwkvtok::kLaneMinSegment, rwkvtok::Align::kLeft,
                                   rwkvtok::lanes::LaneSpan())
                .count;
    benchmark::DoNotOptimize(count);
    benchmark::ClobberMemory();
  }
  rwkvtok::targets::RestrictForTest(0);
  ids.resize(count);
  if (ids != corpus->ids) state.SkipWithError("lane ids differ");
  SetRates(state, *corpus);
}

// Prompt-sized inputs: kShortPieces pieces of `bytes` bytes cut from the text at offsets spread
// over it, each encoded in its own call, as a runtime encodes a prompt. Reports ns per call;
// `plain` takes the plain walk, else Encode's own choice.
constexpr size_t kShortPieces = 1000;

// The plain walk as a call of its own, as Encode is one: prompt-sized calls then compare the
// paths' costs, not a walk inlined into the benchmark's loop against a library call.
RWKVTOK_NOINLINE size_t PlainWalkCall(const rwkvtok::Tokenizer& tok, const uint8_t* in, size_t size,
                                      uint32_t* ids, size_t capacity) {
  return rwkvtok::Internal::EncodePlain(tok, in, size, ids, capacity);
}

void BM_EncodeShort(benchmark::State& state, const Corpus* corpus, size_t bytes, bool plain) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  const std::string& text = corpus->text;
  std::vector<size_t> offsets;
  for (size_t i = 0; i < kShortPieces && text.size() > bytes; ++i) {
    offsets.push_back((text.size() - bytes) / kShortPieces * i);
  }
  std::vector<uint32_t> ids(bytes);
  for (auto _ : state) {
    for (const size_t offset : offsets) {
      if (plain) {
        benchmark::DoNotOptimize(
            PlainWalkCall(tokenizer, reinterpret_cast<const uint8_t*>(text.data()) + offset, bytes,
                          ids.data(), bytes));
      } else {
        const rwkvtok::Result r = tokenizer.Encode(text.data() + offset, bytes, ids.data(), bytes);
        benchmark::DoNotOptimize(r.count);
      }
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * offsets.size() * bytes));
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(offsets.size()) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Documents of a corpus, as binidx sees them: the text cut every 4 KB.
std::vector<size_t> DocumentEnds(const std::string& text) {
  std::vector<size_t> ends;
  for (size_t end = 0; end < text.size();) {
    end = std::min(text.size(), end + 4096);
    ends.push_back(end);
  }
  return ends;
}

void BM_EncodeEach(benchmark::State& state, const Corpus* corpus) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  const std::vector<size_t> ends = DocumentEnds(corpus->text);
  std::vector<uint32_t> ids(corpus->text.size());
  for (auto _ : state) {
    size_t begin = 0;
    for (const size_t end : ends) {
      const rwkvtok::Result r = tokenizer.Encode(corpus->text.data() + begin, end - begin,
                                                 ids.data() + begin, end - begin);
      benchmark::DoNotOptimize(r.count);
      begin = end;
    }
    benchmark::ClobberMemory();
  }
  SetRates(state, *corpus);
}

void BM_EncodeTexts(benchmark::State& state, const Corpus* corpus) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  const std::vector<size_t> ends = DocumentEnds(corpus->text);
  std::vector<uint32_t> ids(corpus->text.size()), each(ids.size());
  std::vector<size_t> counts(ends.size());
  for (auto _ : state) {
    const rwkvtok::Status status = tokenizer.EncodeTexts(corpus->text.data(), ends.data(),
                                                         ends.size(), ids.data(), counts.data());
    benchmark::DoNotOptimize(status);
    benchmark::ClobberMemory();
  }
  size_t begin = 0;
  for (size_t i = 0; i < ends.size(); begin = ends[i++]) {
    const rwkvtok::Result r =
        tokenizer.Encode(corpus->text.data() + begin, ends[i] - begin, each.data(), each.size());
    if (r.count != counts[i] || !std::equal(each.begin(), each.begin() + r.count,
                                            ids.begin() + static_cast<ptrdiff_t>(begin))) {
      state.SkipWithError("EncodeTexts ids differ from Encode's");
    }
  }
  SetRates(state, *corpus);
}

// As an application with a pool of threads would run it: the workers are started once and wait
// (spinning, as a pool under load would not sleep) for each round; the calling thread encodes the
// first part itself, then joins.
void BM_EncodeParts(benchmark::State& state, const Corpus* corpus, size_t threads) {
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  const std::string& text = corpus->text;
  std::vector<uint32_t> ids(text.size());
  std::vector<rwkvtok::Tokenizer::Part> parts(threads);
  const auto encode_part = [&](size_t k) {
    parts[k] = {text.size() * k / threads, text.size() * (k + 1) / threads, 0, 0, 0};
    (void)tokenizer.EncodePart(text.data(), text.size(), &parts[k], ids.data());
  };
  std::atomic<uint64_t> round{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (size_t k = 1; k < threads; ++k) {
    workers.emplace_back([&, k] {
      for (uint64_t seen = 0;;) {
        while (round.load(std::memory_order_acquire) == seen) {
          if (stop.load(std::memory_order_relaxed)) return;
        }
        ++seen;
        encode_part(k);
        done.fetch_add(1, std::memory_order_release);
      }
    });
  }
  rwkvtok::Result joined{};
  for (auto _ : state) {
    done.store(0, std::memory_order_relaxed);
    round.fetch_add(1, std::memory_order_release);
    encode_part(0);
    while (done.load(std::memory_order_acquire) != threads - 1) {
    }
    joined = tokenizer.JoinParts(text.data(), text.size(), parts.data(), threads, ids.data());
    benchmark::DoNotOptimize(joined);
    benchmark::ClobberMemory();
  }
  stop.store(true);
  for (std::thread& worker : workers) worker.join();
  const std::vector<uint32_t> joined_ids(ids.begin() + joined.position,
                                         ids.begin() + joined.position + joined.count);
  if (!joined.ok() || joined_ids != corpus->ids) state.SkipWithError("ids differ");
  SetRates(state, *corpus);
}

// Near misses of long tokens: each token cut before its last byte and followed by a byte that
// ends the walk there, kept where the walk then falls back at least 16 bytes (the longest token
// starting there is short). Repeated to about 10 MB, this makes a longest-match walk read most
// bytes many times.
std::string AdversarialText(const rwkvtok::Tokenizer& tok) {
  const rwkvtok::testing::TokenTable table = rwkvtok::testing::MakeTokenTable(tok);
  std::string pieces;
  for (uint32_t id = 1; id < table.bytes.size(); ++id) {
    if (!table.valid[id] || table.bytes[id].size() < 17) continue;
    std::string bytes = table.bytes[id];
    bytes.resize(bytes.size() - 1);
    bytes += '\x01';
    const size_t first_token = tok.Prefix(bytes.data(), bytes.size(), 1).count;
    if (bytes.size() - 1 - first_token >= 16) pieces += bytes;
  }
  std::string text;
  while (!pieces.empty() && text.size() < 10000000) text += pieces;
  return text;
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

// World's compact blob, built from its tokens.
struct CompactWorld {
  std::vector<uint64_t> words;  // the blob, 8-aligned
  rwkvtok::compact::Trie trie{};
};

bool MakeCompactWorld(CompactWorld* out) {
  const rwkvtok::testing::TokenTable table =
      rwkvtok::testing::MakeTokenTable(rwkvtok::Tokenizer::World());
  std::vector<rwkvtok::tools::VocabToken> tokens;
  for (uint32_t id = 1; id < table.bytes.size(); ++id) {
    if (table.valid[id]) tokens.push_back({id, table.bytes[id], id});
  }
  std::vector<uint8_t> blob;
  std::string error;
  if (!rwkvtok::tools::BuildCompactBlob(tokens, &blob, nullptr, &error)) {
    std::cerr << "encode_bench: " << error << "\n";
    return false;
  }
  out->words.resize(blob.size() / 8 + 1);
  std::memcpy(out->words.data(), blob.data(), blob.size());
  return rwkvtok::compact::View(out->words.data(), blob.size(), &out->trie) == rwkvtok::Status::kOk;
}

void BM_EncodeCompact(benchmark::State& state, const Corpus* corpus, const CompactWorld* world) {
  std::vector<uint32_t> ids(corpus->text.size());
  const uint8_t* in = reinterpret_cast<const uint8_t*>(corpus->text.data());
  const size_t size = corpus->text.size();
  size_t count = 0;
  for (auto _ : state) {
    count = 0;
    for (size_t pos = 0; pos < size;) {
      const rwkvtok::Match m = rwkvtok::compact::LongestMatch(world->trie, in + pos, size - pos);
      ids[count++] = m.id;
      pos += m.length;
    }
    benchmark::DoNotOptimize(count);
    benchmark::ClobberMemory();
  }
  ids.resize(count);
  if (ids != corpus->ids) state.SkipWithError("compact ids differ");
  SetRates(state, *corpus);
}

void BM_DecodeCompact(benchmark::State& state, const Corpus* corpus, const CompactWorld* world) {
  std::string bytes(corpus->text.size(), '\0');
  uint8_t* out = reinterpret_cast<uint8_t*>(&bytes[0]);
  for (auto _ : state) {
    size_t pos = 0;
    for (const uint32_t id : corpus->ids) {
      pos += rwkvtok::compact::CopyTokenPart(world->trie, id, 0, SIZE_MAX, out + pos);
    }
    benchmark::DoNotOptimize(pos);
    benchmark::ClobberMemory();
  }
  if (bytes != corpus->text) state.SkipWithError("compact bytes differ");
  SetRates(state, *corpus);
}

void BM_ValidateWorldBlob(benchmark::State& state, const rwkvtok::testing::BlobFile* blob) {
  for (auto _ : state) {
    const rwkvtok::Status status = rwkvtok::Validate(blob->bytes(), blob->size);
    if (status != rwkvtok::Status::kOk) state.SkipWithError(rwkvtok::StatusMessage(status));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * blob->size));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::string dir = rwkvtok::testing::CorpusDir("bench");
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  if (files.empty()) {
    std::cerr << "encode_bench: no .txt files in " << dir
              << " (set RWKVTOK_CORPUS_DIR to the corpus, the directory that holds bench/)\n";
    return 1;
  }
  std::sort(files.begin(), files.end());
  std::vector<std::pair<std::string, std::string>> texts;
  for (const auto& path : files) {
    std::string text;
    if (!rwkvtok::testing::ReadFile(path.string(), &text)) {
      std::cerr << "encode_bench: cannot read " << path << "\n";
      return 1;
    }
    texts.emplace_back(path.stem().string(), std::move(text));
  }
  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  texts.emplace_back("adversarial", AdversarialText(tokenizer));

  static CompactWorld compact_world;
  if (!MakeCompactWorld(&compact_world)) return 1;
  std::vector<Corpus> corpora(texts.size());  // sized once: benchmarks keep pointers into it
  for (size_t i = 0; i < texts.size(); ++i) {
    Corpus& corpus = corpora[i];
    corpus.text = texts[i].second;
    corpus.ids.resize(corpus.text.size());
    const rwkvtok::Result r = tokenizer.Encode(corpus.text.data(), corpus.text.size(),
                                               corpus.ids.data(), corpus.ids.size());
    corpus.ids.resize(r.count);
    const std::string& stem = texts[i].first;
    benchmark::RegisterBenchmark(("BM_EncodeBaseline/" + stem).c_str(), BM_EncodeBaseline, &corpus);
    benchmark::RegisterBenchmark(("BM_Encode/" + stem).c_str(), BM_Encode<uint32_t>, &corpus);
    benchmark::RegisterBenchmark(("BM_Encode16/" + stem).c_str(), BM_Encode<uint16_t>, &corpus);
    benchmark::RegisterBenchmark(("BM_EncodePlain/" + stem).c_str(), BM_EncodePlain, &corpus);
    std::vector<int64_t> targets;
    rwkvtok::targets::ForEachSupported(HWY_TARGETS, [&](int64_t t) { targets.push_back(t); });
    for (const int64_t target : targets) {
      for (const auto kernel :
           {rwkvtok::lanes::Kernel::kGathers, rwkvtok::lanes::Kernel::kWindows}) {
        const char* kernel_name =
            kernel == rwkvtok::lanes::Kernel::kGathers ? "gathers" : "windows";
        benchmark::RegisterBenchmark(("BM_EncodeLanes/" + std::string(hwy::TargetName(target)) +
                                      "/" + kernel_name + "/" + stem)
                                         .c_str(),
                                     BM_EncodeLanes, &corpus, target, kernel);
      }
    }
    for (const size_t threads : {1, 2}) {
      benchmark::RegisterBenchmark(
          ("BM_EncodeParts/" + std::to_string(threads) + "/" + stem).c_str(), BM_EncodeParts,
          &corpus, threads)
          ->UseRealTime();
    }
    for (const size_t bytes : {16, 64, 256, 1024, 4096}) {
      const std::string size = std::to_string(bytes) + "/" + stem;
      benchmark::RegisterBenchmark(("BM_EncodeShort/" + size).c_str(), BM_EncodeShort, &corpus,
                                   bytes, false);
      benchmark::RegisterBenchmark(("BM_EncodePlainShort/" + size).c_str(), BM_EncodeShort, &corpus,
                                   bytes, true);
    }
    benchmark::RegisterBenchmark(("BM_EncodeEach/" + stem).c_str(), BM_EncodeEach, &corpus);
    benchmark::RegisterBenchmark(("BM_EncodeTexts/" + stem).c_str(), BM_EncodeTexts, &corpus);
    benchmark::RegisterBenchmark(("BM_Decode/" + stem).c_str(), BM_Decode, &corpus);
    benchmark::RegisterBenchmark(("BM_EncodeCompact/" + stem).c_str(), BM_EncodeCompact, &corpus,
                                 &compact_world);
    benchmark::RegisterBenchmark(("BM_DecodeCompact/" + stem).c_str(), BM_DecodeCompact, &corpus,
                                 &compact_world);
  }
  // Left out when the blob file is not where tests/support.h looks (bazel run puts it there).
  rwkvtok::testing::BlobFile blob;
  if (rwkvtok::testing::ReadWorldBlob(&blob) && blob.size != 0) {
    benchmark::RegisterBenchmark("BM_ValidateWorldBlob", BM_ValidateWorldBlob, &blob)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
