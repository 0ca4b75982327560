#include "tools/binidx/dataset.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tools/cli/error.h"

namespace rwkvtok {
namespace binidx {
namespace {

using cli::Error;

// World's ids are below this; the ids from it to 65535 are reserved.
constexpr uint32_t kWorldIds = 65530;
// Ids and sizes are buffered up to these counts before they are written.
constexpr size_t kIdBuffer = size_t{1} << 20;
constexpr size_t kSizeBuffer = size_t{1} << 16;

std::string SystemError(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

void WriteAll(int fd, const void* data, size_t size, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(SystemError("cannot write", path));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// Reads exactly `size` bytes at `offset`; false at the end of the file.
bool ReadAt(int fd, void* data, size_t size, uint64_t offset, const std::string& path) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(SystemError("cannot read", path));
    if (n == 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

void PutU64(uint64_t value, unsigned char* out) {
  for (int k = 0; k < 8; ++k) out[k] = static_cast<unsigned char>(value >> (8 * k));
}
uint64_t GetU64(const unsigned char* in) {
  uint64_t value = 0;
  for (int k = 7; k >= 0; --k) value = value << 8 | in[k];
  return value;
}

bool IsPrime(uint64_t n) {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 == 0 || n % 3 == 0) return false;
  for (uint64_t i = 5; i * i <= n; i += 6) {
    if (n % i == 0 || n % (i + 2) == 0) return false;
  }
  return true;
}

// A file read front to back in blocks of T, little-endian on disk (as on the machines this runs
// on, which the build checks).
template <typename T>
class Stream {
 public:
  Stream(int fd, uint64_t offset, const std::string& path)
      : fd_(fd), offset_(offset), path_(path) {}
  // The next value, which the file's size says is there.
  T Take() {
    T value{};
    if (!Next(&value)) throw Error(path_ + " changed while it was read");
    return value;
  }
  // The next value; false past the end of the file.
  bool Next(T* value) {
    if (at_ == buffer_.size()) {
      buffer_.resize(kSizeBuffer);
      const ssize_t n = Fill();
      buffer_.resize(static_cast<size_t>(n) / sizeof(T));
      at_ = 0;
      if (buffer_.empty()) return false;
    }
    *value = buffer_[at_++];
    return true;
  }

 private:
  ssize_t Fill() {
    for (;;) {
      const ssize_t n =
          pread(fd_, buffer_.data(), buffer_.size() * sizeof(T), static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(SystemError("cannot read", path_));
      offset_ += static_cast<uint64_t>(n) / sizeof(T) * sizeof(T);
      return n;
    }
  }

  int fd_;
  uint64_t offset_;
  const std::string& path_;
  std::vector<T> buffer_;
  size_t at_ = 0;
};

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "binidx files are little-endian");

class File {
 public:
  explicit File(const std::string& path)
      : path_(path), fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error(SystemError("cannot open", path));
    struct stat st;
    if (fstat(fd_, &st) != 0) {
      const Error error(SystemError("cannot read", path));
      close(fd_);
      throw error;
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~File() { close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_ = 0;
};

}  // namespace

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t ShuffledIndex(uint64_t i, uint64_t n, uint64_t seed, uint64_t pass) {
  unsigned h = 1;
  while (h < 32 && (uint64_t{1} << (2 * h)) < n) ++h;
  const uint64_t mask = (uint64_t{1} << h) - 1;
  uint64_t keys[4];
  for (uint64_t r = 0; r < 4; ++r) keys[r] = SplitMix64(seed ^ SplitMix64(pass * 4 + r));
  const auto permute = [&](uint64_t x) {
    uint64_t left = x >> h, right = x & mask;
    for (const uint64_t key : keys) {
      const uint64_t next = left ^ (SplitMix64(right ^ key) & mask);
      left = right;
      right = next;
    }
    return left << h | right;
  };
  uint64_t x = permute(i);
  while (x >= n) x = permute(x);
  return x;
}

uint64_t MagicPrime(uint64_t tokens, uint64_t ctx_len) {
  if (ctx_len == 0 || tokens / 3 < ctx_len) return 0;
  for (uint64_t i = tokens / ctx_len - 1; i > 0; --i) {
    if (i % 3 == 2 && IsPrime(i)) return i;
  }
  return 0;
}

Writer::Writer(const std::string& prefix, uint8_t dtype_code)
    : prefix_(prefix), dtype_code_(dtype_code) {
  if (dtype_code != kUint16Code && dtype_code != kInt32Code) {
    throw Error("dtype code " + std::to_string(dtype_code) +
                ": binidx ids are uint16 (8) or int32 (4)");
  }
  const size_t slash = prefix.rfind('/');
  const std::string base = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
  if (base.empty())
    throw Error("the output prefix " + prefix + " names a directory, not a dataset");
  // Found now, not when the files are renamed at the end.
  if (base.size() + std::strlen(".bin") > NAME_MAX) {
    errno = ENAMETOOLONG;
    throw Error(SystemError("cannot create", prefix + ".bin"));
  }
  // Hidden temporaries beside the dataset, so that renaming them is atomic; the name cut short
  // where it would pass the longest a file name may be, with the ".old" Commit adds (mkostemp's
  // suffix keeps it unique).
  const std::string stem = (slash == std::string::npos ? "" : prefix.substr(0, slash + 1)) + "." +
                           base.substr(0, NAME_MAX - std::strlen("..bin.XXXXXX.old"));
  try {
    for (auto [path, fd, suffix] :
         {std::tuple<std::string*, int*, const char*>{&bin_path_, &bin_, ".bin"},
          {&idx_path_, &idx_, ".idx"}}) {
      std::string name = stem + suffix + ".XXXXXX";
      *fd = mkostemp(name.data(), O_CLOEXEC);
      if (*fd < 0) throw Error(SystemError("cannot create a file beside", prefix + suffix));
      *path = std::move(name);  // no allocation, so the file is never left unnamed
    }
    const unsigned char header[kHeaderBytes] = {};
    WriteIdx(header, sizeof(header));  // written for real at the end
    if (dtype_code_ == kUint16Code) {
      pending_.reserve(kIdBuffer);
    } else {
      pending32_.reserve(kIdBuffer);
    }
  } catch (...) {
    RemoveTemporaries();  // no destructor runs for a constructor that throws
    throw;
  }
}

Writer::~Writer() { RemoveTemporaries(); }

void Writer::RemoveTemporaries() noexcept {
  if (bin_ >= 0) close(bin_);
  if (idx_ >= 0) close(idx_);
  bin_ = idx_ = -1;
  if (!committed_) {
    if (!bin_path_.empty()) unlink(bin_path_.c_str());
    if (!idx_path_.empty()) unlink(idx_path_.c_str());
  }
}

void Writer::WriteBin(const void* data, size_t size) {
  WriteAll(bin_, data, size, prefix_ + ".bin");
}
void Writer::WriteIdx(const void* data, size_t size) {
  WriteAll(idx_, data, size, prefix_ + ".idx");
}

void Writer::FlushBin() {
  WriteBin(pending_.data(), pending_.size() * sizeof(uint16_t));
  pending_.clear();
  WriteBin(pending32_.data(), pending32_.size() * sizeof(int32_t));
  pending32_.clear();
}

// Converts ids into `pending` (written out by flush() whenever it holds kIdBuffer) as long as each
// is at most `largest`; throws an Error naming the first that is not.
template <typename To, typename From, typename Flush>
void AppendAs(const From* ids, size_t count, uint32_t largest, std::vector<To>* pending,
              const Flush& flush) {
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(count - done, kIdBuffer - pending->size());
    // Checked in one pass before they are converted, which vectorizes: every id fits, but for a
    // caller's mistake. (Not where every From fits: uint16_t ids into either dtype.)
    const From* const from = ids + done;
    uint32_t wide = 0;
    if (std::numeric_limits<From>::max() > largest) {
      for (size_t i = 0; i < n; ++i) wide |= from[i];
    }
    if ((wide & ~largest) != 0) {
      const From* first = std::find_if(from, from + n, [&](From id) { return id > largest; });
      throw Error("id " + std::to_string(*first) + " does not fit in " +
                  (sizeof(To) == 2 ? "uint16" : "int32"));
    }
    pending->insert(pending->end(), from, from + n);
    done += n;
    if (pending->size() == kIdBuffer) flush();
  }
}

template <typename Id>
void Writer::AppendIds(const Id* ids, size_t count) {
  const auto flush = [this] { FlushBin(); };
  if (dtype_code_ == kUint16Code) {
    AppendAs(ids, count, 0xFFFF, &pending_, flush);
  } else {
    AppendAs(ids, count, 0x7FFFFFFF, &pending32_, flush);
  }
  document_ids_ += count;
}

void Writer::Append(const uint32_t* ids, size_t count) { AppendIds(ids, count); }
void Writer::Append(const uint16_t* ids, size_t count) { AppendIds(ids, count); }

void Writer::EndDocument() {
  const uint32_t end = 0;
  Append(&end, 1);
  if (document_ids_ > 0x7FFFFFFF) {
    throw Error("document " + std::to_string(counts_.documents + 1) + " has " +
                std::to_string(document_ids_) + " ids; binidx holds at most 2^31 - 1 per document");
  }
  sizes_.push_back(static_cast<int32_t>(document_ids_));
  if (sizes_.size() == kSizeBuffer) {
    WriteIdx(sizes_.data(), sizes_.size() * sizeof(int32_t));
    sizes_.clear();
  }
  counts_.documents += 1;
  counts_.tokens += document_ids_;
  document_ids_ = 0;
}

void Writer::Finish() {
  if (finished_) return;
  if (document_ids_ != 0) EndDocument();
  FlushBin();
  WriteIdx(sizes_.data(), sizes_.size() * sizeof(int32_t));
  sizes_.clear();
  const std::string idx_name = prefix_ + ".idx";
  // The pointers, from the sizes written so far.
  {
    Stream<int32_t> sizes(idx_, kHeaderBytes, idx_name);
    std::vector<int64_t> pointers;
    pointers.reserve(kSizeBuffer);
    int64_t offset = 0;
    int32_t size;
    for (uint64_t i = 0; i < counts_.documents && sizes.Next(&size); ++i) {
      pointers.push_back(offset);
      offset += int64_t{size} * (dtype_code_ == kUint16Code ? 2 : 4);
      if (pointers.size() == kSizeBuffer) {
        WriteIdx(pointers.data(), pointers.size() * sizeof(int64_t));
        pointers.clear();
      }
    }
    WriteIdx(pointers.data(), pointers.size() * sizeof(int64_t));
  }
  {
    std::vector<int64_t> doc_idx;
    doc_idx.reserve(kSizeBuffer);
    for (uint64_t i = 0; i <= counts_.documents; ++i) {
      doc_idx.push_back(static_cast<int64_t>(i));
      if (doc_idx.size() == kSizeBuffer) {
        WriteIdx(doc_idx.data(), doc_idx.size() * sizeof(int64_t));
        doc_idx.clear();
      }
    }
    WriteIdx(doc_idx.data(), doc_idx.size() * sizeof(int64_t));
  }
  unsigned char header[kHeaderBytes];
  std::memcpy(header, kMagic, sizeof(kMagic));
  PutU64(kVersion, header + 9);
  header[17] = dtype_code_;
  PutU64(counts_.documents, header + 18);
  PutU64(counts_.documents + 1, header + 26);
  if (lseek(idx_, 0, SEEK_SET) != 0) throw Error(SystemError("cannot write", idx_name));
  WriteIdx(header, sizeof(header));

  // The files get the permissions a new file gets (mkostemp made them private).
  const mode_t mask = umask(0);
  umask(mask);
  for (auto [fd, name] : {std::pair<int, std::string>{bin_, prefix_ + ".bin"}, {idx_, idx_name}}) {
    if (fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0)
      throw Error(SystemError("cannot write", name));
  }
  finished_ = true;
}

Counts Writer::Commit() {
  Finish();
  // Nothing from the first rename on may allocate: it cannot fail half way.
  const std::string idx_name = prefix_ + ".idx";
  const std::string bin_name = prefix_ + ".bin";
  const size_t slash = prefix_.rfind('/');
  const std::string directory_name =
      slash == std::string::npos ? "." : prefix_.substr(0, slash + 1);
  // A second name for an existing PREFIX.bin, so that it can be put back if the .idx cannot
  // follow the new .bin into place (without hard links, the old dataset is lost then).
  const std::string old_bin_name = bin_path_ + ".old";
  const bool kept_old_bin = link(bin_name.c_str(), old_bin_name.c_str()) == 0;
  if (rename(bin_path_.c_str(), bin_name.c_str()) != 0) {
    const int error = errno;
    if (kept_old_bin) unlink(old_bin_name.c_str());
    errno = error;
    throw Error(SystemError("cannot rename into place", bin_name));
  }
  if (rename(idx_path_.c_str(), idx_name.c_str()) != 0) {
    const int error = errno;
    if (kept_old_bin) {
      rename(old_bin_name.c_str(), bin_name.c_str());
    } else {
      unlink(bin_name.c_str());  // a .bin without its .idx is no dataset
    }
    errno = error;
    throw Error(SystemError("cannot rename into place", idx_name));
  }
  if (kept_old_bin) unlink(old_bin_name.c_str());
  committed_ = true;
  const int directory = open(directory_name.c_str(), O_RDONLY | O_CLOEXEC);
  if (directory >= 0) {
    fsync(directory);  // the renames themselves; best effort
    close(directory);
  }
  return counts_;
}

namespace {

// The index's header, checked up to its dtype code, which it returns.
uint8_t ReadHeader(const File& idx, unsigned char (&header)[kHeaderBytes]) {
  const std::string& name = idx.path();
  if (idx.size() < kHeaderBytes || !ReadAt(idx.fd(), header, sizeof(header), 0, name)) {
    throw Error(name + ": " + std::to_string(idx.size()) + " bytes, shorter than a header (" +
                std::to_string(kHeaderBytes) + ")");
  }
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    throw Error(name + ": not a binidx index (no MMIDIDX magic)");
  }
  if (GetU64(header + 9) != kVersion) {
    throw Error(name + ": version " + std::to_string(GetU64(header + 9)) + ", not 1");
  }
  const uint8_t code = header[17];
  if (code != kUint16Code && code != kInt32Code) {
    throw Error(name + ": dtype code " + std::to_string(code) +
                ", not uint16 (8) or int32 (4) token ids");
  }
  return code;
}

const char* DtypeName(uint8_t code) { return code == kUint16Code ? "uint16" : "int32"; }

// Check of a dataset whose .idx is open: `open_bin` gives its .bin once the .idx passed its
// header checks (so that a bad .idx is reported before a missing .bin).
template <typename OpenBin>
Counts CheckOpen(const File& idx, const OpenBin& open_bin, uint8_t* dtype_code) {
  const std::string& name = idx.path();
  unsigned char header[kHeaderBytes];
  const uint8_t code = ReadHeader(idx, header);
  if (dtype_code != nullptr) *dtype_code = code;
  const uint64_t item = code == kUint16Code ? 2 : 4;
  const uint64_t documents = GetU64(header + 18), entries = GetU64(header + 26);
  if (entries != documents + 1) {
    throw Error(name + ": " + std::to_string(documents) + " documents but " +
                std::to_string(entries) + " doc_idx entries (want one more)");
  }
  // 20 bytes per document (size, pointer, doc_idx) and 8 more; a count too large for the file
  // is refused before anything is multiplied by it.
  if (documents > idx.size() / 20 || idx.size() != kHeaderBytes + 20 * documents + 8) {
    throw Error(name + ": " + std::to_string(idx.size()) + " bytes, which " +
                std::to_string(documents) + " documents do not take (header, then 20 bytes per " +
                "document and 8)");
  }
  const File& bin = open_bin();
  Stream<int32_t> sizes(idx.fd(), kHeaderBytes, name);
  Stream<int64_t> pointers(idx.fd(), kHeaderBytes + 4 * documents, name);
  Stream<int64_t> doc_idx(idx.fd(), kHeaderBytes + 12 * documents, name);
  uint64_t tokens = 0;
  for (uint64_t i = 0; i < documents; ++i) {
    const int32_t size = sizes.Take();
    const int64_t pointer = pointers.Take(), index = doc_idx.Take();
    if (size <= 0) {
      throw Error(name + ": document " + std::to_string(i) + " has size " + std::to_string(size) +
                  " (a document holds at least its end-of-document id)");
    }
    if (pointer < 0 || static_cast<uint64_t>(pointer) != tokens * item) {
      throw Error(name + ": document " + std::to_string(i) + " starts at byte " +
                  std::to_string(pointer) + " of the .bin, not at " +
                  std::to_string(tokens * item) + " where the one before it ends");
    }
    if (index != static_cast<int64_t>(i)) {
      throw Error(name + ": doc_idx[" + std::to_string(i) + "] is " + std::to_string(index));
    }
    tokens += static_cast<uint64_t>(size);
  }
  const int64_t last = doc_idx.Take();
  if (last != static_cast<int64_t>(documents)) {
    throw Error(name + ": doc_idx[" + std::to_string(documents) + "] is " + std::to_string(last));
  }
  if (bin.size() != tokens * item) {
    throw Error(bin.path() + ": " + std::to_string(bin.size()) + " bytes, but the index gives " +
                std::to_string(tokens) + " ids of " + std::to_string(item) + " bytes");
  }
  // Every id, document by document.
  Stream<int32_t> sizes_again(idx.fd(), kHeaderBytes, name);
  Stream<uint16_t> ids16(bin.fd(), 0, bin.path());
  Stream<uint32_t> ids32(bin.fd(), 0, bin.path());
  for (uint64_t i = 0; i < documents; ++i) {
    const int32_t size = sizes_again.Take();
    uint32_t id = 0;
    for (int32_t k = 0; k < size; ++k) {
      id = item == 2 ? ids16.Take() : ids32.Take();
      if (id >= kWorldIds) {
        throw Error(bin.path() + ": document " + std::to_string(i) + " holds id " +
                    std::to_string(static_cast<int32_t>(id)) + ", not a World id");
      }
    }
    if (id != 0) {
      throw Error(bin.path() + ": document " + std::to_string(i) + " ends with id " +
                  std::to_string(id) + ", not the end-of-document id 0");
    }
  }
  return Counts{documents, tokens};
}

}  // namespace

Counts Check(const std::string& prefix, uint8_t* dtype_code) {
  const File idx(prefix + ".idx");
  return CheckOpen(
      idx, [&] { return File(prefix + ".bin"); }, dtype_code);
}

struct Reader::Files {
  explicit Files(const std::string& prefix)
      : idx(prefix + ".idx"),
        bin(prefix + ".bin"),
        sizes(idx.fd(), kHeaderBytes, idx.path()),
        ids16(bin.fd(), 0, bin.path()),
        ids32(bin.fd(), 0, bin.path()) {}
  File idx, bin;
  Stream<int32_t> sizes;
  Stream<uint16_t> ids16;
  Stream<uint32_t> ids32;
};

// The files are checked as they are open, so that one replaced meanwhile is never read unchecked.
Reader::Reader(const std::string& prefix) : files_(new Files(prefix)) {
  counts_ = CheckOpen(
      files_->idx, [this]() -> const File& { return files_->bin; }, &dtype_code_);
}

Reader::~Reader() = default;

void Reader::Document(uint64_t index, std::vector<uint32_t>* ids) {
  const std::string& name = files_->idx.path();
  const uint64_t n = counts_.documents;
  int32_t size;
  int64_t pointer;
  if (index >= n ||
      !ReadAt(files_->idx.fd(), &size, sizeof(size), kHeaderBytes + 4 * index, name) ||
      !ReadAt(files_->idx.fd(), &pointer, sizeof(pointer), kHeaderBytes + 4 * n + 8 * index,
              name)) {
    throw Error(name + " changed while it was read");
  }
  const size_t item = dtype_code_ == kUint16Code ? 2 : 4;
  std::vector<unsigned char> bytes(static_cast<size_t>(size) * item);
  if (!ReadAt(files_->bin.fd(), bytes.data(), bytes.size(), static_cast<uint64_t>(pointer),
              files_->bin.path())) {
    throw Error(files_->bin.path() + " changed while it was read");
  }
  ids->resize(static_cast<size_t>(size));
  for (size_t k = 0; k < ids->size(); ++k) {
    uint32_t id = 0;
    std::memcpy(&id, bytes.data() + k * item, item);  // little-endian
    (*ids)[k] = id;
  }
}

uint8_t MergedDtype(const std::vector<std::string>& inputs) {
  uint8_t first = kUint16Code;
  for (size_t i = 0; i < inputs.size(); ++i) {
    unsigned char header[kHeaderBytes];
    const uint8_t code = ReadHeader(File(inputs[i] + ".idx"), header);
    if (i == 0) first = code;
    if (code != first) {
      throw Error(inputs[i] + ": " + DtypeName(code) + " ids, where " + inputs[0] + " has " +
                  DtypeName(first) + ": merge takes datasets of one dtype");
    }
  }
  return first;
}

void Merge(const std::vector<std::string>& inputs, Writer* writer) {
  std::vector<uint32_t> ids;
  for (const std::string& input : inputs) {
    Reader reader(input);
    if (reader.dtype_code() != writer->dtype_code()) {
      throw Error(input + ": " + DtypeName(reader.dtype_code()) +
                  " ids, where the merged dataset has " + DtypeName(writer->dtype_code()) +
                  ": merge takes datasets of one dtype");
    }
    while (reader.Next(&ids)) {
      writer->Append(ids.data(), ids.size() - 1);  // Check() saw the final 0
      writer->EndDocument();
    }
  }
}

bool Reader::Next(std::vector<uint32_t>* ids) {
  if (next_ == counts_.documents) return false;
  ++next_;
  const int32_t size = files_->sizes.Take();
  ids->resize(static_cast<size_t>(size));
  for (uint32_t& id : *ids) {
    id = dtype_code_ == kUint16Code ? files_->ids16.Take() : files_->ids32.Take();
  }
  return true;
}

}  // namespace binidx
}  // namespace rwkvtok
