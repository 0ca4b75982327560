// The lane encoder (lib/lanes.cc) on every Highway target this CPU runs (x86-64), or on the one
// target the build is for (aarch64: NEON or SVE), with each kernel, against the simple matcher,
// with segments short enough that lanes are joined thousands of times, including where greedy
// tokenizations from neighbouring segments take long to agree.

#include "lib/lanes.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "hwy/highway.h"
#include "hwy/targets.h"
#include "lib/rwkvtok.h"
#include "lib/segments.h"
#include "lib/targets.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

// A Highway target and a lane kernel.
using TargetKernel = std::tuple<int64_t, lanes::Kernel>;

std::string Describe(const TargetKernel& param) {
  return std::string(hwy::TargetName(std::get<0>(param))) +
         (std::get<1>(param) == lanes::Kernel::kGathers ? "_gathers" : "_windows");
}

class LanesTest : public ::testing::TestWithParam<TargetKernel> {
 protected:
  static void SetUpTestSuite() { simple_ = new SimpleEncoder(Tokenizer::World()); }
  static void TearDownTestSuite() { delete simple_; }
#if HWY_TARGETS != HWY_STATIC_TARGET  // several targets, chosen at run time
  void SetUp() override {
    targets::RestrictForTest(target());
    ASSERT_STREQ(lanes::TargetName(), hwy::TargetName(target()));  // the one asked for runs
  }
  void TearDown() override { targets::RestrictForTest(0); }
#endif
  int64_t target() const { return std::get<0>(GetParam()); }
  lanes::Kernel kernel() const { return std::get<1>(GetParam()); }

  // EncodeTexts with this test's kernel.
  Status EncodeTexts(const std::string& all, const std::vector<size_t>& ends,
                     std::vector<uint32_t>* ids, std::vector<size_t>* counts) {
    return EncodeTextsWith(Tokenizer::World(), kernel(), all.data(), ends.data(), ends.size(),
                           ids->data(), counts->data());
  }

  // Encodes in lanes with segments of `segment` bytes, in one window and in windows of a few
  // segments per lane (the last window taking a rest too short for its own, as lib/tuning.h's
  // kSlowGatherLaneSpan has Encode do), and compares with the simple matcher.
  void Check(const std::string& text, size_t segment) {
    const size_t lane_count = lanes::LaneCount();
    ASSERT_LE(lane_count, kMaxLanes);
    const std::vector<uint32_t> expected = simple_->Encode(text);
    for (const size_t span : {size_t{0}, segment, 3 * segment + 17}) {
      for (const Align align : {Align::kLeft, Align::kRight}) {
        std::vector<uint32_t> ids(text.size(), 0xDEADBEEF);
        const Segment seg = EncodeInLanes(
            Tokenizer::World(), kernel(), lane_count, reinterpret_cast<const uint8_t*>(text.data()),
            text.size(), 0, text.size(), ids.data(), segment, align, span);
        const size_t first = align == Align::kLeft ? 0 : text.size() - seg.count;
        EXPECT_EQ(seg.ids, ids.data() + first);
        EXPECT_EQ(std::vector<uint32_t>(ids.begin() + first, ids.begin() + first + seg.count),
                  expected)
            << Describe(GetParam()) << ", " << text.size() << " bytes, segments of " << segment
            << ", windows of " << span << " per lane"
            << (align == Align::kLeft ? ", left" : ", right");
      }
    }
  }

  static SimpleEncoder* simple_;
  std::mt19937_64 rng_{7};
};

SimpleEncoder* LanesTest::simple_ = nullptr;

// rwkvtok_encode_path names the target the lanes run on, where they pay (8 lanes per vector or
// more); else the plain walk.
TEST_P(LanesTest, EncodePathNamesTheTarget) {
  const std::string path = rwkvtok_encode_path();
  if (lanes::LaneCount() >= lanes::MinLanes()) {
    EXPECT_EQ(path, std::string("lanes/") + hwy::TargetName(target()));
  } else {
    EXPECT_EQ(path, "plain") << hwy::TargetName(target());
  }
}

TEST_P(LanesTest, RandomTokensAndBytes) {
  const std::vector<std::string>& tokens = simple_->tokens();
  for (int n = 0; n < 40 && !HasFailure(); ++n) {
    std::string text;
    while (text.size() < 20000) {
      text +=
          rng_() % 8 ? tokens[rng_() % tokens.size()] : std::string(1, static_cast<char>(rng_()));
    }
    Check(text, 64 + rng_() % 200);
  }
}

// Runs of one byte and near misses of the longest tokens keep two greedy tokenizations that start
// a byte apart from agreeing for a long time, so joins re-encode far (and sometimes give up).
TEST_P(LanesTest, SlowAgreement) {
  const std::string pieces[] = {std::string(1000, '-'), std::string(6000, ' '),
                                std::string(2000, '='), "//" + std::string(62, '-') + "x"};
  for (int n = 0; n < 20 && !HasFailure(); ++n) {
    std::string text;
    while (text.size() < 30000) text += pieces[rng_() % 4] + (rng_() % 2 ? "a" : "");
    Check(text, 64 + rng_() % 500);
  }
  // Runs longer than a lane's segment: joining gives up and the rest of the window is encoded
  // plainly, after the lanes joined before.
  Check("Some text before the run. " + std::string(400000, ' ') + "and after it.", 4096);
  Check(std::string(100000, 'x') + std::string(300000, '-') + "x", 2000);
}

// Segments shorter than a lane needs (it stops kStopBefore bytes before its end) are raised to
// that, whatever the caller asks: exact ids, and nothing written past the room (the ASan build).
TEST_P(LanesTest, SegmentsTooShortForALaneAreRaised) {
  for (const size_t segment : {0, 1, 2, 31}) {
    for (size_t length = 1; length < 40 * lanes::LaneCount() && !HasFailure(); length += 7) {
      std::string text;
      while (text.size() < length) text += "Hello world, this is a test. ";
      text.resize(length);
      Check(text, segment);
    }
  }
}

TEST_P(LanesTest, CorpusFiles) {
  for (const char* part : {"public", "bench"}) {
    for (const std::string& stem : CorpusStems(part)) {
      std::string text = ReadFileOrDie(CorpusDir(part) + "/" + stem + ".txt");
      if (text.size() > 300000) text.resize(300000);
      Check(text, 4096);
      Check(text, 100);
    }
  }
}

TEST_P(LanesTest, EncodeChoosesLanesOnlyWhereTheyFit) {
  // Whatever path Encode takes for each id type and capacity, the ids are the same.
  std::string text;
  while (text.size() < 200000) text += "Lanes and the plain walk agree, 每一个 token. ";
  const std::vector<uint32_t> expected = simple_->Encode(text);
  std::vector<uint32_t> ids32(text.size());
  Result r = Tokenizer::World().Encode(text.data(), text.size(), ids32.data(), ids32.size());
  ASSERT_TRUE(r.ok());
  ids32.resize(r.count);
  EXPECT_EQ(ids32, expected);
  std::vector<int32_t> idsi(expected.size());  // exact size: too small for the lanes
  r = Tokenizer::World().Encode(text.data(), text.size(), idsi.data(), idsi.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::vector<uint32_t>(idsi.begin(), idsi.end()), expected);
  std::vector<uint16_t> ids16(text.size());
  r = Tokenizer::World().Encode(text.data(), text.size(), ids16.data(), ids16.size());
  ASSERT_TRUE(r.ok());
  ids16.resize(r.count);
  EXPECT_EQ(std::vector<uint32_t>(ids16.begin(), ids16.end()), expected);
}

// 16-bit ids take the lanes in pieces, each encoded into the 32-bit slots the caller's free room
// holds: texts just long enough for the lanes and longer, of long tokens (few ids, few pieces) and
// of random bytes (nearly an id per byte, many pieces), into room of exactly one id per byte that
// starts 4-byte aligned or not.
TEST_P(LanesTest, SixteenBitIdsTakeTheLanesInPieces) {
  const size_t lanes_minimum = kLaneMinSegment * lanes::LaneCount();
  const std::vector<std::string>& tokens = simple_->tokens();
  for (const size_t length : {lanes_minimum, 2 * lanes_minimum + 1, 5 * lanes_minimum + 3}) {
    for (const bool random_bytes : {false, true}) {
      std::string text;
      while (text.size() < length) {
        if (random_bytes) {
          text += static_cast<char>(rng_());
        } else {
          text += tokens[rng_() % tokens.size()];
        }
      }
      text.resize(length);
      const std::vector<uint32_t> expected = simple_->Encode(text);
      for (const size_t offset : {0, 1}) {
        std::vector<uint16_t> room(offset + text.size());
        size_t count = 0;
        ASSERT_EQ(EncodeInLanesIfTheyPay(Tokenizer::World(), kernel(),
                                         reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                                         room.data() + offset, &count),
                  lanes::LaneCount() >= lanes::MinLanes());
        if (lanes::LaneCount() < lanes::MinLanes()) return;
        EXPECT_EQ(std::vector<uint32_t>(room.begin() + offset, room.begin() + offset + count),
                  expected)
            << Describe(GetParam()) << ", " << length << " bytes"
            << (random_bytes ? " of random bytes" : " of tokens") << ", offset " << offset;
      }
    }
  }
}

// EncodeTexts against the simple matcher on each text: texts of every length class (too short
// for a lane, around the lane bounds, long enough for lanes of their own), in corpora of a few
// texts (fewer than half the lanes) to many.
TEST_P(LanesTest, EncodeTextsEncodesEachTextOnItsOwn) {
  const std::vector<std::string>& tokens = simple_->tokens();
  const size_t lengths[] = {0,
                            1,
                            lanes::kMinLaneText - 1,
                            lanes::kMinLaneText,
                            lanes::kMinLaneText + 1,
                            4096,
                            lanes::kMaxLaneText - 1,
                            lanes::kMaxLaneText,
                            lanes::kMaxLaneText + kLaneMinSegment * kMaxLanes};
  for (const size_t text_count : {1, 3, 40, 400}) {
    std::string all;
    std::vector<size_t> ends;
    for (size_t i = 0; i < text_count; ++i) {
      const size_t length = rng_() % 3 ? lengths[rng_() % 6] + rng_() % 300 : lengths[rng_() % 9];
      std::string text;
      while (text.size() < length) {
        text += rng_() % 8 ? tokens[rng_() % tokens.size()]
                           : std::string(rng_() % 40, " -\n=x"[rng_() % 5]);
      }
      text.resize(length);  // may end inside a token, as a text may
      all += text;
      ends.push_back(all.size());
    }
    std::vector<uint32_t> ids(all.size(), 0xDEADBEEF);
    std::vector<size_t> counts(text_count, 7);
    ASSERT_EQ(EncodeTexts(all, ends, &ids, &counts), Status::kOk);
    for (size_t i = 0; i < text_count && !HasFailure(); ++i) {
      const size_t begin = i == 0 ? 0 : ends[i - 1];
      const std::vector<uint32_t> expected = simple_->Encode(all.substr(begin, ends[i] - begin));
      ASSERT_LE(counts[i], ends[i] - begin);
      EXPECT_EQ(std::vector<uint32_t>(ids.begin() + begin, ids.begin() + begin + counts[i]),
                expected)
          << Describe(GetParam()) << ", text " << i << " of " << text_count << ", "
          << ends[i] - begin << " bytes";
    }
  }
}

// Texts cut from the corpus files, so that lanes walk real text of every script at once.
TEST_P(LanesTest, EncodeTextsOnCorpusFiles) {
  std::string all;
  for (const char* part : {"public", "bench"}) {
    for (const std::string& stem : CorpusStems(part)) {
      std::string text = ReadFileOrDie(CorpusDir(part) + "/" + stem + ".txt");
      all += text.substr(0, 200000);
    }
  }
  std::vector<size_t> ends;
  for (size_t end = 0; end < all.size();) {
    end = std::min(all.size(), end + 1 + rng_() % 6000);
    ends.push_back(end);
  }
  std::vector<uint32_t> ids(all.size());
  std::vector<size_t> counts(ends.size());
  ASSERT_EQ(EncodeTexts(all, ends, &ids, &counts), Status::kOk);
  for (size_t i = 0; i < ends.size() && !HasFailure(); ++i) {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    EXPECT_EQ(std::vector<uint32_t>(ids.begin() + begin, ids.begin() + begin + counts[i]),
              simple_->Encode(all.substr(begin, ends[i] - begin)))
        << Describe(GetParam()) << ", text " << i << " at " << begin;
  }
}

std::string Name(const ::testing::TestParamInfo<TargetKernel>& info) {
  return Describe(info.param);
}

const auto kKernels = ::testing::Values(lanes::Kernel::kGathers, lanes::Kernel::kWindows);
#if HWY_TARGETS != HWY_STATIC_TARGET
std::vector<int64_t> EveryTarget() {
  std::vector<int64_t> every;
  targets::ForEachSupported(HWY_TARGETS, [&](int64_t target) { every.push_back(target); });
  return every;
}

INSTANTIATE_TEST_SUITE_P(EveryTarget, LanesTest,
                         ::testing::Combine(::testing::ValuesIn(EveryTarget()), kKernels), Name);
#else
INSTANTIATE_TEST_SUITE_P(EveryTarget, LanesTest,
                         ::testing::Combine(::testing::Values(int64_t{HWY_STATIC_TARGET}),
                                            kKernels),
                         Name);
#endif

#if HWY_ARCH_X86
// The targets the library runs on are those whose instructions the kernel says the CPU has (its
// flags in /proc/cpuinfo, which also leave out what the operating system does not save).
TEST(Targets, AreThoseTheCpuFlagsAllow) {
  const std::string cpuinfo = ReadFileOrDie("/proc/cpuinfo");
  const size_t at = cpuinfo.find("\nflags");
  ASSERT_NE(at, std::string::npos);
  const std::string line = cpuinfo.substr(at, cpuinfo.find('\n', at + 1) - at) + " ";
  const auto has = [&](std::initializer_list<const char*> flags) {
    for (const char* flag : flags) {
      if (line.find(std::string(" ") + flag + " ") == std::string::npos) return false;
    }
    return true;
  };
  int64_t expected = HWY_SCALAR | HWY_EMU128;
  // "pni" is SSE3.
  if (has({"sse2", "pni", "ssse3"})) expected |= HWY_SSSE3;
  const bool sse4 = has({"sse2", "pni", "ssse3", "sse4_1", "sse4_2", "popcnt", "pclmulqdq", "aes"});
  if (sse4) expected |= HWY_SSE4;
  const bool avx2 = sse4 && has({"avx", "avx2", "bmi1", "bmi2", "fma", "f16c"});
  if (avx2) expected |= HWY_AVX2;
  if (avx2 && has({"avx512f", "avx512vl", "avx512dq", "avx512bw"})) expected |= HWY_AVX3;
  const int64_t known = HWY_AVX3 | HWY_AVX2 | HWY_SSE4 | HWY_SSSE3 | HWY_SCALAR | HWY_EMU128;
  EXPECT_EQ(targets::Supported(known), expected) << line;
  // A target of a newer Highway is never offered, nor one that was not compiled.
  EXPECT_EQ(targets::Supported(known | HWY_AVX3_DL), expected);
  EXPECT_EQ(targets::Supported(HWY_AVX2 | HWY_SCALAR), expected & (HWY_AVX2 | HWY_SCALAR));
  // The best is the lowest bit; a test's limit narrows the choice, and lifts.
  EXPECT_EQ(targets::Best(known), expected & -expected);
  targets::RestrictForTest(HWY_SCALAR);
  EXPECT_EQ(targets::Best(known), HWY_SCALAR);
  EXPECT_EQ(targets::Supported(known), expected);
  targets::RestrictForTest(0);
  EXPECT_EQ(targets::Best(known), expected & -expected);
}

// Each target needs every one of its features and the operating system's saving of its
// registers: words of a CPU that has everything, less one bit at a time. Bit positions as the
// Intel and AMD manuals give them.
TEST(Targets, NeedEveryFeatureOfTheirs) {
  struct Bit {
    uint32_t targets::CpuidWords::*word;
    int bit;
    int64_t lost;  // the targets that need it
  };
  constexpr int64_t kSse4Up = HWY_SSE4 | HWY_AVX2 | HWY_AVX3;
  constexpr int64_t kAvx2Up = HWY_AVX2 | HWY_AVX3;
  using W = targets::CpuidWords;
  const Bit bits[] = {
      {&W::leaf1_edx, 26, HWY_SSSE3 | kSse4Up},  // SSE2
      {&W::leaf1_ecx, 0, HWY_SSSE3 | kSse4Up},   // SSE3
      {&W::leaf1_ecx, 9, HWY_SSSE3 | kSse4Up},   // SSSE3
      {&W::leaf1_ecx, 19, kSse4Up},              // SSE4.1
      {&W::leaf1_ecx, 20, kSse4Up},              // SSE4.2
      {&W::leaf1_ecx, 23, kSse4Up},              // POPCNT
      {&W::leaf1_ecx, 1, kSse4Up},               // PCLMULQDQ
      {&W::leaf1_ecx, 25, kSse4Up},              // AES
      {&W::leaf1_ecx, 27, kAvx2Up},              // OSXSAVE
      {&W::leaf1_ecx, 28, kAvx2Up},              // AVX
      {&W::leaf1_ecx, 12, kAvx2Up},              // FMA
      {&W::leaf1_ecx, 29, kAvx2Up},              // F16C
      {&W::xcr0, 1, kAvx2Up},                    // SSE state
      {&W::xcr0, 2, kAvx2Up},                    // AVX state
      {&W::leaf7_ebx, 5, kAvx2Up},               // AVX2
      {&W::leaf7_ebx, 3, kAvx2Up},               // BMI1
      {&W::leaf7_ebx, 8, kAvx2Up},               // BMI2
      {&W::xcr0, 5, HWY_AVX3},                   // opmask state
      {&W::xcr0, 6, HWY_AVX3},                   // ZMM_Hi256 state
      {&W::xcr0, 7, HWY_AVX3},                   // Hi16_ZMM state
      {&W::leaf7_ebx, 16, HWY_AVX3},             // AVX512F
      {&W::leaf7_ebx, 17, HWY_AVX3},             // AVX512DQ
      {&W::leaf7_ebx, 30, HWY_AVX3},             // AVX512BW
      {&W::leaf7_ebx, 31, HWY_AVX3},             // AVX512VL
  };
  W all;
  for (const Bit& b : bits) all.*b.word |= uint32_t{1} << b.bit;
  constexpr int64_t kFallbacks = HWY_SCALAR | HWY_EMU128;
  const int64_t every = kFallbacks | HWY_SSSE3 | kSse4Up;
  EXPECT_EQ(targets::TargetsOf(all), every);
  EXPECT_EQ(targets::TargetsOf(W()), kFallbacks);
  for (const Bit& b : bits) {
    W less = all;
    less.*b.word &= ~(uint32_t{1} << b.bit);
    EXPECT_EQ(targets::TargetsOf(less), every & ~b.lost) << "without bit " << b.bit;
  }
}
#endif

// What /proc/cpuinfo says of the CPU: the vendor and, for family 6, the model.
struct CpuInfo {
  std::string vendor;
  int family = 0, model = 0;
};

CpuInfo ReadCpuInfo() {
  CpuInfo info;
#if HWY_ARCH_X86
  const std::string cpuinfo = ReadFileOrDie("/proc/cpuinfo");
  const auto field = [&](const std::string& name) {
    const size_t at = cpuinfo.find("\n" + name);
    if (at == std::string::npos) return std::string();
    const size_t colon = cpuinfo.find(':', at);
    return cpuinfo.substr(colon + 2, cpuinfo.find('\n', colon) - colon - 2);
  };
  info.vendor = field("vendor_id");
  info.family = std::atoi(field("cpu family").c_str());
  info.model = std::atoi(field("model\t").c_str());  // not "model name"
#endif
  return info;
}

// The plan each CPU gets: on AMD, and on the Intel cores whose microcode slows gathers (listed
// here from Intel's Gather Data Sampling advisory, apart from lib/targets.cc's list), the windows
// with 16-lane vectors only; there also windows of text kSlowGatherLaneSpan bytes per lane.
// Elsewhere the gathers, from 16 lanes on, in one window.
TEST(PreferredKernel, FollowsTheVendorAndTheCostOfGathers) {
  const CpuInfo cpu = ReadCpuInfo();
  const bool zen = cpu.vendor == "AuthenticAMD" || cpu.vendor == "HygonGenuine";
  const std::vector<int> downfall = {78, 94,  142, 158, 165, 166,  // AVX2 only
                                     85, 106, 108, 125, 126, 140, 141, 167};
  const bool slow = cpu.vendor == "GenuineIntel" && cpu.family == 6 &&
                    std::find(downfall.begin(), downfall.end(), cpu.model) != downfall.end();
  const bool wide = lanes::LaneCount() == kMaxLanes;
  const std::string about = cpu.vendor + " family " + std::to_string(cpu.family) + " model " +
                            std::to_string(cpu.model) + ", " + std::to_string(lanes::LaneCount()) +
                            " lanes";
  EXPECT_EQ(lanes::PreferredKernel(),
            (zen || slow) && wide ? lanes::Kernel::kWindows : lanes::Kernel::kGathers)
      << about;
  EXPECT_EQ(lanes::PreferredKernel(), lanes::PreferredKernel()) << about;  // kept, the same
  EXPECT_EQ(lanes::MinLanes(), slow ? kMaxLanes : kMinLanes) << about;
  EXPECT_EQ(lanes::LaneSpan(), slow ? kSlowGatherLaneSpan : 0) << about;
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
