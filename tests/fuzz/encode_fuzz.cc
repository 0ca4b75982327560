// Fuzz target: any bytes, encoded with the World vocabulary, give exactly the simple matcher's ids,
// decode back to the same bytes, and never overrun a short output buffer.

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "lib/rwkvtok.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/simple_encoder.h"

using rwkvtok::Result;
using rwkvtok::Status;
using rwkvtok::Tokenizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rwkvtok::testing::SimpleEncoder* const simple =
      new rwkvtok::testing::SimpleEncoder(Tokenizer::World());
  const Tokenizer world = Tokenizer::World();
  const std::vector<uint32_t> expected =
      simple->Encode(std::string_view(reinterpret_cast<const char*>(data), size));

  // Heap buffers of exactly the stated capacity, so AddressSanitizer sees any write past them.
  std::unique_ptr<uint16_t[]> ids(new uint16_t[expected.size() + 1]);
  Result r = world.Encode(data, size, ids.get(), expected.size());
  FUZZ_CHECK(r.status == Status::kOk && r.count == expected.size());
  FUZZ_CHECK(std::equal(expected.begin(), expected.end(), ids.get()));

  const size_t short_capacity = expected.size() / 2;
  std::unique_ptr<int32_t[]> prefix(new int32_t[short_capacity + 1]);
  r = world.Encode(data, size, short_capacity ? prefix.get() : nullptr, short_capacity);
  FUZZ_CHECK(r.count == expected.size());
  FUZZ_CHECK(r.status == (expected.empty() ? Status::kOk : Status::kBufferTooSmall));
  FUZZ_CHECK(std::equal(prefix.get(), prefix.get() + short_capacity, expected.begin()));

  std::unique_ptr<uint8_t[]> bytes(new uint8_t[size + 1]);
  r = world.Decode(ids.get(), expected.size(), bytes.get(), size);
  FUZZ_CHECK(r.status == Status::kOk && r.count == size);
  FUZZ_CHECK(std::equal(data, data + size, bytes.get()));
  return 0;
}
