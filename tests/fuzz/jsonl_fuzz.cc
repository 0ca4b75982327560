// Fuzz target: any line offered to the JSONL reader (tools/binidx/jsonl.h) is either refused with
// a message that says what is wrong, or gives a text that is valid UTF-8 and that the reader gives
// back unchanged from a line written here around it; the input's own bytes, quoted (plainly, and
// with escapes of every kind that the input picks), are read back whole exactly when they are
// valid UTF-8.

#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "tests/utf8_reference.h"
#include "tools/binidx/jsonl.h"

namespace {

bool ValidUtf8(std::string_view s) { return rwkvtok::Utf8InvalidAt(s) == s.size(); }

// The length of the valid UTF-8 character at s[i], or 0.
size_t CharLength(const std::string& s, size_t i, uint32_t* c) {
  for (size_t length = 1; length <= 4 && i + length <= s.size(); ++length) {
    if (ValidUtf8(s.substr(i, length))) {
      const uint8_t b = static_cast<uint8_t>(s[i]);
      *c = length == 1 ? b : b & (0x7F >> length);
      for (size_t k = 1; k < length; ++k) *c = *c << 6 | (static_cast<uint8_t>(s[i + k]) & 0x3F);
      return length;
    }
  }
  return 0;
}

// `text` as a JSON string: quotes, backslashes and control characters escaped. With a `choice`
// other than 0, its bits pick, character by character, among the other ways JSON can write one:
// \u escapes for any (surrogate pairs past U+FFFF), \/, and the short escapes for \u0008 etc.
std::string Quote(const std::string& text, uint32_t choice = 0) {
  static const char kHex[] = "0123456789abcdef";
  const auto u = [](uint32_t unit) {
    std::string e = "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) e += kHex[(unit >> shift) & 15];
    return e;
  };
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    choice = choice * 1103515245u + 12345u;
    const bool other = choice != 12345u && (choice >> 28) < 5;
    uint32_t c = 0;
    const size_t length = CharLength(text, i, &c);
    if (length == 0) {  // invalid UTF-8 stays as it is
      out += text[i++];
      continue;
    }
    const char* shortened = c == '\b'   ? "\\b"
                            : c == '\f' ? "\\f"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                            : c == '/'  ? "\\/"
                                        : nullptr;
    if (other && shortened != nullptr && (choice >> 27 & 1)) {
      out += shortened;
    } else if (other && c >= 0x10000) {
      out += u(0xD800 + ((c - 0x10000) >> 10)) + u(0xDC00 + ((c - 0x10000) & 0x3FF));
    } else if (other || c < 0x20) {
      out += u(c);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out.append(text, i, length);
    }
    i += length;
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the member wanted.
  static const char* const kFields[] = {"text", "", "t\"x", "\xc3\xa9"};
  if (size == 0) return 0;
  const std::string field = kFields[data[0] % 4];
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string text, error;
  // The input's bytes as a JSON string: read back whole exactly when they are valid UTF-8.
  const std::string raw(line);
  const bool valid =
      rwkvtok::binidx::ReadField("{\"text\": " + Quote(raw) + "}", "text", &text, &error);
  FUZZ_CHECK(valid == ValidUtf8(raw));
  FUZZ_CHECK(valid ? text == raw : error.compare(0, 13, "invalid UTF-8") == 0);
  // And written with escapes of every kind, picked by the line's first bytes.
  uint32_t choice = 1;
  for (size_t i = 0; i < 4 && i < size; ++i) choice = choice << 8 | data[i];
  const bool valid_escaped =
      rwkvtok::binidx::ReadField("{\"text\": " + Quote(raw, choice) + "}", "text", &text, &error);
  FUZZ_CHECK(valid_escaped == valid);
  FUZZ_CHECK(valid ? text == raw : error.compare(0, 13, "invalid UTF-8") == 0);
  if (!rwkvtok::binidx::ReadField(line, field, &text, &error)) {
    FUZZ_CHECK(!error.empty());
    const size_t column = error.rfind(" at column ");
    if (column != std::string::npos) {
      FUZZ_CHECK(std::stoull(error.substr(column + 11)) <= line.size() + 1);
    } else {
      FUZZ_CHECK(error.compare(0, 10, "no member ") == 0 || error.compare(0, 7, "member ") == 0);
    }
    return 0;
  }
  FUZZ_CHECK(ValidUtf8(text));
  std::string again, again_error;
  FUZZ_CHECK(rwkvtok::binidx::ReadField(
      "{\"x\": [1, {}], " + Quote(field) + ": " + Quote(text) + "}", field, &again, &again_error));
  FUZZ_CHECK(again == text);
  return 0;
}
