// rwkvtok: encode, decode and count tokens of the World vocabulary from the command line.
//
// Every command streams: input is read in blocks as it arrives and output written as it is made,
// in bounded memory whatever the input. Errors are one line on stderr, "rwkvtok: ...", with exit
// status 1 (2 for a bad command line); what was written before an error is valid.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "lib/rwkvtok.h"
#include "tools/cli/args.h"
#include "tools/cli/binidx_command.h"
#include "tools/cli/commands.h"
#include "tools/cli/error.h"
#include "tools/cli/io.h"

namespace rwkvtok {
namespace cli {
namespace {

// Writes `text` to stdout; an Error if it cannot (e.g. --help > /dev/full).
void Print(const std::string& text, const StandardStreams& streams) {
  const int error = streams.output_closed ? EBADF : Output::WriteAll(text.data(), text.size());
  if (error != 0) throw Error(std::string("cannot write output: ") + std::strerror(error));
}

std::string VersionText() {
  const Tokenizer tok = Tokenizer::World();
  char checksum[17];
  std::snprintf(checksum, sizeof(checksum), "%016llx",
                static_cast<unsigned long long>(tok.vocab_checksum()));
  return std::string("rwkvtok ") + rwkvtok_version() +
         "\nvocabulary rwkv_vocab_v20230424: " + std::to_string(tok.token_count() - 1) +
         " tokens, checksum " + checksum + "\n";
}

void Run(const Options& o, const StandardStreams& streams, Output* out, Progress* progress) {
  Input in = o.has_text ? Input::Text(o.text) : Input::File(o.path, streams);
  const bool count = o.command == Command::kCount;
  // The progress line would tangle with ids or text written to the same terminal; count prints
  // only at the end.
  progress->Start(isatty(STDERR_FILENO) && (count || !isatty(STDOUT_FILENO)), in.KnownSize());
  in.ReportProgress(progress);
  in.FlushBeforeWaiting(out);

  const Tokenizer tok = o.compact ? Tokenizer::WorldCompact() : Tokenizer::World();
  if (o.command == Command::kDecode) {
    Decode(tok, o.format, o.utf8, o.block != 0 ? o.block : kDecodeBlock, &in, out);
  } else {
    EncodeSettings settings;
    settings.threads = o.threads;
    settings.block = o.block != 0 ? o.block : o.threads > 1 ? kParallelEncodeBlock : kEncodeBlock;
    if (!count) settings.format = o.format;
    settings.eos = o.eos;
    const uint64_t ids = Encode(tok, settings, &in, out);
    if (count) {
      const std::string line = std::to_string(ids) + "\n";
      out->Write(line.data(), line.size());
    }
  }
  progress->Clear();  // before the output, which may go to the same terminal
  out->Flush();
}

// Reports an error: clears the progress line, writes what was made before it, then the message.
int Fail(const char* message, int exit_status, Output* out, Progress* progress) noexcept {
  progress->Clear();
  if (out != nullptr) out->FlushQuietly();
  if (message[0] == '\0') {
    std::fputs(kUsage, stderr);
  } else {
    std::fprintf(stderr, "rwkvtok: %s\n", message);
  }
  return exit_status;
}

int Main(int argc, char** argv) {
  const StandardStreams streams = StandardStreams::Hold();
  Progress progress;
  std::unique_ptr<Output> out;
  try {
    if (argc > 1 && std::string(argv[1]) == "binidx") {
      RunBinidx(argc, argv, streams, VersionText());
      return 0;
    }
    const Options o = ParseArgs(argc, argv);
    if (o.command == Command::kHelp) {
      Print(kUsage, streams);
    } else if (o.command == Command::kVersion) {
      Print(VersionText(), streams);
    } else {
      out.reset(new Output(streams.output_closed));
      Run(o, streams, out.get(), &progress);
    }
    return 0;
  } catch (const Error& e) {
    return Fail(e.what(), e.exit_status(), out.get(), &progress);
  } catch (const std::bad_alloc&) {
    return Fail("out of memory", 1, out.get(), &progress);
  } catch (const std::exception& e) {
    return Fail(e.what(), 1, out.get(), &progress);
  }
}

}  // namespace
}  // namespace cli
}  // namespace rwkvtok

int main(int argc, char** argv) { return rwkvtok::cli::Main(argc, argv); }
