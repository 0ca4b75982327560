// Conversions between UTF-8 and the code units CPython stores a str in (1, 2 or 4 bytes per
// character), vectorized behind Highway's dynamic dispatch. CPython's own converters go one
// character at a time and into fresh memory; these go 4 to 16 characters per step and write where
// the caller says, so that the module can use memory it keeps between calls.
#ifndef RWKVTOK_PYTHON_STR_CONVERT_H_
#define RWKVTOK_PYTHON_STR_CONVERT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rwkvtok_python {

// The most bytes UnitsToUtf8 needs for `length` units of `kind` bytes each (1, 2 or 4): the
// longest UTF-8 they can have plus 16 bytes that a vector step may write past it.
constexpr size_t Utf8Capacity(int kind, size_t length) {
  return (kind == 1 ? 2 : kind == 2 ? 3 : 4) * length + 16;
}

// What UnitsToUtf8 returns instead of a length.
constexpr size_t kSurrogate = SIZE_MAX;
constexpr size_t kNeedsMore = SIZE_MAX - 1;

// Writes the UTF-8 of the `length` code units of `kind` bytes each at `units` to `out` (room for
// `capacity` bytes) and returns its length in bytes; kSurrogate when a unit is a surrogate
// (U+D800..U+DFFF), which UTF-8 cannot hold; kNeedsMore when the UTF-8 might not fit (never with
// Utf8Capacity(kind, length)).
size_t UnitsToUtf8(const void* units, int kind, size_t length, uint8_t* out, size_t capacity);

// What decoding needs to know of UTF-8 before it starts: how many characters (bytes that do not
// continue one, 0x80..0xBF), the largest byte (in valid UTF-8 the lead of the widest character),
// and where the decoder's independent streams begin.
constexpr int kDecodeStreams = 2;
struct Utf8Scan {
  size_t continuations = 0;
  // Of them, those before byte n * k / kDecodeStreams.
  size_t continuations_before[kDecodeStreams] = {};
  uint8_t largest = 0;
};
Utf8Scan ScanUtf8(const uint8_t* s, size_t n);

// Decodes the UTF-8 `s[0..n)`, scanned by ScanUtf8, into n - scan.continuations code units of
// `kind` bytes each at `out`, checking it by Python's rules (no overlong forms, surrogates or code
// points past U+10FFFF); `kind` must hold the largest character. False when `s` is not valid UTF-8
// (`out` then holds anything, but nothing was written outside it).
bool Utf8ToUnits(const uint8_t* s, size_t n, const Utf8Scan& scan, int kind, void* out);

// The Highway target the conversions run on, for benchmarks and tests.
const char* ConvertTarget();

// For tests: the targets the conversions were compiled for that this CPU has (best first), and a
// way to run on one of them. UseTargetForTest(0) goes back to the best. It changes the choice
// for the whole process, the library's lanes included (lib/targets.h).
std::vector<int64_t> TargetsForTest();
void UseTargetForTest(int64_t target);

}  // namespace rwkvtok_python

#endif  // RWKVTOK_PYTHON_STR_CONVERT_H_
