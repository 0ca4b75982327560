// Datasets in the binidx format that RWKV-LM trains on (Megatron's MMapIndexedDataset):
//
//   PREFIX.idx  "MMIDIDX\0\0", version u64 = 1, dtype code u8 (8: uint16, 4: int32), N u64 (the
//               documents), N + 1 u64, sizes int32[N] (ids per document), pointers int64[N]
//               (each document's byte offset in PREFIX.bin), doc_idx int64[N + 1] = 0..N;
//               all little-endian, no padding.
//   PREFIX.bin  the documents' ids, one after another, no header.
//
// For World every document ends with id 0, and ids are uint16. Errors are cli::Error, one line
// that names the file and what is wrong.

#ifndef RWKVTOK_TOOLS_BINIDX_DATASET_H_
#define RWKVTOK_TOOLS_BINIDX_DATASET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rwkvtok {
namespace binidx {

constexpr char kMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
constexpr uint64_t kVersion = 1;
constexpr uint8_t kUint16Code = 8;
constexpr uint8_t kInt32Code = 4;
constexpr size_t kHeaderBytes = 9 + 8 + 1 + 8 + 8;

struct Counts {
  uint64_t documents = 0;
  uint64_t tokens = 0;  // ids in PREFIX.bin, the end-of-document ids included
};

// RWKV-LM's --magic_prime for a dataset of `tokens` ids trained with contexts of `ctx_len`: the
// largest prime p with p % 3 == 2 and p <= tokens / ctx_len - 1 (RWKV-LM's make_data.py); 0 when
// the dataset holds fewer than 3 contexts or no such prime exists.
uint64_t MagicPrime(uint64_t tokens, uint64_t ctx_len);

// Writes PREFIX.bin and PREFIX.idx (uint16 ids, or int32 for merging such datasets) so that they
// appear whole or not at all: both are written to temporary files beside them and renamed into
// place by Commit, .bin first. Memory stays small whatever the dataset: ids are written as they
// come, sizes go into the index file.
class Writer {
 public:
  explicit Writer(const std::string& prefix, uint8_t dtype_code = kUint16Code);
  ~Writer();  // removes the temporary files unless committed
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends ids (each below 65536 for uint16, 2^31 for int32) to the document being written.
  void Append(const uint32_t* ids, size_t count);
  void Append(const uint16_t* ids, size_t count);
  // Ends it with the end-of-document id 0: a document of at least that one id.
  void EndDocument();
  // Finishes the index and flushes both files to the disk; nothing may be appended after it.
  void Finish();
  // Finishes (if Finish was not called) and renames both files into place.
  Counts Commit();
  const Counts& counts() const { return counts_; }
  uint8_t dtype_code() const { return dtype_code_; }

  // The temporary files' paths (for a signal handler: unlink them and exit).
  const std::string& bin_temporary() const { return bin_path_; }
  const std::string& idx_temporary() const { return idx_path_; }

 private:
  template <typename Id>
  void AppendIds(const Id* ids, size_t count);
  void RemoveTemporaries() noexcept;
  void WriteBin(const void* data, size_t size);
  void WriteIdx(const void* data, size_t size);
  void FlushBin();

  std::string prefix_;
  std::string bin_path_, idx_path_;
  int bin_ = -1, idx_ = -1;
  uint8_t dtype_code_;
  std::vector<uint16_t> pending_;   // ids not yet written to PREFIX.bin (uint16)...
  std::vector<int32_t> pending32_;  // ...or int32
  std::vector<int32_t> sizes_;      // sizes not yet written to PREFIX.idx
  uint64_t document_ids_ = 0;       // of the document being written
  Counts counts_;
  bool finished_ = false;
  bool committed_ = false;
};

// Reads PREFIX.idx and PREFIX.bin and checks everything: the header, sizes against pointers and
// the length of PREFIX.bin, doc_idx, and (for uint16 and int32 ids) that every id is one of the
// World vocabulary's and every document ends with id 0. The counts, or a cli::Error saying what
// is wrong first and where. `dtype_code` (if not null) gets the dataset's dtype code.
Counts Check(const std::string& prefix, uint8_t* dtype_code = nullptr);

// The document that comes `i`-th (0 <= i < n) in pass `pass` of --shuffle with `seed`: a
// permutation of 0..n-1 that needs no memory, so that other tools can reproduce it exactly:
//   SplitMix64(x): x += 0x9E3779B97F4A7C15; z = x; z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9;
//                  z = (z ^ z >> 27) * 0x94D049BB133111EB; return z ^ z >> 31   (mod 2^64)
//   h = the least number of bits with 2^(2h) >= n (h >= 1), mask = 2^h - 1;
//   round keys k[r] = SplitMix64(seed ^ SplitMix64(pass * 4 + r)) for r = 0..3;
//   F(x): left = x >> h, right = x & mask; for r in 0..3:
//         left, right = right, left ^ (SplitMix64(right ^ k[r]) & mask); return left << h | right
//   the answer: x = F(i), then x = F(x) again while x >= n (a bijection on 0..2^(2h)-1 walked
//   back into 0..n-1 stays one).
uint64_t ShuffledIndex(uint64_t i, uint64_t n, uint64_t seed, uint64_t pass);

// The dtype code all of `inputs` have (from their headers), for the Writer that merges them; an
// Error names the first input of another (Megatron's merge_datasets takes one dtype).
uint8_t MergedDtype(const std::vector<std::string>& inputs);

// Checks the datasets `inputs` and writes their documents, in order, with `writer` (of their
// dtype), as Megatron's merge_datasets; the caller commits it.
void Merge(const std::vector<std::string>& inputs, Writer* writer);

// A checked dataset's documents, in order, one at a time (memory: the longest document).
class Reader {
 public:
  explicit Reader(const std::string& prefix);  // Check()s it first
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next document's ids, its final 0 included; false after the last.
  bool Next(std::vector<uint32_t>* ids);
  // Document `index` (below counts().documents), wherever it is; Next is unaffected.
  void Document(uint64_t index, std::vector<uint32_t>* ids);
  const Counts& counts() const { return counts_; }
  uint8_t dtype_code() const { return dtype_code_; }

 private:
  struct Files;
  std::unique_ptr<Files> files_;
  Counts counts_;
  uint8_t dtype_code_ = 0;
  uint64_t next_ = 0;
};

}  // namespace binidx
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_BINIDX_DATASET_H_
