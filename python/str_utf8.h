// Long, valid, mostly ASCII UTF-8 to a new Python str, for decode. CPython's decoder is exact but
// makes a long str in fresh memory that it then touches page by page; on the virtual machines
// measured, those page faults cost more than the decoding (a 10 MB text with one emoji is a 40 MB
// str). Here the str is made at its final size, its memory advised to use huge pages, and filled
// 16 bytes of ASCII at a time. Everything else is left to CPython: invalid UTF-8 (whose error
// handlers then apply exactly), short texts, and texts mostly of other characters, which its
// decoder does faster than this one.

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

// Decodes valid UTF-8 `s[0..n)` into `out`, one unit per character.
template <typename Unit>
void DecodeInto(const uint8_t* s, size_t n, Unit* out) {
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
      } else if (c < 0xE0) {
        *out++ = static_cast<Unit>(((c & 0x1F) << 6) | (s[i + 1] & 0x3Fu));
        i += 2;
      } else if (c < 0xF0) {
        *out++ =
            static_cast<Unit>(((c & 0x0F) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu));
        i += 3;
      } else {
        *out++ = static_cast<Unit>(((c & 0x07) << 18) | ((s[i + 1] & 0x3Fu) << 12) |
                                   ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu));
        i += 4;
      }
    }
  }
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

// The bytes of `s[0..n)` that are not ASCII, 16 at a time.
inline size_t CountHighBytes(const uint8_t* s, size_t n) {
  size_t count = 0, i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const int mask = _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
    count += static_cast<size_t>(__builtin_popcount(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) count += s[i] >> 7;
  return count;
}

// A new str of the UTF-8 `bytes[0..n)`, for texts of 1 MB and more that are mostly ASCII (where
// the page faults dominate; CPython's decoder is faster on the others). Null with no error set
// when it does not take them, or when they are not valid UTF-8 by Python's rules (no overlong
// forms, surrogates or code points past U+10FFFF), for the caller to hand to CPython's decoder;
// null with an error set when memory runs out.
inline PyObject* Utf8ToStr(const char* bytes, size_t n) {
  const uint8_t* s = reinterpret_cast<const uint8_t*>(bytes);
  if (n < (size_t{1} << 20) || CountHighBytes(s, n) > n / 16) return nullptr;
  size_t i = 0, characters = 0;
  uint32_t max = 0;
  while (i < n) {
    if (i + 16 <= n && Ascii16(s + i)) {
      i += 16;
      characters += 16;
      continue;
    }
    for (const size_t stop = i + 16 < n ? i + 16 : n; i < stop; ++characters) {
      const uint32_t c = s[i];
      if (c < 0x80) {
        i += 1;
      } else if (c < 0xC2) {
        return nullptr;
      } else if (c < 0xE0) {
        if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return nullptr;
        const uint32_t code_point = ((c & 0x1F) << 6) | (s[i + 1] & 0x3Fu);
        if (code_point > max) max = code_point;
        i += 2;
      } else if (c < 0xF0) {
        if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return nullptr;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)) return nullptr;
        if (max < 0x800) max = 0x800;  // enough to choose the str's width
        i += 3;
      } else if (c < 0xF5) {
        if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
            (s[i + 3] & 0xC0) != 0x80) {
          return nullptr;
        }
        if ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)) return nullptr;
        max = 0x10000;
        i += 4;
      } else {
        return nullptr;
      }
    }
  }
  PyObject* text = PyUnicode_New(static_cast<Py_ssize_t>(characters), max < 0x80 ? 0x7F : max);
  if (text == nullptr) return nullptr;
  void* data = PyUnicode_DATA(text);
  AdviseHugePages(data, characters * static_cast<size_t>(PyUnicode_KIND(text)));
  if (max < 0x80) {
    std::memcpy(data, s, n);
  } else if (max < 0x100) {
    DecodeInto(s, n, static_cast<uint8_t*>(data));
  } else if (max < 0x10000) {
    DecodeInto(s, n, static_cast<uint16_t*>(data));
  } else {
    DecodeInto(s, n, static_cast<uint32_t*>(data));
  }
  return text;
}

}  // namespace rwkvtok_python

#endif  // RWKVTOK_PYTHON_STR_UTF8_H_
