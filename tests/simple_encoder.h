// A deliberately simple greedy matcher that knows nothing of tries: it takes the tokens from
// Decode, tries every length from the longest down, and takes the first that is a token. Tests
// and fuzz targets check the real encoder against it.

#ifndef RWKVTOK_TESTS_SIMPLE_ENCODER_H_
#define RWKVTOK_TESTS_SIMPLE_ENCODER_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/rwkvtok.h"
#include "tests/support.h"

namespace rwkvtok {
namespace testing {

class SimpleEncoder {
 public:
  explicit SimpleEncoder(const Tokenizer& tokenizer) {
    TokenTable table = MakeTokenTable(tokenizer);
    for (uint32_t id = 1; id < table.bytes.size(); ++id) {
      if (!table.valid[id]) continue;  // a gap in the id space
      tokens_.push_back(std::move(table.bytes[id]));
      ids_.push_back(id);
    }
    // Views into tokens_, which no longer changes.
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const std::string& token = tokens_[i];
      id_of_.emplace(token, ids_[i]);
      size_t& longest = longest_from_[Start(token)];
      longest = std::max(longest, token.size());
    }
  }

  // The matcher for Tokenizer::World(), made once.
  static const SimpleEncoder& World() {
    static const SimpleEncoder* const world = new SimpleEncoder(Tokenizer::World());
    return *world;
  }

  std::vector<uint32_t> Encode(std::string_view text) const {
    std::vector<uint32_t> ids;
    size_t pos = 0;
    while (pos < text.size()) {
      // Only lengths up to the longest token starting with the same two bytes can match.
      const std::string_view rest = text.substr(pos);
      size_t length = std::min(rest.size(), std::max<size_t>(1, longest_from_[Start(rest)]));
      for (;; --length) {
        const auto it = id_of_.find(rest.substr(0, length));
        if (it != id_of_.end()) {
          ids.push_back(it->second);
          pos += length;
          break;
        }
      }
    }
    return ids;
  }

  // The bytes of every token, in id order, gaps left out.
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  // The first two bytes of `s` (one if that is all it has), as a table index.
  static size_t Start(std::string_view s) {
    const size_t first = static_cast<uint8_t>(s[0]);
    return s.size() == 1 ? 65536 + first : first << 8 | static_cast<uint8_t>(s[1]);
  }

  std::vector<std::string> tokens_;
  std::vector<uint32_t> ids_;
  std::unordered_map<std::string_view, uint32_t> id_of_;
  std::vector<size_t> longest_from_ = std::vector<size_t>(65536 + 256, 0);
};

}  // namespace testing
}  // namespace rwkvtok

#endif  // RWKVTOK_TESTS_SIMPLE_ENCODER_H_
