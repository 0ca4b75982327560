// rwkvtok: encode, decode and count tokens of the World vocabulary from the command line.
//
// Every command streams: input is read in fixed-size blocks and output written as it is made, so
// inputs of any size run in bounded memory (a few MB; with --threads, under 40 MB).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/rwkvtok.h"

namespace {

using rwkvtok::Result;
using rwkvtok::Status;
using rwkvtok::Tokenizer;
using Clock = std::chrono::steady_clock;

constexpr char kUsage[] =
    "usage: rwkvtok encode [FILE|-] [--format F] [--eos] [--threads N]\n"
    "       rwkvtok decode [FILE|-] [--format F] [--utf8 raw|replace|strict]\n"
    "       rwkvtok count  [FILE|-] [--eos] [--threads N]\n"
    "Input is FILE, or stdin for '-' or nothing, or STRING with --text STRING.\n"
    "  --format lines|json|u16|u32  ids as one decimal per line (default), a JSON array, or\n"
    "                               binary little-endian 16/32-bit; encode output, decode input\n"
    "  --eos                        encode: append id 0 (end of text); count counts it\n"
    "  --threads N                  encode, count: use N threads (1..256), same output\n"
    "  --utf8 raw|replace|strict    decode: the exact bytes (default), invalid UTF-8 as U+FFFD,\n"
    "                               or an error at the first invalid UTF-8\n";

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kStreamBlock = kMiB;        // bytes read per step by one thread
constexpr size_t kParallelBlock = 4 * kMiB;  // bytes read per step with --threads, all threads
constexpr int kMaxThreads = 256;

enum class Format { kLines, kJson, kU16, kU32 };

// --- Progress and errors -------------------------------------------------------------------------

// A one-line progress report on stderr, redrawn in place. Only drawn when stderr is a terminal, so
// logs and tests never see it, and only after half a second, so short runs never flicker.
class Progress {
 public:
  void Start(bool enabled, uint64_t total) {
    enabled_ = enabled;
    total_ = total;
    start_ = Clock::now();
    next_ = start_ + std::chrono::milliseconds(500);
  }

  void Update(uint64_t done) {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    if (now < next_) return;
    next_ = now + std::chrono::milliseconds(100);  // at most ten redraws a second
    const double seconds = std::chrono::duration<double>(now - start_).count();
    char line[160];
    int n;
    if (total_ > 0) {
      const double fraction =
          std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
      char bar[21];
      const int filled = static_cast<int>(fraction * 20);
      for (int i = 0; i < 20; ++i) bar[i] = i < filled ? '#' : '.';
      bar[20] = '\0';
      n = std::snprintf(line, sizeof(line), "rwkvtok: [%s] %5.1f%%  %.1f of %.1f MB  %.1f MB/s",
                        bar, 100 * fraction, done / 1e6, total_ / 1e6, done / 1e6 / seconds);
    } else {
      n = std::snprintf(line, sizeof(line), "rwkvtok: %.1f MB  %.1f MB/s", done / 1e6,
                        done / 1e6 / seconds);
    }
    // Pad with spaces over whatever the previous, longer line left.
    std::fprintf(stderr, "\r%s%*s", line, std::max(0, width_ - n), "");
    width_ = std::max(width_, n);
  }

  // Erases the line, so that it leaves no trace when the run ends.
  void Clear() {
    if (width_ > 0) std::fprintf(stderr, "\r%*s\r", width_, "");
    width_ = 0;
  }

 private:
  bool enabled_ = false;
  uint64_t total_ = 0;
  Clock::time_point start_, next_;
  int width_ = 0;
};

// Writes one id in `format` at `p` and returns the end. A JSON id is written with a leading ','
// (Output turns the first into '['), so that ids can be formatted apart from the output.
char* FormatId(Format format, uint32_t id, char* p) {
  switch (format) {
    case Format::kLines:
      p = std::to_chars(p, p + 10, id).ptr;
      *p++ = '\n';
      break;
    case Format::kJson:
      *p++ = ',';
      p = std::to_chars(p, p + 10, id).ptr;
      break;
    case Format::kU16:
      *p++ = static_cast<char>(id & 0xFF);
      *p++ = static_cast<char>(id >> 8);
      break;
    case Format::kU32:
      for (int shift = 0; shift < 32; shift += 8) *p++ = static_cast<char>(id >> shift);
      break;
  }
  return p;
}

// The most bytes FormatId writes for an id below 65536: "65529\n".
constexpr size_t kMaxFormattedWidth = 6;

// Buffered output to stdout.
class Output {
 public:
  explicit Output(Format format) : format_(format), buffer_(new char[kSize + kSlack]) {}

  // Room for `n` (at most kSlack) more bytes; Commit(k) then keeps the first k of them.
  char* Reserve(size_t n) {
    if (used_ + n > kSize + kSlack) Flush();
    return buffer_.get() + used_;
  }
  void Commit(size_t n) {
    used_ += n;
    if (used_ >= kSize) Flush();
  }
  void Write(const std::string& s) {
    std::memcpy(Reserve(s.size()), s.data(), s.size());
    Commit(s.size());
  }

  Format format() const { return format_; }

  void Id(uint32_t id) {
    char* const begin = Reserve(16);
    char* const end = FormatId(format_, id, begin);
    if (format_ == Format::kJson && ids_ == 0) *begin = '[';
    ++ids_;
    Commit(static_cast<size_t>(end - begin));
  }

  // `ids` ids, already formatted by FormatId into `size` bytes.
  void Formatted(const char* bytes, size_t size, size_t ids) {
    if (format_ == Format::kJson && ids_ == 0 && ids > 0) {
      *Reserve(1) = '[';
      Commit(1);
      ++bytes;
      --size;
    }
    ids_ += ids;
    if (used_ + size <= kSize) {
      std::memcpy(buffer_.get() + used_, bytes, size);
      Commit(size);
    } else {
      Flush();
      WriteAll(bytes, size);
    }
  }

  // After the last id: closes the JSON array.
  void EndIds() {
    if (format_ == Format::kJson) Write(ids_ == 0 ? "[]\n" : "]\n");
  }

  void Flush() {
    WriteAll(buffer_.get(), used_);
    used_ = 0;
  }

 private:
  static void WriteAll(const char* data, size_t size);

  static constexpr size_t kSize = kMiB;
  static constexpr size_t kSlack = 1024;  // more than any Reserve: StreamDecoder writes <= 393
  Format format_;
  std::unique_ptr<char[]> buffer_;
  size_t used_ = 0;
  uint64_t ids_ = 0;
};

// The one progress line and the one output of this process; global so that Die can clear and flush
// them from anywhere.
Progress g_progress;
Output* g_output = nullptr;

// Writes what was produced before the error (a stream's output is valid up to there), then a
// one-line message, and exits with status 1.
[[noreturn]] void Die(const std::string& message) {
  g_progress.Clear();
  if (g_output != nullptr) {
    Output* const output = g_output;
    g_output = nullptr;  // a failing flush must not recurse
    output->Flush();
  }
  std::fprintf(stderr, "rwkvtok: %s\n", message.c_str());
  std::exit(1);
}

[[noreturn]] void UsageError(const std::string& message) {
  if (message.empty()) {
    std::fputs(kUsage, stderr);
  } else {
    std::fprintf(stderr, "rwkvtok: %s\n", message.c_str());
  }
  std::exit(2);
}

void Output::WriteAll(const char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    const ssize_t n = ::write(STDOUT_FILENO, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("cannot write output: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

// Where encoded ids go: formatted to the output (encode), or only counted (count).
struct IdSink {
  Output* out;  // null to count only
  uint64_t count = 0;

  void Id(uint32_t id) {
    if (out != nullptr) out->Id(id);
    ++count;
  }
  void Formatted(const char* bytes, size_t size, size_t ids) {
    if (out != nullptr) out->Formatted(bytes, size, ids);
    count += ids;
  }
};

// --- Input ---------------------------------------------------------------------------------------

// A file, stdin or a --text string, read in blocks.
class Input {
 public:
  void OpenText(const std::string& text) { text_ = &text; }

  void OpenFile(const std::string& path) {
    if (path.empty() || path == "-") {
      fd_ = STDIN_FILENO;
      name_ = "standard input";
    } else {
      fd_ = ::open(path.c_str(), O_RDONLY);
      name_ = path;
      if (fd_ < 0) Die("cannot read " + path + ": " + std::strerror(errno));
    }
  }

  // The bytes left to read, when known (a regular file), else 0.
  uint64_t KnownSize() const {
    struct stat st;
    if (text_ != nullptr || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    const off_t at = ::lseek(fd_, 0, SEEK_CUR);
    return at >= 0 && at < st.st_size ? static_cast<uint64_t>(st.st_size - at) : 0;
  }

  // Fills `buffer` with up to `size` bytes and returns how many; fewer only at the end of input.
  size_t Read(char* buffer, size_t size) {
    size_t got = 0;
    if (text_ != nullptr) {
      got = std::min(size, text_->size() - offset_);
      std::memcpy(buffer, text_->data() + offset_, got);
    } else {
      while (got < size && !eof_) {
        const ssize_t n = ::read(fd_, buffer + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) Die("cannot read " + name_ + ": " + std::strerror(errno));
        eof_ = n == 0;
        got += static_cast<size_t>(n);
      }
    }
    offset_ += got;
    g_progress.Update(offset_);
    return got;
  }

 private:
  const std::string* text_ = nullptr;
  int fd_ = -1;
  std::string name_;
  bool eof_ = false;  // seen: a terminal is not read again after Ctrl-D
  uint64_t offset_ = 0;
};

// Bytes read per step. RWKVTOK_BLOCK_BYTES overrides it for tests: tiny blocks make small inputs
// cross many block and part boundaries.
size_t BlockBytes(size_t default_size) {
  const char* env = std::getenv("RWKVTOK_BLOCK_BYTES");
  if (env == nullptr) return default_size;
  const long long n = std::atoll(env);
  return n >= 1 ? static_cast<size_t>(n) : default_size;
}

// --- Encoding ------------------------------------------------------------------------------------

// One thread: the library's streaming encoder gives exactly the one-shot ids, block by block.
void EncodeStream(const Tokenizer& tok, Input* in, size_t block, IdSink* sink) {
  rwkvtok::StreamEncoder encoder(tok);
  std::unique_ptr<char[]> text(new char[block]);
  // The encoder writes at most chunk size + pending ids, and holds back at most max_token_length.
  const size_t capacity = block + tok.max_token_length();
  std::unique_ptr<uint32_t[]> ids(new uint32_t[capacity]);
  while (true) {
    const size_t n = in->Read(text.get(), block);
    const Result r = n > 0 ? encoder.Push(text.get(), n, ids.get(), capacity)
                           : encoder.Finish(ids.get(), capacity);
    if (!r.ok()) Die(std::string("encoding failed: ") + rwkvtok::StatusMessage(r.status));
    for (size_t i = 0; i < r.count; ++i) sink->Id(ids[i]);
    if (n == 0) return;
  }
}

// Several threads. Each block is cut into one part per thread; the parts are encoded at once
// (Tokenizer::EncodePart) and joined into exactly the one-shot ids (Tokenizer::JoinParts); the ids
// are then formatted in as many slices, also at once. Unless the input has ended, tokens that
// start within max_token_length bytes of a block's end might grow with the next block's bytes:
// they are dropped and their bytes encoded again at the start of the next block.
class ParallelEncoder {
 public:
  // `format` null: ids are only counted, not formatted.
  ParallelEncoder(const Tokenizer& tok, int threads, size_t block, const Format* format)
      : tok_(tok), threads_(static_cast<size_t>(threads)), block_(block) {
    if (format != nullptr) format_ = *format;
    formatted_ = format != nullptr;
    slices_.resize(threads_);
  }

  void Run(Input* in, IdSink* sink) {
    const size_t max_len = tok_.max_token_length();
    std::unique_ptr<char[]> text(new char[block_ + max_len]);
    std::unique_ptr<uint32_t[]> ids(new uint32_t[block_ + max_len]);  // one per byte
    std::vector<Tokenizer::Part> parts(threads_);
    size_t carry = 0;
    while (true) {
      const size_t n = in->Read(text.get() + carry, block_);
      const bool last = n < block_;
      const size_t size = carry + n;
      for (size_t k = 0; k < threads_; ++k) {
        parts[k] = Tokenizer::Part{size * k / threads_, size * (k + 1) / threads_, 0, 0, 0};
      }
      InParallel([&](size_t k) {
        if (tok_.EncodePart(text.get(), size, &parts[k], ids.get()) != Status::kOk) {
          std::abort();  // parts are made right above: cannot happen
        }
      });
      const Result joined = tok_.JoinParts(text.get(), size, parts.data(), threads_, ids.get());
      if (!joined.ok()) Die(std::string("encoding failed: ") + rwkvtok::StatusMessage(joined.status));
      const uint32_t* joined_ids = ids.get() + joined.position;
      size_t count = joined.count;
      size_t done = size;
      while (!last && count > 0) {
        uint32_t id = joined_ids[count - 1];
        const size_t start = done - tok_.Decode(&id, 1, nullptr, 0).count;
        if (start + max_len <= size) break;
        done = start;
        --count;
      }
      Emit(joined_ids, count, sink);
      if (last) return;
      carry = size - done;  // fewer than max_token_length bytes
      std::memmove(text.get(), text.get() + done, carry);
    }
  }

 private:
  // Runs work(0), ..., work(threads - 1), each on its own thread but the first.
  template <typename Work>
  void InParallel(Work work) const {
    std::vector<std::thread> workers;
    for (size_t k = 1; k < threads_; ++k) workers.emplace_back(work, k);
    work(0);
    for (std::thread& worker : workers) worker.join();
  }

  void Emit(const uint32_t* ids, size_t count, IdSink* sink) {
    if (!formatted_) {
      sink->Formatted(nullptr, 0, count);
      return;
    }
    InParallel([&](size_t k) {
      Slice& slice = slices_[k];
      const size_t begin = count * k / threads_, end = count * (k + 1) / threads_;
      slice.bytes.resize((end - begin) * kMaxFormattedWidth);
      char* p = &slice.bytes[0];
      for (size_t i = begin; i < end; ++i) p = FormatId(format_, ids[i], p);
      slice.size = static_cast<size_t>(p - &slice.bytes[0]);
      slice.count = end - begin;
    });
    for (const Slice& slice : slices_) sink->Formatted(slice.bytes.data(), slice.size, slice.count);
  }

  struct Slice {
    std::string bytes;
    size_t size = 0;
    size_t count = 0;
  };

  const Tokenizer tok_;
  const size_t threads_;
  const size_t block_;
  Format format_ = Format::kLines;
  bool formatted_ = false;
  std::vector<Slice> slices_;
};

// --- Decoding ------------------------------------------------------------------------------------

std::string Quote(const std::string& word, bool cut) { return "'" + word + (cut ? "...'" : "'"); }

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Parses ids in one format from blocks of input; a number or binary id may be split between
// blocks. Emits each id with its 1-based position; any malformed input is fatal.
class IdParser {
 public:
  explicit IdParser(Format format) : format_(format) {}

  template <typename Emit>
  void Feed(const char* data, size_t size, Emit& emit) {
    for (size_t i = 0; i < size; ++i) {
      const char c = data[i];
      ++offset_;
      switch (format_) {
        case Format::kU16:
        case Format::kU32:
          pending_ |= uint64_t{static_cast<unsigned char>(c)} << (8 * pending_bytes_);
          if (++pending_bytes_ == (format_ == Format::kU16 ? 2 : 4)) {
            emit(static_cast<uint32_t>(pending_), ++ids_);
            pending_ = pending_bytes_ = 0;
          }
          break;
        case Format::kLines:
          if (IsSpace(c)) {
            if (in_number_) EndNumber(emit);
          } else {
            AddToNumber(c);
          }
          break;
        case Format::kJson:
          Json(c, emit);
          break;
      }
    }
  }

  template <typename Emit>
  void End(Emit& emit) {
    switch (format_) {
      case Format::kU16:
        if (pending_bytes_ != 0) Die("u16 input has an odd number of bytes (" + Bytes() + ")");
        break;
      case Format::kU32:
        if (pending_bytes_ != 0) Die("u32 input of " + Bytes() + " is not a multiple of 4 bytes");
        break;
      case Format::kLines:
        if (in_number_) EndNumber(emit);
        break;
      case Format::kJson:
        if (in_number_) EndNumber(emit);
        if (json_ != kJsonDone)
          Die("invalid JSON input: it ends before the array of ids is closed");
        break;
    }
  }

 private:
  // JSON: what may come next (whitespace aside).
  enum JsonState { kJsonOpen, kJsonFirst, kJsonId, kJsonAfterId, kJsonDone };

  std::string Bytes() const {
    return std::to_string(offset_) + (offset_ == 1 ? " byte" : " bytes");
  }

  void AddToNumber(char c) {
    if (!in_number_) {
      in_number_ = true;
      numeric_ = true;
      value_ = 0;
      word_.clear();
      word_cut_ = false;
    }
    // Kept for messages, up to a bound: a "number" may be gigabytes without whitespace.
    if (word_.size() < 32) {
      word_ += c;
    } else {
      word_cut_ = true;
    }
    numeric_ = numeric_ && c >= '0' && c <= '9';
    if (numeric_)
      value_ = std::min<uint64_t>(value_ * 10 + static_cast<uint64_t>(c - '0'), 1ull << 32);
  }

  template <typename Emit>
  void EndNumber(Emit& emit) {
    in_number_ = false;
    const size_t position = ids_ + 1;
    if (!numeric_ || value_ > 0xFFFFFFFFull) {
      Die("invalid id " + Quote(word_, word_cut_) + " at position " + std::to_string(position) +
          (numeric_ ? ": too large" : ": ids are decimal numbers"));
    }
    emit(static_cast<uint32_t>(value_), ++ids_);
  }

  template <typename Emit>
  void Json(char c, Emit& emit) {
    if (in_number_) {
      if (c >= '0' && c <= '9') return AddToNumber(c);
      EndNumber(emit);
      json_ = kJsonAfterId;
    }
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') return;  // JSON's whitespace
    if (json_ == kJsonOpen && c == '[') {
      json_ = kJsonFirst;
    } else if ((json_ == kJsonFirst || json_ == kJsonId) && c >= '0' && c <= '9') {
      AddToNumber(c);
    } else if ((json_ == kJsonFirst || json_ == kJsonAfterId) && c == ']') {
      json_ = kJsonDone;
    } else if (json_ == kJsonAfterId && c == ',') {
      json_ = kJsonId;
    } else {
      static const char* const kExpected[] = {"'['", "an id or ']'", "an id", "',' or ']'",
                                              "nothing after the array"};
      Die("invalid JSON input at byte " + std::to_string(offset_) + ": expected " +
          kExpected[json_] + " (ids are decimal numbers)");
    }
  }

  const Format format_;
  uint64_t offset_ = 0;  // bytes seen
  size_t ids_ = 0;       // ids emitted
  // Binary formats: the bytes of an id so far.
  uint64_t pending_ = 0;
  int pending_bytes_ = 0;
  // Text formats: the number being read.
  bool in_number_ = false, numeric_ = true, word_cut_ = false;
  uint64_t value_ = 0;  // saturates at 2^32
  std::string word_;
  JsonState json_ = kJsonOpen;
};

void Decode(const Tokenizer& tok, Input* in, Format format, rwkvtok::Utf8Policy policy,
            Output* out) {
  rwkvtok::StreamDecoder decoder(tok, policy);  // stop id 0: end of text ends a text
  const bool strict = policy == rwkvtok::Utf8Policy::kStrict;
  const size_t room = decoder.max_output();
  auto push = [&](uint32_t id, size_t position) {
    const Result r = decoder.Push(id, out->Reserve(room), room);
    out->Commit(r.count);
    if (r.ok() || (r.status == Status::kStopped && !(strict && r.position == 1))) return;
    const std::string where = "at position " + std::to_string(position);
    if (r.status == Status::kInvalidId) {
      Die("invalid id " + std::to_string(id) + " " + where + ": it names no token (0 is end of " +
          "text, tokens are 1.." + std::to_string(tok.token_count() - 1) + ")");
    } else if (r.status == Status::kInvalidUtf8) {
      Die("invalid UTF-8 " + where + " (id " + std::to_string(id) + ")");
    } else if (r.status == Status::kStopped) {  // strict, and a character was left unfinished
      Die("invalid UTF-8: an unfinished character before the end of text (id 0) " + where);
    }
    Die(std::string("decoding failed: ") + rwkvtok::StatusMessage(r.status));
  };
  IdParser parser(format);
  const size_t block_size = BlockBytes(kStreamBlock);
  std::unique_ptr<char[]> block(new char[block_size]);
  while (const size_t n = in->Read(block.get(), block_size)) parser.Feed(block.get(), n, push);
  parser.End(push);
  const Result r = decoder.Finish(out->Reserve(room), room);
  out->Commit(r.count);
  if (r.status == Status::kInvalidUtf8) Die("invalid UTF-8: the input ends inside a character");
}

// --- Command line --------------------------------------------------------------------------------

struct Options {
  std::string command, path, text;
  bool has_path = false, has_text = false;
  Format format = Format::kLines;
  bool eos = false;
  int threads = 1;
  rwkvtok::Utf8Policy utf8 = rwkvtok::Utf8Policy::kRaw;
  bool has_utf8 = false, has_threads = false;
};

// The index of `value` among `names` (the values an option takes), else a usage error.
size_t Choose(const char* option, const std::string& value,
              std::initializer_list<const char*> names) {
  std::string list;
  size_t i = 0;
  for (const char* name : names) {
    if (value == name) return i;
    list += (++i == 1 ? "" : i == names.size() ? " or " : ", ") + std::string(name);
  }
  UsageError(std::string(option) + " must be " + list + ", not '" + value + "'");
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool has_value = false;
    const size_t equals = arg.find('=');
    if (arg.compare(0, 2, "--") == 0 && equals != std::string::npos) {  // --name=value
      value = arg.substr(equals + 1);
      arg.resize(equals);
      has_value = true;
    }
    const auto take = [&]() -> const std::string& {
      if (!has_value) {
        if (i + 1 >= argc) UsageError("");
        value = argv[++i];
      }
      return value;
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--text") {
      o.text = take();
      o.has_text = true;
    } else if (arg == "--format") {
      o.format = static_cast<Format>(Choose("--format", take(), {"lines", "json", "u16", "u32"}));
    } else if (arg == "--utf8") {
      constexpr rwkvtok::Utf8Policy kPolicies[] = {
          rwkvtok::Utf8Policy::kRaw, rwkvtok::Utf8Policy::kReplace, rwkvtok::Utf8Policy::kStrict};
      o.utf8 = kPolicies[Choose("--utf8", take(), {"raw", "replace", "strict"})];
      o.has_utf8 = true;
    } else if (arg == "--threads") {
      const std::string& t = take();
      int n = -1;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size() || n < 0 ||
          n > kMaxThreads) {
        UsageError("--threads must be a number from 1 to 256, not '" + t + "'");
      }
      o.threads = std::max(n, 1);  // 0 means the default, one thread
      o.has_threads = true;
    } else if (arg == "--eos" && !has_value) {
      o.eos = true;
    } else if (o.command.empty() && (arg == "encode" || arg == "decode" || arg == "count")) {
      o.command = arg;
    } else if (!o.has_path && !o.command.empty() && !has_value && (arg == "-" || arg[0] != '-')) {
      o.path = arg;
      o.has_path = true;
    } else {
      UsageError("");
    }
  }
  if (o.command.empty() || (o.has_text && o.has_path)) UsageError("");
  const bool decode = o.command == "decode";
  if (decode && o.eos) UsageError("--eos applies to encode and count only");
  if (decode && o.has_threads) UsageError("--threads applies to encode and count only");
  if (!decode && o.has_utf8) UsageError("--utf8 applies to decode only");
  return o;
}

int Run(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  Input in;
  if (o.has_text) {
    in.OpenText(o.text);
  } else {
    in.OpenFile(o.path);
  }
  // The progress line would tangle with ids or text written to the same terminal; count prints
  // only at the end.
  g_progress.Start(isatty(STDERR_FILENO) && (o.command == "count" || !isatty(STDOUT_FILENO)),
                   in.KnownSize());

  const Tokenizer tok = Tokenizer::World();
  Output out(o.command == "count" ? Format::kLines : o.format);
  g_output = &out;
  if (o.command == "decode") {
    Decode(tok, &in, o.format, o.utf8, &out);
  } else {
    const bool encode = o.command == "encode";
    IdSink sink{encode ? &out : nullptr};
    if (o.threads == 1) {
      EncodeStream(tok, &in, BlockBytes(kStreamBlock), &sink);
    } else {
      const Format format = out.format();
      ParallelEncoder(tok, o.threads, BlockBytes(kParallelBlock), encode ? &format : nullptr)
          .Run(&in, &sink);
    }
    if (o.eos) sink.Id(0);
    if (encode) {
      out.EndIds();
    } else {
      out.Write(std::to_string(sink.count) + "\n");
    }
  }
  g_progress.Clear();  // before the output, which may go to the same terminal
  g_output = nullptr;
  out.Flush();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // e.g. out of memory, or no thread could be started
    Die(e.what());
  }
}
