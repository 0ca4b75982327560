// For benchmarks/wasm_bench.mjs: the lane encoder forced on, in a WebAssembly build with the lanes
// (-DRWKVTOK_LANES=ON, -msimd128), where Encode itself never takes them (4 lanes per vector are
// below kMinLanes), with the gathers kernel (`windows` 0) or the windows kernel (`windows` 1).
// Returns the number of ids written to `ids` (room for one per byte).

#include <stddef.h>
#include <stdint.h>

#include "lib/lanes.h"
#include "lib/rwkvtok.h"
#include "lib/segments.h"
#include "lib/tuning.h"

extern "C" size_t rwkvtok_bench_encode_in_lanes(const uint8_t* text, size_t size, uint32_t* ids,
                                                int windows) {
  const rwkvtok::lanes::Kernel kernel =
      windows ? rwkvtok::lanes::Kernel::kWindows : rwkvtok::lanes::Kernel::kGathers;
  return rwkvtok::EncodeInLanes(rwkvtok::Tokenizer::World(), kernel, rwkvtok::lanes::LaneCount(),
                                text, size, 0, size, ids, rwkvtok::kLaneMinSegment)
      .count;
}

extern "C" const char* rwkvtok_bench_lanes_target() { return rwkvtok::lanes::TargetName(); }
