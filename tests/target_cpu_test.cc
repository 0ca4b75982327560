// Which CPU the tests run on. The aarch64 configurations run every test under qemu-aarch64, once
// on its default CPU (SVE and SVE2) and once on a Cortex-A72 (NEON only); this test fails if a
// configuration stops emulating the CPU it names in RWKVTOK_EXPECT_SVE2 ("1" or "0").

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

int main() {
#if defined(__aarch64__) && defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  const bool neon = (hwcap & HWCAP_ASIMD) != 0;
  const bool sve = (hwcap & HWCAP_SVE) != 0;
  const bool sve2 = (hwcap2 & HWCAP2_SVE2) != 0;
  printf("aarch64: NEON %d, SVE %d, SVE2 %d\n", neon, sve, sve2);
  if (!neon) {
    printf("FAIL: no NEON\n");
    return 1;
  }
  const char* expect = getenv("RWKVTOK_EXPECT_SVE2");
  if (expect != nullptr && *expect != '\0' && (strcmp(expect, "1") == 0) != sve2) {
    printf("FAIL: expected SVE2 %s\n", expect);
    return 1;
  }
#else
  printf("not aarch64 Linux: nothing to check\n");
#endif
  return 0;
}
