// Checks that bytes are UTF-8 (RFC 3629: no overlong forms, surrogates or code points past
// U+10FFFF), as JSONL documents must be.

#ifndef RWKVTOK_TOOLS_BINIDX_UTF8_H_
#define RWKVTOK_TOOLS_BINIDX_UTF8_H_

namespace rwkvtok {
namespace binidx {

// Whether [p, end) is valid UTF-8, a byte at a time: for short runs.
bool IsUtf8(const unsigned char* p, const unsigned char* end);

// As IsUtf8, 16 bytes at a time on the vector targets the library builds (AVX2 and AVX-512 on
// x86-64, NEON or SVE on aarch64), else a byte at a time: for whole texts.
bool IsUtf8Text(const unsigned char* p, const unsigned char* end);

// Where [p, end), valid UTF-8 up to there, stops being valid: the first byte of the character
// that is invalid or that the run ends inside; `end` when the run is valid.
const unsigned char* FirstInvalidUtf8(const unsigned char* p, const unsigned char* end);

// The vector target IsUtf8Text runs on (as lib/targets.h chooses it), for tests.
const char* Utf8TextTarget();

}  // namespace binidx
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_BINIDX_UTF8_H_
