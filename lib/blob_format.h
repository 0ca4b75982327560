// The rwkvtok blob: the one description of its layout, shared by the generator (which writes it),
// the runtime (which reads it) and the validator (which checks it). Changing anything here that a
// reader could notice means bumping kVersion.
//
// A blob is a 64-byte header followed by three sections. Every section starts at a multiple of 8
// bytes from the start of the blob; the gaps are zero. All integers are little-endian.
//
//   offset  header field
//        0  magic[8]          "RWKVTOK" followed by a zero byte
//        8  u32 version       kVersion
//       12  u32 header_size   kHeaderSize
//       16  u64 vocab_checksum  Fnv1a64 over every token in id order: u16 id, u8 length, bytes.
//                               Two blobs with the same value encode and decode identically.
//       24  u64 body_checksum   Fnv1a64 over every byte after the header (sections and padding).
//       32  u32 unit_count      entries of the units section
//       36  u32 token_count     size of the id space: valid ids are below it
//       40  u32 token_bytes_size
//       44  u32 max_token_length  longest token, in bytes (at most kMaxTokenLength)
//       48  u32 reserved[4]     zero
//
//   section        type                        what it holds
//   units          u32[unit_count]             the double-array trie used to encode (see below)
//   token_entries  u32[token_count]            id -> (offset << 8 | length) into token_bytes
//   token_bytes    u8[token_bytes_size]        a pool that contains every token's bytes
//
// The trie. Every node of the trie of all token byte strings is one unit; unit 0 is the root. A
// unit packs
//     bits 31..12 base: the children of this node live at units[base + byte]
//     bit  11     zero in every unit (see below)
//     bit  10     kUnitIdInBase: a token without children; its base field holds its id instead
//     bit  9      kUnitIsToken: the path from the root to here spells a whole token
//     bit  8      kUnitOccupied: this unit is a node
//     bits 7..0   label: the byte on the edge from the parent into this node
// so following byte c from node s is one load and one compare:
//     t = Base(units[s]) + c;  the edge exists iff
//     (units[t] & kUnitCheckMask) == ExpectedCheck(s, c)
// ExpectedCheck is kUnitOccupied | c, plus bit 11 if s has kUnitIdInBase: no unit has that bit,
// so no edge leads out of such a unit whatever its id. The check identifies the parent because no
// two nodes share a base (leaves without kUnitIdInBase included). The root's low bits are 0, so no
// edge leads into it. Every node's base satisfies base + kAlphabetSize - 1 < unit_count, so t is
// always in range, and every byte value is a one-byte token, so encoding always makes progress. The
// path from the root to a token unit spells exactly that token's bytes, so no path is longer than
// max_token_length and decoding an encoding gives its input back.
//
// Token ids. Most tokens (all leaves of the trie, for World) keep their id in their unit. Every
// other token unit s has base >= 2 and its id in the unit just below its children: the base field
// of units[Base(units[s]) - 1], a unit that is not a node (kUnitOccupied clear, low 12 bits zero),
// so no walk ever matches it. A reader may load that unit for a kUnitIdInBase token too (its id is
// at least 1) and pick one of the two without a branch. Free units are 0.
//
// The decode table. A token's bytes are token_bytes[offset, offset + length); tokens share bytes
// (a token that is a prefix or an inner part of another points into it), so the pool is much
// smaller than all tokens laid end to end. Every token's offset + length + kPoolSlack is at most
// token_bytes_size (the pool ends with kPoolSlack zeros), so a reader may copy a token in
// kPoolSlack-byte moves. Id 0, the end-of-text token, has the entry 0 (no bytes). An id without a
// token (a gap) has the entry kGapEntry: no token has it (its offset + length is past any pool),
// and its length bits are all set, so a decoder that tests lengths for its fast copies meets gaps
// in the same test.

// The compact blob: the same header with kind (offset 48) kKindCompact, a level-ordered succinct
// trie instead of units and a decode table, for devices with little flash. The trie's nodes are
// numbered in breadth-first order with each node's children in label order, so the nodes of one
// depth are in byte order of their paths and every node of depth L comes before every node of
// depth L + 1. A compact blob needs ids given in that order: ids 1, 2, ... are the tokens by
// (length, bytes), with no gaps, so a token's id is 1 + the number of token nodes before it and
// no table maps ids to nodes. Header fields that differ from the full blob:
//       32  u32 node_count      N, the root included
//       40  u32 top_count       T: nodes 1..T have their start in top_starts (the generator
//                               takes those of depth 1 and 2, as many as 16 bits reach)
//       48  u32 kind            kKindCompact (zero, the first reserved word, in a full blob)
//   section       type                          what it holds
//   louds         u32[CompactLoudsWords(N)]     node v in order: deg(v) one bits, then a zero bit
//   token_bits    u32[CompactNodeWords(N)]      bit v set: node v spells a whole token
//   block_starts  u32[CompactStartBlocks(N)]    louds bit where node v = 32 j's ones begin
//   top_starts    u16[T]                        louds bit where node v's ones begin, less
//                                               kAlphabetSize + 1, for v = 1..T: the nodes
//                                               most tokens pass, with the most ones
//   zero_ranks    u32[CompactBitBlocks(N)]      louds zero bits before bit 256 j: where nodes
//                                               have many children, 32 nodes span many bits
//   token_ranks   u16[CompactRankBlocks(N)]     token nodes before node 64 j
//   level_starts  u32[max_token_length + 2]     first node of each depth 0 .. max_token_length,
//                                               then N
//   labels        u8[N - 1 - kAlphabetSize]     the byte into node v, for v > kAlphabetSize
// Bit i of a bit section is bit i % 32 of its word i / 32; bits past the end are zero. Node 0 is
// the root, nodes 1..256 its children (labels 0..255, every byte a one-byte token). The children
// of node v are the nodes from FirstChild(v) = start(v) - v + 1, where start(v) is the louds bit
// where v's ones begin, so the ones before it are start(v) - v; node c > 0 is the child that the
// c-th one bit (counting from 1) makes. The decode table is the trie itself: a token's bytes are
// the labels on the way up from its node.

#ifndef RWKVTOK_LIB_BLOB_FORMAT_H_
#define RWKVTOK_LIB_BLOB_FORMAT_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "rwkvtok blobs are little-endian; big-endian targets are not supported"
#endif

namespace rwkvtok {
namespace blob {

constexpr uint8_t kMagic[8] = {'R', 'W', 'K', 'V', 'T', 'O', 'K', 0};
constexpr uint32_t kVersion = 3;
constexpr uint32_t kHeaderSize = 64;
constexpr uint32_t kSectionAlignment = 8;
// Blobs loaded at run time must start at an address that is a multiple of this.
constexpr uint32_t kBlobAlignment = 4;

// Tokens are strings of bytes: a trie node has at most this many children, and every one of these
// byte values is a one-byte token.
constexpr uint32_t kAlphabetSize = 256;

// Ids are 16-bit; a token is at most 255 bytes, so fixed-size buffers can hold any token.
constexpr uint32_t kMaxTokenCount = 65536;
constexpr uint32_t kMaxTokenLength = 255;
constexpr uint32_t kEndOfTextId = 0;

constexpr uint32_t kUnitLabelMask = 0xFFu;
constexpr uint32_t kUnitOccupied = 1u << 8;
constexpr uint32_t kUnitIsToken = 1u << 9;
constexpr uint32_t kUnitIdInBase = 1u << 10;
constexpr uint32_t kUnitNoEdge = kUnitIdInBase << 1;
constexpr uint32_t kUnitCheckMask = kUnitNoEdge | kUnitOccupied | kUnitLabelMask;
constexpr uint32_t kUnitBaseShift = 12;
constexpr uint32_t kMaxBase = (1u << (32 - kUnitBaseShift)) - 1;
constexpr uint32_t kRootUnit = 0;

constexpr uint32_t UnitBase(uint32_t unit) { return unit >> kUnitBaseShift; }
constexpr bool UnitIsToken(uint32_t unit) { return (unit & kUnitIsToken) != 0; }
constexpr bool UnitHasIdInBase(uint32_t unit) { return (unit & kUnitIdInBase) != 0; }
constexpr uint32_t UnitCheckFor(uint8_t byte) { return kUnitOccupied | byte; }
// What units[UnitBase(parent) + byte] & kUnitCheckMask equals iff that unit is parent's child.
// (For a kUnitIdInBase parent, nothing does.)
constexpr uint32_t ExpectedCheck(uint32_t parent, uint8_t byte) {
  return ((parent & kUnitIdInBase) << 1) | kUnitOccupied | byte;
}
constexpr uint32_t MakeUnit(uint32_t base, bool is_token, bool occupied, uint8_t label,
                            bool id_in_base = false) {
  return (base << kUnitBaseShift) | (id_in_base ? kUnitIdInBase : 0u) |
         (is_token ? kUnitIsToken : 0u) | (occupied ? kUnitOccupied : 0u) | label;
}
// The unit below an inner token's children that holds its id; and the id of a token unit, given
// the unit below its base (whichever kind of token it is).
constexpr uint32_t MakeIdUnit(uint32_t id) { return id << kUnitBaseShift; }
constexpr uint32_t UnitTokenId(uint32_t unit, uint32_t unit_below_base) {
  return UnitBase(UnitHasIdInBase(unit) ? unit : unit_below_base);
}

// A decode table entry; lengths fit in 8 bits since tokens are at most kMaxTokenLength bytes.
constexpr uint32_t kEntryLengthBits = 8;
constexpr uint32_t kMaxTokenBytesSize = 1u << (32 - kEntryLengthBits);
constexpr uint32_t kPoolSlack = 16;
constexpr uint32_t EntryOffset(uint32_t entry) { return entry >> kEntryLengthBits; }
constexpr uint32_t EntryLength(uint32_t entry) { return entry & ((1u << kEntryLengthBits) - 1); }
constexpr uint32_t MakeEntry(uint32_t offset, uint32_t length) {
  return offset << kEntryLengthBits | length;
}
constexpr uint32_t kGapEntry = 0xFFFFFFFFu;

// The kind of a blob, in the header's first reserved word.
constexpr uint32_t kKindFull = 0;
constexpr uint32_t kKindCompact = 1;

// Byte offsets of the header fields.
enum HeaderField : uint32_t {
  kMagicOffset = 0,
  kVersionOffset = 8,
  kHeaderSizeOffset = 12,
  kVocabChecksumOffset = 16,
  kBodyChecksumOffset = 24,
  kUnitCountOffset = 32,
  kTokenCountOffset = 36,
  kTokenBytesSizeOffset = 40,
  kMaxTokenLengthOffset = 44,
  kReservedOffset = 48,
  kKindOffset = 48,       // the first reserved word
  kNodeCountOffset = 32,  // compact blobs: instead of unit_count
  kTopCountOffset = 40,   // compact blobs: instead of token_bytes_size
};

struct Header {
  uint32_t version;
  uint64_t vocab_checksum;
  uint64_t body_checksum;
  uint32_t unit_count;
  uint32_t token_count;
  uint32_t token_bytes_size;
  uint32_t max_token_length;
};

// Where each section starts, relative to the start of the blob, and where the blob ends.
struct Layout {
  uint64_t units;
  uint64_t token_entries;
  uint64_t token_bytes;
  uint64_t total_size;
};

constexpr uint64_t AlignSection(uint64_t offset) {
  return (offset + kSectionAlignment - 1) / kSectionAlignment * kSectionAlignment;
}

// 64-bit arithmetic: no field combination can overflow it.
constexpr Layout LayoutFor(uint32_t unit_count, uint32_t token_count, uint32_t token_bytes_size) {
  Layout layout{};
  layout.units = kHeaderSize;
  layout.token_entries = AlignSection(layout.units + uint64_t{unit_count} * 4);
  layout.token_bytes = AlignSection(layout.token_entries + uint64_t{token_count} * 4);
  layout.total_size = AlignSection(layout.token_bytes + token_bytes_size);
  return layout;
}

// The compact blob's sections.
constexpr uint32_t kCompactStartNodes = 32;  // nodes per block_starts sample
constexpr uint32_t kCompactRankNodes = 64;   // nodes per token_ranks sample
constexpr uint32_t kCompactRankBits = 256;   // louds bits per zero_ranks sample
constexpr uint32_t kCompactMaxNodes = 1u << 24;
constexpr uint64_t CompactLoudsWords(uint32_t node_count) {
  return (2 * uint64_t{node_count} - 1 + 31) / 32;
}
constexpr uint64_t CompactNodeWords(uint32_t node_count) {
  return (uint64_t{node_count} + 31) / 32;
}
constexpr uint64_t CompactStartBlocks(uint32_t node_count) {
  return (uint64_t{node_count} + kCompactStartNodes - 1) / kCompactStartNodes;
}
constexpr uint64_t CompactBitBlocks(uint32_t node_count) {
  return (2 * uint64_t{node_count} - 1 + kCompactRankBits - 1) / kCompactRankBits;
}
constexpr uint64_t CompactRankBlocks(uint32_t node_count) {
  return (uint64_t{node_count} + kCompactRankNodes - 1) / kCompactRankNodes;
}

struct CompactLayout {
  uint64_t louds;
  uint64_t token_bits;
  uint64_t block_starts;
  uint64_t top_starts;
  uint64_t zero_ranks;
  uint64_t token_ranks;
  uint64_t level_starts;
  uint64_t labels;
  uint64_t total_size;
};

// For node_count >= kAlphabetSize + 1; 64-bit arithmetic, as LayoutFor.
constexpr CompactLayout CompactLayoutFor(uint32_t node_count, uint32_t top_count,
                                         uint32_t max_token_length) {
  CompactLayout layout{};
  layout.louds = kHeaderSize;
  layout.token_bits = AlignSection(layout.louds + CompactLoudsWords(node_count) * 4);
  layout.block_starts = AlignSection(layout.token_bits + CompactNodeWords(node_count) * 4);
  layout.top_starts = AlignSection(layout.block_starts + CompactStartBlocks(node_count) * 4);
  layout.zero_ranks = AlignSection(layout.top_starts + uint64_t{top_count} * 2);
  layout.token_ranks = AlignSection(layout.zero_ranks + CompactBitBlocks(node_count) * 4);
  layout.level_starts = AlignSection(layout.token_ranks + CompactRankBlocks(node_count) * 2);
  layout.labels = AlignSection(layout.level_starts + (uint64_t{max_token_length} + 2) * 4);
  layout.total_size = AlignSection(layout.labels + uint64_t{node_count} - 1 - kAlphabetSize);
  return layout;
}

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

// FNV-1a, 64-bit: tiny, needs no tables, and catches the bit flips and truncations it is for.
// Feed consecutive pieces by passing the previous result as `hash`.
inline uint64_t Fnv1a64(const uint8_t* data, size_t size, uint64_t hash = kFnvOffsetBasis) {
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * kFnvPrime;
  return hash;
}

// One token's contribution to vocab_checksum; tokens are fed in id order, gaps skipped.
inline uint64_t VocabChecksumStep(uint64_t hash, uint32_t id, const uint8_t* bytes,
                                  uint32_t length) {
  const uint8_t prefix[3] = {static_cast<uint8_t>(id), static_cast<uint8_t>(id >> 8),
                             static_cast<uint8_t>(length)};
  return Fnv1a64(bytes, length, Fnv1a64(prefix, sizeof(prefix), hash));
}

inline uint32_t LoadU32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

inline uint64_t LoadU64(const uint8_t* p) { return LoadU32(p) | uint64_t{LoadU32(p + 4)} << 32; }

inline void StoreU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline void StoreU64(uint8_t* p, uint64_t v) {
  StoreU32(p, static_cast<uint32_t>(v));
  StoreU32(p + 4, static_cast<uint32_t>(v >> 32));
}

}  // namespace blob
}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_BLOB_FORMAT_H_
