// The parts of tools/binidx that the command's tests (tests/binidx_test.py) cannot reach at
// scale: RWKV-LM's --magic_prime for datasets of billions of tokens.

#include <cstdint>

#include "gtest/gtest.h"
#include "tools/binidx/dataset.h"

namespace rwkvtok {
namespace binidx {
namespace {

bool IsPrimeByTrialDivision(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// make_data.py's rule, read literally: only for at least 3 contexts, the largest i <=
// tokens // ctx_len - 1 with i % 3 == 2 that is prime.
uint64_t Reference(uint64_t tokens, uint64_t ctx_len) {
  if (tokens < ctx_len * 3) return 0;
  for (uint64_t i = tokens / ctx_len - 1; i > 0; --i) {
    if (i % 3 == 2 && IsPrimeByTrialDivision(i)) return i;
  }
  return 0;
}

TEST(MagicPrime, FollowsMakeData) {
  for (uint64_t ctx_len : {1, 2, 3, 7, 512, 4096}) {
    for (uint64_t tokens = 0; tokens < 20000; tokens += 1 + tokens / 50) {
      ASSERT_EQ(MagicPrime(tokens, ctx_len), Reference(tokens, ctx_len))
          << tokens << " tokens, ctx_len " << ctx_len;
    }
  }
  for (uint64_t tokens : {uint64_t{1498226207}, uint64_t{1} << 40, uint64_t{123456789012}}) {
    for (uint64_t ctx_len : {512, 1024, 4096}) {
      ASSERT_EQ(MagicPrime(tokens, ctx_len), Reference(tokens, ctx_len));
    }
  }
  // RWKV-LM's own example: minipile, 1498226207 tokens, at ctx_len 512.
  EXPECT_EQ(MagicPrime(1498226207, 512), 2926181u);
  EXPECT_EQ(MagicPrime(5, 2), 0u);  // fewer than 3 contexts
  EXPECT_EQ(MagicPrime(100, 0), 0u);
}

}  // namespace
}  // namespace binidx
}  // namespace rwkvtok
