// Which Highway target the vector code runs on. On x86-64 the vector code is compiled for several
// targets and the best one this CPU and its operating system run is chosen at run time, from
// CPUID and XGETBV. Highway's own choice would need its shared library, whose loading calibrates
// a timer for milliseconds in every process that links it. Elsewhere one target is compiled, the
// one the compiler flags name, and nothing is chosen.
//
// In a file compiled for every target with hwy/foreach_target.h, RWKVTOK_DISPATCH(Name), in its
// HWY_ONCE part, is a pointer to the chosen target's Name.

#ifndef RWKVTOK_LIB_TARGETS_H_
#define RWKVTOK_LIB_TARGETS_H_

#include <stdint.h>

#include "hwy/detect_targets.h"

namespace rwkvtok {
namespace targets {

// The targets among `compiled` (HWY_* bits, as HWY_TARGETS) that this CPU runs and Pick knows;
// never none, since a fallback target runs everywhere.
int64_t Supported(int64_t compiled);

// Calls visit(target) for each of Supported(compiled), best first.
template <typename Visit>
void ForEachSupported(int64_t compiled, const Visit& visit) {
  for (int64_t left = Supported(compiled); left != 0; left &= left - 1) visit(left & -left);
}

// The best of Supported(compiled) within RestrictForTest's limit (a limit that leaves none is
// ignored).
int64_t Best(int64_t compiled);

// Limits the targets chosen to `targets` (0 lifts the limit), for tests and benchmarks that run
// each target in turn. Not for concurrent use with encoding.
void RestrictForTest(int64_t targets);

// Whether the CPU is an AMD (or Hygon) one; false off x86.
bool IsAmd();

// Whether the CPU is an Intel one whose vector gathers its microcode slows (the cores that Gather
// Data Sampling affects); false off x86.
bool GathersSlow();

#if HWY_ARCH_X86
// What CPUID and XGETBV say of the CPU and the operating system, as TargetsOf reads it.
struct CpuidWords {
  uint32_t leaf1_ecx = 0, leaf1_edx = 0;
  uint32_t leaf7_ebx = 0;  // 0 where leaf 7 is missing
  uint32_t xcr0 = 0;       // 0 without OSXSAVE
};

// The targets (HWY_* bits) a CPU with these words runs, the fallbacks included.
int64_t TargetsOf(const CpuidWords& words);
#endif

template <typename Function>
Function Pick(int64_t target, Function avx3, Function avx2, Function sse4, Function ssse3,
              Function fallback) {
  switch (target) {
    case HWY_AVX3:
      return avx3;
    case HWY_AVX2:
      return avx2;
    case HWY_SSE4:
      return sse4;
    case HWY_SSSE3:
      return ssse3;
    default:
      return fallback;
  }
}

}  // namespace targets
}  // namespace rwkvtok

#if HWY_TARGETS == HWY_STATIC_TARGET
#define RWKVTOK_DISPATCH(Name) (&HWY_STATIC_DISPATCH(Name))
#else
// Supported() offers only the targets Pick knows, so that a target of a newer Highway, compiled
// but not known here, is never chosen (Pick would give its fallback).
#define RWKVTOK_DISPATCH(Name)                                                             \
  ::rwkvtok::targets::Pick<decltype(HWY_CHOOSE_FALLBACK(Name))>(                           \
      ::rwkvtok::targets::Best(HWY_TARGETS), HWY_CHOOSE_AVX3(Name), HWY_CHOOSE_AVX2(Name), \
      HWY_CHOOSE_SSE4(Name), HWY_CHOOSE_SSSE3(Name), HWY_CHOOSE_FALLBACK(Name))
#endif

#endif  // RWKVTOK_LIB_TARGETS_H_
