// `rwkvtok binidx`: corpora (JSONL, plain text) to the binidx datasets RWKV-LM trains on, and
// checks of such datasets.

#ifndef RWKVTOK_TOOLS_CLI_BINIDX_COMMAND_H_
#define RWKVTOK_TOOLS_CLI_BINIDX_COMMAND_H_

#include <string>

#include "tools/cli/io.h"

namespace rwkvtok {
namespace cli {

extern const char kBinidxUsage[];

// Runs `rwkvtok binidx ...` (argv[1] is "binidx"): prints its summary on stdout (`version` for
// --version), or throws Error (UsageError for a bad command line), its message one line. No
// dataset is half-written: on an error, SIGINT or SIGTERM, or if the summary cannot be written,
// the temporary files are removed and an existing dataset of that prefix stays as it was.
void RunBinidx(int argc, const char* const* argv, const StandardStreams& streams,
               const std::string& version);

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_BINIDX_COMMAND_H_
