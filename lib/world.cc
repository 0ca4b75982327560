// The built-in World vocabulary: constexpr arrays generated at build time from
// rwkv_vocab_v20230424.txt by //tools:rwkvtok_gen, so they live in read-only memory (flash on a
// microcontroller) and need no initialisation; and the same vocabulary's compact blob.
//
// Small devices can leave half of them out (README, "Microcontrollers"), defining for the library:
//   RWKVTOK_NO_DECODE  keeps only what encoding reads: the trie (units);
//   RWKVTOK_NO_ENCODE  keeps only what decoding reads: the decode table (entries and byte pool).
// The half left out is replaced by a tiny stand-in, so that calling it stays memory-safe.

#include "lib/blob_format.h"
#include "lib/internal.h"
#include "lib/rwkvtok.h"
#include "lib/world_blob.h"

#if defined(RWKVTOK_NO_DECODE) && defined(RWKVTOK_NO_ENCODE)
#error "RWKVTOK_NO_DECODE and RWKVTOK_NO_ENCODE together leave nothing of the tokenizer"
#endif

namespace rwkvtok {
namespace {

#ifdef RWKVTOK_NO_ENCODE
// The trie stand-in: a root and one child per byte value, each a one-byte token with id 0 (end of
// text, which real text never encodes to) kept in its unit, so every byte encodes to id 0. Readers
// also load the unit below a token's base (lib/blob_format.h, "Token ids"), here units[-1]: the
// array starts one unit before the trie.
struct ByteTrie {
  uint32_t units[1 + 1 + blob::kAlphabetSize];
};
constexpr ByteTrie MakeByteTrie() {
  ByteTrie trie{};
  trie.units[1 + blob::kRootUnit] = blob::MakeUnit(1, false, false, 0);
  for (uint32_t byte = 0; byte < blob::kAlphabetSize; ++byte) {
    trie.units[2 + byte] = blob::MakeUnit(0, true, true, static_cast<uint8_t>(byte), true);
  }
  return trie;
}
constexpr ByteTrie kByteTrie = MakeByteTrie();
constexpr const uint32_t* kUnits = kByteTrie.units + 1;
#else
constexpr const uint32_t* kUnits = world_blob::kUnits;
#endif

#ifdef RWKVTOK_NO_DECODE
// The decode table stand-in: an id space of one id, 0 (end of text, no bytes), so every other id
// is reported as invalid.
constexpr uint32_t kTokenEntries[1] = {0};
constexpr uint8_t kTokenBytes[blob::kPoolSlack] = {};
constexpr uint32_t kTokenCount = 1;
#else
constexpr const uint32_t* kTokenEntries = world_blob::kTokenEntries;
constexpr const uint8_t* kTokenBytes = world_blob::kTokenBytes;
constexpr uint32_t kTokenCount = world_blob::kTokenCount;
#endif

}  // namespace

Tokenizer Tokenizer::World() noexcept {
  return Internal::Make(kUnits, kTokenEntries, kTokenBytes, kTokenCount,
                        world_blob::kMaxTokenLength, world_blob::kVocabChecksum);
}

// The compact blob serves encoding and decoding alike, so every build has all of it.
Tokenizer Tokenizer::WorldCompact() noexcept {
  return Internal::MakeCompact(world_blob::kCompactBlob);
}

}  // namespace rwkvtok
