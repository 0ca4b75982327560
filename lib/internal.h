// What the library's sources share and callers never see: access to a tokenizer's sections and the
// longest-match walk that encoding, counting and streaming all use.

#ifndef RWKVTOK_LIB_INTERNAL_H_
#define RWKVTOK_LIB_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

#include "lib/blob_format.h"
#include "lib/compact.h"
#include "lib/rwkvtok.h"

// For functions kept out of line: a cold path out of a hot loop, or a large frame out of a
// caller's stack.
#if defined(__GNUC__)
#define RWKVTOK_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define RWKVTOK_NOINLINE __declspec(noinline)
#else
#define RWKVTOK_NOINLINE
#endif

// Whether the vector lanes (lib/lanes.cc, with Highway) are built in: builds that have them
// define it to 1; firmware builds leave it out.
#ifndef RWKVTOK_LANES
#define RWKVTOK_LANES 0
#endif

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
  // A tokenizer of the compact profile (lib/compact.h), over a compact blob View accepted.
  static Tokenizer MakeCompact(const uint8_t* compact_blob) {
    const compact::Trie t = compact::Open(compact_blob);
    return Tokenizer(nullptr, nullptr, compact_blob, t.token_count, t.max_token_length,
                     t.vocab_checksum);
  }

  // Which profile a tokenizer is. Every function below serves both; the loops that run through
  // whole texts choose once, through WithWalk.
  static inline bool IsCompact(const Tokenizer& tok) { return tok.units_ == nullptr; }
  // A tokenizer no vocabulary was put in: from a zeroed C state (never initialised, or left so by
  // a failed rwkvtok_from_blob). Every profile has a token pool.
  static inline bool IsUnset(const Tokenizer& tok) { return tok.token_bytes_ == nullptr; }
  static inline compact::Trie CompactTrie(const Tokenizer& tok) {
    return compact::Open(tok.token_bytes_);
  }

  // The longest-match walk of each profile, as a function object.
  struct FullWalk {
    const Tokenizer* tok;
    Match operator()(const uint8_t* in, size_t size) const {
      return FullLongestMatch(*tok, in, size);
    }
  };
  struct CompactWalk {
    compact::Trie trie;
    Match operator()(const uint8_t* in, size_t size) const {
      return compact::LongestMatch(trie, in, size);
    }
  };
  // Calls f with the walk of tok's profile.
  template <class F>
  static auto WithWalk(const Tokenizer& tok, F&& f) {
    if (IsCompact(tok)) return f(CompactWalk{CompactTrie(tok)});
    return f(FullWalk{&tok});
  }

  // The id of token unit `unit` (lib/blob_format.h, "Token ids"): both places, then a select,
  // since which kind a token is cannot be predicted.
  // (A kept id of 0 makes that units[-1], which only the encode-less World stand-in has.)
  static inline uint32_t TokenId(const Tokenizer& tok, uint32_t unit) {
    return blob::UnitTokenId(unit, tok.units_[static_cast<ptrdiff_t>(blob::UnitBase(unit)) - 1]);
  }

  // The longest token at the start of in[0..size), in either profile.
  static inline Match LongestMatch(const Tokenizer& tok, const uint8_t* in, size_t size) {
    if (IsCompact(tok)) return compact::LongestMatch(CompactTrie(tok), in, size);
    return FullLongestMatch(tok, in, size);
  }

  // Follows `in` down the trie from the root, remembering the last node that ended a token.
  // Validation guarantees every byte value is a one-byte token, so a non-empty input always
  // matches at least one byte.
  static inline Match FullLongestMatch(const Tokenizer& tok, const uint8_t* in, size_t size) {
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

  // The plain walk: greedy longest match, one token after another, as Encode takes it where the
  // lanes do not pay. Returns the number of ids; only the first `capacity` are written.
  template <typename Id>
  static size_t EncodePlain(const Tokenizer& tok, const uint8_t* in, size_t size, Id* ids,
                            size_t capacity) {
    return WithWalk(tok, [&](const auto& walk) {
      size_t emitted = 0;
      for (size_t pos = 0; pos < size; ++emitted) {
        const Match m = walk(in + pos, size - pos);
        if (emitted < capacity) ids[emitted] = static_cast<Id>(m.id);
        pos += m.length;
      }
      return emitted;
    });
  }

  // Whether a match at the start of `available` bytes is final although the input may go on:
  // the walk left the trie before their end, or no token is longer than them and starts with
  // them (the node they lead to has no children).
  static inline bool IsFinal(const Tokenizer& tok, const Match& m, const uint8_t* in,
                             size_t available) {
    if (!m.reached_end || available >= tok.max_token_length_) return true;
    if (IsCompact(tok)) return false;  // its walk reaches the end only where children follow
    uint32_t node = tok.units_[blob::kRootUnit];
    for (size_t i = 0; i < available; ++i) node = tok.units_[blob::UnitBase(node) + in[i]];
    if (blob::UnitHasIdInBase(node)) return true;
    const uint32_t base = blob::UnitBase(node);
    for (uint32_t byte = 0; byte < blob::kAlphabetSize; ++byte) {
      const uint32_t unit = tok.units_[base + byte];
      if ((unit & blob::kUnitCheckMask) == blob::UnitCheckFor(static_cast<uint8_t>(byte))) {
        return false;
      }
    }
    return true;
  }

  static inline const uint32_t* Units(const Tokenizer& tok) { return tok.units_; }

  // The bytes of an id below token_count (and their number, if `length` is not null), in the full
  // profile; the compact one copies them (compact::CopyTokenPart).
  static inline const uint8_t* TokenBytes(const Tokenizer& tok, uint32_t id, uint32_t* length) {
    const uint32_t entry = tok.token_entries_[id];
    if (length != nullptr) *length = blob::EntryLength(entry);
    return tok.token_bytes_ + blob::EntryOffset(entry);
  }
  static inline const uint32_t* TokenEntries(const Tokenizer& tok) { return tok.token_entries_; }
  static inline const uint8_t* TokenPool(const Tokenizer& tok) { return tok.token_bytes_; }
  // The length of a valid id's token, in either profile.
  static inline uint32_t TokenLength(const Tokenizer& tok, uint32_t id) {
    if (IsCompact(tok)) return compact::TokenLength(CompactTrie(tok), id);
    return blob::EntryLength(tok.token_entries_[id]);
  }

  // Whether `id` names a token (end of text included): below token_count and not a gap (a
  // compact vocabulary has none).
  static inline bool IsValidId(const Tokenizer& tok, uint32_t id) {
    return id < tok.token_count_ && (IsCompact(tok) || tok.token_entries_[id] != blob::kGapEntry);
  }
};

}  // namespace rwkvtok

#endif  // RWKVTOK_LIB_INTERNAL_H_
