// The command line of the rwkvtok tool, and the settings it takes from the environment.

#ifndef RWKVTOK_TOOLS_CLI_ARGS_H_
#define RWKVTOK_TOOLS_CLI_ARGS_H_

#include <cstddef>
#include <string>

#include "lib/rwkvtok.h"
#include "tools/cli/id_format.h"

namespace rwkvtok {
namespace cli {

extern const char kUsage[];

enum class Command { kNone, kEncode, kDecode, kCount, kHelp, kVersion };

struct Options {
  Command command = Command::kNone;
  std::string path = "-";  // "-": standard input
  std::string text;
  bool has_text = false;
  Format format = Format::kLines;
  bool eos = false;
  size_t threads = 1;
  Utf8Policy utf8 = Utf8Policy::kRaw;
  size_t block = 0;      // RWKVTOK_BLOCK_BYTES, else 0: the command's own
  bool compact = false;  // --profile compact: the compact profile's World
};

// Reads the command line (and RWKVTOK_BLOCK_BYTES from the environment). --help (or the command
// help) and --version win wherever they stand as options; otherwise a UsageError names what is
// wrong (the first word or value that cannot be taken, else options that do not go together) (with no arguments at all, the message is empty: print the usage). An
// option given twice takes its last value.
Options ParseArgs(int argc, const char* const* argv);

// The most threads --threads takes.
constexpr size_t kMaxThreads = 256;

// --threads' value: 1 to kMaxThreads, or 0 for one per CPU core; else a UsageError.
size_t ParseThreads(const std::string& value);

// An argument that starts with '-', as given: "--name=value" splits at its first '='; any other
// is a name alone, whose value, if it takes one, is the next argument.
struct OptionArg {
  std::string name, value;
  bool has_value = false;
};
OptionArg SplitOption(const std::string& arg);
// The largest block RWKVTOK_BLOCK_BYTES may set.
constexpr size_t kMaxBlockBytes = size_t{64} << 20;

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_ARGS_H_
