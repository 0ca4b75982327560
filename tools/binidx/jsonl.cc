#include "tools/binidx/jsonl.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace rwkvtok {
namespace binidx {
namespace {

// The length of the valid UTF-8 character at [p, end) (p < end, *p >= 0x80), else 0.
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  const uint32_t b = p[0];
  size_t length;
  uint32_t least;
  if (b >= 0xC2 && b < 0xE0) {
    length = 2, least = 0x80;
  } else if (b >= 0xE0 && b < 0xF0) {
    length = 3, least = 0x800;
  } else if (b >= 0xF0 && b < 0xF5) {
    length = 4, least = 0x10000;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < length) return 0;
  uint32_t c = b & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    c = c << 6 | (p[k] & 0x3F);
  }
  if (c < least || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) return 0;
  return length;
}

void AppendUtf8(uint32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | c >> 6));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | c >> 12));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | c >> 18));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

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
  bool found = false;
  const char* kind = nullptr;  // null: a string, in *text; else what it is instead
};

class Reader {
 public:
  Reader(std::string_view line, std::string* error)
      : begin_(reinterpret_cast<const unsigned char*>(line.data())),
        p_(begin_),
        end_(begin_ + line.size()),
        error_(error) {}

  bool ReadField(Wanted* wanted) {
    SkipSpace();
    if (p_ == end_ || *p_ != '{') {
      return Fail(p_ == end_ ? "no JSON value" : "not a JSON object (documents are objects)");
    }
    if (!Object(1, wanted)) return false;
    SkipSpace();
    if (p_ != end_) return Fail("more after the JSON object");
    return true;
  }

 private:
  bool Fail(const std::string& what) { return Fail(what, p_); }
  bool Fail(const std::string& what, const unsigned char* at) {
    *error_ = what + " at column " + std::to_string(at - begin_ + 1);
    return false;
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  // What a string is read for: only checked, a member's name, or the wanted text.
  enum class Use { kSkip, kName, kText };

  // The string at p_ (a '"'), decoded into `out` unless it is null (kSkip).
  bool String(std::string* out, Use use) {
    ++p_;
    for (;;) {
      const unsigned char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && *p_ >= 0x20 && *p_ < 0x80) ++p_;
      if (out != nullptr) out->append(reinterpret_cast<const char*>(run), p_ - run);
      if (p_ == end_) return Fail("unterminated string");
      const unsigned char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Fail("control character in a string (JSON needs it escaped)");
      if (c >= 0x80) {
        const size_t length = Utf8Length(p_, end_);
        if (length == 0) return Fail("invalid UTF-8");
        if (out != nullptr) out->append(reinterpret_cast<const char*>(p_), length);
        p_ += length;
        continue;
      }
      if (!Escape(out, use)) return false;
    }
  }

  // The escape at p_ (a '\\').
  bool Escape(std::string* out, Use use) {
    if (end_ - p_ < 2) return Fail("unterminated string");
    char plain;
    switch (p_[1]) {
      case '"':
      case '\\':
      case '/':
        plain = static_cast<char>(p_[1]);
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u':
        return UnicodeEscape(out, use);
      default:
        return Fail("invalid escape");
    }
    if (out != nullptr) out->push_back(plain);
    p_ += 2;
    return true;
  }

  // Python's json reads a lone surrogate escape into a str that UTF-8 cannot hold: an error in the
  // wanted text; in a name, one that matches no field; elsewhere, of no matter.
  bool UnicodeEscape(std::string* out, Use use) {
    const unsigned char* at = p_;
    uint32_t unit;
    if (end_ - p_ < 6 || !Hex4(p_ + 2, &unit)) return Fail("\\u needs 4 hex digits");
    p_ += 6;
    if (unit >= 0xD800 && unit < 0xE000) {
      uint32_t low;
      if (unit < 0xDC00 && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u' && Hex4(p_ + 2, &low) &&
          low >= 0xDC00 && low < 0xE000) {
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        p_ += 6;
      } else if (use == Use::kText) {
        return Fail("lone surrogate " + std::string(reinterpret_cast<const char*>(at), 6) +
                        " (UTF-8 cannot hold it)",
                    at);
      } else {
        if (out != nullptr) out->push_back('\xFF');  // never valid UTF-8, so never a field
        return true;
      }
    }
    if (out != nullptr) AppendUtf8(unit, out);
    return true;
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
        if (p_ < end_ && *p_ == '"') {
          wanted->kind = nullptr;
          wanted->text->clear();
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
};

}  // namespace

bool ReadField(std::string_view line, std::string_view field, std::string* text,
               std::string* error) {
  Wanted wanted;
  wanted.name = field;
  wanted.text = text;
  if (!Reader(line, error).ReadField(&wanted)) return false;
  if (!wanted.found) {
    *error = "no member \"" + std::string(field) + "\"";
    return false;
  }
  if (wanted.kind != nullptr) {
    *error = "member \"" + std::string(field) + "\" is " + wanted.kind + ", not a string";
    return false;
  }
  return true;
}

}  // namespace binidx
}  // namespace rwkvtok
