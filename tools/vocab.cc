#include "tools/vocab.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "lib/blob_format.h"

namespace rwkvtok {
namespace tools {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// Length of the well-formed UTF-8 sequence starting at s[0], or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length;
  uint8_t low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// `text` for a message: at most 20 characters, then "...".
std::string Shown(std::string_view text) {
  return text.size() <= 20 ? std::string(text) : std::string(text.substr(0, 20)) + "...";
}

// Reads a run of decimal digits at the start of `s` into `value` (saturating just above `limit`).
size_t ReadNumber(std::string_view s, uint32_t limit, uint32_t* value) {
  size_t n = 0;
  uint64_t v = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
    v = v * 10 + static_cast<uint32_t>(s[n] - '0');
    if (v > limit) v = uint64_t{limit} + 1;
    ++n;
  }
  *value = static_cast<uint32_t>(v);
  return n;
}

// Parses the literal at the start of `s`. Returns the characters consumed, or 0 with `error` set.
size_t ParseLiteral(std::string_view s, std::string* bytes, std::string* error) {
  size_t i = 0;
  const bool is_bytes = !s.empty() && s[0] == 'b';
  if (is_bytes) ++i;
  if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) {
    *error = "expected a string literal ('...' or \"...\") or bytes literal (b'...') after the id";
    return 0;
  }
  if (s.substr(i, 3) == "'''" || s.substr(i, 3) == "\"\"\"") {
    *error = "triple-quoted literals are not supported";
    return 0;
  }
  const char quote = s[i++];
  while (true) {
    if (i >= s.size()) {
      *error = "unterminated literal: no closing " + std::string(1, quote);
      return 0;
    }
    const char c = s[i];
    if (c == quote) return i + 1;
    // Python refuses source with a NUL, and its line reader ends a line at a lone CR.
    if (c == '\0' || c == '\r') {
      *error = std::string("a raw ") + (c == '\0' ? "NUL" : "carriage return") +
               " byte inside a literal: write it as an escape";
      return 0;
    }
    if (c != '\\') {
      if (is_bytes) {
        if (static_cast<uint8_t>(c) >= 0x80) {
          *error = "non-ASCII character in a bytes literal";
          return 0;
        }
        bytes->push_back(c);
        ++i;
        continue;
      }
      const size_t length = Utf8SequenceLength(s.substr(i));
      if (length == 0) {
        *error = "invalid UTF-8 in a string literal";
        return 0;
      }
      bytes->append(s.substr(i, length));
      i += length;
      continue;
    }
    if (i + 1 >= s.size()) {
      *error = "unterminated literal: it ends in a backslash";
      return 0;
    }
    const char kind = s[i + 1];
    i += 2;
    switch (kind) {
      case '\\':
        bytes->push_back('\\');
        continue;
      case '\'':
        bytes->push_back('\'');
        continue;
      case '"':
        bytes->push_back('"');
        continue;
      case 'n':
        bytes->push_back('\n');
        continue;
      case 't':
        bytes->push_back('\t');
        continue;
      case 'r':
        bytes->push_back('\r');
        continue;
      case 'x':
      case 'u': {
        const size_t digits = kind == 'x' ? 2 : 4;
        if (kind == 'u' && is_bytes) {
          *error = "bad escape \\u: bytes literals have no \\u escape";
          return 0;
        }
        uint32_t value = 0;
        for (size_t d = 0; d < digits; ++d) {
          const int h = i + d < s.size() ? HexValue(s[i + d]) : -1;
          if (h < 0) {
            *error = std::string("bad escape \\") + kind + ": expected " + std::to_string(digits) +
                     " hex digits";
            return 0;
          }
          value = value * 16 + static_cast<uint32_t>(h);
        }
        i += digits;
        if (value >= 0xD800 && value <= 0xDFFF) {
          *error = "bad escape \\u: a surrogate code point has no UTF-8 encoding";
          return 0;
        }
        if (is_bytes) {
          bytes->push_back(static_cast<char>(value));
        } else {
          AppendUtf8(value, bytes);
        }
        continue;
      }
      default:
        *error = std::string("bad escape \\") +
                 (static_cast<uint8_t>(kind) < 0x80 && kind >= ' ' ? std::string(1, kind)
                                                                   : std::string("?")) +
                 ": only \\\\ \\' \\\" \\n \\t \\r \\xHH and \\uHHHH are supported";
        return 0;
    }
  }
}

bool ParseLine(std::string_view line, VocabToken* token, std::string* error) {
  if (line.empty()) {
    *error = "empty line";
    return false;
  }
  size_t i = ReadNumber(line, 65535, &token->id);
  if (i == 0) {
    *error = "expected a decimal token id at the start of the line";
    return false;
  }
  if (token->id == 0 || token->id > 65535) {
    *error =
        "id " + Shown(line.substr(0, i)) + " is out of range: ids are 1..65535 (0 is end of text)";
    return false;
  }
  if (i >= line.size() || line[i] != ' ') {
    *error = "expected a single space after the id";
    return false;
  }
  ++i;
  token->bytes.clear();
  const size_t literal_length = ParseLiteral(line.substr(i), &token->bytes, error);
  if (literal_length == 0) return false;
  i += literal_length;
  if (i >= line.size() || line[i] != ' ') {
    *error = "expected a space and the byte length after the literal";
    return false;
  }
  ++i;
  uint32_t length = 0;
  const size_t digits = ReadNumber(line.substr(i), 1u << 20, &length);
  if (digits == 0) {
    *error = "expected the byte length (a decimal number) after the literal";
    return false;
  }
  if (i + digits != line.size()) {
    *error = line.find('\r', i) != std::string_view::npos
                 ? "unexpected carriage return after the byte length: lines end in LF or CRLF"
                 : "unexpected text after the byte length";
    return false;
  }
  if (token->bytes.empty()) {
    *error = "empty token: a token must have at least one byte";
    return false;
  }
  if (token->bytes.size() > blob::kMaxTokenLength) {
    *error = "token is " + std::to_string(token->bytes.size()) + " bytes; at most " +
             std::to_string(blob::kMaxTokenLength) + " are supported";
    return false;
  }
  if (length != token->bytes.size()) {
    *error = "the length column says " + Shown(line.substr(i, digits)) + " but the literal is " +
             std::to_string(token->bytes.size()) + " bytes";
    return false;
  }
  return true;
}

}  // namespace

bool ParseVocabulary(std::string_view text, std::vector<VocabToken>* tokens, std::string* error) {
  tokens->clear();
  if (text.empty()) {
    *error = "the vocabulary file is empty";
    return false;
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    *error = "line 1: starts with a UTF-8 byte order mark; save the file without it";
    return false;
  }
  std::map<uint32_t, size_t> line_of_id;
  std::unordered_map<std::string, const VocabToken*> token_of_bytes;
  tokens->reserve(std::min<size_t>(text.size() / 8, 65536));
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    ++line_number;
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    VocabToken token{0, {}, line_number};
    std::string what;
    if (!ParseLine(line, &token, &what)) {
      *error = "line " + std::to_string(line_number) + ": " + what;
      return false;
    }
    const auto [id_entry, new_id] = line_of_id.emplace(token.id, line_number);
    if (!new_id) {
      *error = "line " + std::to_string(line_number) + ": id " + std::to_string(token.id) +
               " is already defined on line " + std::to_string(id_entry->second);
      return false;
    }
    tokens->push_back(std::move(token));
  }
  // Duplicate byte strings are checked once the vector stops moving.
  for (const VocabToken& token : *tokens) {
    const auto [entry, is_new] = token_of_bytes.emplace(token.bytes, &token);
    if (!is_new) {
      *error = "line " + std::to_string(token.line) + ": the same bytes as id " +
               std::to_string(entry->second->id) + " on line " +
               std::to_string(entry->second->line);
      return false;
    }
  }
  return true;
}

}  // namespace tools
}  // namespace rwkvtok
