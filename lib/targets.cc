#include "lib/targets.h"

#include <atomic>

#include "hwy/base.h"

#if HWY_ARCH_X86
#include <cpuid.h>
#include <string.h>
#endif

#if HWY_IS_DEBUG_BUILD
#include <stdarg.h>
#include <stdio.h>
#endif

namespace rwkvtok {
namespace targets {
namespace {

// The fallback targets, which every CPU runs.
constexpr int64_t kFallbacks = HWY_SCALAR | HWY_EMU128;
// Beside the targets in the word below: an AMD (or Hygon) CPU, in the one bit Highway leaves
// free, and an Intel one whose gathers are slow, in a bit Highway keeps for WebAssembly targets.
// Only x86-64 sets or reads either, and no x86 target is ever in those bits.
constexpr uint64_t kAmd = uint64_t{1} << 63;
constexpr uint64_t kSlowGathers = uint64_t{1} << 60;
constexpr uint64_t kTraits = kAmd | kSlowGathers;
static_assert((kSlowGathers & (HWY_AVX3 | HWY_AVX2 | HWY_SSE4 | HWY_SSSE3 | kFallbacks)) == 0,
              "a trait must not look like an x86 target");

// What the CPU is and runs, read once (CPUID is slow under virtual machines) and kept; threads
// that race to read it write the same value. 0: not read yet (every CPU runs the fallbacks).
// g_allowed is RestrictForTest's limit. Both are constant-initialized: no static constructor.
std::atomic<uint64_t> g_cpu{0};
std::atomic<int64_t> g_allowed{0};  // 0: no limit

#if HWY_ARCH_X86
// The Intel cores (family 6) that the microcode against Gather Data Sampling ("Downfall", 2023)
// slows: every gather waits for all its loads. On an Ice Lake Xeon a 16-lane gather took about
// 26 cycles at best where Zen 4 takes 14 (docs/performance.md). With AVX-512: Skylake-SP and
// its Cascade and Cooper Lake steppings, Ice Lake (server and client), Tiger Lake, Rocket Lake;
// with AVX2 only: Skylake, Kaby, Coffee and Comet Lake. Alder Lake and Sapphire Rapids and
// later are not affected.
bool GathersSlowedByMicrocode(unsigned model) {
  switch (model) {
    case 0x4E:
    case 0x5E:
    case 0x8E:
    case 0x9E:
    case 0xA5:
    case 0xA6:
    case 0x55:
    case 0x6A:
    case 0x6C:
    case 0x7D:
    case 0x7E:
    case 0x8C:
    case 0x8D:
    case 0xA7:
      return true;
    default:
      return false;
  }
}

uint64_t ReadCpu() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid(0, a, b, c, d);
  char vendor[13] = {};  // EBX, EDX, ECX spell it
  memcpy(vendor, &b, 4);
  memcpy(vendor + 4, &d, 4);
  memcpy(vendor + 8, &c, 4);
  const bool amd = strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0;
  const bool intel = strcmp(vendor, "GenuineIntel") == 0;
  CpuidWords words;
  bool slow_gathers = false;
  if (__get_cpuid(1, &a, &b, &c, &d) != 0) {
    const unsigned family = (a >> 8) & 0xF;
    const unsigned model = ((a >> 4) & 0xF) | ((a >> 12) & 0xF0);  // with the extended model
    slow_gathers = intel && family == 6 && GathersSlowedByMicrocode(model);
    words.leaf1_ecx = c;
    words.leaf1_edx = d;
    if ((c & bit_OSXSAVE) != 0) {
      unsigned xcr0_high = 0;
      __asm__ volatile("xgetbv" : "=a"(words.xcr0), "=d"(xcr0_high) : "c"(0));
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) != 0) words.leaf7_ebx = b;
  }
  return static_cast<uint64_t>(TargetsOf(words)) | (amd ? kAmd : 0) |
         (slow_gathers ? kSlowGathers : 0);
}
#else
uint64_t ReadCpu() { return static_cast<uint64_t>(kFallbacks | HWY_STATIC_TARGET); }
#endif

uint64_t Cpu() {
  uint64_t cpu = g_cpu.load(std::memory_order_relaxed);
  if (cpu == 0) {
    cpu = ReadCpu();
    g_cpu.store(cpu, std::memory_order_relaxed);
  }
  return cpu;
}

}  // namespace

#if HWY_ARCH_X86
// What each target's code may contain is what Highway compiles it with (HWY_TARGET_STR in
// hwy/ops/set_macros-inl.h), and what the compiler makes of that: SSE4.2 brings POPCNT. The
// operating system must also save the vector registers (XCR0).
int64_t TargetsOf(const CpuidWords& words) {
  const auto has = [](uint32_t word, uint32_t bits) { return (word & bits) == bits; };
  int64_t targets = kFallbacks;
  if (!has(words.leaf1_edx, bit_SSE2) || !has(words.leaf1_ecx, bit_SSE3 | bit_SSSE3)) {
    return targets;
  }
  targets |= HWY_SSSE3;
  if (!has(words.leaf1_ecx, bit_SSE4_1 | bit_SSE4_2 | bit_POPCNT | bit_PCLMUL | bit_AES)) {
    return targets;
  }
  targets |= HWY_SSE4;
  if (!has(words.leaf1_ecx, bit_OSXSAVE | bit_AVX | bit_FMA | bit_F16C)) return targets;
  if (!has(words.xcr0, 0x6)) return targets;  // SSE and AVX state
  if (!has(words.leaf7_ebx, bit_AVX2 | bit_BMI | bit_BMI2)) return targets;
  targets |= HWY_AVX2;
  if (!has(words.xcr0, 0xE0)) return targets;  // opmask and ZMM state
  if (!has(words.leaf7_ebx, bit_AVX512F | bit_AVX512VL | bit_AVX512DQ | bit_AVX512BW)) {
    return targets;
  }
  return targets | HWY_AVX3;
}
#endif

int64_t Supported(int64_t compiled) {
  constexpr int64_t kKnown = HWY_AVX3 | HWY_AVX2 | HWY_SSE4 | HWY_SSSE3 | kFallbacks;
  const int64_t runs = static_cast<int64_t>(Cpu() & ~kTraits);
  const int64_t supported = compiled & runs & (kKnown | HWY_STATIC_TARGET);
  return supported != 0 ? supported : HWY_STATIC_TARGET;
}

int64_t Best(int64_t compiled) {
  int64_t runnable = Supported(compiled);
  const int64_t allowed = g_allowed.load(std::memory_order_relaxed);
  if ((runnable & allowed) != 0) runnable &= allowed;
  return runnable & -runnable;  // the lowest bit, as Highway orders its targets
}

void RestrictForTest(int64_t targets) { g_allowed.store(targets, std::memory_order_relaxed); }

bool IsAmd() { return (Cpu() & kAmd) != 0; }

bool GathersSlow() {
#if HWY_ARCH_X86
  return (Cpu() & kSlowGathers) != 0;
#else
  return false;
#endif
}

}  // namespace targets
}  // namespace rwkvtok

#if HWY_IS_DEBUG_BUILD
// Highway's debug builds (without NDEBUG, or clang's with a sanitizer) check its own
// preconditions (HWY_DASSERT) and report a failed one through hwy::Abort, which Highway's
// library defines. The library does not link it, so those builds get this definition, weak, so
// that a program that links Highway's library as well keeps Highway's. A failed check is a bug of
// this library's, reported and trapped as a failed assert would be.
namespace hwy {
__attribute__((weak)) void Abort(const char* file, int line, const char* format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "%s:%d: ", file, line);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  __builtin_trap();
}
}  // namespace hwy
#endif
