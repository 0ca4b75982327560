// UTF-8 (RFC 3629) read plainly, for tests of the code that checks it: each character decoded to
// its code point, and that checked, as the DFA and tables under test do not.

#ifndef RWKVTOK_TESTS_UTF8_REFERENCE_H_
#define RWKVTOK_TESTS_UTF8_REFERENCE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rwkvtok {

// Where `s` stops being UTF-8: the first byte of the character that is wrong or cut short by the
// end; s.size() when all of it is valid.
inline size_t Utf8InvalidAt(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    size_t length;
    uint32_t c;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      length = 2, c = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      length = 3, c = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      length = 4, c = b & 0x07;
    } else {
      return i;
    }
    if (s.size() - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      const uint8_t next = static_cast<uint8_t>(s[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      c = c << 6 | (next & 0x3F);
    }
    const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[length] || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) return i;
    i += length;
  }
  return s.size();
}

}  // namespace rwkvtok

#endif  // RWKVTOK_TESTS_UTF8_REFERENCE_H_
