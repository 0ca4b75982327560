// The commands of the command line tool: encode and count (one driver, count only counts) and
// decode, each streaming from an Input to an Output in bounded memory.

#ifndef RWKVTOK_TOOLS_CLI_COMMANDS_H_
#define RWKVTOK_TOOLS_CLI_COMMANDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "lib/rwkvtok.h"
#include "tools/cli/id_format.h"
#include "tools/cli/io.h"

namespace rwkvtok {
namespace cli {

// Bytes of input encoded per step: on one thread, and shared by all threads with more. Memory is
// bounded by design, whatever the input: two blocks of text (one read while the other is encoded,
// then holds its formatted ids) and room for one 32-bit id per byte of a block, 6 bytes per byte.
constexpr size_t kEncodeBlock = size_t{1} << 20;
constexpr size_t kParallelEncodeBlock = size_t{4} << 20;
// Bytes of input read per step by decode.
constexpr size_t kDecodeBlock = size_t{1} << 20;

struct EncodeSettings {
  size_t threads = 1;
  size_t block = kEncodeBlock;
  std::optional<Format> format;  // none: count only
  bool eos = false;              // append id 0
};

// Encodes all of `in`; writes the ids in settings.format, or nothing if it has none. Returns the
// number of ids (the end-of-text id included). Throws Error.
uint64_t Encode(const Tokenizer& tok, const EncodeSettings& settings, Input* in, Output* out);

// Decodes ids in `format` from `in` and writes their bytes by `policy`. On an error (an invalid id
// or malformed input, or invalid UTF-8 under the strict policy) everything before it is written:
// every byte of the ids before it (raw), those bytes with a character left unfinished as U+FFFD
// (replace), or the valid text before it (strict); then it throws Error.
void Decode(const Tokenizer& tok, Format format, Utf8Policy policy, size_t block, Input* in,
            Output* out);

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_COMMANDS_H_
