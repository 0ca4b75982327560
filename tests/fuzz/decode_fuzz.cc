// Fuzz target: any id sequence, of any id type, into any output capacity, decodes to exactly the
// concatenated bytes of its tokens up to the first invalid id, which is reported by position, in
// both profiles.
//
// Input: byte 0 picks the id type, byte 1 the capacity (a fraction of the size needed, or more),
// the rest are 16-bit little-endian ids; for the 32-bit types the top eight values stand for ids
// far outside the vocabulary, negative ones included.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "lib/rwkvtok.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/support.h"

namespace {

using rwkvtok::Result;
using rwkvtok::Status;
using rwkvtok::Tokenizer;

constexpr char kUntouched = '\xA5';

constexpr uint32_t kFarIds[8] = {65536,      65537,      100000,     0x7FFFFFFF,
                                 0x80000000, 0xFFFF0000, 0xFFFFFFFE, 0xFFFFFFFF};

template <typename Id>
void Check(const std::vector<Id>& ids, uint8_t capacity_choice) {
  const rwkvtok::testing::TokenTable& table = rwkvtok::testing::WorldTokens();
  std::string expected;
  size_t invalid_at = ids.size();
  for (size_t k = 0; k < ids.size(); ++k) {
    const int64_t id = static_cast<int64_t>(ids[k]);
    if (id < 0 || id >= static_cast<int64_t>(table.valid.size()) || !table.valid[id]) {
      invalid_at = k;
      break;
    }
    expected += table.bytes[id];
  }
  const size_t capacity =
      capacity_choice == 255 ? expected.size() + 7 : expected.size() * capacity_choice / 254;
  std::unique_ptr<char[]> out(new char[capacity + 1]);
  for (const Tokenizer& tok : {Tokenizer::World(), Tokenizer::WorldCompact()}) {
    std::fill(out.get(), out.get() + capacity, kUntouched);
    const Result r = tok.Decode(ids.data(), ids.size(), capacity ? out.get() : nullptr, capacity);
    const size_t written = std::min(expected.size(), capacity);
    if (invalid_at < ids.size()) {
      FUZZ_CHECK(r.status == Status::kInvalidId);
      FUZZ_CHECK(r.position == invalid_at && r.count == written);
    } else {
      FUZZ_CHECK(r.status == (capacity < expected.size() ? Status::kBufferTooSmall : Status::kOk));
      FUZZ_CHECK(r.count == expected.size());
    }
    FUZZ_CHECK(std::equal(out.get(), out.get() + written, expected.begin()));
    // Past the bytes counted nothing changes, but for up to 16 bytes after an invalid id's
    // predecessors (the header allows it).
    const size_t slack = invalid_at < ids.size() ? 16 : 0;
    const size_t untouched_from = std::min(capacity, written + slack);
    FUZZ_CHECK(std::all_of(out.get() + untouched_from, out.get() + capacity,
                           [](char c) { return c == kUntouched; }));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::vector<uint16_t> ids16;
  for (size_t i = 2; i + 1 < size; i += 2) ids16.push_back(data[i] | data[i + 1] << 8);
  std::vector<uint32_t> ids32;
  for (const uint16_t id : ids16) ids32.push_back(id >= 0xFFF8 ? kFarIds[id - 0xFFF8] : id);
  switch (data[0] % 3) {
    case 0:
      Check(ids16, data[1]);
      break;
    case 1:
      Check(ids32, data[1]);
      break;
    default:
      Check(std::vector<int32_t>(ids32.begin(), ids32.end()), data[1]);
      break;
  }
  return 0;
}
