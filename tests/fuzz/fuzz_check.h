// What the fuzz targets share: a check that stops the run with a message (the fuzzer then saves
// the input), and the entry point every target defines.

#ifndef RWKVTOK_TESTS_FUZZ_FUZZ_CHECK_H_
#define RWKVTOK_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                            \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // RWKVTOK_TESTS_FUZZ_FUZZ_CHECK_H_
