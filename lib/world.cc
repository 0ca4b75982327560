// The built-in World vocabulary: constexpr arrays generated at build time from
// rwkv_vocab_v20230424.txt by //tools:rwkvtok_gen, so they live in read-only memory (flash on a
// microcontroller) and need no initialisation.

#include "lib/internal.h"
#include "lib/rwkvtok.h"
#include "lib/world_blob.h"

namespace rwkvtok {

Tokenizer Tokenizer::World() noexcept {
  return Internal::Make(world_blob::kUnits, world_blob::kUnitTokens, world_blob::kTokenOffsets,
                        world_blob::kTokenBytes, world_blob::kTokenCount,
                        world_blob::kMaxTokenLength, world_blob::kVocabChecksum);
}

}  // namespace rwkvtok
