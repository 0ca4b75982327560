#include "tools/cli/args.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <thread>

#include "tools/cli/error.h"

namespace rwkvtok {
namespace cli {

const char kUsage[] =
    "usage: rwkvtok encode [FILE|-] [--format F] [--eos] [--threads N] [--profile P]\n"
    "       rwkvtok decode [FILE|-] [--format F] [--utf8 raw|replace|strict] [--profile P]\n"
    "       rwkvtok count  [FILE|-] [--eos] [--threads N] [--profile P]\n"
    "       rwkvtok binidx -o PREFIX INPUT...  (training data: rwkvtok binidx --help)\n"
    "       rwkvtok help | --help | --version\n"
    "Input is FILE, or stdin for '-' or nothing, or STRING with --text STRING; '--' ends the\n"
    "options, so that FILE may start with '-'. An option given twice takes its last value.\n"
    "  --format lines|json|u16|u32  ids as one decimal per line (default), a JSON array, or\n"
    "                               binary little-endian 16/32-bit; encode output, decode input\n"
    "  --eos                        encode: append id 0 (end of text); count counts it\n"
    "  --threads N                  encode, count: use N threads, 1 to 256, or 0 for one per\n"
    "                               CPU core; the output is the same for every N\n"
    "  --utf8 raw|replace|strict    decode: the exact bytes (default), invalid UTF-8 as U+FFFD,\n"
    "                               or an error at the first invalid UTF-8\n"
    "  --profile full|compact       the vocabulary's full tables (default) or its compact trie,\n"
    "                               which firmware uses: the same ids, about a tenth as fast\n";

namespace {

// The index of `value` among `names` (the values an option takes), else a usage error.
size_t Choose(const std::string& option, const std::string& value,
              std::initializer_list<const char*> names) {
  std::string list;
  size_t i = 0;
  for (const char* name : names) {
    if (value == name) return i;
    list += (++i == 1 ? "" : i == names.size() ? " or " : ", ") + std::string(name);
  }
  throw UsageError(option + " must be " + list + ", not " + Quoted(value));
}

// A whole decimal number from `low` to `high`, else nothing.
bool ParseNumber(const std::string& text, size_t low, size_t high, size_t* value) {
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, *value);
  return !text.empty() && error == std::errc() && stop == end && *value >= low && *value <= high;
}

}  // namespace

size_t ParseThreads(const std::string& value) {
  size_t n = 0;
  if (!ParseNumber(value, 0, kMaxThreads, &n)) {
    throw UsageError("--threads must be a number from 1 to " + std::to_string(kMaxThreads) +
                     ", or 0 for one per CPU core, not " + Quoted(value));
  }
  if (n == 0)
    n = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), kMaxThreads));
  return n;
}

OptionArg SplitOption(const std::string& arg) {
  OptionArg option;
  option.name = arg;
  const size_t equals = arg.find('=');
  option.has_value = arg.compare(0, 2, "--") == 0 && equals != std::string::npos;
  if (option.has_value) {
    option.name = arg.substr(0, equals);
    option.value = arg.substr(equals + 1);
  }
  return option;
}

namespace {

size_t BlockFromEnvironment() {
  const char* env = std::getenv("RWKVTOK_BLOCK_BYTES");
  if (env == nullptr) return 0;
  size_t n = 0;
  if (!ParseNumber(env, 1, kMaxBlockBytes, &n)) {
    throw UsageError("RWKVTOK_BLOCK_BYTES must be a number of bytes from 1 to " +
                     std::to_string(kMaxBlockBytes) + ", not " + Quoted(env));
  }
  return n;
}

}  // namespace

Options ParseArgs(int argc, const char* const* argv) {
  if (argc <= 1) throw UsageError("");
  Options o;
  bool has_path = false, has_utf8 = false, has_threads = false, options_ended = false;
  // The first thing wrong; thrown at the end, unless --help or --version come after it.
  std::string wrong;
  const auto note = [&](const std::string& message) {
    if (wrong.empty()) wrong = message;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool is_option = !options_ended && arg.size() > 1 && arg[0] == '-';
    if (!is_option) {
      if (o.command == Command::kNone) {
        if (arg == "encode") {
          o.command = Command::kEncode;
        } else if (arg == "decode") {
          o.command = Command::kDecode;
        } else if (arg == "count") {
          o.command = Command::kCount;
        } else if (arg == "help") {
          o.command = Command::kHelp;
          return o;
        } else if (arg == "binidx") {
          note("binidx comes first, before any option: rwkvtok binidx --help");
        } else {
          note("unknown command " + Quoted(arg) + ": encode, decode, count or binidx");
        }
      } else if (!has_path) {
        o.path = arg;
        has_path = true;
      } else {
        note("unexpected argument " + Quoted(arg) + ": only one FILE may be given");
      }
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    // --name VALUE or --name=VALUE.
    OptionArg option = SplitOption(arg);
    const std::string& name = option.name;
    std::string& value = option.value;
    const bool has_value = option.has_value;
    // The option's value, or nothing (and a note) if it has none.
    const auto take = [&]() -> const std::string* {
      if (!has_value) {
        if (i + 1 >= argc) {
          note(name + " needs a value");
          return nullptr;
        }
        value = argv[++i];
      }
      return &value;
    };
    const auto no_value = [&] {
      if (has_value) note(name + " takes no value");
      return !has_value;
    };
    try {
      if (name == "-h" || name == "--help") {
        o.command = Command::kHelp;
        return o;
      } else if (name == "--version") {
        o.command = Command::kVersion;
        return o;
      } else if (name == "--text") {
        if (const std::string* v = take()) {
          o.text = *v;
          o.has_text = true;
        }
      } else if (name == "--format") {
        if (const std::string* v = take()) {
          o.format = static_cast<Format>(Choose(name, *v, {"lines", "json", "u16", "u32"}));
        }
      } else if (name == "--utf8") {
        constexpr Utf8Policy kPolicies[] = {Utf8Policy::kRaw, Utf8Policy::kReplace,
                                            Utf8Policy::kStrict};
        if (const std::string* v = take()) {
          o.utf8 = kPolicies[Choose(name, *v, {"raw", "replace", "strict"})];
          has_utf8 = true;
        }
      } else if (name == "--threads") {
        if (const std::string* v = take()) {
          o.threads = ParseThreads(*v);
          has_threads = true;
        }
      } else if (name == "--eos") {
        if (no_value()) o.eos = true;
      } else if (name == "--profile") {
        if (const std::string* v = take()) o.compact = Choose(name, *v, {"full", "compact"}) == 1;
      } else {
        note("unknown option " + Quoted(arg));
      }
    } catch (const UsageError& e) {  // a bad value
      note(e.what());
    }
  }
  if (!wrong.empty()) throw UsageError(wrong);
  if (o.command == Command::kNone) throw UsageError("no command: encode, decode, count or binidx");
  if (o.has_text && has_path) throw UsageError("--text and a FILE cannot both be given");
  const bool decode = o.command == Command::kDecode;
  if (decode && o.eos) throw UsageError("--eos applies to encode and count only");
  if (decode && has_threads) throw UsageError("--threads applies to encode and count only");
  if (!decode && has_utf8) throw UsageError("--utf8 applies to decode only");
  o.block = BlockFromEnvironment();
  return o;
}

}  // namespace cli
}  // namespace rwkvtok
