// rwkvtok: encode, decode and count tokens of the World vocabulary from the command line.

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "lib/rwkvtok.h"

namespace {

constexpr char kUsage[] =
    "usage: rwkvtok encode [FILE|-]   print the token ids of the input, one per line\n"
    "       rwkvtok decode [FILE|-]   read whitespace-separated ids, write their bytes\n"
    "       rwkvtok count  [FILE|-]   print the number of tokens of the input\n"
    "With --text STRING instead of FILE, the input is STRING. Without either it is stdin.\n";

int Fail(const std::string& message) {
  std::cerr << "rwkvtok: " << message << "\n";
  return 1;
}

bool ReadInput(const std::string& path, std::string* data, std::string* error) {
  const bool is_stdin = path.empty() || path == "-";
  std::FILE* file = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) data->append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  if (!is_stdin) std::fclose(file);
  if (failed) {
    *error = "cannot read " + (is_stdin ? std::string("standard input") : path);
    return false;
  }
  return true;
}

std::vector<uint32_t> Encode(const rwkvtok::Tokenizer& tokenizer, const std::string& text) {
  std::vector<uint32_t> ids(text.size());  // at most one id per byte
  const rwkvtok::Result result = tokenizer.Encode(text.data(), text.size(), ids.data(), ids.size());
  ids.resize(result.count);
  return ids;
}

// Parses whitespace-separated decimal ids. Anything else is an error naming the word and its
// position (1-based, counting ids).
bool ParseIds(const std::string& text, std::vector<uint32_t>* ids, std::string* error) {
  size_t i = 0;
  while (true) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) return true;
    const size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::string word = text.substr(start, i - start);
    uint64_t value = 0;
    bool numeric = true;
    for (const char c : word) {
      numeric = numeric && c >= '0' && c <= '9';
      value = std::min<uint64_t>(value * 10 + static_cast<uint64_t>(c - '0'), 1ull << 32);
    }
    if (!numeric || value > 0xFFFFFFFFull) {
      *error = "invalid id '" + word + "' at position " + std::to_string(ids->size() + 1) +
               (numeric ? ": too large" : ": ids are decimal numbers");
      return false;
    }
    ids->push_back(static_cast<uint32_t>(value));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string command, path, text;
  bool has_text = false, has_path = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--text" && i + 1 < argc) {
      text = argv[++i];
      has_text = true;
    } else if (command.empty() && (arg == "encode" || arg == "decode" || arg == "count")) {
      command = arg;
    } else if (!has_path && !command.empty() && (arg == "-" || arg[0] != '-')) {
      path = arg;
      has_path = true;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (command.empty() || (has_text && has_path)) {
    std::cerr << kUsage;
    return 2;
  }
  std::string error;
  if (!has_text && !ReadInput(path, &text, &error)) return Fail(error);

  const rwkvtok::Tokenizer tokenizer = rwkvtok::Tokenizer::World();
  if (command == "encode" || command == "count") {
    const std::vector<uint32_t> ids = Encode(tokenizer, text);
    std::string out;
    if (command == "count") {
      out = std::to_string(ids.size()) + "\n";
    } else {
      for (const uint32_t id : ids) out += std::to_string(id) + "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else {
    std::vector<uint32_t> ids;
    if (!ParseIds(text, &ids, &error)) return Fail(error);
    // First measure (capacity 0), then decode into a buffer of exactly that size.
    rwkvtok::Result result = tokenizer.Decode(ids.data(), ids.size(), nullptr, 0);
    std::string bytes(result.status == rwkvtok::Status::kBufferTooSmall ? result.count : 0, '\0');
    if (!bytes.empty()) result = tokenizer.Decode(ids.data(), ids.size(), &bytes[0], bytes.size());
    if (result.status == rwkvtok::Status::kInvalidId) {
      return Fail("invalid id " + std::to_string(ids[result.position]) + " at position " +
                  std::to_string(result.position + 1) + ": it names no token (0 is end of text, " +
                  "tokens are 1.." + std::to_string(tokenizer.token_count() - 1) + ")");
    }
    if (!result.ok()) return Fail(rwkvtok::StatusMessage(result.status));
    std::fwrite(bytes.data(), 1, result.count, stdout);
  }
  if (std::fflush(stdout) != 0) return Fail("cannot write output");
  return 0;
}
