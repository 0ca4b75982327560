// Input, output and the progress line of the command line tool.
//
// Input is taken as it arrives: each block holds what has come (a whole block from a file or a
// fast pipe, less from a slow producer), so that output keeps up with live input; and before
// waiting for more, the output is flushed, so that nothing made so far waits with it.

#ifndef RWKVTOK_TOOLS_CLI_IO_H_
#define RWKVTOK_TOOLS_CLI_IO_H_

#include <pthread.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace rwkvtok {
namespace cli {

// A one-line progress report on stderr, redrawn in place. Only drawn when enabled (stderr is a
// terminal), so logs and tests never see it, and only after half a second, so short runs never
// flicker.
class Progress {
 public:
  void Start(bool enabled, uint64_t total);
  // `done` bytes of `total` (0: unknown); `also` follows on the line (e.g. "12 documents").
  void Update(uint64_t done, const std::string& also = std::string());
  // Erases the line, so that it leaves no trace when the run ends.
  void Clear();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_ = false;
  uint64_t total_ = 0;
  Clock::time_point start_, next_;
  std::string shown_;  // the line drawn last
};

// Standard input and output as the tool found them. A closed one is held open (input on a pipe
// of its own, output on /dev/null), so that no file or pipe the tool opens takes its descriptor
// and is mistaken for it; using it is then an error, as using a closed descriptor is.
struct StandardStreams {
  bool input_closed = false;
  bool output_closed = false;
  static StandardStreams Hold();
  // Whether `fd`, opened from a path such as /dev/stdin, reaches what holds a closed standard
  // input's place: reading it would take the placeholder for the input.
  bool IsHeldInput(int fd) const;
};

// Buffered standard output. Every failure to write is an Error (Flush) or a false (FlushQuietly).
// Output that cannot be taken yet (a non-blocking descriptor) is waited for.
class Output {
 public:
  // The most bytes one Reserve may ask for.
  static constexpr size_t kMaxReserve = size_t{64} << 10;

  // `closed`: standard output was closed (see StandardStreams); every write fails.
  explicit Output(bool closed = false);

  // Room for `n` (at most kMaxReserve) more bytes; Commit(k) then keeps the first k of them.
  char* Reserve(size_t n) {
    if (used_ + n > kSize + kMaxReserve) Flush();
    return buffer_.get() + used_;
  }
  void Commit(size_t n) {
    used_ += n;
    if (used_ >= kSize) Flush();
  }
  // Writes `size` bytes; large writes go out directly.
  void Write(const char* data, size_t size);
  void Flush();
  // For error paths: writes what is buffered, without throwing; false if it could not.
  bool FlushQuietly() noexcept;

  // Writes all of `data` to standard output, or returns errno.
  static int WriteAll(const char* data, size_t size) noexcept;

 private:
  static constexpr size_t kSize = size_t{1} << 20;

  std::unique_ptr<char[]> buffer_;
  size_t used_ = 0;
  int error_ = 0;  // the first write error: nothing more is written after it
};

// Where input comes from: a file, standard input or a --text string. Read it through ReadAhead.
class Input {
 public:
  // `path` "-": standard input. Errors (a file that cannot be opened, a closed standard input)
  // name the file, escaped.
  static Input File(const std::string& path, const StandardStreams& streams);
  static Input Text(std::string text);

  // Flushes `out` whenever reading must wait for more input.
  void FlushBeforeWaiting(Output* out) { flush_before_waiting_ = out; }
  void ReportProgress(Progress* progress) { progress_ = progress; }

  // The bytes left to read, when known (a regular file), else 0.
  uint64_t KnownSize() const;

 private:
  friend class ReadAhead;
  Input() = default;
  // Whether a read would not wait: `timeout_ms` 0 only looks, -1 waits until it would not (or
  // until `wake`, when not -1, is readable: then false).
  bool Readable(int timeout_ms, int wake = -1) const;
  // One read of what there is: the bytes read, 0 at the end, -1 with *error (EAGAIN: nothing
  // after all, wait and read again).
  ssize_t ReadOnce(char* buffer, size_t size, int* error) const;
  void Count(size_t bytes);
  [[noreturn]] void Failed(int error) const;

  std::string text_;
  bool is_text_ = false;
  int fd_ = -1;
  std::string name_;  // for messages
  uint64_t offset_ = 0;
  Output* flush_before_waiting_ = nullptr;
  Progress* progress_ = nullptr;
};

// Reads an input in blocks, ahead on a thread of its own, into one of two buffers while the
// caller works on the other: reading overlaps the work, and each block holds everything that
// arrived meanwhile. For blocks under 64 KB, or if the thread cannot start, it reads on the
// caller's thread instead, each block when the caller asks for it: the same blocks, without the
// overlap.
class ReadAhead {
 public:
  // Blocks of up to `block` bytes, each with `front` bytes of room before it that the caller may
  // use.
  ReadAhead(Input* in, size_t block, size_t front);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next block, at *data: waits until some input has come (flushing the input's output
  // first, see Input::FlushBeforeWaiting), and returns its size, 0 at the end of the input. The
  // block returned before is given back. The caller may use the whole buffer, its front room
  // included, until the next call; at the end of the input too. Throws Error if the input cannot
  // be read.
  size_t Next(char** data);

 private:
  struct Buffer {
    std::unique_ptr<char[]> bytes;
    size_t size = 0;
    bool taken = false;  // by the caller
  };
  static void* ThreadMain(void* self);
  void Fill();
  size_t NextOnThisThread(char** data);
  void FlushBeforeWaiting();

  Input* const in_;
  const size_t block_, front_;
  Buffer buffers_[2];
  int filling_ = 0;  // the buffer the thread reads into
  int last_taken_ = -1;
  bool reading_ = false;  // a read into buffers_[filling_] is under way
  bool ended_ = false;
  int error_ = 0;
  bool stopping_ = false;
  int wake_[2] = {-1, -1};  // a pipe that interrupts the thread's wait for input
  bool started_ = false;
  pthread_t thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_IO_H_
