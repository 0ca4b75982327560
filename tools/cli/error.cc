#include "tools/cli/error.h"

namespace rwkvtok {
namespace cli {

std::string Escaped(const std::string& bytes, size_t limit) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      default:
        if (c >= 0x20 && c < 0x7F) {
          out += static_cast<char>(c);
        } else {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
    }
  }
  return bytes.size() > limit ? out + "..." : out;
}

std::string OneLine(const std::string& message) {
  std::string out;
  for (const char ch : message) {
    const unsigned char c = static_cast<unsigned char>(ch);
    out += c < 0x20 || c == 0x7F ? Escaped(std::string(1, ch)) : std::string(1, ch);
  }
  return out;
}

}  // namespace cli
}  // namespace rwkvtok
