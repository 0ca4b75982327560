// What the library's sources share and callers never see: access to a tokenizer's sections and the
// longest-match walk that encoding, counting and streaming all use.

#ifndef RWKVTOK_LIB_INTERNAL_H_
#define RWKVTOK_LIB_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

#include "lib/blob_format.h"
#if RWKVTOK_LANES
#include "lib/lanes.h"
#endif
#include "lib/rwkvtok.h"

namespace rwkvtok {

// The longest token at the start of some bytes.
struct Match {
  uint32_t id;
  uint32_t length;  // >= 1 for non-empty input
  // True when the walk used every byte it was given without leaving the trie, so that more bytes
  // might have made a longer token.
  bool reached_end;
};

struct Internal {
  static constexpr Tokenizer Make(const uint32_t* units, const uint32_t* token_entries,
                                  const uint8_t* token_bytes, uint32_t token_count,
                                  uint32_t max_token_length, uint64_t vocab_checksum) {
    return Tokenizer(units, token_entries, token_bytes, token_count, max_token_length,
                     vocab_checksum);
  }

  // The id of token unit `unit` (lib/blob_format.h, "Token ids"): both places, then a select,
  // since which kind a token is cannot be predicted.
  // (A kept id of 0 makes that units[-1], which only the encode-less World stand-in has.)
  static inline uint32_t TokenId(const Tokenizer& tok, uint32_t unit) {
    return blob::UnitTokenId(unit, tok.units_[static_cast<ptrdiff_t>(blob::UnitBase(unit)) - 1]);
  }

  // Follows `in` down the trie from the root, remembering the last node that ended a token.
  // Validation guarantees every byte value is a one-byte token, so a non-empty input always
  // matches at least one byte.
  static inline Match LongestMatch(const Tokenizer& tok, const uint8_t* in, size_t size) {
    const uint32_t* units = tok.units_;
    uint32_t base = blob::UnitBase(units[blob::kRootUnit]);
    // For empty input: a length of 0, and an id (1) that is never used.
    uint32_t token_unit = blob::MakeUnit(1, true, true, 0, true);
    uint32_t token_length = 0;
    size_t i = 0;
    for (; i < size; ++i) {
      const uint8_t byte = in[i];
      const uint32_t next = base + byte;
      const uint32_t unit = units[next];
      // The walk stops at every unit with kUnitIdInBase, so the parent here never has it and
      // the expected check is the plain one.
      if ((unit & blob::kUnitCheckMask) != blob::UnitCheckFor(byte)) break;
      // A branch, not a select: predicted, it lets the next token's walk start before this
      // token's loads are back, while a select would chain every token to the one before.
      if (__builtin_expect(blob::UnitIsToken(unit), 1)) {
        token_unit = unit;
        token_length = static_cast<uint32_t>(i + 1);
        __asm__("" : "+r"(token_length));  // keeps the compiler from making it a select
        // No token is longer: stop without probing for a child that cannot exist.
        if (blob::UnitHasIdInBase(unit)) return Match{blob::UnitBase(unit), token_length, false};
      }
      base = blob::UnitBase(unit);
    }
    return Match{TokenId(tok, token_unit), token_length, i == size};
  }

  // Whether a match at the start of `available` bytes is final although the input may go on:
  // the walk left the trie before their end, or no token is longer than them and starts with
  // them (the node they lead to has no children).
  static inline bool IsFinal(const Tokenizer& tok, const Match& m, const uint8_t* in,
                             size_t available) {
    if (!m.reached_end || available >= tok.max_token_length_) return true;
    uint32_t node = tok.units_[blob::kRootUnit];
    for (size_t i = 0; i < available; ++i) node = tok.units_[blob::UnitBase(node) + in[i]];
    if (blob::UnitHasIdInBase(node)) return true;
    const uint32_t base = blob::UnitBase(node);
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t unit = tok.units_[base + byte];
      if ((unit & blob::kUnitCheckMask) == blob::UnitCheckFor(static_cast<uint8_t>(byte))) {
        return false;
      }
    }
    return true;
  }

#if RWKVTOK_LANES
  static inline lanes::Trie LaneTrie(const Tokenizer& tok) {
    const uint32_t root = tok.units_[blob::kRootUnit];
    return lanes::Trie{tok.units_, root, blob::UnitBase(root)};
  }
#endif


  // The bytes of an id below token_count (and their number, if `length` is not null).
  static inline const uint8_t* TokenBytes(const Tokenizer& tok, uint32_t id, uint32_t* length) {
    const uint32_t entry = tok.token_entries_[id];
    if (length != nullptr) *length = blob::EntryLength(entry);
    return tok.token_bytes_ + blob::EntryOffset(entry);
  }
  static inline const uint32_t* TokenEntries(const Tokenizer& tok) { return tok.token_entries_; }
  static inline const uint8_t* TokenPool(const Tokenizer& tok) { return tok.token_bytes_; }
  static inline uint32_t TokenLength(const Tokenizer& tok, uint32_t id) {
    return blob::EntryLength(tok.token_entries_[id]);
  }

  // Whether `id` names a token (end of text included): below token_count and not a gap.
  static inline bool IsValidId(const Tokenizer& tok, uint32_t id) {
    return id < tok.token_count_ && tok.token_entries_[id] != blob::kGapEntry;
  }
};

// Greedy tokenization from any position is fixed, so a text can be encoded in segments, each
// from its own start (by a lane or a thread), and joined where the tokenizations agree.
struct Segment {
  size_t begin;     // the segment's tokens were encoded from here...
  size_t end;       // ...and are those that start before here
  uint32_t* ids;    // their ids
  size_t count;
  size_t last_end;  // where the last of them ends (begin if there is none)
};

// Where a segment's ids go in the room they are given (one id per byte of the segment): to its
// start, or to its end so that the next segment's ids can follow without a move.
enum class Align { kLeft, kRight };

#if RWKVTOK_LANES
// Encodes the tokens that start in [from, end) of in[0..size), greedily from `from`, in
// `lane_count` lanes (lanes::LaneCount() of the current target) as long as every lane gets at
// least `min_segment` bytes, then plainly. `out` has room for one id per byte of [from, end);
// the ids go to its start, or with Align::kRight to its end, and the Segment returned points at
// them. Encode uses it with kLaneMinSegment; tests use small segments to join often.
Segment EncodeInLanes(const Tokenizer& tok, size_t lane_count, const uint8_t* in, size_t size,
                      size_t from, size_t end, uint32_t* out, size_t min_segment,
                      Align align = Align::kLeft);
constexpr size_t kLaneMinSegment = 4096;
#endif

}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_INTERNAL_H_
