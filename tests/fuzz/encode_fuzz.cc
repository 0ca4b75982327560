// Fuzz target: any bytes, encoded with the World vocabulary (in the profile the input picks), give
// exactly the simple matcher's ids, through every path (one-shot, the lanes with short segments,
// the streaming encoder in chunks of varying size, parts joined), decode back to the same bytes,
// and never overrun a short output buffer; damaged parts are refused or joined within bounds; cut
// into texts, each encodes alone.

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "lib/segments.h"
#if RWKVTOK_LANES
#include "lib/lanes.h"
#endif
#include "lib/rwkvtok.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/simple_encoder.h"

using rwkvtok::Result;
using rwkvtok::Status;
using rwkvtok::Tokenizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const rwkvtok::testing::SimpleEncoder& simple = rwkvtok::testing::SimpleEncoder::World();
  // The lanes are the full profile's; every other path runs on the profile the input picks.
  const Tokenizer full = Tokenizer::World();
  const Tokenizer world =
      size != 0 && (data[size / 2] & 1) ? Tokenizer::WorldCompact() : Tokenizer::World();
  const std::vector<uint32_t> expected =
      simple.Encode(std::string_view(reinterpret_cast<const char*>(data), size));

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

#if RWKVTOK_LANES
  // Segments this short make the lanes walk a little and join at many places of every input;
  // with each kernel.
  std::unique_ptr<uint32_t[]> lane_ids(new uint32_t[size + 1]);
  for (const rwkvtok::lanes::Kernel kernel :
       {rwkvtok::lanes::Kernel::kGathers, rwkvtok::lanes::Kernel::kWindows}) {
    for (const rwkvtok::Align align : {rwkvtok::Align::kLeft, rwkvtok::Align::kRight}) {
      const rwkvtok::Segment seg =
          rwkvtok::EncodeInLanes(full, kernel, rwkvtok::lanes::LaneCount(), data, size, 0, size,
                                 lane_ids.get(), 100, align);
      FUZZ_CHECK(seg.count == expected.size() && seg.last_end == size);
      FUZZ_CHECK(seg.ids ==
                 lane_ids.get() + (align == rwkvtok::Align::kLeft ? 0 : size - seg.count));
      FUZZ_CHECK(std::equal(expected.begin(), expected.end(), seg.ids));
    }
  }
#endif

  // The input cut into texts where its bytes say (texts of 0 to 1023 bytes), encoded at once:
  // each gets the simple matcher's ids for it alone.
  {
    std::vector<size_t> ends;
    for (size_t end = 0, k = 0; end < size; ++k) {
      // Empty texts too, but at most `size` cuts.
      const size_t step = k < size ? (data[k] | size_t{data[(k + 1) % size]} << 8) & 1023 : size;
      end = std::min(size, end + step);
      ends.push_back(end);
    }
    std::unique_ptr<uint32_t[]> text_ids(new uint32_t[size + 1]);
    std::vector<size_t> counts(ends.size());
    for (const rwkvtok::lanes::Kernel kernel :
         {rwkvtok::lanes::Kernel::kGathers, rwkvtok::lanes::Kernel::kWindows}) {
      FUZZ_CHECK(rwkvtok::EncodeTextsWith(world, kernel, data, ends.data(), ends.size(),
                                          text_ids.get(), counts.data()) == Status::kOk);
      for (size_t i = 0, begin = 0; i < ends.size(); begin = ends[i++]) {
        const std::vector<uint32_t> alone = simple.Encode(
            std::string_view(reinterpret_cast<const char*>(data) + begin, ends[i] - begin));
        FUZZ_CHECK(counts[i] == alone.size() &&
                   std::equal(alone.begin(), alone.end(), text_ids.get() + begin));
      }
    }
    FUZZ_CHECK(world.EncodeTexts(data, ends.data(), ends.size(), text_ids.get(), counts.data()) ==
               Status::kOk);
  }

  // Chunk sizes from the input's own bytes, 1 to 256.
  rwkvtok::StreamEncoder stream(world);
  std::vector<uint32_t> streamed;
  std::vector<uint32_t> chunk_ids(256 + world.max_token_length());
  for (size_t at = 0, k = 0; at < size; ++k) {
    const size_t chunk = std::min<size_t>(size - at, 1 + data[k % size]);
    r = stream.Push(data + at, chunk, chunk_ids.data(), chunk_ids.size());
    FUZZ_CHECK(r.ok() && stream.pending() < world.max_token_length());
    streamed.insert(streamed.end(), chunk_ids.begin(), chunk_ids.begin() + r.count);
    at += chunk;
  }
  r = stream.Finish(chunk_ids.data(), chunk_ids.size());
  FUZZ_CHECK(r.ok());
  streamed.insert(streamed.end(), chunk_ids.begin(), chunk_ids.begin() + r.count);
  FUZZ_CHECK(streamed == expected);

  // Parts cut where the input's first bytes say, joined; then joined again with one field of one
  // part damaged as the input's last bytes say, which must be refused or joined within bounds.
  if (size >= 8) {
    const size_t a = (data[0] | size_t{data[1]} << 8) % (size + 1);
    const size_t b = (data[2] | size_t{data[3]} << 8) % (size + 1);
    Tokenizer::Part parts[3] = {};
    parts[0].end = parts[1].begin = std::min(a, b);
    parts[1].end = parts[2].begin = std::max(a, b);
    parts[2].end = size;
    std::vector<uint32_t> part_ids(size);
    for (Tokenizer::Part& part : parts) {
      FUZZ_CHECK(world.EncodePart(data, size, &part, part_ids.data()) == Status::kOk);
    }
    std::vector<uint32_t> joined = part_ids;
    r = world.JoinParts(data, size, parts, 3, joined.data());
    FUZZ_CHECK(r.ok() && r.count == expected.size() && r.position <= size - r.count);
    FUZZ_CHECK(std::equal(expected.begin(), expected.end(), joined.begin() + r.position));

    size_t* const fields[] = {&parts[1].start, &parts[1].count, &parts[1].last_end,
                              &parts[2].start, &parts[2].count, &parts[2].last_end};
    *fields[data[size - 1] % 6] ^= data[size - 2] | size_t{data[size - 3]} << 8;
    for (size_t i = 0; i < size; i += 1 + data[size - 4]) part_ids[i] = data[i] * 257u;
    std::unique_ptr<uint32_t[]> damaged(new uint32_t[size]);  // exact: ASan sees any overrun
    std::copy(part_ids.begin(), part_ids.end(), damaged.get());
    r = world.JoinParts(data, size, parts, 3, damaged.get());
    FUZZ_CHECK(!r.ok() || r.position <= size - r.count);
  }

  std::unique_ptr<uint8_t[]> bytes(new uint8_t[size + 1]);
  r = world.Decode(ids.get(), expected.size(), bytes.get(), size);
  FUZZ_CHECK(r.status == Status::kOk && r.count == size);
  FUZZ_CHECK(std::equal(data, data + size, bytes.get()));
  return 0;
}
