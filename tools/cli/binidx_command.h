// `rwkvtok binidx`: corpora (JSONL, plain text) to the binidx datasets RWKV-LM trains on, and
// checks of such datasets.

#ifndef RWKVTOK_TOOLS_CLI_BINIDX_COMMAND_H_
#define RWKVTOK_TOOLS_CLI_BINIDX_COMMAND_H_

namespace rwkvtok {
namespace cli {

extern const char kBinidxUsage[];

// Runs `rwkvtok binidx ...` (argv[1] is "binidx"): prints its summary on stdout, or throws Error
// (UsageError for a bad command line). No dataset is half-written: on an error, SIGINT or SIGTERM
// the temporary files are removed and an existing dataset of that prefix stays as it was.
void RunBinidx(int argc, const char* const* argv);

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_BINIDX_COMMAND_H_
