#include "tools/binidx/jsonl.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "tools/binidx/utf8.h"

namespace rwkvtok {
namespace binidx {
namespace {

// Whether a string's byte stands for itself: not '"', '\\' or a control character.
bool IsPlain(unsigned char c) { return c != '"' && c != '\\' && c >= 0x20; }

// Where a string's plain bytes stop: '"', '\\' and control characters. SpecialBits(p) flags them
// among the kBlock bytes at p, byte i by bit i * kBitsPerByte and maybe bits above it, so that
// the lowest set bit gives the first. With SSE2 (every x86-64 has it) 16 bytes at a time; else 8
// in a word, where in little-endian order the lowest flagged byte is one of them (a borrow only
// flags bytes above a true one); else one.
#if defined(__SSE2__)
constexpr size_t kBlock = 16;
constexpr int kBitsPerByte = 1;
uint64_t SpecialBits(const unsigned char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Bytes up to 0x1F are those whose unsigned minimum with 0x1F is themselves.
  const __m128i special = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
      _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
}
#elif defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr size_t kBlock = 8;
constexpr int kBitsPerByte = 8;
constexpr uint64_t kOnes = 0x0101010101010101u;
constexpr uint64_t kHighBits = 0x8080808080808080u;

uint64_t Load8(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

uint64_t SpecialBits(const unsigned char* p) {
  const uint64_t w = Load8(p);
  const uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
  const uint64_t flags =
      ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | ((w - kOnes * 0x20) & ~w);
  return flags & kHighBits;
}
#else
constexpr size_t kBlock = 1;
constexpr int kBitsPerByte = 1;
uint64_t SpecialBits(const unsigned char* p) { return !IsPlain(*p); }
#endif

// The first of the bytes that `bits` (from SpecialBits, not 0) flags.
size_t FirstSpecial(uint64_t bits) { return __builtin_ctzll(bits) / kBitsPerByte; }

// The first '"', '\\' or control character in [p, end), or end.
const unsigned char* PlainEnd(const unsigned char* p, const unsigned char* end) {
  for (; static_cast<size_t>(end - p) >= kBlock; p += kBlock) {
    const uint64_t bits = SpecialBits(p);
    if (bits != 0) return p + FirstSpecial(bits);
  }
  while (p < end && IsPlain(*p)) ++p;
  return p;
}

// Writes the UTF-8 of `c` to `to` (room for 4 bytes); returns its length.
int PutUtf8(uint32_t c, char* to) {
  if (c < 0x80) {
    to[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    to[0] = static_cast<char>(0xC0 | c >> 6);
    to[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    to[0] = static_cast<char>(0xE0 | c >> 12);
    to[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    to[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  to[0] = static_cast<char>(0xF0 | c >> 18);
  to[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  to[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  to[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

// What each two-byte escape stands for, by its second byte; 0 for the others.
struct EscapeTable {
  char plain[256];
  constexpr char operator[](unsigned char c) const { return plain[c]; }
};

constexpr EscapeTable MakeEscapeTable() {
  EscapeTable t{};
  t.plain['"'] = '"';
  t.plain['\\'] = '\\';
  t.plain['/'] = '/';
  t.plain['b'] = '\b';
  t.plain['f'] = '\f';
  t.plain['n'] = '\n';
  t.plain['r'] = '\r';
  t.plain['t'] = '\t';
  return t;
}

constexpr EscapeTable kEscaped = MakeEscapeTable();

bool Hex4(const unsigned char* p, uint32_t* value) {
  uint32_t v = 0;
  for (int k = 0; k < 4; ++k) {
    const unsigned char c = p[k];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    v = v << 4 | digit;
  }
  *value = v;
  return true;
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// The wanted member of the top-level object, as last seen.
struct Wanted {
  std::string_view name;
  std::string* text;
  size_t kept;  // bytes of *text before the line's
  bool found = false;
  const char* kind = nullptr;  // null: a string, in *text; else what it is instead
};

// Whether the wanted text read so far is valid UTF-8.
bool CheckedText(const Wanted& wanted) {
  const unsigned char* const text = reinterpret_cast<const unsigned char*>(wanted.text->data());
  return IsUtf8Text(text + wanted.kept, text + wanted.text->size());
}

class Reader {
 public:
  // `check_text`: check the wanted text's UTF-8 as it is read, to report where it is invalid;
  // else the caller checks it whole (CheckedText), faster.
  Reader(std::string_view line, std::string* error, bool check_text)
      : begin_(reinterpret_cast<const unsigned char*>(line.data())),
        p_(begin_),
        end_(begin_ + line.size()),
        error_(error),
        check_text_(check_text) {}

  bool ReadField(Wanted* wanted) {
    // Python's json decodes the whole line first: invalid UTF-8 anywhere in it comes first.
    if (check_text_ && !IsUtf8(begin_, end_)) {
      p_ = end_;
      return FailAtInvalidUtf8(begin_);
    }
    SkipSpace();
    if (p_ == end_) return Fail("no JSON value");
    if (*p_ != '{') {
      if (end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) {
        return Fail("a byte order mark (JSON has none)");
      }
      return Fail(std::strchr("[\"tfn-0123456789", *p_) != nullptr && *p_ != '\0'
                      ? "not a JSON object (documents are objects)"
                      : "not JSON (unexpected character)");
    }
    if (!Object(1, wanted)) return false;
    SkipSpace();
    if (p_ != end_) return Fail("more after the JSON object");
    // Python's json reads a lone surrogate escape into a str: an error only in the member
    // that counts, the last of its name.
    if (text_surrogate_ != nullptr) {
      return Fail("lone surrogate " +
                      std::string(reinterpret_cast<const char*>(text_surrogate_), 6) +
                      " (UTF-8 cannot hold it)",
                  text_surrogate_);
    }
    return true;
  }

 private:
  bool Fail(const std::string& what) { return Fail(what, p_); }
  bool Fail(const std::string& what, const unsigned char* at) {
    *error_ = what + " at column " + std::to_string(at - begin_ + 1);
    return false;
  }

  // Fail for what returns a count: -1.
  int Invalid(const std::string& what) {
    Fail(what);
    return -1;
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  // What a string is read for: only checked, a member's name, or the wanted text.
  enum class Use { kSkip, kName, kText };

  // The string at p_ (a '"'), decoded into `out` unless it is null (kSkip).
  bool String(std::string* out, Use use) {
    ++p_;
    // Text makes room for the rest of the line: once a line, as a member that comes again (the
    // last of a name counts) would make it again, and again.
    if (use == Use::kText && !check_text_ && !text_read_) {
      text_read_ = true;
      return Text(out);
    }
    for (;;) {
      const unsigned char* run = p_;
      p_ = PlainEnd(p_, end_);
      if ((use != Use::kText || check_text_) && !IsUtf8(run, p_)) return FailAtInvalidUtf8(run);
      if (out != nullptr) out->append(reinterpret_cast<const char*>(run), p_ - run);
      if (p_ == end_) return Fail("unterminated string");
      const unsigned char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Fail("control character in a string (JSON needs it escaped)");
      char bytes[4];
      const int size = Escape(bytes, use);
      if (size < 0) return false;
      if (out != nullptr) out->append(bytes, size);
    }
  }

  // String for the wanted text, unchecked (the caller checks its UTF-8 whole): the hot loop of
  // reading a corpus. It copies a block at a time before it looks for where the plain bytes stop,
  // into room made for the rest of the line, so a run of plain bytes costs no call.
  bool Text(std::string* out) {
    const size_t kept = out->size();
    // Decoded, no part of a string is longer than its JSON; a block's copy may pass its end.
    out->resize(kept + (end_ - p_) + kBlock);
    char* const text = &(*out)[kept];
    char* to = text;
    // In locals: stores through `to` could change the members, as far as the compiler knows.
    const unsigned char* p = p_;
    const unsigned char* const end = end_;
    for (;;) {
      // Whole plain blocks move on by a constant, so that the next block's load need not wait
      // for this one's bits.
      uint64_t bits = 0;
      for (; static_cast<size_t>(end - p) >= kBlock; p += kBlock, to += kBlock) {
        std::memcpy(to, p, kBlock);
        if ((bits = SpecialBits(p)) != 0) break;
      }
      if (bits != 0) {
        const size_t plain = FirstSpecial(bits);
        p += plain;
        to += plain;
      } else {  // less than a block left
        const unsigned char* const plain_end = PlainEnd(p, end);
        std::memcpy(to, p, plain_end - p);
        to += plain_end - p;
        p = plain_end;
        if (p == end) {
          p_ = p;
          return Fail("unterminated string");
        }
      }
      if (*p == '\\' && end - p >= 2 && kEscaped[p[1]] != 0) {
        *to++ = kEscaped[p[1]];
        p += 2;
        continue;
      }
      p_ = p;
      if (*p == '"') {
        ++p_;
        out->resize(kept + (to - text));
        return true;
      }
      if (*p < 0x20) return Fail("control character in a string (JSON needs it escaped)");
      const int size = Escape(to, Use::kText);
      if (size < 0) return false;
      to += size;
      p = p_;
    }
  }

  // Reports where the first invalid UTF-8 in [p, p_) is: the first byte of the character that the
  // DFA rejects, or that the run ends inside.
  bool FailAtInvalidUtf8(const unsigned char* p) {
    return Fail("invalid UTF-8", FirstInvalidUtf8(p, p_));
  }

  // Decodes the escape at p_ (a '\\') to `to` (room for 4 bytes) and moves past it; returns the
  // bytes written, or -1 when it is not valid.
  int Escape(char* to, Use use) {
    if (end_ - p_ < 2) return Invalid("unterminated string");
    if (p_[1] == 'u') return UnicodeEscape(to, use);
    const char plain = kEscaped[p_[1]];
    if (plain == 0) return Invalid("invalid escape");
    *to = plain;
    p_ += 2;
    return 1;
  }

  // Python's json reads a lone surrogate escape into a str that UTF-8 cannot hold: an error in the
  // wanted text; in a name, one that matches no field; elsewhere, of no matter.
  int UnicodeEscape(char* to, Use use) {
    const unsigned char* at = p_;
    uint32_t unit;
    if (end_ - p_ < 6 || !Hex4(p_ + 2, &unit)) return Invalid("\\u needs 4 hex digits");
    p_ += 6;
    if (unit >= 0xD800 && unit < 0xE000) {
      uint32_t low;
      if (unit < 0xDC00 && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u' && Hex4(p_ + 2, &low) &&
          low >= 0xDC00 && low < 0xE000) {
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        p_ += 6;
      } else if (use == Use::kText) {
        // An error if this member counts (ReadField); U+FFFD holds its place meanwhile.
        if (text_surrogate_ == nullptr) text_surrogate_ = at;
        return PutUtf8(0xFFFD, to);
      } else {
        *to = '\xFF';  // never valid UTF-8, so never a field
        return 1;
      }
    }
    return PutUtf8(unit, to);
  }

  bool Number() {
    const unsigned char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (p_ < end_ && IsDigit(*p_)) {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    } else {
      return Fail("invalid number", start);
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return Fail("invalid number", start);
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return Fail("invalid number", start);
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word) {
      return Fail("not JSON (unexpected character)");
    }
    p_ += word.size();
    return true;
  }

  // Any value at p_, checked and skipped.
  bool Value(int depth) {
    if (p_ == end_) return Fail("a value expected");
    switch (*p_) {
      case '{':
        return Object(depth + 1, nullptr);
      case '[':
        return Array(depth + 1);
      case '"':
        return String(nullptr, Use::kSkip);
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        if (*p_ == '-' || IsDigit(*p_)) return Number();
        return Fail("not JSON (unexpected character)");
    }
  }

  static const char* KindOf(unsigned char first) {
    switch (first) {
      case '{':
        return "an object";
      case '[':
        return "an array";
      case 't':
      case 'f':
        return "a boolean";
      case 'n':
        return "null";
      default:
        return "a number";
    }
  }

  // The object at p_ (a '{'); its member named wanted->name noted when `wanted` is not null.
  bool Object(int depth, Wanted* wanted) {
    if (depth > kMaxDepth) return Fail("nested more than " + std::to_string(kMaxDepth) + " deep");
    ++p_;
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    std::string name;
    for (;;) {
      if (p_ == end_ || *p_ != '"') return Fail("a member name (a string) expected");
      name.clear();
      if (!String(wanted != nullptr ? &name : nullptr,
                  wanted != nullptr ? Use::kName : Use::kSkip)) {
        return false;
      }
      SkipSpace();
      if (p_ == end_ || *p_ != ':') return Fail("':' expected");
      ++p_;
      SkipSpace();
      if (wanted != nullptr && name == wanted->name) {
        wanted->found = true;
        text_surrogate_ = nullptr;  // of a member this one replaces
        if (p_ < end_ && *p_ == '"') {
          wanted->kind = nullptr;
          // A text read unchecked is checked before a later member of that name replaces it.
          if (!check_text_ && !CheckedText(*wanted)) return Fail("invalid UTF-8");
          wanted->text->resize(wanted->kept);
          if (!String(wanted->text, Use::kText)) return false;
        } else {
          if (p_ < end_) wanted->kind = KindOf(*p_);
          if (!Value(depth)) return false;
        }
      } else if (!Value(depth)) {
        return false;
      }
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        SkipSpace();
        continue;
      }
      if (p_ < end_ && *p_ == '}') {
        ++p_;
        return true;
      }
      return Fail("',' or '}' expected");
    }
  }

  bool Array(int depth) {
    if (depth > kMaxDepth) return Fail("nested more than " + std::to_string(kMaxDepth) + " deep");
    ++p_;
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      if (!Value(depth)) return false;
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        SkipSpace();
        continue;
      }
      if (p_ < end_ && *p_ == ']') {
        ++p_;
        return true;
      }
      return Fail("',' or ']' expected");
    }
  }

  const unsigned char* const begin_;
  const unsigned char* p_;
  const unsigned char* const end_;
  std::string* const error_;
  const bool check_text_;
  const unsigned char* text_surrogate_ = nullptr;  // a lone surrogate escape in the wanted text
  bool text_read_ = false;                         // by Text
};

}  // namespace

bool ReadField(std::string_view line, std::string_view field, std::string* text,
               std::string* error) {
  text->clear();
  return AppendField(line, field, text, error);
}

bool AppendField(std::string_view line, std::string_view field, std::string* text,
                 std::string* error) {
  Wanted wanted;
  wanted.name = field;
  wanted.text = text;
  wanted.kept = text->size();
  if (Reader(line, error, false).ReadField(&wanted) && wanted.found && wanted.kind == nullptr &&
      CheckedText(wanted)) {
    return true;
  }
  // Something is wrong: read again, checking the text as it goes, to say what comes first.
  text->resize(wanted.kept);
  wanted.found = false;
  wanted.kind = nullptr;
  if (!Reader(line, error, true).ReadField(&wanted)) return false;
  if (!wanted.found) {
    *error = "no member \"" + std::string(field) + "\"";
    return false;
  }
  if (wanted.kind != nullptr) {
    *error = "member \"" + std::string(field) + "\" is " + wanted.kind + ", not a string";
    return false;
  }
  *error = "invalid UTF-8";  // the two checks disagree: never, as the tests show
  return false;
}

}  // namespace binidx
}  // namespace rwkvtok
