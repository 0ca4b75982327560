#include "tools/compact_builder.h"

#include <algorithm>

#include "lib/blob_format.h"

namespace rwkvtok {
namespace tools {
namespace {

// The order of the compact trie's nodes, and so of a compact vocabulary's ids.
bool ByLengthThenBytes(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

void SetBit(std::vector<uint32_t>* bits, uint64_t i) { (*bits)[i / 32] |= 1u << (i % 32); }

}  // namespace

bool BuildCompactBlob(const std::vector<VocabToken>& tokens, std::vector<uint8_t>* blob,
                      CompactStats* stats, std::string* error) {
  // Ids 1, 2, ... in (length, bytes) order, no gaps.
  std::vector<const VocabToken*> by_id;
  for (const VocabToken& token : tokens) by_id.push_back(&token);
  std::sort(by_id.begin(), by_id.end(),
            [](const VocabToken* a, const VocabToken* b) { return a->id < b->id; });
  for (size_t i = 0; i < by_id.size(); ++i) {
    if (by_id[i]->id != i + 1) {
      *error = "the compact profile needs ids 1, 2, 3, ... without gaps: id " +
               std::to_string(i + 1) + " is missing";
      return false;
    }
    if (i > 0 && !ByLengthThenBytes(by_id[i - 1]->bytes, by_id[i]->bytes)) {
      *error = "the compact profile needs ids in order of (length, bytes): id " +
               std::to_string(by_id[i]->id) + " (line " + std::to_string(by_id[i]->line) +
               ") comes before id " + std::to_string(by_id[i - 1]->id) + " in that order";
      return false;
    }
  }
  if (by_id.size() < blob::kAlphabetSize || by_id[0]->bytes.size() != 1 ||
      by_id[blob::kAlphabetSize - 1]->bytes.size() != 1) {
    *error = "every byte value must be a token of its own";
    return false;
  }
  if (by_id.back()->bytes.size() > blob::kMaxTokenLength) {
    *error = "id " + std::to_string(by_id.back()->id) + " is longer than " +
             std::to_string(blob::kMaxTokenLength) + " bytes";
    return false;
  }
  if (by_id.size() + 1 > blob::kMaxTokenCount) {
    *error = "too many tokens for 16-bit ids";
    return false;
  }

  // Every prefix of a token is a node; sorted, they are in breadth-first order.
  std::vector<std::string> nodes = {std::string()};
  for (const VocabToken* token : by_id) {
    for (size_t length = 1; length <= token->bytes.size(); ++length) {
      nodes.push_back(token->bytes.substr(0, length));
    }
  }
  std::sort(nodes.begin(), nodes.end(), ByLengthThenBytes);
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  if (nodes.size() > blob::kCompactMaxNodes) {
    *error = "the trie has more nodes than a compact blob can hold";
    return false;
  }
  const uint32_t node_count = static_cast<uint32_t>(nodes.size());
  const uint32_t max_token_length = static_cast<uint32_t>(nodes.back().size());

  // A node's children follow each other, in the order of their parents: the parent of node c is
  // the node spelling c's bytes but the last, found by one pass since both run in order.
  std::vector<uint32_t> degree(node_count, 0);
  for (uint32_t c = 1, parent = 0; c < node_count; ++c) {
    const std::string& path = nodes[c];
    while (nodes[parent].size() != path.size() - 1 ||
           nodes[parent].compare(0, std::string::npos, path, 0, path.size() - 1) != 0) {
      ++parent;
    }
    ++degree[parent];
  }

  // The nodes of depth 1 and 2 (of depth 1, if none is deeper), as many of them as 16-bit
  // offsets reach: where each node's ones begin, less kAlphabetSize + 1.
  uint32_t top_count = 0;
  for (uint64_t start = blob::kAlphabetSize + 1;
       top_count + 1 < node_count && nodes[top_count + 1].size() <= 2 &&
       start - (blob::kAlphabetSize + 1) <= 0xFFFF;
       start += degree[top_count] + 1) {
    ++top_count;
  }
  const blob::CompactLayout layout =
      blob::CompactLayoutFor(node_count, top_count, max_token_length);
  std::vector<uint32_t> louds(blob::CompactLoudsWords(node_count), 0);
  std::vector<uint32_t> token_bits(blob::CompactNodeWords(node_count), 0);
  std::vector<uint32_t> block_starts(blob::CompactStartBlocks(node_count), 0);
  std::vector<uint16_t> top_starts(top_count, 0);
  std::vector<uint32_t> zero_ranks(blob::CompactBitBlocks(node_count), 0);
  std::vector<uint16_t> token_ranks(blob::CompactRankBlocks(node_count), 0);
  std::vector<uint32_t> level_starts;
  uint64_t bit = 0;
  uint32_t tokens_before = 0;
  for (uint32_t v = 0, token = 0; v < node_count; ++v) {
    if (v >= 1 && v <= top_count) {
      top_starts[v - 1] = static_cast<uint16_t>(bit - (blob::kAlphabetSize + 1));
    }
    if (v % blob::kCompactStartNodes == 0) {
      block_starts[v / blob::kCompactStartNodes] = static_cast<uint32_t>(bit);
    }
    if (v % blob::kCompactRankNodes == 0) {
      token_ranks[v / blob::kCompactRankNodes] = static_cast<uint16_t>(tokens_before);
    }
    if (level_starts.size() <= nodes[v].size()) level_starts.push_back(v);
    for (uint32_t k = 0; k <= degree[v]; ++k, ++bit) {
      if (bit % blob::kCompactRankBits == 0) zero_ranks[bit / blob::kCompactRankBits] = v;
      if (k < degree[v]) SetBit(&louds, bit);  // else the zero that ends v's ones
    }
    if (token < by_id.size() && by_id[token]->bytes == nodes[v]) {
      SetBit(&token_bits, v);
      ++token;
      ++tokens_before;
    }
  }
  level_starts.push_back(node_count);

  // Every node is a token or leads to one, so every token was met in order.
  if (tokens_before != by_id.size()) {
    *error = "internal error: tokens and trie nodes disagree";
    return false;
  }

  std::vector<uint8_t>& out = *blob;
  out.assign(layout.total_size, 0);
  uint8_t* p = out.data();
  std::copy(std::begin(blob::kMagic), std::end(blob::kMagic), p + blob::kMagicOffset);
  blob::StoreU32(p + blob::kVersionOffset, blob::kVersion);
  blob::StoreU32(p + blob::kHeaderSizeOffset, blob::kHeaderSize);
  uint64_t checksum = blob::kFnvOffsetBasis;
  for (const VocabToken* token : by_id) {
    checksum = blob::VocabChecksumStep(checksum, token->id,
                                       reinterpret_cast<const uint8_t*>(token->bytes.data()),
                                       static_cast<uint32_t>(token->bytes.size()));
  }
  blob::StoreU64(p + blob::kVocabChecksumOffset, checksum);
  blob::StoreU32(p + blob::kNodeCountOffset, node_count);
  blob::StoreU32(p + blob::kTokenCountOffset, static_cast<uint32_t>(by_id.size() + 1));
  blob::StoreU32(p + blob::kMaxTokenLengthOffset, max_token_length);
  blob::StoreU32(p + blob::kTopCountOffset, top_count);
  blob::StoreU32(p + blob::kKindOffset, blob::kKindCompact);
  for (size_t i = 0; i < louds.size(); ++i) blob::StoreU32(p + layout.louds + 4 * i, louds[i]);
  for (size_t i = 0; i < token_bits.size(); ++i) {
    blob::StoreU32(p + layout.token_bits + 4 * i, token_bits[i]);
  }
  for (size_t i = 0; i < block_starts.size(); ++i) {
    blob::StoreU32(p + layout.block_starts + 4 * i, block_starts[i]);
  }
  for (size_t i = 0; i < top_starts.size(); ++i) {
    p[layout.top_starts + 2 * i] = static_cast<uint8_t>(top_starts[i]);
    p[layout.top_starts + 2 * i + 1] = static_cast<uint8_t>(top_starts[i] >> 8);
  }
  for (size_t i = 0; i < zero_ranks.size(); ++i) {
    blob::StoreU32(p + layout.zero_ranks + 4 * i, zero_ranks[i]);
  }
  for (size_t i = 0; i < token_ranks.size(); ++i) {
    p[layout.token_ranks + 2 * i] = static_cast<uint8_t>(token_ranks[i]);
    p[layout.token_ranks + 2 * i + 1] = static_cast<uint8_t>(token_ranks[i] >> 8);
  }
  for (size_t i = 0; i < level_starts.size(); ++i) {
    blob::StoreU32(p + layout.level_starts + 4 * i, level_starts[i]);
  }
  for (uint32_t v = blob::kAlphabetSize + 1; v < node_count; ++v) {
    p[layout.labels + v - blob::kAlphabetSize - 1] = static_cast<uint8_t>(nodes[v].back());
  }
  blob::StoreU64(p + blob::kBodyChecksumOffset,
                 blob::Fnv1a64(p + blob::kHeaderSize, out.size() - blob::kHeaderSize));

  if (stats != nullptr) {
    stats->nodes = node_count;
    stats->tokens = static_cast<uint32_t>(by_id.size());
    stats->louds_bytes = louds.size() * 4;
    stats->token_bits_bytes = token_bits.size() * 4;
    stats->samples_bytes = (block_starts.size() + zero_ranks.size() + level_starts.size()) * 4 +
                           (token_ranks.size() + top_starts.size()) * 2;
    stats->labels_bytes = node_count - 1 - blob::kAlphabetSize;
  }
  return true;
}

}  // namespace tools
}  // namespace rwkvtok
