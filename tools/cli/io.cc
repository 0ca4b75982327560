#include "tools/cli/io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tools/cli/error.h"

namespace rwkvtok {
namespace cli {

// --- Progress ------------------------------------------------------------------------------------

void Progress::Start(bool enabled, uint64_t total) {
  enabled_ = enabled;
  total_ = total;
  start_ = Clock::now();
  next_ = start_ + std::chrono::milliseconds(500);
}

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (now < next_) return;
  next_ = now + std::chrono::milliseconds(100);  // at most ten redraws a second
  const double seconds = std::chrono::duration<double>(now - start_).count();
  char line[160];
  int n;
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    char bar[21];
    const int filled = static_cast<int>(fraction * 20);
    for (int i = 0; i < 20; ++i) bar[i] = i < filled ? '#' : '.';
    bar[20] = '\0';
    n = std::snprintf(line, sizeof(line), "rwkvtok: [%s] %5.1f%%  %.1f of %.1f MB  %.1f MB/s", bar,
                      100 * fraction, done / 1e6, total_ / 1e6, done / 1e6 / seconds);
  } else {
    n = std::snprintf(line, sizeof(line), "rwkvtok: %.1f MB  %.1f MB/s", done / 1e6,
                      done / 1e6 / seconds);
  }
  // Pad with spaces over whatever the previous, longer line left.
  std::fprintf(stderr, "\r%s%*s", line, std::max(0, width_ - n), "");
  width_ = std::max(width_, n);
}

void Progress::Clear() {
  if (width_ > 0) std::fprintf(stderr, "\r%*s\r", width_, "");
  width_ = 0;
}

// --- Output --------------------------------------------------------------------------------------

StandardStreams StandardStreams::Hold() {
  StandardStreams streams;
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open returns the lowest free descriptor: this one.
    const int held = ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    if (held != fd && held >= 0) ::close(held);
    if (fd == STDIN_FILENO) streams.input_closed = true;
    if (fd == STDOUT_FILENO) streams.output_closed = true;
  }
  return streams;
}

Output::Output(bool closed) : buffer_(new char[kSize + kMaxReserve]), error_(closed ? EBADF : 0) {}

void Output::Write(const char* data, size_t size) {
  if (used_ + size <= kSize) {
    std::memcpy(buffer_.get() + used_, data, size);
    Commit(size);
    return;
  }
  Flush();
  if (error_ == 0) error_ = WriteAll(data, size);
  if (error_ != 0) throw Error(std::string("cannot write output: ") + std::strerror(error_));
}

void Output::Flush() {
  if (!FlushQuietly()) throw Error(std::string("cannot write output: ") + std::strerror(error_));
}

bool Output::FlushQuietly() noexcept {
  if (error_ == 0) error_ = WriteAll(buffer_.get(), used_);
  used_ = 0;
  return error_ == 0;
}

int Output::WriteAll(const char* data, size_t size) noexcept {
  for (size_t done = 0; done < size;) {
    const ssize_t n = ::write(STDOUT_FILENO, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// --- Input ---------------------------------------------------------------------------------------

Input Input::File(const std::string& path, bool stdin_closed) {
  Input in;
  if (path.empty() || path == "-") {
    if (stdin_closed)
      throw Error(std::string("cannot read standard input: ") + std::strerror(EBADF));
    in.fd_ = STDIN_FILENO;
    in.name_ = "standard input";
  } else {
    in.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    in.name_ = path;
    if (in.fd_ < 0) throw Error("cannot read " + path + ": " + std::strerror(errno));
  }
  return in;
}

Input Input::Text(std::string text) {
  Input in;
  in.text_ = std::move(text);
  in.is_text_ = true;
  return in;
}

uint64_t Input::KnownSize() const {
  struct stat st;
  if (is_text_ || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  const off_t at = ::lseek(fd_, 0, SEEK_CUR);
  return at >= 0 && at < st.st_size ? static_cast<uint64_t>(st.st_size - at) : 0;
}

bool Input::Ready() const {
  pollfd p{fd_, POLLIN, 0};
  const int n = ::poll(&p, 1, 0);
  // A descriptor poll cannot watch is read as it is: the read says what it has.
  return n != 0;
}

size_t Input::Read(char* buffer, size_t size) {
  size_t got = 0;
  if (is_text_) {
    got = std::min<uint64_t>(size, text_.size() - offset_);
    std::memcpy(buffer, text_.data() + offset_, got);
  } else {
    while (got < size && !eof_) {
      if (!Ready()) {
        if (got > 0) break;  // what has come so far, rather than waiting for more
        if (flush_before_waiting_ != nullptr) flush_before_waiting_->Flush();
      }
      const ssize_t n = ::read(fd_, buffer + got, size - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error("cannot read " + name_ + ": " + std::strerror(errno));
      eof_ = n == 0;
      got += static_cast<size_t>(n);
    }
  }
  Count(got);
  return got;
}

void Input::Count(size_t bytes) {
  offset_ += bytes;
  if (progress_ != nullptr) progress_->Update(offset_);
}

// --- ReadAhead -----------------------------------------------------------------------------------

namespace {
// The reading thread only waits and reads: a small stack.
constexpr size_t kReaderStackBytes = size_t{256} << 10;
}  // namespace

ReadAhead::ReadAhead(Input* in, size_t block, size_t front)
    : in_(in), block_(block), front_(front) {
  for (Buffer& b : buffers_) b.bytes.reset(new char[front + block]);
  if (in_->is_text_) return;  // nothing to wait for: read on the caller's thread
  if (::pipe2(wake_, O_CLOEXEC) != 0) {
    throw Error(std::string("cannot start reading input: ") + std::strerror(errno));
  }
  pthread_attr_t attr;
  int error = pthread_attr_init(&attr);
  if (error == 0) {
    pthread_attr_setstacksize(&attr, kReaderStackBytes);
    error = pthread_create(&thread_, &attr, &ReadAhead::ThreadMain, this);
    pthread_attr_destroy(&attr);
  }
  if (error != 0) {
    ::close(wake_[0]);
    ::close(wake_[1]);
    throw Error(std::string("cannot start a thread to read input: ") + std::strerror(error));
  }
  started_ = true;
}

ReadAhead::~ReadAhead() {
  if (!started_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  const char byte = 0;
  while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  pthread_join(thread_, nullptr);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void* ReadAhead::ThreadMain(void* self) {
  static_cast<ReadAhead*>(self)->Fill();
  return nullptr;
}

// Waits for input without touching a buffer, so that the caller may take the one being filled at
// any time; then reads what is there, which does not wait.
void ReadAhead::Fill() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] {
      const Buffer& b = buffers_[filling_];
      return stopping_ || (!b.taken && b.size < block_);
    });
    if (stopping_) return;
    lock.unlock();
    pollfd fds[2] = {{in_->fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int ready = ::poll(fds, 2, -1);
    lock.lock();
    if (stopping_) return;
    if (ready < 0 && errno == EINTR) continue;
    Buffer& b = buffers_[filling_];
    if (b.taken || b.size == block_) continue;  // the caller took it meanwhile
    reading_ = true;
    lock.unlock();
    ssize_t n;
    do {
      n = ::read(in_->fd_, b.bytes.get() + front_ + b.size, block_ - b.size);
    } while (n < 0 && errno == EINTR);
    const int error = n < 0 ? errno : 0;
    lock.lock();
    reading_ = false;
    if (n > 0) b.size += static_cast<size_t>(n);
    if (n <= 0) {
      ended_ = n == 0;
      error_ = error;
      changed_.notify_all();
      return;
    }
    changed_.notify_all();
  }
}

size_t ReadAhead::NextFromText(char** data) {
  Buffer& b = buffers_[0];
  b.size = std::min<uint64_t>(block_, in_->text_.size() - in_->offset_);
  std::memcpy(b.bytes.get() + front_, in_->text_.data() + in_->offset_, b.size);
  in_->Count(b.size);
  *data = b.bytes.get() + front_;
  return b.size;
}

size_t ReadAhead::Next(char** data) {
  if (!started_) return NextFromText(data);
  std::unique_lock<std::mutex> lock(mutex_);
  if (last_taken_ >= 0) {  // given back
    buffers_[last_taken_].taken = false;
    buffers_[last_taken_].size = 0;
    last_taken_ = -1;
    changed_.notify_all();
  }
  const auto arrived = [&] { return buffers_[filling_].size > 0 || ended_ || error_ != 0; };
  if (!arrived() && in_->flush_before_waiting_ != nullptr) {
    lock.unlock();
    in_->flush_before_waiting_->Flush();
    lock.lock();
  }
  // A read under way into the buffer is short: the thread reads only what has arrived.
  changed_.wait(lock, [&] { return arrived() && !reading_; });
  Buffer& b = buffers_[filling_];
  if (b.size == 0) {
    if (error_ != 0) throw Error("cannot read " + in_->name_ + ": " + std::strerror(error_));
    *data = b.bytes.get() + front_;
    return 0;
  }
  b.taken = true;
  last_taken_ = filling_;
  filling_ = 1 - filling_;
  changed_.notify_all();
  lock.unlock();
  in_->Count(b.size);
  *data = b.bytes.get() + front_;
  return b.size;
}

}  // namespace cli
}  // namespace rwkvtok
