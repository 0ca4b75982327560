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

namespace {

// Bytes in the unit that shows them best: "512 B", "12.3 KB", "4.5 MB", "1.2 GB".
std::string Amount(double bytes) {
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  size_t unit = 0;
  while (bytes >= 1000 && unit + 1 < sizeof(kUnits) / sizeof(kUnits[0])) {
    bytes /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text;
}

}  // namespace

void Progress::Start(bool enabled, uint64_t total) {
  enabled_ = enabled;
  total_ = total;
  start_ = Clock::now();
  next_ = start_ + std::chrono::milliseconds(500);
}

void Progress::Update(uint64_t done, const std::string& also) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (now < next_) return;
  next_ = now + std::chrono::milliseconds(100);  // at most ten redraws a second
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::string line = "rwkvtok: ";
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const size_t filled = static_cast<size_t>(fraction * 20);
    char percent[16];
    std::snprintf(percent, sizeof(percent), "%5.1f%%", 100 * fraction);
    line += "[" + std::string(filled, '#') + std::string(20 - filled, '.') + "] " + percent + "  " +
            Amount(static_cast<double>(done)) + " of " + Amount(static_cast<double>(total_));
  } else {
    line += Amount(static_cast<double>(done));
  }
  line += "  " + Amount(static_cast<double>(done) / seconds) + "/s";
  if (!also.empty()) line += "  " + also;
  if (line == shown_) return;
  // Pad with spaces over whatever the previous, longer line left.
  const size_t pad = shown_.size() > line.size() ? shown_.size() - line.size() : 0;
  std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(pad), "");
  shown_ = line;
}

void Progress::Clear() {
  if (!shown_.empty()) std::fprintf(stderr, "\r%*s\r", static_cast<int>(shown_.size()), "");
  shown_.clear();
}

// --- Output --------------------------------------------------------------------------------------

StandardStreams StandardStreams::Hold() {
  StandardStreams streams;
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == STDIN_FILENO) {
      // A pipe with no writer (reading it gives the end at once): a file of its own, so that only
      // paths to standard input reach it (IsHeldInput), not /dev/null. pipe returns the lowest
      // free descriptors: this one, and another that is closed again.
      int ends[2];
      if (::pipe(ends) == 0) {
        ::close(ends[1]);
        if (ends[0] != fd) ::close(ends[0]);
      }
      streams.input_closed = true;
      continue;
    }
    // open returns the lowest free descriptor: this one.
    const int held = ::open("/dev/null", O_WRONLY);
    if (held != fd && held >= 0) ::close(held);
    if (fd == STDOUT_FILENO) streams.output_closed = true;
  }
  return streams;
}

bool StandardStreams::IsHeldInput(int fd) const {
  struct stat opened, held;
  return input_closed && ::fstat(fd, &opened) == 0 && ::fstat(STDIN_FILENO, &held) == 0 &&
         opened.st_dev == held.st_dev && opened.st_ino == held.st_ino;
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
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {  // a non-blocking descriptor
      pollfd p{STDOUT_FILENO, POLLOUT, 0};
      if (::poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
    }
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// --- Input ---------------------------------------------------------------------------------------

Input Input::File(const std::string& path, const StandardStreams& streams) {
  Input in;
  if (path == "-") {
    in.fd_ = STDIN_FILENO;
    in.name_ = "standard input";
    if (streams.input_closed) in.Failed(EBADF);
    return in;
  }
  in.name_ = "'" + Escaped(path, 256) + "'";
  in.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.fd_ < 0) in.Failed(errno);
  if (streams.IsHeldInput(in.fd_)) in.Failed(EBADF);
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

bool Input::Readable(int timeout_ms, int wake) const {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake, POLLIN, 0}};
  while (true) {
    const int n = ::poll(fds, wake < 0 ? 1 : 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return true;  // a descriptor poll cannot watch: the read will say what it has
    return n > 0 && fds[0].revents != 0;
  }
}

ssize_t Input::ReadOnce(char* buffer, size_t size, int* error) const {
  ssize_t n;
  do {
    n = ::read(fd_, buffer, size);
  } while (n < 0 && errno == EINTR);
  if (n < 0) *error = errno == EWOULDBLOCK ? EAGAIN : errno;
  return n;
}

void Input::Count(size_t bytes) {
  offset_ += bytes;
  if (progress_ != nullptr) progress_->Update(offset_);
}

void Input::Failed(int error) const {
  throw Error("cannot read " + name_ + ": " + std::strerror(error));
}

// --- ReadAhead -----------------------------------------------------------------------------------

namespace {
// The reading thread only waits and reads: a small stack.
constexpr size_t kReaderStackBytes = size_t{256} << 10;
constexpr size_t kMinReadAheadBlock = size_t{64} << 10;
}  // namespace

ReadAhead::ReadAhead(Input* in, size_t block, size_t front)
    : in_(in), block_(block), front_(front) {
  for (Buffer& b : buffers_) b.bytes.reset(new char[front + block]);
  // Text is not waited for, and a small block costs less to read than to hand over.
  if (in_->is_text_ || block < kMinReadAheadBlock) return;
  if (::pipe2(wake_, O_CLOEXEC) != 0) return;
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) == 0) {
    pthread_attr_setstacksize(&attr, kReaderStackBytes);
    started_ = pthread_create(&thread_, &attr, &ReadAhead::ThreadMain, this) == 0;
    pthread_attr_destroy(&attr);
  }
  if (!started_) {  // read on the caller's thread
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
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
    const bool readable = in_->Readable(-1, wake_[0]);
    lock.lock();
    if (stopping_) return;
    if (!readable) continue;
    Buffer& b = buffers_[filling_];
    if (b.taken || b.size == block_) continue;  // the caller took it meanwhile
    reading_ = true;
    lock.unlock();
    int error = 0;
    const ssize_t n = in_->ReadOnce(b.bytes.get() + front_ + b.size, block_ - b.size, &error);
    lock.lock();
    reading_ = false;
    if (n < 0 && error == EAGAIN) continue;  // taken by another reader of the same input
    if (n > 0) b.size += static_cast<size_t>(n);
    ended_ = n == 0;
    error_ = n < 0 ? error : 0;
    changed_.notify_all();
    if (n <= 0) return;
  }
}

void ReadAhead::FlushBeforeWaiting() {
  if (in_->flush_before_waiting_ != nullptr) in_->flush_before_waiting_->Flush();
}

// Without the thread: what has come, once something has.
size_t ReadAhead::NextOnThisThread(char** data) {
  Buffer& b = buffers_[0];
  *data = b.bytes.get() + front_;
  b.size = 0;
  if (in_->is_text_) {
    b.size = std::min<uint64_t>(block_, in_->text_.size() - in_->offset_);
    std::memcpy(*data, in_->text_.data() + in_->offset_, b.size);
  } else {
    while (b.size < block_ && !ended_) {
      if (!in_->Readable(0)) {
        if (b.size > 0) break;  // what has come, rather than waiting for more
        FlushBeforeWaiting();
        in_->Readable(-1);
      }
      int error = 0;
      const ssize_t n = in_->ReadOnce(*data + b.size, block_ - b.size, &error);
      if (n < 0 && error == EAGAIN) continue;
      if (n < 0) {
        if (b.size > 0) break;  // what came before the error first
        in_->Failed(error);
      }
      ended_ = n == 0;
      b.size += static_cast<size_t>(std::max<ssize_t>(n, 0));
    }
  }
  in_->Count(b.size);
  return b.size;
}

size_t ReadAhead::Next(char** data) {
  if (!started_) return NextOnThisThread(data);
  std::unique_lock<std::mutex> lock(mutex_);
  if (last_taken_ >= 0) {  // given back
    buffers_[last_taken_].taken = false;
    buffers_[last_taken_].size = 0;
    last_taken_ = -1;
    changed_.notify_all();
  }
  const auto arrived = [&] { return buffers_[filling_].size > 0 || ended_ || error_ != 0; };
  if (!arrived()) {
    lock.unlock();
    FlushBeforeWaiting();
    lock.lock();
  }
  // A read under way into the buffer is short: the thread reads only what has arrived.
  changed_.wait(lock, [&] { return arrived() && !reading_; });
  Buffer& b = buffers_[filling_];
  *data = b.bytes.get() + front_;
  if (b.size == 0) {
    if (error_ != 0) in_->Failed(error_);
    return 0;
  }
  b.taken = true;
  last_taken_ = filling_;
  filling_ = 1 - filling_;
  changed_.notify_all();
  lock.unlock();
  in_->Count(b.size);
  return b.size;
}

}  // namespace cli
}  // namespace rwkvtok
