// Long UTF-8 to a new Python str, for decode. CPython's decoder is exact but makes a long str in
// fresh memory that it then touches page by page; on the virtual machines measured, those page
// faults cost more than the decoding (a 10 MB text with one emoji is a 40 MB str). Here a vector
// pre-scan finds the str's length and width, the str is made at its final size with its memory
// advised to use huge pages, and one pass validates and fills it, 16 bytes of ASCII at a time.
// Invalid UTF-8 and short texts are left to CPython, whose error handlers then apply exactly.
#ifndef RWKVTOK_PYTHON_STR_UTF8_H_
#define RWKVTOK_PYTHON_STR_UTF8_H_

#include <Python.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rwkvtok_python {

// Whether the 16 bytes at `s` are all ASCII.
inline bool Ascii16(const uint8_t* s) {
#if defined(__SSE2__)
  return _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s))) == 0;
#else
  uint64_t a, b;
  std::memcpy(&a, s, 8);
  std::memcpy(&b, s + 8, 8);
  return ((a | b) & 0x8080808080808080ull) == 0;
#endif
}

// Widens 16 ASCII bytes to 16 code units.
inline void Widen16(const uint8_t* s, uint8_t* out) { std::memcpy(out, s, 16); }
inline void Widen16(const uint8_t* s, uint16_t* out) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  const __m128i zero = _mm_setzero_si128();
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi8(v, zero));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), _mm_unpackhi_epi8(v, zero));
#else
  for (int k = 0; k < 16; ++k) out[k] = s[k];
#endif
}
inline void Widen16(const uint8_t* s, uint32_t* out) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  const __m128i zero = _mm_setzero_si128();
  const __m128i low = _mm_unpacklo_epi8(v, zero), high = _mm_unpackhi_epi8(v, zero);
  __m128i* to = reinterpret_cast<__m128i*>(out);
  _mm_storeu_si128(to, _mm_unpacklo_epi16(low, zero));
  _mm_storeu_si128(to + 1, _mm_unpackhi_epi16(low, zero));
  _mm_storeu_si128(to + 2, _mm_unpacklo_epi16(high, zero));
  _mm_storeu_si128(to + 3, _mm_unpackhi_epi16(high, zero));
#else
  for (int k = 0; k < 16; ++k) out[k] = s[k];
#endif
}

// Decodes UTF-8 `s[0..n)` into `out`, one unit per character, checking it by Python's rules (no
// overlong forms, surrogates or code points past U+10FFFF): false at the first invalid byte. Every
// unit written consumes a byte that does not continue a character, so `out` needs room for only
// that many.
template <typename Unit>
bool DecodeInto(const uint8_t* s, size_t n, Unit* out) {
  size_t i = 0;
  while (i < n) {
    if (i + 16 <= n && Ascii16(s + i)) {
      Widen16(s + i, out);
      i += 16;
      out += 16;
      continue;
    }
    // Not 16 ASCII bytes: characters one by one for the next 16 bytes or so.
    for (const size_t stop = i + 16 < n ? i + 16 : n; i < stop;) {
      const uint32_t c = s[i];
      if (c < 0x80) {
        *out++ = static_cast<Unit>(c);
        i += 1;
      } else if (c < 0xC2) {
        return false;
      } else if (c < 0xE0) {
        if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return false;
        *out++ = static_cast<Unit>(((c & 0x1F) << 6) | (s[i + 1] & 0x3Fu));
        i += 2;
      } else if (c < 0xF0) {
        if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return false;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)) return false;
        *out++ =
            static_cast<Unit>(((c & 0x0F) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu));
        i += 3;
      } else if (c < 0xF5) {
        if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
            (s[i + 3] & 0xC0) != 0x80) {
          return false;
        }
        if ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)) return false;
        *out++ = static_cast<Unit>(((c & 0x07) << 18) | ((s[i + 1] & 0x3Fu) << 12) |
                                   ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu));
        i += 4;
      } else {
        return false;
      }
    }
  }
  return true;
}

// Asks for huge pages for the whole 2 MB pages inside a large block not yet written.
inline void AdviseHugePages(void* data, size_t size) {
#if defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (size < 2 * kHuge) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)size;
#endif
}

// The number of bytes of `s[0..n)` that continue a character (0x80..0xBF), and the largest byte.
inline void Scan(const uint8_t* s, size_t n, size_t* continuations, uint8_t* largest) {
  size_t count = 0, i = 0;
  uint8_t max = 0;
#if defined(__SSE2__)
  __m128i max16 = _mm_setzero_si128();
  // As signed bytes, 0x80..0xBF are exactly those below -64.
  const __m128i limit = _mm_set1_epi8(-64);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const int mask = _mm_movemask_epi8(_mm_cmplt_epi8(v, limit));
    count += static_cast<size_t>(__builtin_popcount(static_cast<unsigned>(mask)));
    max16 = _mm_max_epu8(max16, v);
  }
  alignas(16) uint8_t lanes[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), max16);
  for (uint8_t lane : lanes) max = lane > max ? lane : max;
#endif
  for (; i < n; ++i) {
    count += (s[i] & 0xC0) == 0x80;
    max = s[i] > max ? s[i] : max;
  }
  *continuations = count;
  *largest = max;
}

// A new str of the UTF-8 `bytes[0..n)` when it is 1 MB or more; null with no error set when it is
// shorter or not valid UTF-8 (for the caller to hand to CPython's decoder), null with an error
// set when memory runs out.
inline PyObject* Utf8ToStr(const char* bytes, size_t n) {
  const uint8_t* s = reinterpret_cast<const uint8_t*>(bytes);
  if (n < (size_t{1} << 20)) return nullptr;
  size_t continuations;
  uint8_t largest;
  Scan(s, n, &continuations, &largest);
  // In valid UTF-8 the largest byte is the lead byte of the widest character, which sets the
  // str's width: CPython needs the narrowest one that holds every character.
  uint32_t max_char;
  if (largest < 0x80) {
    max_char = 0x7F;
  } else if (largest >= 0xC2 && largest < 0xC4) {
    max_char = 0xFF;
  } else if (largest >= 0xC4 && largest < 0xF0) {
    max_char = 0xFFFF;
  } else if (largest >= 0xF0 && largest < 0xF5) {
    max_char = 0x10FFFF;
  } else {
    return nullptr;  // a continuation byte, C0, C1 or F5..FF as the largest: not valid
  }
  const size_t characters = n - continuations;
  PyObject* text = PyUnicode_New(static_cast<Py_ssize_t>(characters), max_char);
  if (text == nullptr) return nullptr;
  void* data = PyUnicode_DATA(text);
  AdviseHugePages(data, characters * static_cast<size_t>(PyUnicode_KIND(text)));
  bool valid;
  if (max_char == 0x7F) {
    std::memcpy(data, s, n);
    valid = true;
  } else if (max_char == 0xFF) {
    valid = DecodeInto(s, n, static_cast<uint8_t*>(data));
  } else if (max_char == 0xFFFF) {
    valid = DecodeInto(s, n, static_cast<uint16_t*>(data));
  } else {
    valid = DecodeInto(s, n, static_cast<uint32_t*>(data));
  }
  if (!valid) {
    Py_DECREF(text);
    return nullptr;
  }
  return text;
}

}  // namespace rwkvtok_python

#endif  // RWKVTOK_PYTHON_STR_UTF8_H_
