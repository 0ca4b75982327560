// The compact trie: a level-ordered succinct trie (LOUDS) with a few samples, read by word scans.
// Validation reads every bit once and compares each sample with what it recomputes, so the walks
// below may trust the samples: every scan they start ends inside its section.

#include "lib/compact.h"

#include <string.h>

#include "lib/blob_format.h"
#include "lib/internal.h"

namespace rwkvtok {
namespace compact {
namespace {

using blob::kAlphabetSize;
using blob::kCompactRankNodes;
using blob::kCompactStartNodes;

// Bit tricks rather than __builtin_popcount, which is a library call on CPUs without the
// instruction (baseline x86-64, Cortex-M).
inline uint32_t PopCount(uint32_t w) {
  w = w - ((w >> 1) & 0x55555555u);
  w = (w & 0x33333333u) + ((w >> 2) & 0x33333333u);
  return (((w + (w >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

// The position of the k-th (from 0) set bit of w, which has more than k: the byte that holds it
// from the bytes' running counts without a loop, then the bits of that byte.
inline uint32_t SelectBit(uint32_t w, uint32_t k) {
  uint32_t c = w - ((w >> 1) & 0x55555555u);
  c = (c & 0x33333333u) + ((c >> 2) & 0x33333333u);
  c = (c + (c >> 4)) & 0x0F0F0F0Fu;
  const uint32_t running = c * 0x01010101u;  // byte i: set bits in bytes 0..i
  // 0x80 in byte i where running_i <= k (all values are below 0x80).
  const uint32_t at_most = ((k * 0x01010101u) | 0x80808080u) - running;
  const uint32_t skip = (((at_most & 0x80808080u) >> 7) * 0x01010101u) >> 24;  // whole bytes
  const uint32_t shift = 8 * skip;
  k -= skip == 0 ? 0 : (running >> (shift - 8)) & 0xFFu;
  w >>= shift;
  for (; k > 0; --k) w &= w - 1;
  return shift + static_cast<uint32_t>(__builtin_ctz(w));
}

inline bool Bit(const uint32_t* bits, uint32_t i) { return (bits[i / 32] >> (i % 32)) & 1u; }

// From louds bit `pos`, the position of the k-th (from 0) bit equal to `one`.
uint32_t SelectFrom(const Trie& t, uint32_t pos, uint32_t k, bool one) {
  const uint32_t flip = one ? 0u : ~0u;
  uint32_t word = pos / 32;
  uint32_t bits = (t.louds[word] ^ flip) & (~0u << (pos % 32));
  for (;;) {
    const uint32_t n = PopCount(bits);
    if (k < n) return word * 32 + SelectBit(bits, k);
    k -= n;
    bits = t.louds[++word] ^ flip;
  }
}

// Where to scan from, at or after louds bit `from` (with *counted bits equal to `one` before it),
// for the bit that has `before` such bits before it and lies before bit `to`: `from`, or the
// last multiple of 256 before that bit, so that no scan passes much more than 256 bits.
uint32_t ScanStart(const Trie& t, uint32_t from, uint32_t to, uint32_t before, bool one,
                   uint32_t* counted) {
  const auto counted_at = [&](uint32_t j) {
    return one ? j * blob::kCompactRankBits - t.zero_ranks[j] : t.zero_ranks[j];
  };
  uint32_t lo = from / blob::kCompactRankBits + 1, hi = (to - 1) / blob::kCompactRankBits + 1;
  if (lo >= hi || counted_at(lo) > before) return from;
  while (hi - lo > 1) {  // counted_at(lo) <= before
    const uint32_t mid = lo + (hi - lo) / 2;
    if (counted_at(mid) <= before) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  *counted = counted_at(lo);
  return lo * blob::kCompactRankBits;
}

// The louds bit where node v's ones begin: just past its v-th zero.
uint32_t Start(const Trie& t, uint32_t v) {
  if (v - 1 < t.top_count) return kAlphabetSize + 1 + t.top_starts[v - 1];  // v > 0 here
  const uint32_t block = v / kCompactStartNodes;
  const uint32_t pos = t.block_starts[block];
  if (v % kCompactStartNodes == 0) return pos;
  const uint32_t end = block + 1 < blob::CompactStartBlocks(t.node_count)
                           ? t.block_starts[block + 1]
                           : 2 * t.node_count - 1;
  uint32_t zeros = block * kCompactStartNodes;  // zeros before pos
  const uint32_t from = ScanStart(t, pos, end, v - 1, false, &zeros);
  return SelectFrom(t, from, v - 1 - zeros, false) + 1;
}

// The number of one bits in a row from louds bit `pos`: a node's degree.
uint32_t OnesFrom(const Trie& t, uint32_t pos) {
  uint32_t word = pos / 32, shift = pos % 32, count = 0;
  for (;;) {
    const uint32_t rest = t.louds[word] >> shift;  // zeros shifted in stop the run
    const uint32_t run = ~rest == 0 ? 32u : static_cast<uint32_t>(__builtin_ctz(~rest));
    count += run;
    if (run < 32 - shift) return count;
    ++word;
    shift = 0;
  }
}

inline uint8_t Label(const Trie& t, uint32_t node) {
  return node <= kAlphabetSize ? static_cast<uint8_t>(node - 1)
                               : t.labels[node - kAlphabetSize - 1];
}

// The child of node v (not the root) by `byte`, or 0 if there is none. Labels rise, and where a
// node has many children they are often nearly every byte of a range (the continuation bytes of
// a script), so the search starts where the byte would be if the range were full.
uint32_t Child(const Trie& t, uint32_t v, uint8_t byte) {
  const uint32_t start = Start(t, v);
  const uint32_t first = start - v + 1;
  const uint32_t count = OnesFrom(t, start);
  if (count == 0) return 0;
  const uint8_t* labels = t.labels + (first - kAlphabetSize - 1);
  const uint32_t low = labels[0], high = labels[count - 1];
  if (byte < low || byte > high) return 0;
  const uint32_t guess = high == low ? 0 : (byte - low) * (count - 1) / (high - low);
  if (labels[guess] == byte) return first + guess;
  // Else a binary search on the side of the guess where the byte must be.
  uint32_t lo = 0, hi = count;  // labels[lo] <= byte < labels[hi] (past the end: above all)
  if (labels[guess] < byte) {
    lo = guess;
  } else {
    hi = guess;
  }
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (labels[mid] <= byte) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return labels[lo] == byte ? first + lo : 0;
}

// The id of token node c: 1 + the token nodes before it.
uint32_t IdOf(const Trie& t, uint32_t c) {
  const uint32_t block = c / kCompactRankNodes;
  uint32_t before = t.token_ranks[block];
  const uint32_t word = block * 2;
  const uint32_t in_block = c % kCompactRankNodes;
  if (in_block >= 32) {
    before += PopCount(t.token_bits[word]);
    if (in_block > 32) before += PopCount(t.token_bits[word + 1] << (64 - in_block));
  } else if (in_block > 0) {
    before += PopCount(t.token_bits[word] << (32 - in_block));
  }
  return before + 1;
}

// The node of token `id`: the (id - 1)-th token node.
uint32_t NodeOf(const Trie& t, uint32_t id) {
  const uint32_t rank = id - 1;
  // The last block whose first token rank is at most `rank`.
  uint32_t lo = 0, hi = static_cast<uint32_t>(blob::CompactRankBlocks(t.node_count));
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (t.token_ranks[mid] <= rank) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  uint32_t k = rank - t.token_ranks[lo];
  const uint32_t w0 = t.token_bits[lo * 2];
  const uint32_t n0 = PopCount(w0);
  if (k < n0) return lo * kCompactRankNodes + SelectBit(w0, k);
  k -= n0;
  return lo * kCompactRankNodes + 32 + SelectBit(t.token_bits[lo * 2 + 1], k);
}

// The parent of node c > 0: the node whose ones include the c-th one bit.
uint32_t Parent(const Trie& t, uint32_t c) {
  if (c <= kAlphabetSize) return 0;
  // The last block whose first node's first child is at most c.
  uint32_t lo = 0, hi = static_cast<uint32_t>(blob::CompactStartBlocks(t.node_count));
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (t.block_starts[mid] - mid * kCompactStartNodes + 1 <= c) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const uint32_t pos = t.block_starts[lo];
  const uint32_t end = lo + 1 < blob::CompactStartBlocks(t.node_count) ? t.block_starts[lo + 1]
                                                                       : 2 * t.node_count - 1;
  uint32_t ones = pos - lo * kCompactStartNodes;  // ones before pos
  const uint32_t from = ScanStart(t, pos, end, c - 1, true, &ones);
  return SelectFrom(t, from, c - 1 - ones, true) - (c - 1);
}

uint32_t Depth(const Trie& t, uint32_t node) {
  uint32_t depth = 0;
  while (t.level_starts[depth + 1] <= node) ++depth;
  return depth;
}

// --- Validation ---------------------------------------------------------------------------------

Status ReadHeader(const uint8_t* data, size_t size, Trie* t) {
  if (size < sizeof(blob::kMagic)) return Status::kBlobTruncated;
  if (memcmp(data, blob::kMagic, sizeof(blob::kMagic)) != 0) return Status::kBlobBadMagic;
  if (size < blob::kHeaderSize) return Status::kBlobTruncated;
  if (blob::LoadU32(data + blob::kVersionOffset) != blob::kVersion) {
    return Status::kBlobUnsupportedVersion;
  }
  if (blob::LoadU32(data + blob::kHeaderSizeOffset) != blob::kHeaderSize ||
      blob::LoadU32(data + blob::kKindOffset) != blob::kKindCompact) {
    return Status::kBlobCorrupt;
  }
  for (uint32_t offset = blob::kKindOffset + 4; offset < blob::kHeaderSize; offset += 4) {
    if (blob::LoadU32(data + offset) != 0) return Status::kBlobCorrupt;
  }
  t->vocab_checksum = blob::LoadU64(data + blob::kVocabChecksumOffset);
  t->node_count = blob::LoadU32(data + blob::kNodeCountOffset);
  t->token_count = blob::LoadU32(data + blob::kTokenCountOffset);
  t->max_token_length = blob::LoadU32(data + blob::kMaxTokenLengthOffset);
  t->top_count = blob::LoadU32(data + blob::kTopCountOffset);
  // Counts too small to lay out; counts too large are judged after the size (CheckFrame), so that
  // a header that claims more than the blob holds reads as truncated, as for a full blob.
  if (t->node_count < kAlphabetSize + 1 || t->top_count >= t->node_count ||
      t->token_count < kAlphabetSize + 1 || t->max_token_length == 0) {
    return Status::kBlobCorrupt;
  }
  return Status::kOk;
}

// One pass over the louds bits, node by node: every node's ones come after the one bit that made
// it (so parents come before their children and every walk up ends at the root), the root has
// every byte as a child, the bits end with the last node's zero, children's labels rise, the
// samples and levels are what the bits say, and the token bits mark every byte, every leaf and
// token_count - 1 nodes in all.
RWKVTOK_NOINLINE bool TrieIsSound(const Trie& t) {
  const uint32_t n = t.node_count;
  const uint32_t louds_bits = 2 * n - 1;
  uint32_t pos = 0, made = 0, tokens = 0, level = 0;
  if (t.level_starts[0] != 0) return false;
  for (uint32_t v = 0; v < n; ++v) {
    if (v != 0 && v > made) return false;  // no one bit made this node
    if (v % kCompactStartNodes == 0 && t.block_starts[v / kCompactStartNodes] != pos) {
      return false;
    }
    if (v != 0 && v <= t.top_count && kAlphabetSize + 1 + t.top_starts[v - 1] != pos) {
      return false;
    }
    if (v % kCompactRankNodes == 0 && t.token_ranks[v / kCompactRankNodes] != tokens) return false;
    if (v == t.level_starts[level]) {
      if (level == t.max_token_length + 1) return false;  // deeper than the longest token
      if (t.level_starts[++level] != pos - v + 1) return false;
    }
    const uint32_t first = made + 1;
    uint32_t degree = 0;
    for (bool one = true; one; ++pos) {
      if (pos == louds_bits) return false;  // the node's zero is missing
      if (pos % blob::kCompactRankBits == 0 && t.zero_ranks[pos / blob::kCompactRankBits] != v) {
        return false;
      }
      one = Bit(t.louds, pos);
      degree += one;
    }
    made += degree;
    if (made > n - 1 || (v == 0 && degree != kAlphabetSize)) return false;
    if (v != 0) {
      for (uint32_t c = first + 1; c < first + degree; ++c) {
        if (Label(t, c - 1) >= Label(t, c)) return false;
      }
    }
    const bool token = Bit(t.token_bits, v);
    // The root is no token; every byte and every leaf is one.
    if (v == 0 ? token : !token && (v <= kAlphabetSize || degree == 0)) return false;
    tokens += token;
  }
  if (pos != louds_bits || made != n - 1 || tokens != t.token_count - 1) return false;
  // The last level ends the nodes, and it is the longest token's.
  if (level != t.max_token_length + 1 || t.level_starts[level] != n) return false;
  // Bits past the end are zero.
  const uint32_t louds_words = static_cast<uint32_t>(blob::CompactLoudsWords(n));
  for (uint32_t i = louds_bits; i < louds_words * 32; ++i) {
    if (Bit(t.louds, i)) return false;
  }
  for (uint32_t i = n; i < blob::CompactNodeWords(n) * 32; ++i) {
    if (Bit(t.token_bits, i)) return false;
  }
  return true;
}

// Every id's token, read up the trie, matches the vocabulary checksum. A few bytes at a time, so
// that the stack stays small.
RWKVTOK_NOINLINE bool TokensMatchChecksum(const Trie& t) {
  uint8_t part[32];
  uint64_t checksum = blob::kFnvOffsetBasis;
  for (uint32_t id = 1; id < t.token_count; ++id) {
    const uint32_t length = TokenLength(t, id);
    const uint8_t prefix[3] = {static_cast<uint8_t>(id), static_cast<uint8_t>(id >> 8),
                               static_cast<uint8_t>(length)};
    checksum = blob::Fnv1a64(prefix, sizeof(prefix), checksum);
    for (uint32_t from = 0; from < length; from += sizeof(part)) {
      const uint32_t n = length - from < sizeof(part) ? length - from : sizeof(part);
      CopyTokenPart(t, id, from, n, part);
      checksum = blob::Fnv1a64(part, n, checksum);
    }
  }
  return checksum == t.vocab_checksum;
}

// Whether bytes[from, to) are all zero.
bool Zeros(const uint8_t* bytes, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// The gaps after the sections are zero.
RWKVTOK_NOINLINE bool GapsAreZero(const uint8_t* bytes, const Trie& t) {
  const uint32_t n = t.node_count;
  const blob::CompactLayout l = blob::CompactLayoutFor(n, t.top_count, t.max_token_length);
  return Zeros(bytes, l.louds + blob::CompactLoudsWords(n) * 4, l.token_bits) &&
         Zeros(bytes, l.token_bits + blob::CompactNodeWords(n) * 4, l.block_starts) &&
         Zeros(bytes, l.block_starts + blob::CompactStartBlocks(n) * 4, l.top_starts) &&
         Zeros(bytes, l.top_starts + uint64_t{t.top_count} * 2, l.zero_ranks) &&
         Zeros(bytes, l.zero_ranks + blob::CompactBitBlocks(n) * 4, l.token_ranks) &&
         Zeros(bytes, l.token_ranks + blob::CompactRankBlocks(n) * 2, l.level_starts) &&
         Zeros(bytes, l.level_starts + (uint64_t{t.max_token_length} + 2) * 4, l.labels) &&
         Zeros(bytes, l.labels + n - 1 - kAlphabetSize, l.total_size);
}

// The blob's header, alignment, size and body checksum: kOk, or what is wrong.
RWKVTOK_NOINLINE Status CheckFrame(const uint8_t* bytes, size_t size) {
  Trie t{};
  const Status status = ReadHeader(bytes, size, &t);
  if (status != Status::kOk) return status;
  if (reinterpret_cast<uintptr_t>(bytes) % blob::kBlobAlignment != 0) {
    return Status::kBlobMisaligned;
  }
  const uint64_t total =
      blob::CompactLayoutFor(t.node_count, t.top_count, t.max_token_length).total_size;
  if (size < total) return Status::kBlobTruncated;
  if (size > total) return Status::kBlobCorrupt;
  if (blob::Fnv1a64(bytes + blob::kHeaderSize, size - blob::kHeaderSize) !=
      blob::LoadU64(bytes + blob::kBodyChecksumOffset)) {
    return Status::kBlobChecksumMismatch;
  }
  if (t.node_count > blob::kCompactMaxNodes || t.token_count > blob::kMaxTokenCount ||
      t.max_token_length > blob::kMaxTokenLength) {
    return Status::kBlobCorrupt;
  }
  return Status::kOk;
}

// The sections of a blob whose frame is sound. (Each step out of line: their frames add up on a
// microcontroller's stack otherwise.)
RWKVTOK_NOINLINE bool SectionsAreSound(const uint8_t* bytes) {
  const Trie t = Open(bytes);
  return GapsAreZero(bytes, t) && TrieIsSound(t) && TokensMatchChecksum(t);
}

}  // namespace

Status View(const void* data, size_t size, Trie* out) {
  if (data == nullptr && size != 0) return Status::kInvalidArgument;
  const uint8_t* bytes = static_cast<const uint8_t*>(data);  // null only when empty: truncated
  const Status status = CheckFrame(bytes, size);
  if (status != Status::kOk) return status;
  if (!SectionsAreSound(bytes)) return Status::kBlobCorrupt;
  if (out != nullptr) *out = Open(bytes);
  return Status::kOk;
}

Match LongestMatch(const Trie& t, const uint8_t* in, size_t size) {
  if (size == 0) return Match{1, 0, true};
  uint32_t node = 1u + in[0];  // every byte is a token
  uint32_t token_node = node, length = 1;
  size_t i = 1;
  for (;; ++i) {
    if (i == size) return Match{IdOf(t, token_node), length, OnesFrom(t, Start(t, node)) != 0};
    const uint32_t child = Child(t, node, in[i]);
    if (child == 0) break;
    node = child;
    if (Bit(t.token_bits, node)) {
      token_node = node;
      length = static_cast<uint32_t>(i + 1);
    }
  }
  return Match{IdOf(t, token_node), length, false};
}

uint32_t TokenLength(const Trie& t, uint32_t id) {
  return id == blob::kEndOfTextId ? 0 : Depth(t, NodeOf(t, id));
}

uint32_t CopyTokenPart(const Trie& t, uint32_t id, uint32_t from, size_t count, uint8_t* out) {
  if (id == blob::kEndOfTextId) return 0;
  uint32_t node = NodeOf(t, id);
  const uint32_t length = Depth(t, node);
  if (from >= length || count == 0) return length;
  const uint32_t end = length - from <= count ? length : from + static_cast<uint32_t>(count);
  uint32_t depth = length;
  for (; depth > end; --depth) node = Parent(t, node);  // up to the part's last byte
  for (; depth > from; --depth) {
    out[depth - 1 - from] = Label(t, node);
    node = Parent(t, node);
  }
  return length;
}

}  // namespace compact
}  // namespace rwkvtok
