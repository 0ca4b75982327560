// The wire formats of ids on the command line: written by encode, read by decode.
//   lines  one decimal id per line; read: decimal ids separated by any whitespace
//   json   one JSON array of decimal ids; read: with any JSON whitespace between its tokens
//   u16    little-endian 16-bit ids, 2 bytes each
//   u32    little-endian 32-bit ids, 4 bytes each

#ifndef RWKVTOK_TOOLS_CLI_ID_FORMAT_H_
#define RWKVTOK_TOOLS_CLI_ID_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace rwkvtok {
namespace cli {

enum class Format { kLines, kJson, kU16, kU32 };

// The most bytes an id below 65536 takes: "65535\n" or ",65535".
constexpr size_t kMaxFormattedWidth = 6;

// Writes `count` ids (each below 65536) in `format` at `p` (room for count * kMaxFormattedWidth
// bytes) and returns the end. A JSON id is written with a leading ',' (the writer makes the first
// one '['), so that ids can be formatted apart, on any thread, and joined.
char* FormatIds(Format format, const uint32_t* ids, size_t count, char* p);

inline char* FormatId(Format format, uint32_t id, char* p) { return FormatIds(format, &id, 1, p); }

// Reads ids in one format from input given in pieces of any size: a number or a binary id may be
// cut between pieces. An id is given out only once it is known whole and well-formed, so input
// that turns out malformed gives nothing of the word or number it is in.
class IdParser {
 public:
  explicit IdParser(Format format) : format_(format) {}

  // Reads ids from the next `size` bytes of input into ids[0..capacity) (capacity >= 1). Stops at
  // the end of the bytes, when `ids` is full or at malformed input; returns the ids written and
  // sets *used to the bytes read. After malformed input, failed() is true and error() says what
  // and where (ids written before it are good).
  size_t Feed(const char* data, size_t size, uint32_t* ids, size_t capacity, size_t* used);

  // The end of the input: writes the last id, if it was cut by the end (at most one, into ids[0]),
  // and returns how many; or fails as Feed does, if the input ends where it may not.
  size_t End(uint32_t* ids);

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Ids given out so far: the position of the last one, 1-based.
  uint64_t ids_read() const { return ids_; }

 private:
  // JSON: what may come next (whitespace aside).
  enum JsonState { kJsonOpen, kJsonFirst, kJsonId, kJsonAfterId, kJsonDone };

  void Fail(const std::string& message);
  void AddToWord(char c);
  // Whether the word so far is an id (decimal, below 2^32).
  bool IsId() const { return numeric_ && value_ <= 0xFFFFFFFFu; }
  // The word or number just ended: false (and failed) if it is not an id.
  bool EndWord(uint32_t* id);
  void FailWord();
  void FailJson(JsonState expected);
  // One byte of JSON outside a number.
  void JsonStructure(char c);

  const Format format_;
  std::string error_;
  uint64_t offset_ = 0;  // bytes read
  uint64_t ids_ = 0;     // ids given out
  // Binary formats: the bytes of an id so far.
  uint64_t pending_ = 0;
  int pending_bytes_ = 0;
  // Text formats: the word or number being read, and its first bytes for messages (one more than
  // a message shows, so it can tell that the word was longer).
  static constexpr size_t kWordShown = 32;
  bool in_word_ = false, numeric_ = true;
  uint64_t value_ = 0;  // saturates at 2^32
  char word_[kWordShown + 1];
  size_t word_size_ = 0;
  JsonState json_ = kJsonOpen;
};

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_ID_FORMAT_H_
