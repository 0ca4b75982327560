// What tests, fuzz targets and benchmarks share, on nothing but the C++ standard library and the
// library's own headers (lib/rwkvtok.h, lib/blob_format.h): header-only, so that every user links
// the library variant it means to test (the encode-only and decode-only tests link a half
// library), needs no test framework (the fuzz targets build with libFuzzer alone, outside Bazel,
// in tools/fuzz.sh), and no build system has to know more than an include path. The GoogleTest
// layer on top of it is tests/test_util.h.
//
// Finding test data. Files of the source tree or the build (lib/world_blob.bin) are named by their
// path in the workspace; DataPath(path) looks, in this order:
//   1. $RWKVTOK_TEST_DATA_DIR/path, when that is set (a build that runs tests from its own tree,
//      such as CMake with ctest, points it at the directory holding lib/ and tests/);
//   2. $TEST_SRCDIR/$TEST_WORKSPACE/path under `bazel test` (the runfiles; TEST_WORKSPACE is
//      "rwkvtok" when unset);
//   3. path itself, relative to the working directory: `bazel run` starts a program in its
//      runfiles tree, where its data (generated files included) has the same layout, and a
//      program started by hand from a checkout finds the source files.
// The corpus kept beside the checkout (../shared/corpus, with a public/ and a bench/ part) is not
// in the workspace; CorpusDir(part) looks, in this order:
//   1. $RWKVTOK_CORPUS_DIR/part, when that is set (the corpus root, holding public/ and bench/);
//   2. $TEST_SRCDIR/corpus/part under `bazel test` (the @corpus repository, third_party/corpus.bzl,
//      for targets that list @corpus//:public or @corpus//:bench among their data);
//   3. $BUILD_WORKSPACE_DIRECTORY/../shared/corpus/part under `bazel run`;
//   4. ../shared/corpus/part, relative to the working directory.
// Tests run without the corpus too: where it is missing, CorpusStems finds nothing.

#ifndef RWKVTOK_TESTS_SUPPORT_H_
#define RWKVTOK_TESTS_SUPPORT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/blob_format.h"
#include "lib/rwkvtok.h"

namespace rwkvtok {
namespace testing {

// Sanitized builds run several times slower; tests that sample large inputs take smaller samples
// there, to stay well inside the time limit.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
// The aarch64 builds' tests run under qemu-aarch64 here, also several times slower. Tests of the
// compact profile, itself a tenth as fast, sample less in both.
#if defined(__aarch64__)
constexpr bool kEmulated = true;
#else
constexpr bool kEmulated = false;
#endif
constexpr bool kSlowBuild = kSanitized || kEmulated;

// --- Test data ----------------------------------------------------------------------------------

// Where the file at `path` in the workspace is (see the top of this file).
inline std::string DataPath(const std::string& path) {
  if (const char* dir = std::getenv("RWKVTOK_TEST_DATA_DIR")) return std::string(dir) + "/" + path;
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    const char* workspace = std::getenv("TEST_WORKSPACE");
    return std::string(srcdir) + "/" + (workspace ? workspace : "rwkvtok") + "/" + path;
  }
  return path;
}

// The directory of corpus part `part` ("public" or "bench"; see the top of this file).
inline std::string CorpusDir(const std::string& part) {
  if (const char* root = std::getenv("RWKVTOK_CORPUS_DIR")) return std::string(root) + "/" + part;
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    return std::string(srcdir) + "/corpus/" + part;
  }
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    return std::string(workspace) + "/../shared/corpus/" + part;
  }
  return "../shared/corpus/" + part;
}

// The stems of the NAME.txt files of corpus part `part` that have a NAME.ids beside them, sorted;
// empty when the corpus is not there.
inline std::vector<std::string> CorpusStems(const std::string& part) {
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

// The file's bytes, or its first `limit` bytes; false when it cannot be opened or read.
inline bool ReadFile(const std::string& path, std::string* bytes,
                     size_t limit = std::numeric_limits<size_t>::max()) {
  bytes->clear();
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  char chunk[1 << 16];
  while (bytes->size() < limit) {
    file.read(chunk, static_cast<std::streamsize>(std::min(sizeof(chunk), limit - bytes->size())));
    bytes->append(chunk, static_cast<size_t>(file.gcount()));
    if (!file) break;
  }
  return !file.bad();
}

// Decimal ids, one per line (the corpus .ids format).
inline std::vector<uint32_t> ParseIdLines(const std::string& text) {
  std::vector<uint32_t> ids;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) ids.push_back(static_cast<uint32_t>(std::stoul(line)));
  return ids;
}

// --- Blobs --------------------------------------------------------------------------------------

// A blob file in 4-byte aligned memory, as an application would map it, with a spare word after
// it so that tests can shift it by a byte or extend it by a word.
struct BlobFile {
  std::vector<uint32_t> words;
  size_t size = 0;
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(words.data()); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(words.data()); }
};

inline bool ReadBlobFile(const std::string& path, BlobFile* blob) {
  std::string file;
  if (!ReadFile(path, &file)) return false;
  blob->size = file.size();
  blob->words.assign(file.size() / 4 + 2, 0);
  std::memcpy(blob->words.data(), file.data(), file.size());
  return true;
}

// The World vocabulary's blob as a file (lib/world_blob.bin, generated by //lib:world_blob).
inline bool ReadWorldBlob(BlobFile* blob) {
  return ReadBlobFile(DataPath("lib/world_blob.bin"), blob);
}

// --- Profiles -----------------------------------------------------------------------------------

// The built-in World vocabulary's two profiles, for the tests that run on both.
enum class Profile { kFull, kCompact };
constexpr Profile kProfiles[] = {Profile::kFull, Profile::kCompact};

inline Tokenizer World(Profile profile) {
  return profile == Profile::kFull ? Tokenizer::World() : Tokenizer::WorldCompact();
}
inline const char* ProfileName(Profile profile) {
  return profile == Profile::kFull ? "full" : "compact";
}
// The profile the tests of this run use, where a test file runs whole on either: compact when
// RWKVTOK_TEST_PROFILE is "compact" (a second test target runs it so), else full.
inline Profile TestProfile() {
  const char* profile = std::getenv("RWKVTOK_TEST_PROFILE");
  return profile != nullptr && std::string(profile) == "compact" ? Profile::kCompact
                                                                 : Profile::kFull;
}
inline Tokenizer TestWorld() { return World(TestProfile()); }

// The profile's blob as a file (lib/world_blob.bin or lib/world_compact.bin).
inline bool ReadWorldBlob(Profile profile, BlobFile* blob) {
  return ReadBlobFile(
      DataPath(profile == Profile::kFull ? "lib/world_blob.bin" : "lib/world_compact.bin"), blob);
}

// Recomputes the vocabulary checksum of the `size` bytes at `b` as a forger would, over the token
// entries as they are, so that damage to them reaches the structural checks behind the checksum.
// Any bytes may be offered: when the header's sizes or an entry point outside the bytes, nothing
// is written and the result is false.
inline bool ForgeVocabChecksum(uint8_t* b, size_t size) {
  if (size < blob::kHeaderSize) return false;
  const uint32_t token_count = blob::LoadU32(b + blob::kTokenCountOffset);
  const uint32_t token_bytes_size = blob::LoadU32(b + blob::kTokenBytesSizeOffset);
  const blob::Layout layout =
      blob::LayoutFor(blob::LoadU32(b + blob::kUnitCountOffset), token_count, token_bytes_size);
  if (layout.total_size > size) return false;
  const uint8_t* entries = b + layout.token_entries;
  uint64_t checksum = blob::kFnvOffsetBasis;
  for (uint32_t id = 0; id < token_count; ++id) {
    const uint32_t entry = blob::LoadU32(entries + 4 * id);
    if (entry == blob::kGapEntry) continue;
    const uint32_t offset = blob::EntryOffset(entry), length = blob::EntryLength(entry);
    if (uint64_t{offset} + length > token_bytes_size) return false;
    if (length != 0) {
      checksum = blob::VocabChecksumStep(checksum, id, b + layout.token_bytes + offset, length);
    }
  }
  blob::StoreU64(b + blob::kVocabChecksumOffset, checksum);
  return true;
}

// Recomputes the body checksum, after a deliberate change or a forged vocabulary checksum; false
// (and nothing written) when the bytes are too few for a header.
inline bool ForgeBodyChecksum(uint8_t* b, size_t size) {
  if (size < blob::kHeaderSize) return false;
  blob::StoreU64(b + blob::kBodyChecksumOffset,
                 blob::Fnv1a64(b + blob::kHeaderSize, size - blob::kHeaderSize));
  return true;
}

// --- Tokens -------------------------------------------------------------------------------------

// Every id's bytes as Decode gives them one id at a time (the exact path, which other paths are
// checked against), and whether Decode accepts the id; index = id, below token_count(). Id 0 (end
// of text) is valid with no bytes; a gap in the id space is invalid with no bytes.
struct TokenTable {
  std::vector<std::string> bytes;
  std::vector<bool> valid;
};

inline TokenTable MakeTokenTable(const Tokenizer& tokenizer) {
  TokenTable table;
  for (uint32_t id = 0; id < tokenizer.token_count(); ++id) {
    std::string bytes(tokenizer.max_token_length(), '\0');
    const Result r = tokenizer.Decode(&id, 1, &bytes[0], bytes.size());
    bytes.resize(r.ok() ? r.count : 0);
    table.bytes.push_back(std::move(bytes));
    table.valid.push_back(r.ok());
  }
  return table;
}

// The table of Tokenizer::World(), made once.
inline const TokenTable& WorldTokens() {
  static const TokenTable* const table = new TokenTable(MakeTokenTable(Tokenizer::World()));
  return *table;
}

// --- Generated inputs ---------------------------------------------------------------------------

inline size_t Uniform(std::mt19937_64& rng, size_t low, size_t high) {
  return std::uniform_int_distribution<size_t>(low, high)(rng);
}

// The UTF-8 encoding of code point `cp` (surrogates too, which makes them invalid UTF-8).
inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Random text in one or several scripts, up to `max_chars` characters.
inline std::string RandomUtf8(std::mt19937_64& rng, size_t max_chars) {
  static const std::pair<uint32_t, uint32_t> kRanges[] = {
      {0x20, 0x7E},     {0xA0, 0x24F},      {0x370, 0x3FF},     {0x400, 0x4FF},   {0x600, 0x6FF},
      {0x900, 0x97F},   {0xE00, 0xE7F},     {0x3040, 0x30FF},   {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3},
      {0xE000, 0xFFFD}, {0x1F300, 0x1FAFF}, {0x10000, 0x10FFFF}};
  std::string text;
  const size_t script = Uniform(rng, 0, std::size(kRanges) - 1);
  const size_t length = Uniform(rng, 0, max_chars);
  for (size_t i = 0; i < length; ++i) {
    const size_t pick = Uniform(rng, 0, 9);
    const auto& range =
        pick < 6 ? kRanges[script] : kRanges[Uniform(rng, 0, std::size(kRanges) - 1)];
    if (pick == 9) {
      text += ' ';
    } else {
      AppendUtf8(static_cast<uint32_t>(Uniform(rng, range.first, range.second)), &text);
    }
  }
  return text;
}

// Random bytes, up to `max_size`; half the time from a few byte values only, which makes long
// matches likelier.
inline std::string RandomBytes(std::mt19937_64& rng, size_t max_size) {
  std::string text(Uniform(rng, 0, max_size), '\0');
  const size_t alphabet = Uniform(rng, 0, 1) ? 256 : Uniform(rng, 2, 8);
  const size_t offset = Uniform(rng, 0, 255);
  for (char& c : text) c = static_cast<char>((offset + Uniform(rng, 0, alphabet - 1)) & 0xFF);
  return text;
}

// Byte strings aimed at the UTF-8 rules: valid characters of every length, each of them cut
// short, overlongs (C0 80, C1 BF, E0 80..9F, F0 80..8F), surrogates (ED A0..BF), code points
// above U+10FFFF (F4 90.., F5..FF), lone and surplus continuation bytes, ASCII between them.
inline std::string AdversarialUtf8(std::mt19937_64& rng) {
  static const char* const kPieces[] = {"a",
                                        " ",
                                        "\x7f",
                                        "\xc2\xa9",
                                        "\xdf\xbf",
                                        "\xe0\xa0\x80",
                                        "\xe4\xb8\xad",
                                        "\xed\x9f\xbf",
                                        "\xee\x80\x80",
                                        "\xef\xbf\xbd",
                                        "\xf0\x90\x80\x80",
                                        "\xf0\x9f\x98\x80",
                                        "\xf4\x8f\xbf\xbf",
                                        "\xf3\xbf\xbf\xbf",
                                        "\xc2",
                                        "\xdf",
                                        "\xe0",
                                        "\xe0\xa0",
                                        "\xe4",
                                        "\xe4\xb8",
                                        "\xed",
                                        "\xed\x9f",
                                        "\xf0",
                                        "\xf0\x9f",
                                        "\xf0\x9f\x98",
                                        "\xf4",
                                        "\xf4\x8f",
                                        "\xf4\x8f\xbf",
                                        "\xc0\x80",
                                        "\xc1\xbf",
                                        "\xc0",
                                        "\xc1",
                                        "\xe0\x80\x80",
                                        "\xe0\x9f\xbf",
                                        "\xe0\x80",
                                        "\xf0\x80\x80\x80",
                                        "\xf0\x8f\xbf\xbf",
                                        "\xf0\x8f",
                                        "\xed\xa0\x80",
                                        "\xed\xbf\xbf",
                                        "\xed\xa0",
                                        "\xf4\x90\x80\x80",
                                        "\xf4\x90",
                                        "\xf5\x80\x80\x80",
                                        "\xf5",
                                        "\xf7\xbf",
                                        "\xf8\x88\x80\x80\x80",
                                        "\xfc",
                                        "\xfe",
                                        "\xff",
                                        "\x80",
                                        "\x8f",
                                        "\x90",
                                        "\x9f",
                                        "\xa0",
                                        "\xbf",
                                        "\x80\x80\x80\x80",
                                        "\xe4\xb8\xad\xad",
                                        "\xf0\x9f\x98\x80\x80"};
  std::string text;
  const size_t pieces = Uniform(rng, 1, 12);
  for (size_t p = 0; p < pieces; ++p) {
    if (Uniform(rng, 0, 9) == 0) {
      text += static_cast<char>(Uniform(rng, 0, 255));
    } else {
      text += kPieces[Uniform(rng, 0, std::size(kPieces) - 1)];
    }
  }
  return text;
}

// Bytes in hex for failure messages, cut after 160 so that long inputs stay readable.
inline std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes.substr(0, 160)) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
    out += ' ';
  }
  return bytes.size() > 160 ? out + "..." : out;
}

}  // namespace testing
}  // namespace rwkvtok

#endif  // RWKVTOK_TESTS_SUPPORT_H_
