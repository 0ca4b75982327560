#include "tools/cli/id_format.h"

#include <algorithm>
#include <charconv>

#include "tools/cli/error.h"

namespace rwkvtok {
namespace cli {
namespace {

// Lines take any whitespace between ids (C's isspace in the C locale); JSON only its own four.
bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// What JSON may hold next, by IdParser's JSON state, for messages.
const char* const kJsonExpected[] = {"'['", "an id or ']'", "an id", "',' or ']'",
                                     "nothing after the array"};
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

// The format is chosen once for all the ids: a call and a choice per id made `encode` 1.1 to 1.3
// times slower.
char* FormatIds(Format format, const uint32_t* ids, size_t count, char* p) {
  switch (format) {
    case Format::kLines:
      for (size_t i = 0; i < count; ++i) {
        p = std::to_chars(p, p + 10, ids[i]).ptr;
        *p++ = '\n';
      }
      break;
    case Format::kJson:
      for (size_t i = 0; i < count; ++i) {
        *p++ = ',';
        p = std::to_chars(p, p + 10, ids[i]).ptr;
      }
      break;
    case Format::kU16:
      for (size_t i = 0; i < count; ++i) {
        p[2 * i] = static_cast<char>(ids[i] & 0xFF);
        p[2 * i + 1] = static_cast<char>(ids[i] >> 8);
      }
      p += 2 * count;
      break;
    case Format::kU32:
      for (size_t i = 0; i < count; ++i) {
        for (int k = 0; k < 4; ++k) p[4 * i + k] = static_cast<char>(ids[i] >> (8 * k));
      }
      p += 4 * count;
      break;
  }
  return p;
}

inline void IdParser::AddToWord(char c) {
  if (!in_word_) {
    in_word_ = true;
    numeric_ = true;
    value_ = 0;
    word_size_ = 0;
  }
  // A "number" may be gigabytes without whitespace: only its start is kept, for messages.
  if (word_size_ <= kWordShown) word_[word_size_] = c;
  ++word_size_;
  const uint64_t digit = static_cast<unsigned char>(c) - uint64_t{'0'};
  numeric_ = numeric_ && digit < 10;
  if (numeric_) value_ = std::min<uint64_t>(value_ * 10 + digit, uint64_t{1} << 32);
  // A word longer than a message shows that is already no id need not be read to its end (it
  // may never end: /dev/zero).
  if (word_size_ > kWordShown && !IsId()) FailWord();
}

size_t IdParser::Feed(const char* data, size_t size, uint32_t* ids, size_t capacity, size_t* used) {
  size_t n = 0, i = 0;
  while (i < size && n < capacity && !failed()) {
    const char c = data[i++];
    ++offset_;
    switch (format_) {
      case Format::kU16:
      case Format::kU32:
        pending_ |= uint64_t{static_cast<unsigned char>(c)} << (8 * pending_bytes_);
        if (++pending_bytes_ == (format_ == Format::kU16 ? 2 : 4)) {
          ids[n++] = static_cast<uint32_t>(pending_);
          ++ids_;
          pending_ = 0;
          pending_bytes_ = 0;
        }
        break;
      case Format::kLines:
        if (!IsSpace(c)) {
          AddToWord(c);
        } else if (in_word_ && EndWord(&ids[n])) {
          ++n;
        }
        break;
      case Format::kJson:
        if (in_word_) {
          if (IsDigit(c)) {
            if (word_size_ == 1 && word_[0] == '0') {
              Fail("invalid JSON input at byte " + std::to_string(offset_) +
                   ": a number does not start with 0 (ids are decimal numbers)");
              break;
            }
            AddToWord(c);
            break;
          }
          // A number is whole only where JSON lets it end: "1.5" gives no 1.
          if (!IsJsonSpace(c) && c != ',' && c != ']') {
            FailJson(kJsonAfterId);
            break;
          }
          if (!EndWord(&ids[n])) break;
          ++n;
          json_ = kJsonAfterId;
        }
        JsonStructure(c);
        break;
    }
  }
  *used = i;
  return n;
}

size_t IdParser::End(uint32_t* ids) {
  if (failed()) return 0;
  const std::string bytes = std::to_string(offset_) + (offset_ == 1 ? " byte" : " bytes");
  switch (format_) {
    case Format::kU16:
      if (pending_bytes_ != 0) Fail("u16 input of " + bytes + " is not a multiple of 2 bytes");
      return 0;
    case Format::kU32:
      if (pending_bytes_ != 0) Fail("u32 input of " + bytes + " is not a multiple of 4 bytes");
      return 0;
    case Format::kLines:
      return in_word_ && EndWord(&ids[0]) ? 1 : 0;
    case Format::kJson:
      if (json_ != kJsonDone) Fail("invalid JSON input: it ends before the array of ids is closed");
      return 0;
  }
  return 0;
}

void IdParser::Fail(const std::string& message) {
  if (!failed()) error_ = message;
}

bool IdParser::EndWord(uint32_t* id) {
  in_word_ = false;
  if (!IsId()) {
    FailWord();
    return false;
  }
  *id = static_cast<uint32_t>(value_);
  ++ids_;
  return true;
}

void IdParser::FailWord() {
  const std::string word(word_, std::min(word_size_, kWordShown + 1));
  Fail("invalid id '" + Escaped(word, kWordShown) + "' at position " + std::to_string(ids_ + 1) +
       (numeric_ ? ": too large" : ": ids are decimal numbers"));
}

void IdParser::FailJson(JsonState expected) {
  Fail("invalid JSON input at byte " + std::to_string(offset_) + ": expected " +
       kJsonExpected[expected] + " (ids are decimal numbers)");
}

void IdParser::JsonStructure(char c) {
  if (IsJsonSpace(c)) return;
  if (json_ == kJsonOpen && c == '[') {
    json_ = kJsonFirst;
  } else if ((json_ == kJsonFirst || json_ == kJsonId) && IsDigit(c)) {
    AddToWord(c);
  } else if ((json_ == kJsonFirst || json_ == kJsonAfterId) && c == ']') {
    json_ = kJsonDone;
  } else if (json_ == kJsonAfterId && c == ',') {
    json_ = kJsonId;
  } else {
    FailJson(json_);
  }
}

}  // namespace cli
}  // namespace rwkvtok
