#include "tools/cli/binidx_command.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "lib/rwkvtok.h"
#include "tools/binidx/dataset.h"
#include "tools/binidx/jsonl.h"
#include "tools/cli/args.h"
#include "tools/cli/error.h"
#include "tools/cli/io.h"
#include "tools/cli/workers.h"

extern char** environ;

namespace rwkvtok {
namespace cli {

const char kBinidxUsage[] =
    "usage: rwkvtok binidx -o PREFIX [--field NAME] [--skip-bad] [--ctx-len L] [--threads N]\n"
    "                      [--epochs E] [--shuffle [--seed S]] INPUT...\n"
    "       rwkvtok binidx info PREFIX [--ctx-len L]\n"
    "       rwkvtok binidx merge -o OUT PREFIX... [--ctx-len L]\n"
    "       rwkvtok binidx dump PREFIX\n"
    "Writes the documents of the INPUTs, in order, as PREFIX.bin and PREFIX.idx: RWKV-LM's\n"
    "binidx, uint16 ids, each document ending with id 0. INPUT is FILE.jsonl (one JSON object per\n"
    "line, the document its string member NAME; blank lines skipped), FILE.jsonl.gz or .jsonl.zst\n"
    "(read through gzip or zstd), FILE.txt (the whole file is one document), a directory (its\n"
    "files, in sorted order) or '-' (JSONL on stdin); './info' for a file named info. The dataset\n"
    "appears whole or not at all.\n"
    "  -o PREFIX      the dataset to write (replaced only when the new one is complete)\n"
    "  --field NAME   the member that holds the document (default: text)\n"
    "  --skip-bad     skip lines that are not a JSON object with a string NAME, and count them;\n"
    "                 without it the first such line is an error naming FILE:LINE\n"
    "  --epochs E     write the documents E times (default 1)\n"
    "  --shuffle      each time in an order of its own, from --seed S (default 0), as\n"
    "                 docs/binidx.md specifies\n"
    "  --threads N    read and encode lines on N threads (0: one per CPU core); the dataset is\n"
    "                 the same for every N\n"
    "  --ctx-len L    also print the --my_exit_tokens and --magic_prime RWKV-LM needs for\n"
    "                 contexts of L tokens\n"
    "info checks a dataset (header, sizes, pointers, every id, every document's final 0) and\n"
    "prints its counts; merge concatenates checked datasets of one dtype into OUT; dump writes\n"
    "a dataset's documents back as JSONL, {\"text\": ...} a line.\n";

namespace {

// `text` as a whole decimal number of at least `least`, else a UsageError that says what
// `option` takes.
uint64_t Number(const std::string& option, const std::string& text, uint64_t least,
                const std::string& what) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value < least) {
    throw UsageError(option + " must be " + what + ", not " + Quoted(text));
  }
  return value;
}

enum class Sub { kBuild, kInfo, kMerge, kDump };

struct BinidxOptions {
  Sub sub = Sub::kBuild;
  std::string prefix;
  std::string field = "text";
  bool skip_bad = false;
  uint64_t ctx_len = 0;
  size_t threads = 1;
  uint64_t epochs = 1;
  bool shuffle = false;
  uint64_t seed = 0;
  std::vector<std::string> inputs;
};

BinidxOptions Parse(int argc, const char* const* argv) {
  BinidxOptions o;
  bool has_output = false, has_field = false, has_threads = false, has_epochs = false,
       has_seed = false, options_ended = false;
  int first = 2;
  if (argc > 2) {
    const std::string word = argv[2];
    if (word == "info" || word == "merge" || word == "dump") {
      o.sub = word == "info" ? Sub::kInfo : word == "merge" ? Sub::kMerge : Sub::kDump;
      first = 3;
    }
  }
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (options_ended || arg == "-" || arg.empty() || arg[0] != '-') {
      o.inputs.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    OptionArg option = SplitOption(arg);
    const std::string& name = option.name;
    std::string& value = option.value;
    const bool has_value = option.has_value;
    const auto take = [&]() -> const std::string& {
      if (!has_value) {
        if (i + 1 >= argc) throw UsageError(name + " needs a value");
        value = argv[++i];
      }
      return value;
    };
    if (name == "-o" || name == "--output") {
      o.prefix = take();
      has_output = true;
    } else if (name == "--field") {
      o.field = take();
      has_field = true;
    } else if (name == "--threads") {
      o.threads = ParseThreads(take());
      has_threads = true;
    } else if (name == "--epochs") {
      o.epochs = Number(name, take(), 1, "a number, 1 or more");
      has_epochs = true;
    } else if (name == "--seed") {
      o.seed = Number(name, take(), 0, "a number");
      has_seed = true;
    } else if (name == "--shuffle" && !has_value) {
      o.shuffle = true;
    } else if (name == "--skip-bad" && !has_value) {
      o.skip_bad = true;
    } else if (name == "--ctx-len") {
      o.ctx_len = Number(name, take(), 1, "a number of tokens, 1 or more");
    } else {
      throw UsageError("unknown option " + Quoted(arg) + " (rwkvtok binidx --help)");
    }
  }
  if (has_seed && !o.shuffle) throw UsageError("--seed applies to --shuffle");
  if (o.sub != Sub::kBuild && (has_epochs || o.shuffle)) {
    throw UsageError("--epochs and --shuffle apply to building a dataset");
  }
  if (o.sub == Sub::kInfo || o.sub == Sub::kDump) {
    if (o.inputs.size() != 1 || has_output || o.skip_bad || has_field || has_threads ||
        (o.sub == Sub::kDump && o.ctx_len != 0)) {
      throw UsageError(o.sub == Sub::kInfo ? "binidx info takes one PREFIX, and --ctx-len"
                                           : "binidx dump takes one PREFIX");
    }
    o.prefix = o.inputs[0];
    return o;
  }
  if (o.sub == Sub::kMerge && (o.skip_bad || has_field || has_threads)) {
    throw UsageError("binidx merge takes -o OUT, PREFIXes and --ctx-len");
  }
  if (!has_output || o.prefix.empty()) throw UsageError("binidx needs -o PREFIX");
  if (o.inputs.empty()) {
    throw UsageError(o.sub == Sub::kMerge ? "binidx merge needs at least one PREFIX"
                                          : "binidx needs at least one INPUT");
  }
  return o;
}

// --- Interruption -------------------------------------------------------------------------------

// The temporary files of the dataset being written, for the signal handler, which may use only
// what is async-signal-safe: fixed buffers, unlink, write, _exit.
// Slots 0 and 1: the temporaries of the dataset being written; 2 and 3: the staged pass of
// --epochs and --shuffle.
char g_temporaries[4][4096];

void RemoveAndExit(int signal_number) {
  for (const char* path : g_temporaries) {
    if (path[0] != '\0') unlink(path);
  }
  const char* message = signal_number == SIGINT ? "rwkvtok: interrupted; no dataset written\n"
                                                : "rwkvtok: terminated; no dataset written\n";
  const ssize_t ignored = write(STDERR_FILENO, message, std::strlen(message));
  (void)ignored;
  _exit(1);
}

class Interruptions {
 public:
  Interruptions() {
    struct sigaction action = {};
    action.sa_handler = RemoveAndExit;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    // A file size limit then fails the write (EFBIG) instead of killing the process, and a
    // closed pipe fails the summary's (EPIPE), so that the files are removed.
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
  }
  ~Interruptions() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    for (char* path : g_temporaries) path[0] = '\0';
  }
  // Files to remove if a signal comes now: listed before they exist, or while signals are held
  // (HeldSignals), so that no signal finds one that is not listed.
  static void Keep(const binidx::Writer& writer) {
    Keep(0, writer.bin_temporary());
    Keep(1, writer.idx_temporary());
  }
  static void Keep(int slot, const std::string& path) {
    const size_t n = std::min(path.size(), sizeof(g_temporaries[slot]) - 1);
    std::memcpy(g_temporaries[slot], path.data(), n);
    g_temporaries[slot][n] = '\0';
  }

 private:
  struct sigaction old_int_ = {}, old_term_ = {};
};

// SIGINT and SIGTERM held back from its making to its end (or Release), then delivered.
class HeldSignals {
 public:
  HeldSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &signals, &old_);
  }
  ~HeldSignals() { Release(); }
  void Release() {
    if (held_) sigprocmask(SIG_SETMASK, &old_, nullptr);
    held_ = false;
  }

 private:
  sigset_t old_;
  bool held_ = true;
};

// The staged pass of --epochs and --shuffle: a dataset beside the target, removed however the run
// ends.
class Stage {
 public:
  explicit Stage(const std::string& prefix) {
    const size_t slash = prefix.rfind('/');
    const std::string pass = ".pass-" + std::to_string(getpid());
    // Cut short where its own writer's temporaries would pass the longest file name.
    const std::string base = prefix.substr(slash == std::string::npos ? 0 : slash + 1)
                                 .substr(0, NAME_MAX - std::strlen("...bin.XXXXXX") - pass.size());
    prefix_ = (slash == std::string::npos ? "" : prefix.substr(0, slash + 1)) + "." + base + pass;
    Interruptions::Keep(2, prefix_ + ".bin");
    Interruptions::Keep(3, prefix_ + ".idx");
  }
  ~Stage() {
    unlink((prefix_ + ".bin").c_str());
    unlink((prefix_ + ".idx").c_str());
  }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
};

// --- Reading inputs -----------------------------------------------------------------------------

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// A file (or stdin) read in blocks; a compressed one through its decompressor (gzip -dc,
// zstd -dc), a process of its own whose output this reads.
class Reader {
 public:
  Reader(const std::string& path, const char* decompressor, const StandardStreams& streams)
      : name_(path) {
    const std::string closed = "cannot read standard input: " + std::string(std::strerror(EBADF));
    if (path == "-") {
      if (streams.input_closed) throw Error(closed);
      fd_ = STDIN_FILENO;
      name_ = "stdin";
      return;
    }
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
    if (streams.IsHeldInput(fd_)) {
      close(fd_);
      throw Error(closed);
    }
    if (decompressor != nullptr) Decompress(decompressor);
  }
  ~Reader() {
    if (fd_ != STDIN_FILENO) close(fd_);
    if (child_ > 0) {
      kill(child_, SIGTERM);
      int status;
      waitpid(child_, &status, 0);
    }
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Up to `size` bytes into `buffer`: 0 at the end (where a decompressor must have succeeded).
  size_t Read(char* buffer, size_t size) {
    for (;;) {
      const ssize_t n = read(fd_, buffer, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error("cannot read " + name_ + ": " + std::strerror(errno));
      if (n == 0 && child_ > 0) Finish();
      return static_cast<size_t>(n);
    }
  }
  const std::string& name() const { return name_; }

 private:
  void Decompress(const char* program) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(std::string("cannot start ") + program);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fd_, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    // Its own messages would not be one line; the exit status says enough.
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char* const argv[] = {const_cast<char*>(program), const_cast<char*>("-dc"), nullptr};
    const int error = posix_spawnp(&child_, program, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    close(fd_);
    fd_ = pipe_fds[0];
    program_ = program;
    if (error != 0) {
      child_ = 0;
      throw Error(std::string("cannot start ") + program + " to read " + name_ + ": " +
                  std::strerror(error));
    }
  }

  void Finish() {
    int status = 0;
    while (waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
    child_ = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw Error(name_ + ": " + program_ + " -dc failed (" +
                  (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                     : "killed by signal " + std::to_string(WTERMSIG(status))) +
                  "): not a valid " + (program_ == "gzip" ? ".gz" : ".zst") + " file");
    }
  }

  std::string name_;
  int fd_ = -1;
  pid_t child_ = 0;
  std::string program_;
};

constexpr size_t kReadBlock = size_t{1} << 20;
// Lines are read and encoded in batches of about this many bytes per thread...
constexpr size_t kBatchBytesPerThread = size_t{4} << 20;
// ...in shards, which threads take in turn, of at least this many bytes, enough texts for the
// vector lanes to take many in turn (Tokenizer::EncodeTexts)...
constexpr size_t kMinShardBytes = size_t{256} << 10;
// ...and at most this many, so that a shard's texts and ids stay in the caches.
constexpr size_t kMaxShardBytes = size_t{1} << 20;

bool EndsWith(const std::string& text, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

bool IsBlank(const char* p, const char* end) {
  for (; p < end; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\r') return false;
  }
  return true;
}

// The entries of a directory as paths, in byte order of their names.
std::vector<std::string> DirectoryEntries(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  const std::string base = EndsWith(path, "/") ? path : path + "/";
  for (std::string& name : names) name = base + name;
  return names;
}

// The bytes of the inputs, when all of them are files whose size says it (plain, not compressed).
uint64_t KnownSize(const std::vector<std::string>& inputs) {
  uint64_t total = 0;
  for (const std::string& path : inputs) {
    struct stat st;
    if (path == "-" || stat(path.c_str(), &st) != 0) return 0;
    if (S_ISDIR(st.st_mode)) {
      const std::vector<std::string> files = DirectoryEntries(path);
      const uint64_t inside = KnownSize(files);
      if (inside == 0 && !files.empty()) return 0;
      total += inside;
    } else if (EndsWith(path, ".gz") || EndsWith(path, ".zst")) {
      return 0;
    } else {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  return total;
}

// The progress line, on a terminal: cleared however the run ends.
class ProgressLine {
 public:
  explicit ProgressLine(uint64_t total) { progress_.Start(isatty(STDERR_FILENO) == 1, total); }
  ~ProgressLine() { progress_.Clear(); }
  void Update(uint64_t bytes, uint64_t documents) {
    progress_.Update(bytes, std::to_string(documents) + " documents");
  }

 private:
  Progress progress_;
};

// Ids of 16 bits (as every World id is; larger ones would saturate, or be cut in the last few) to
// uint16_t, 8 at a time with SSE2, which every x86-64 has (GCC 12 does not vectorize the loop at
// -O2). SSE2 packs with signed saturation, so the ids are moved down by 0x8000 first, into
// int16_t's range, and back after.
void Narrow(const uint32_t* from, size_t count, uint16_t* to) {
  size_t k = 0;
#if defined(__SSE2__)
  const __m128i bias32 = _mm_set1_epi32(0x8000);
  const __m128i bias16 = _mm_set1_epi16(static_cast<int16_t>(0x8000));
  for (; count - k >= 8; k += 8) {
    const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + k));
    const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + k + 4));
    const __m128i packed = _mm_packs_epi32(_mm_sub_epi32(low, bias32), _mm_sub_epi32(high, bias32));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + k), _mm_xor_si128(packed, bias16));
  }
#endif
  for (; k < count; ++k) to[k] = static_cast<uint16_t>(from[k]);
}

class Builder {
 public:
  Builder(const BinidxOptions& o, binidx::Writer* writer, ProgressLine* progress,
          const StandardStreams& streams)
      : o_(o),
        writer_(writer),
        progress_(progress),
        streams_(streams),
        tok_(Tokenizer::World()),
        workers_(o.threads),
        scratch_(o.threads) {}

  void Input(const std::string& path) {
    if (path == "-") return Jsonl(path, nullptr);
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
      throw Error("cannot open " + path + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return Directory(path);
    if (EndsWith(path, ".jsonl")) return Jsonl(path, nullptr);
    if (EndsWith(path, ".jsonl.gz")) return Jsonl(path, "gzip");
    if (EndsWith(path, ".jsonl.zst")) return Jsonl(path, "zstd");
    if (EndsWith(path, ".txt")) return Text(path);
    throw Error(path +
                ": binidx reads .jsonl, .jsonl.gz, .jsonl.zst and .txt files, directories of "
                "them, and - (JSONL on stdin)");
  }

  uint64_t skipped() const { return skipped_; }

 private:
  void Directory(const std::string& path) {
    // The files being written, and the dataset they replace, may lie in the directory (binidx
    // -o corpus .): they are not inputs.
    std::vector<struct stat> own;
    for (const std::string& file : {writer_->bin_temporary(), writer_->idx_temporary(),
                                    o_.prefix + ".bin", o_.prefix + ".idx"}) {
      struct stat st;
      if (stat(file.c_str(), &st) == 0) own.push_back(st);
    }
    for (const std::string& file : DirectoryEntries(path)) {
      struct stat st;
      if (stat(file.c_str(), &st) != 0)
        throw Error("cannot open " + file + ": " + std::strerror(errno));
      if (std::any_of(own.begin(), own.end(),
                      [&](const struct stat& o) { return SameFile(o, st); }))
        continue;
      if (S_ISDIR(st.st_mode)) {
        throw Error(file + ": binidx reads the files of a directory, not its subdirectories");
      }
      Input(file);
    }
  }

  // JSONL is read in batches of whole lines, ~2 MB per thread, cut into shards. Threads take
  // shards in turn, read their lines' texts and encode them all at
  // once (Tokenizer::EncodeTexts); then the documents are written in order: the dataset, and the
  // first bad line reported, are the same for any number of threads. With more than one thread,
  // the next batch is read and the last one written meanwhile.

  // A non-blank line: a document, or why it is not one.
  struct Line {
    uint64_t number;  // within its shard, from 0
    int64_t text;     // its text's index in its shard, or -1 - the index of its error
  };

  // A run of whole lines, [begin, end) of its batch, and their documents' ids.
  struct Shard {
    size_t begin = 0, end = 0;
    uint64_t line_breaks = 0;         // in [begin, end): the lines it numbers, blank ones included
    std::vector<Line> lines;          // the non-blank ones
    std::vector<std::string> errors;  // why lines are not documents
    // Why its lines could not all be read and encoded, if so: not their fault (no memory), so
    // --skip-bad does not skip them; the bad lines before failure_line are reported first.
    const char* failure = nullptr;
    bool encoding_failed = false;  // else out of memory
    uint64_t failure_line = 0;     // the line being read then, or the first of those encoded
    std::vector<size_t> counts;    // ids of each text...
    std::vector<uint16_t> ids16;   // ...end to end, as binidx stores them
  };

  // What a thread needs while it encodes a shard: its texts end to end, and room for their ids.
  struct Scratch {
    std::string texts;
    std::vector<size_t> ends;
    std::vector<uint32_t> ids;  // text i's at ends[i - 1]
  };

  struct Batch {
    std::string bytes;  // JSONL, of which [0, whole) are whole lines
    size_t whole = 0;
    std::vector<Shard> shards;  // the first shard_count of them
    size_t shard_count = 0;
  };

  // Reads carry_ and then the input into `batch` up to the batch size and a line break, or to the
  // end of the input (then returns true).
  bool Fill(Reader& in, Batch& batch) {
    const size_t batch_bytes = kBatchBytesPerThread * workers_.size();
    std::string& bytes = batch.bytes;
    // The buffer grows as the input comes (doubling), so that a small input with many threads
    // takes little memory; a line longer than the batch makes it grow past the batch size.
    if (bytes.size() < carry_.size() + kReadBlock) bytes.resize(carry_.size() + kReadBlock);
    std::memcpy(&bytes[0], carry_.data(), carry_.size());
    size_t filled = carry_.size();
    size_t clean = filled;  // bytes[0, clean) holds no line break
    for (;;) {
      if (bytes.size() < filled + kReadBlock) {
        bytes.resize(std::max(filled + kReadBlock, std::min(2 * bytes.size(), batch_bytes)));
      }
      const size_t n = in.Read(&bytes[filled], bytes.size() - filled);
      Read(n);
      filled += n;
      if (n == 0) {
        batch.whole = filled;
        carry_.clear();
        return true;
      }
      if (filled < batch_bytes) continue;
      const void* last = memrchr(bytes.data() + clean, '\n', filled - clean);
      if (last == nullptr) {
        clean = filled;
        continue;
      }
      batch.whole = static_cast<const char*>(last) - bytes.data() + 1;
      carry_.assign(bytes.data() + batch.whole, filled - batch.whole);
      return false;
    }
  }

  // Cuts the batch's lines into shards for the threads to take in turn: each a share of what is
  // left, so that they come smaller towards the end and the threads finish together (one thread
  // takes them all of the largest size).
  void Split(Batch& batch) const {
    const size_t size = batch.whole;
    batch.shard_count = 0;
    size_t at = 0;
    do {
      // Shards are kept between batches, with the memory they hold.
      if (batch.shards.size() == batch.shard_count) batch.shards.emplace_back();
      Shard& shard = batch.shards[batch.shard_count++];
      shard.begin = at;
      const size_t share =
          workers_.size() == 1 ? kMaxShardBytes : (size - at) / (2 * workers_.size());
      at = std::min(size, at + std::clamp(share, kMinShardBytes, kMaxShardBytes));
      const void* newline =
          at < size ? std::memchr(batch.bytes.data() + at, '\n', size - at) : nullptr;
      at = newline == nullptr ? size : static_cast<const char*>(newline) - batch.bytes.data() + 1;
      shard.end = at;
    } while (at < size);
  }

  // Encodes the shards left of the batch, one after another: each thread calls it, so that one
  // slowed down by others takes fewer.
  void EncodeShards(Batch& batch, Scratch& scratch, std::atomic<size_t>* next) {
    for (size_t i; (i = next->fetch_add(1)) < batch.shard_count;) {
      Encode(batch.bytes, batch.shards[i], scratch);
    }
  }

  // Finds, reads and encodes the lines of `shard`, in `bytes`.
  void Encode(const std::string& bytes, Shard& shard, Scratch& scratch) {
    shard.lines.clear();
    shard.errors.clear();
    scratch.texts.clear();
    scratch.ends.clear();
    shard.line_breaks = 0;
    shard.failure = nullptr;
    shard.encoding_failed = false;
    std::string error;
    const auto fail = [&shard](const char* why, uint64_t line) {
      shard.failure = why;
      shard.failure_line = line;
    };
    try {
      const char* const data = bytes.data();
      for (size_t at = shard.begin; at < shard.end;) {
        const char* newline =
            static_cast<const char*>(std::memchr(data + at, '\n', shard.end - at));
        const size_t line_end = newline == nullptr ? shard.end : newline - data;
        const uint64_t number = shard.line_breaks;
        shard.failure_line = number;  // should memory run out
        if (newline != nullptr) ++shard.line_breaks;
        if (!IsBlank(data + at, data + line_end)) {
          const size_t kept = scratch.texts.size();
          const std::string_view text(data + at, line_end - at);
          if (binidx::AppendField(text, o_.field, &scratch.texts, &error)) {
            shard.lines.push_back(Line{number, static_cast<int64_t>(scratch.ends.size())});
            scratch.ends.push_back(scratch.texts.size());
          } else {
            scratch.texts.resize(kept);
            shard.lines.push_back(Line{number, -1 - static_cast<int64_t>(shard.errors.size())});
            shard.errors.push_back(error);
          }
        }
        at = line_end + 1;
      }
      scratch.ids.resize(std::max<size_t>(scratch.texts.size(), 1));
      shard.counts.resize(scratch.ends.size());
    } catch (const std::bad_alloc&) {
      fail("out of memory", shard.failure_line);
      return;
    }
    const uint64_t first = shard.lines.empty() ? 0 : shard.lines.front().number;
    const Status status =
        tok_.EncodeTexts(scratch.texts.data(), scratch.ends.data(), scratch.ends.size(),
                         scratch.ids.data(), shard.counts.data());
    if (status != Status::kOk) {
      fail(StatusMessage(status), first);
      shard.encoding_failed = true;
      return;
    }
    // Narrowed here, on many threads, while they are in the cache (every World id fits).
    size_t total = 0;
    for (const size_t count : shard.counts) total += count;
    try {
      shard.ids16.resize(total);
    } catch (const std::bad_alloc&) {
      fail("out of memory", first);
      return;
    }
    uint16_t* to = shard.ids16.data();
    for (size_t i = 0; i < shard.counts.size(); ++i) {
      Narrow(scratch.ids.data() + (i == 0 ? 0 : scratch.ends[i - 1]), shard.counts[i], to);
      to += shard.counts[i];
    }
  }

  [[noreturn]] void BadLine(const Shard& shard, const Line& line) const {
    throw Error(name_ + ":" + std::to_string(lines_before_ + line.number + 1) + ": " +
                shard.errors[-1 - line.text]);
  }

  // Writes the batch's documents in order, or reports its first bad line.
  void Write(const Batch& batch) {
    for (size_t k = 0; k < batch.shard_count; ++k) {
      const Shard& shard = batch.shards[k];
      size_t at = 0;  // in ids16
      if (shard.failure != nullptr) {
        // Bad lines before it are reported first, as they come first.
        for (const Line& line : shard.lines) {
          if (line.number >= shard.failure_line) break;
          if (line.text < 0 && !o_.skip_bad) BadLine(shard, line);
        }
        if (!shard.encoding_failed) throw std::bad_alloc();  // no line's fault: "out of memory"
        throw Error(name_ + ":" + std::to_string(lines_before_ + shard.failure_line + 1) +
                    ": cannot encode: " + shard.failure);
      }
      for (const Line& line : shard.lines) {
        if (line.text < 0) {
          if (!o_.skip_bad) BadLine(shard, line);
          ++skipped_;
          continue;
        }
        const size_t count = shard.counts[static_cast<size_t>(line.text)];
        writer_->Append(shard.ids16.data() + at, count);
        writer_->EndDocument();
        at += count;  // texts come in the order of their lines
      }
      lines_before_ += shard.line_breaks;
    }
    Read(0);
  }

  void Jsonl(const std::string& path, const char* decompressor) {
    Reader in(path, decompressor, streams_);
    name_ = in.name();
    lines_before_ = 0;
    carry_.clear();
    size_t now = 0;  // the batch being encoded; the other one is read (and was written) meanwhile
    bool at_end = Fill(in, batches_[now]);
    bool written = true;  // the other batch
    for (;;) {
      Batch& batch = batches_[now];
      Batch& other = batches_[1 - now];
      Split(batch);
      const size_t threads = std::min(workers_.size(), batch.shard_count);
      std::atomic<size_t> next{0};
      if (workers_.size() == 1) {
        EncodeShards(batch, scratch_[0], &next);
        Write(batch);
        if (at_end) return;
        at_end = Fill(in, batch);
        continue;
      }
      // Thread 0 first writes the other batch and reads the next one into it, then takes
      // shards as the others do. Errors wait until the threads are done; a read's until this
      // batch is written, as it comes later.
      std::exception_ptr write_error, read_error;
      bool next_at_end = at_end;
      workers_.Run(threads, [&](size_t k) {
        if (k == 0) {
          try {
            if (!written) Write(other);
            try {
              if (!at_end) next_at_end = Fill(in, other);
            } catch (...) {
              read_error = std::current_exception();
            }
          } catch (...) {
            write_error = std::current_exception();
          }
        }
        EncodeShards(batch, scratch_[k], &next);
      });
      if (write_error) std::rethrow_exception(write_error);
      if (at_end || read_error) {
        Write(batch);
        if (read_error) std::rethrow_exception(read_error);
        return;
      }
      written = false;
      at_end = next_at_end;
      now = 1 - now;
    }
  }

  // The whole file is one document, encoded as it is read.
  void Text(const std::string& path) {
    Reader in(path, nullptr, streams_);
    StreamEncoder encoder(tok_);
    std::vector<char> block(kReadBlock);
    std::vector<uint32_t> ids(kReadBlock + tok_.max_token_length());
    for (;;) {
      const size_t n = in.Read(block.data(), block.size());
      Read(n);
      const Result r = n == 0 ? encoder.Finish(ids.data(), ids.size())
                              : encoder.Push(block.data(), n, ids.data(), ids.size());
      if (!r.ok()) throw Error(std::string("cannot encode: ") + StatusMessage(r.status));
      writer_->Append(ids.data(), r.count);
      if (n == 0) break;
    }
    writer_->EndDocument();
  }

  void Read(size_t bytes) {
    bytes_ += bytes;
    progress_->Update(bytes_, writer_->counts().documents);
  }

  const BinidxOptions& o_;
  binidx::Writer* writer_;
  ProgressLine* progress_;
  const StandardStreams& streams_;
  uint64_t bytes_ = 0;
  const Tokenizer tok_;
  Workers workers_;
  std::string name_;  // of the input being read
  Batch batches_[2];
  std::vector<Scratch> scratch_;  // one per thread
  std::string carry_;             // a line that the last batch read ends inside
  uint64_t lines_before_ = 0;     // in the input, before those of the batch being written
  uint64_t skipped_ = 0;
};

void Print(const std::string& text, const StandardStreams& streams) {
  const int error = streams.output_closed ? EBADF : Output::WriteAll(text.data(), text.size());
  if (error != 0) throw Error(std::string("cannot write output: ") + std::strerror(error));
}

std::string TrainingLines(const binidx::Counts& counts, uint64_t ctx_len) {
  if (ctx_len == 0) return "";
  std::string text = "--my_exit_tokens " + std::to_string(counts.tokens) + "\n";
  const uint64_t prime = binidx::MagicPrime(counts.tokens, ctx_len);
  if (prime == 0) {
    return text + "no --magic_prime: the dataset holds fewer than 3 contexts of " +
           std::to_string(ctx_len) + " tokens\n";
  }
  return text + "--magic_prime " + std::to_string(prime) + "\n";
}

// Appends `text` (valid UTF-8) to `out` as the contents of a JSON string.
void AppendJsonString(const std::string& text, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          *out += kHex[c >> 4];
          *out += kHex[c & 15];
        } else {
          *out += ch;
        }
    }
  }
}

// The documents of a dataset as JSONL, {"text": ...} a line: exact for documents that are valid
// UTF-8; in others each maximal invalid sequence becomes U+FFFD (the library's replace policy).
void Dump(const std::string& prefix, const StandardStreams& streams) {
  binidx::Reader reader(prefix);
  const Tokenizer tok = Tokenizer::World();
  std::vector<uint32_t> ids;
  std::vector<char> piece(RWKVTOK_DECODER_MAX_OUTPUT);
  std::string text, out;
  while (reader.Next(&ids)) {
    StreamDecoder decoder(tok, Utf8Policy::kReplace);
    // Id 0 inside a document (datasets that other tools packed) decodes to nothing.
    const Status cleared = decoder.SetStopIds(nullptr, 0);
    if (cleared != Status::kOk)
      throw Error(std::string("cannot decode: ") + StatusMessage(cleared));
    text.clear();
    for (size_t i = 0; i + 1 < ids.size(); ++i) {  // all but the final 0
      const Result r = decoder.Push(ids[i], piece.data(), piece.size());
      if (!r.ok()) throw Error(std::string("cannot decode: ") + StatusMessage(r.status));
      text.append(piece.data(), r.count);
    }
    const Result r = decoder.Finish(piece.data(), piece.size());
    if (!r.ok()) throw Error(std::string("cannot decode: ") + StatusMessage(r.status));
    text.append(piece.data(), r.count);
    out += "{\"text\": \"";
    AppendJsonString(text, &out);
    out += "\"}\n";
    if (out.size() >= (size_t{1} << 20)) {
      Print(out, streams);
      out.clear();
    }
  }
  Print(out, streams);
}

// The staged documents, o.epochs times, each pass in input order or shuffled.
// What the command prints at the end: made before the dataset is committed, so that nothing
// after that can fail (but writing it).
std::string Summary(const BinidxOptions& o, const binidx::Counts& counts, uint64_t skipped) {
  std::string summary = o.prefix + ".bin, " + o.prefix +
                        ".idx: " + std::to_string(counts.documents) + " documents, " +
                        std::to_string(counts.tokens) + " tokens\n";
  if (o.skip_bad) summary += "skipped " + std::to_string(skipped) + " bad lines\n";
  return summary + TrainingLines(counts, o.ctx_len);
}

// Finishes the files, prints the summary, then renames them into place: if the summary cannot be
// written (a full disk, a closed pipe), no dataset appears. A signal that comes while the files
// are renamed waits for that and is then ignored: the dataset is whole, and so is the summary.
void PrintAndCommit(binidx::Writer* writer, const std::string& summary,
                    const StandardStreams& streams) {
  writer->Finish();
  Print(summary, streams);
  HeldSignals held;
  writer->Commit();
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
}

// Writes the staged documents as the dataset, o.epochs times, shuffled as asked.
void Passes(const BinidxOptions& o, const std::string& stage, uint64_t skipped,
            const StandardStreams& streams) {
  binidx::Reader reader(stage);
  HeldSignals held;  // until the writer's temporaries are listed
  binidx::Writer writer(o.prefix);
  Interruptions::Keep(writer);
  held.Release();
  const uint64_t n = reader.counts().documents;
  std::vector<uint32_t> ids;
  for (uint64_t pass = 0; pass < o.epochs; ++pass) {
    for (uint64_t i = 0; i < n; ++i) {
      reader.Document(o.shuffle ? binidx::ShuffledIndex(i, n, o.seed, pass) : i, &ids);
      writer.Append(ids.data(), ids.size() - 1);  // Check() saw the final 0
      writer.EndDocument();
    }
  }
  PrintAndCommit(&writer, Summary(o, writer.counts(), skipped), streams);
}

void Build(const BinidxOptions& o, const StandardStreams& streams) {
  if (o.sub == Sub::kDump) return Dump(o.prefix, streams);
  if (o.sub == Sub::kInfo) {
    uint8_t code = 0;
    const binidx::Counts counts = binidx::Check(o.prefix, &code);
    Print(o.prefix + ": " + (code == binidx::kUint16Code ? "uint16" : "int32") + " ids, " +
              std::to_string(counts.documents) + " documents, " + std::to_string(counts.tokens) +
              " tokens\n" + TrainingLines(counts, o.ctx_len),
          streams);
    return;
  }
  Interruptions interruptions;
  const bool staged = o.sub == Sub::kBuild && (o.epochs > 1 || o.shuffle);
  std::unique_ptr<Stage> stage(staged ? new Stage(o.prefix) : nullptr);
  if (o.sub == Sub::kMerge) {
    const uint8_t dtype = binidx::MergedDtype(o.inputs);
    HeldSignals held;  // until the writer's temporaries are listed
    binidx::Writer writer(o.prefix, dtype);
    Interruptions::Keep(writer);
    held.Release();
    binidx::Merge(o.inputs, &writer);
    return PrintAndCommit(&writer, Summary(o, writer.counts(), 0), streams);
  }
  // The documents once, into the dataset itself or, for several passes, into the stage.
  HeldSignals held;  // until the writer's temporaries are listed
  binidx::Writer writer(staged ? stage->prefix() : o.prefix);
  Interruptions::Keep(writer);
  held.Release();
  uint64_t skipped;
  {
    ProgressLine progress(KnownSize(o.inputs));
    Builder builder(o, &writer, &progress, streams);
    for (const std::string& input : o.inputs) builder.Input(input);
    skipped = builder.skipped();
  }  // the threads stopped and the progress line cleared before the dataset appears
  if (!staged) return PrintAndCommit(&writer, Summary(o, writer.counts(), skipped), streams);
  writer.Commit();
  Passes(o, stage->prefix(), skipped, streams);
}

}  // namespace

void RunBinidx(int argc, const char* const* argv, const StandardStreams& streams,
               const std::string& version) {
  try {
    for (int i = 2; i < argc && std::string(argv[i]) != "--"; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h" || (i == 2 && arg == "help")) {
        return Print(kBinidxUsage, streams);
      }
      if (arg == "--version") return Print(version, streams);
    }
    Build(Parse(argc, argv), streams);
  } catch (const UsageError& e) {
    throw UsageError(OneLine(e.what()));
  } catch (const Error& e) {
    throw Error(OneLine(e.what()), e.exit_status());
  }
}

}  // namespace cli
}  // namespace rwkvtok
