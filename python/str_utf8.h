// Long UTF-8 to a new Python str, for decode. CPython's decoder is exact but goes one character
// at a time, and makes a long str in fresh memory that it then touches page by page; on the
// virtual machines measured, those page faults cost as much as the decoding (a 10 MB text with
// one emoji is a 40 MB str). Here a vector pre-scan finds the str's length and width, the str is
// made at its final size with its memory advised to use huge pages, and one vector pass
// (str_convert.h) validates and fills it. Invalid UTF-8 and short texts are left to CPython, whose
// error handlers then apply exactly.
#ifndef RWKVTOK_PYTHON_STR_UTF8_H_
#define RWKVTOK_PYTHON_STR_UTF8_H_

#include <Python.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>

#include "python/str_convert.h"

namespace rwkvtok_python {

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

// A new str of the UTF-8 `bytes[0..n)` when it is 4 KB or more; null with no error set when it is
// shorter or not valid UTF-8 (for the caller to hand to CPython's decoder), null with an error
// set when memory runs out.
inline PyObject* Utf8ToStr(const char* bytes, size_t n) {
  const uint8_t* s = reinterpret_cast<const uint8_t*>(bytes);
  if (n < 4096) return nullptr;
  const Utf8Scan scan = ScanUtf8(s, n);
  const uint8_t largest = scan.largest;
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
  const size_t characters = n - scan.continuations;
  PyObject* text = PyUnicode_New(static_cast<Py_ssize_t>(characters), max_char);
  if (text == nullptr) return nullptr;
  void* data = PyUnicode_DATA(text);
  AdviseHugePages(data, characters * static_cast<size_t>(PyUnicode_KIND(text)));
  bool valid;
  if (max_char == 0x7F) {
    std::memcpy(data, s, n);
    valid = true;
  } else {
    valid = Utf8ToUnits(s, n, scan, PyUnicode_KIND(text), data);
  }
  if (!valid) {
    Py_DECREF(text);
    return nullptr;
  }
  return text;
}

}  // namespace rwkvtok_python

#endif  // RWKVTOK_PYTHON_STR_UTF8_H_
