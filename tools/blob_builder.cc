#include "tools/blob_builder.h"

#include <algorithm>
#include <cstdio>
#include <deque>

#include "lib/blob_format.h"

namespace rwkvtok {
namespace tools {
namespace {

struct TrieNode {
  std::vector<std::pair<uint8_t, uint32_t>> children;  // sorted by byte
  int32_t token = -1;
};

std::vector<TrieNode> BuildTrie(const std::vector<VocabToken>& tokens) {
  std::vector<TrieNode> nodes(1);
  for (const VocabToken& token : tokens) {
    uint32_t node = 0;
    for (const char c : token.bytes) {
      const uint8_t byte = static_cast<uint8_t>(c);
      auto& children = nodes[node].children;
      auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, 0u));
      if (it == children.end() || it->first != byte) {
        const uint32_t child = static_cast<uint32_t>(nodes.size());
        it = children.insert(it, {byte, child});
        node = child;
        nodes.emplace_back();  // invalidates `children`; not used again
      } else {
        node = it->second;
      }
    }
    nodes[node].token = static_cast<int32_t>(token.id);
  }
  return nodes;
}

// Places the trie into a double array, breadth first so that the nodes near the root, which
// every token passes through, end up close together. Each node's children go at the lowest free
// base that no other node uses, with a free unit below them for the id of an inner token.
class DoubleArrayPlacer {
 public:
  explicit DoubleArrayPlacer(const std::vector<TrieNode>& nodes) : nodes_(nodes) {}

  bool Place(BlobSections* out, std::string* error) {
    std::vector<uint32_t> unit_of(nodes_.size(), 0);
    std::vector<uint32_t> base_of(nodes_.size(), 0);
    std::vector<uint8_t> label_of(nodes_.size(), 0);
    Reserve(blob::kAlphabetSize);
    Occupy(blob::kRootUnit);
    std::deque<uint32_t> queue = {0};
    uint32_t unit_count = blob::kAlphabetSize + 1;
    while (!queue.empty()) {
      const uint32_t node = queue.front();
      queue.pop_front();
      const auto& children = nodes_[node].children;
      const bool needs_id_unit = nodes_[node].token >= 0 && !KeepsIdInBase(node);
      if (children.empty() && !needs_id_unit) continue;
      const uint32_t base = FindBase(children, needs_id_unit);
      if (base > blob::kMaxBase) {
        *error = "the trie needs more units than the blob format can address";
        return false;
      }
      base_of[node] = base;
      base_used_[base] = true;
      if (needs_id_unit) Occupy(base - 1);
      unit_count = std::max(unit_count, base + blob::kAlphabetSize);
      for (const auto& [byte, child] : children) {
        Occupy(base + byte);
        unit_of[child] = base + byte;
        label_of[child] = byte;
        queue.push_back(child);
      }
    }
    out->units.assign(unit_count, 0);
    for (uint32_t node = 0; node < nodes_.size(); ++node) {
      const int32_t token = nodes_[node].token;
      const bool id_in_base = KeepsIdInBase(node);
      out->units[unit_of[node]] =
          blob::MakeUnit(id_in_base ? static_cast<uint32_t>(token) : base_of[node], token >= 0,
                         node != 0, label_of[node], id_in_base);
      if (token >= 0 && !id_in_base) {
        out->units[base_of[node] - 1] = blob::MakeIdUnit(static_cast<uint32_t>(token));
      }
    }
    out->trie_nodes = static_cast<uint32_t>(nodes_.size());
    return true;
  }

 private:
  // A leaf keeps its id in its unit if the id is a valid base: base + every byte must be a unit,
  // and there are at least as many units as nodes.
  bool KeepsIdInBase(uint32_t node) const {
    const int32_t token = nodes_[node].token;
    return token > 0 && nodes_[node].children.empty() &&
           uint64_t(token) + blob::kAlphabetSize <= nodes_.size();
  }

  void Reserve(size_t size) {
    const size_t old_size = occupied_.size();
    if (old_size < size) {
      occupied_.resize(size, false);
      base_used_.resize(size, false);
      failures_.resize(size, 0);
      next_candidate_.resize(size);
      for (size_t i = old_size; i < size; ++i) next_candidate_[i] = static_cast<uint32_t>(i);
    }
  }

  void Occupy(uint32_t unit) {
    occupied_[unit] = true;
    next_candidate_[unit] = unit + 1;
  }

  // The first unit at or after `unit` that may take a node's first child: free, and not given up
  // on. Units point past themselves once they are not candidates (path halving keeps the chains
  // short), so the search skips them instead of testing them again for every node.
  // Every unit pointed to lies inside the arrays: units are occupied or given up on only within
  // the room reserved past a returned candidate.
  uint32_t Candidate(uint32_t unit) {
    Reserve(size_t{unit} + 1);
    while (next_candidate_[unit] != unit) {
      next_candidate_[unit] = next_candidate_[next_candidate_[unit]];
      unit = next_candidate_[unit];
    }
    Reserve(size_t{unit} + blob::kAlphabetSize + 2);  // room for a base that puts a child here
    return unit;
  }

  bool Fits(uint32_t base, const std::vector<std::pair<uint8_t, uint32_t>>& children,
            bool needs_id_unit) {
    if (base_used_[base]) return false;
    if (needs_id_unit && (base < 2 || occupied_[base - 1])) return false;
    for (const auto& child : children) {
      if (occupied_[base + child.first]) return false;
    }
    return true;
  }

  // Candidate bases put the first child, or else the id unit, on a free unit; base 0 is never
  // used, so that no edge can lead into the root. A free unit that failed kMaxFailures searches
  // is given up on as a first child's place (it may still take later children): without that,
  // vocabularies of long tokens leave holes that every later search tests again, and placing
  // takes time quadratic in the trie's size.
  uint32_t FindBase(const std::vector<std::pair<uint8_t, uint32_t>>& children, bool needs_id_unit) {
    constexpr uint16_t kMaxFailures = 16384;
    const uint32_t first_label = children.empty() ? 0 : children.front().first;
    for (uint32_t slot = Candidate(first_label + 1);; slot = Candidate(slot + 1)) {
      const uint32_t base = children.empty() ? slot + 1 : slot - first_label;
      if (Fits(base, children, needs_id_unit)) return base;
      if (++failures_[slot] == kMaxFailures) next_candidate_[slot] = slot + 1;
    }
  }

  const std::vector<TrieNode>& nodes_;
  std::vector<bool> occupied_;
  std::vector<bool> base_used_;
  std::vector<uint16_t> failures_;        // searches a free unit failed
  std::vector<uint32_t> next_candidate_;  // itself for a candidate, else a unit further on
};

// The decode pool. A token that is a prefix of another is a path to an inner node of the trie, so
// only leaves need bytes of their own; and a leaf that occurs inside a longer leaf (found by
// walking the trie from each of the longer leaf's inner positions) points into it. The other
// leaves are laid end to end in id order. Fills token_entries and token_bytes.
void BuildDecodePool(const std::vector<TrieNode>& nodes, const std::vector<VocabToken>& by_id,
                     BlobSections* out) {
  std::vector<const std::string*> bytes_of(out->token_count, nullptr);
  for (const VocabToken& token : by_id) bytes_of[token.id] = &token.bytes;
  struct Host {
    int32_t id = -1;  // a longer leaf that contains this one...
    uint32_t at = 0;  // ...starting at this byte of it
  };
  std::vector<Host> host(out->token_count);
  std::vector<uint32_t> leaves;
  for (const TrieNode& node : nodes) {
    if (node.children.empty() && node.token >= 0) {
      leaves.push_back(static_cast<uint32_t>(node.token));
    }
  }
  for (const uint32_t id : leaves) {
    const std::string& bytes = *bytes_of[id];
    for (uint32_t at = 1; at < bytes.size(); ++at) {
      uint32_t node = 0;
      for (size_t i = at; i < bytes.size(); ++i) {
        const auto& children = nodes[node].children;
        const uint8_t byte = static_cast<uint8_t>(bytes[i]);
        auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, 0u));
        if (it == children.end() || it->first != byte) break;
        node = it->second;
        const TrieNode& inner = nodes[node];
        if (inner.children.empty() && host[inner.token].id < 0) {
          host[inner.token] = Host{static_cast<int32_t>(id), at};
        }
      }
    }
  }
  std::vector<int64_t> offset(out->token_count, -1);
  std::sort(leaves.begin(), leaves.end());
  for (const uint32_t id : leaves) {
    if (host[id].id >= 0) continue;
    offset[id] = static_cast<int64_t>(out->token_bytes.size());
    out->token_bytes.insert(out->token_bytes.end(), bytes_of[id]->begin(), bytes_of[id]->end());
  }
  // A host is longer than the leaves it holds, so longest first finds every host placed.
  std::stable_sort(leaves.begin(), leaves.end(), [&](uint32_t a, uint32_t b) {
    return bytes_of[a]->size() > bytes_of[b]->size();
  });
  for (const uint32_t id : leaves) {
    if (host[id].id >= 0) offset[id] = offset[host[id].id] + host[id].at;
  }
  // An inner token's bytes begin every leaf below it; take the first.
  for (const TrieNode& node : nodes) {
    if (node.token < 0 || node.children.empty()) continue;
    const TrieNode* leaf = &node;
    while (!leaf->children.empty()) leaf = &nodes[leaf->children.front().second];
    offset[node.token] = offset[leaf->token];
  }
  // Slack after every token, for readers that copy in kPoolSlack-byte moves.
  out->token_bytes.resize(out->token_bytes.size() + blob::kPoolSlack, 0);
  out->token_entries.assign(out->token_count, blob::kGapEntry);
  out->token_entries[blob::kEndOfTextId] = 0;
  for (const VocabToken& token : by_id) {
    out->token_entries[token.id] = blob::MakeEntry(static_cast<uint32_t>(offset[token.id]),
                                                   static_cast<uint32_t>(token.bytes.size()));
  }
}

}  // namespace

bool BuildBlob(const std::vector<VocabToken>& tokens, BlobSections* out, std::string* error) {
  std::vector<VocabToken> by_id = tokens;
  std::sort(by_id.begin(), by_id.end(),
            [](const VocabToken& a, const VocabToken& b) { return a.id < b.id; });
  bool has_byte[blob::kAlphabetSize] = {};
  for (const VocabToken& token : by_id) {
    if (token.bytes.size() == 1) has_byte[static_cast<uint8_t>(token.bytes[0])] = true;
  }
  for (uint32_t byte = 0; byte < blob::kAlphabetSize; ++byte) {
    if (!has_byte[byte]) {
      char what[128];
      std::snprintf(what, sizeof(what),
                    "no token for the byte 0x%02X: every byte value must be a token of its own",
                    byte);
      *error = what;
      return false;
    }
  }

  *out = BlobSections{};
  out->token_count = by_id.empty() ? 1 : by_id.back().id + 1;
  out->vocab_checksum = blob::kFnvOffsetBasis;
  for (const VocabToken& token : by_id) {
    const uint8_t* data = reinterpret_cast<const uint8_t*>(token.bytes.data());
    const uint32_t length = static_cast<uint32_t>(token.bytes.size());
    out->max_token_length = std::max(out->max_token_length, length);
    out->vocab_checksum = blob::VocabChecksumStep(out->vocab_checksum, token.id, data, length);
  }

  const std::vector<TrieNode> nodes = BuildTrie(by_id);
  BuildDecodePool(nodes, by_id, out);
  return DoubleArrayPlacer(nodes).Place(out, error);
}

std::vector<uint8_t> SerializeBlob(const BlobSections& s) {
  const uint32_t unit_count = static_cast<uint32_t>(s.units.size());
  const uint32_t token_bytes_size = static_cast<uint32_t>(s.token_bytes.size());
  const blob::Layout layout = blob::LayoutFor(unit_count, s.token_count, token_bytes_size);
  std::vector<uint8_t> out(layout.total_size, 0);
  uint8_t* p = out.data();
  std::copy(std::begin(blob::kMagic), std::end(blob::kMagic), p + blob::kMagicOffset);
  blob::StoreU32(p + blob::kVersionOffset, blob::kVersion);
  blob::StoreU32(p + blob::kHeaderSizeOffset, blob::kHeaderSize);
  blob::StoreU64(p + blob::kVocabChecksumOffset, s.vocab_checksum);
  blob::StoreU32(p + blob::kUnitCountOffset, unit_count);
  blob::StoreU32(p + blob::kTokenCountOffset, s.token_count);
  blob::StoreU32(p + blob::kTokenBytesSizeOffset, token_bytes_size);
  blob::StoreU32(p + blob::kMaxTokenLengthOffset, s.max_token_length);
  for (size_t i = 0; i < s.units.size(); ++i) blob::StoreU32(p + layout.units + 4 * i, s.units[i]);
  for (size_t i = 0; i < s.token_entries.size(); ++i) {
    blob::StoreU32(p + layout.token_entries + 4 * i, s.token_entries[i]);
  }
  std::copy(s.token_bytes.begin(), s.token_bytes.end(), p + layout.token_bytes);
  blob::StoreU64(p + blob::kBodyChecksumOffset,
                 blob::Fnv1a64(p + blob::kHeaderSize, out.size() - blob::kHeaderSize));
  return out;
}

namespace {

template <typename T>
void EmitArray(const char* type, const char* name, const std::vector<T>& values, std::string* out) {
  *out += "alignas(8) constexpr ";
  *out += type;
  *out += " ";
  *out += name;
  *out += "[" + std::to_string(values.size()) + "] = {\n";
  std::string line;
  for (const T value : values) {
    line += std::to_string(value) + ",";
    if (line.size() >= 96) {
      *out += line + "\n";
      line.clear();
    }
  }
  if (!line.empty()) *out += line + "\n";
  *out += "};\n\n";
}

// A string literal keeps the compiler fast on hundreds of kilobytes; octal escapes have at most
// three digits, so no escape can swallow the character after it.
void EmitBytes(const char* name, const std::vector<uint8_t>& bytes, std::string* out) {
  *out += "alignas(8) constexpr unsigned char " + std::string(name) + "[" +
          std::to_string(bytes.size() + 1) + "] =\n";
  std::string line = "\"";
  for (const uint8_t byte : bytes) {
    if (byte >= 0x20 && byte < 0x7F && byte != '"' && byte != '\\' && byte != '?') {
      line += static_cast<char>(byte);
    } else {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\%03o", byte);
      line += escape;
    }
    if (line.size() >= 96) {
      *out += line + "\"\n";
      line = "\"";
    }
  }
  *out += line + "\";\n\n";
}

}  // namespace

std::string EmitHeader(const BlobSections& s, const std::string& name_space,
                       const std::string& source, const std::vector<uint8_t>& compact) {
  char checksum[32];
  std::snprintf(checksum, sizeof(checksum), "0x%016llxull",
                static_cast<unsigned long long>(s.vocab_checksum));
  std::string out;
  out += "// Generated by rwkvtok_gen from " + source + ". Do not edit.\n";
  out += "// The sections of a blob, as described in lib/blob_format.h.\n\n";
  out += "#pragma once\n\n#include <stdint.h>\n\n";
  // A namespace that is a macro where the header is compiled would make it fail obscurely.
  out += "#ifdef " + name_space + "\n#error \"" + name_space +
         " is a macro here: generate this header with another --namespace\"\n#endif\n\n";
  // Byte arrays are string literals, longer than the 65,536 characters -Wpedantic holds C++
  // compilers to at the least; every compiler this builds with takes them.
  out += "#if defined(__GNUC__)\n#pragma GCC diagnostic push\n";
  out += "#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n#endif\n\n";
  out += "namespace rwkvtok {\nnamespace " + name_space + " {\n\n";
  // The types named from the global namespace: the header's own namespace may have any name.
  out += "constexpr ::uint64_t kVocabChecksum = " + std::string(checksum) + ";\n";
  out += "constexpr ::uint32_t kTokenCount = " + std::to_string(s.token_count) + ";\n";
  out += "constexpr ::uint32_t kMaxTokenLength = " + std::to_string(s.max_token_length) + ";\n\n";
  out += "constexpr ::uint32_t kTokenBytesSize = " + std::to_string(s.token_bytes.size()) + ";\n\n";
  EmitArray("::uint32_t", "kUnits", s.units, &out);
  EmitArray("::uint32_t", "kTokenEntries", s.token_entries, &out);
  EmitBytes("kTokenBytes", s.token_bytes, &out);
  if (!compact.empty()) {
    out += "// The compact blob of the same vocabulary, whole.\n";
    out += "constexpr ::uint32_t kCompactBlobSize = " + std::to_string(compact.size()) + ";\n";
    EmitBytes("kCompactBlob", compact, &out);
  }
  out += "}  // namespace " + name_space + "\n}  // namespace rwkvtok\n\n";
  out += "#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n#endif\n";
  return out;
}

}  // namespace tools
}  // namespace rwkvtok
