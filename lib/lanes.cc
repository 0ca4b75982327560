// The lane walk of lib/lanes.h for every Highway target, chosen at run time on x86-64
// (lib/targets.h), in two kernels (lib/tuning.h): Run, below, and RunWindowed.
//
// Each step of a lane is one step of the plain walk, without branches: look up the child for
// the current byte; if it exists, move to it (remembering it if it ends a token); if not, emit
// the last token and restart at its end. Reading the next byte is kept off the chain of
// dependent loads: both candidates (the byte after this one, and the byte at the restart point)
// are known before the child's lookup returns, and the restart point is nearly always the byte
// that failed, which the lane already holds.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/lanes.cc"
#include "lib/lanes.h"

#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "lib/blob_format.h"

HWY_BEFORE_NAMESPACE();
namespace rwkvtok {
namespace lanes {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// At most kMaxVectorLanes lanes per vector, however wide the vectors (SVE may be wider).
using LaneTag = hn::CappedTag<uint32_t, kMaxVectorLanes>;

size_t LaneCountImpl() { return kChains * hn::Lanes(LaneTag()); }

// HWY_NAMESPACE is N_ and the target's name.
#define RWKVTOK_STRING_OF(x) #x
#define RWKVTOK_NAME_OF(x) RWKVTOK_STRING_OF(x)
const char* TargetNameImpl() { return &RWKVTOK_NAME_OF(HWY_NAMESPACE)[2]; }
#undef RWKVTOK_NAME_OF
#undef RWKVTOK_STRING_OF

// Every lane's walk state, one array per quantity, for setting lanes up between runs of steps.
struct LaneStates {
  uint32_t pos[kMaxLanes], node[kMaxLanes], byte[kMaxLanes], last_unit[kMaxLanes];
  uint32_t last_end[kMaxLanes], token_start[kMaxLanes], out_index[kMaxLanes], limit[kMaxLanes];

  // Lane k starts a walk at offset `begin` that must stop kStopBefore bytes before `end`.
  void Start(size_t k, const Trie& trie, const uint8_t* text, uint32_t begin, uint32_t end) {
    pos[k] = last_end[k] = token_start[k] = out_index[k] = begin;
    node[k] = trie.root_unit;
    byte[k] = text[begin];
    // Replaced by the lane's first step before any emit: that step starts at the root, where every
    // byte is a token. (RunWindowed keeps tokens in another form, which this unit index is not.)
    last_unit[k] = trie.first_token_unit;
    limit[k] = end - kStopBefore;
  }
  bool Stopping(size_t k) const { return pos[k] + kRounds >= limit[k]; }
  void Copy(size_t to, size_t from) {
    for (uint32_t* a : {pos, node, byte, last_unit, last_end, token_start, out_index, limit}) {
      a[to] = a[from];
    }
  }
};

// Steps every lane of `s` until some lane is Stopping, then calls `next(s)` to set lanes up
// again; goes on while it returns true.
template <class Next>
void Run(const Trie& trie, const uint8_t* text, uint32_t* out, LaneStates& s, Next next) {
  const LaneTag d;
  const hn::RebindToSigned<decltype(d)> di;
  using V = hn::Vec<decltype(d)>;
  const size_t n = hn::Lanes(d);
  // Gathers of text read 4 bytes at a byte offset; only the low byte is used.
  const uint32_t* const text32 = reinterpret_cast<const uint32_t*>(text);

  const V one = hn::Set(d, 1), low_byte = hn::Set(d, 0xFF);
  const V check_mask = hn::Set(d, blob::kUnitCheckMask), occupied = hn::Set(d, blob::kUnitOccupied);
  const V token_bit = hn::Set(d, blob::kUnitIsToken), root = hn::Set(d, trie.root_unit);
  const V id_in_base = hn::Set(d, blob::kUnitIdInBase);

  // One step of every lane of a vector: follow its byte, or emit its last token and restart.
  const auto step = [&](V& pos, V& node, V& byte, V& last_unit, V& last_end, V& token_start,
                        V& out_index) HWY_ATTR {
    const V child = hn::Add(hn::ShiftRight<blob::kUnitBaseShift>(node), byte);
    const V unit = hn::GatherIndex(d, trie.units, hn::BitCast(di, child));
    // blob::ExpectedCheck, lane by lane.
    const V expected = hn::Or(hn::Or(byte, occupied), hn::ShiftLeft<1>(hn::And(node, id_in_base)));
    const V after = hn::Add(pos, one);
    const V byte_after = hn::GatherOffset(d, text32, hn::BitCast(di, after));
    const auto ok = hn::Eq(hn::And(unit, check_mask), expected);
    const auto is_token = hn::And(ok, hn::Ne(hn::And(unit, token_bit), hn::Zero(d)));
    last_unit = hn::IfThenElse(is_token, child, last_unit);
    const V new_last_end = hn::IfThenElse(is_token, after, last_end);

    // Emit: every lane stores the unit of its candidate token at its next output index, but
    // only lanes whose step failed move that index on, so the other stores are overwritten
    // later. Units become ids afterwards, off this loop's chain of loads.
    hn::ScatterIndex(last_unit, d, out, hn::BitCast(di, out_index));
    out_index = hn::IfThenElse(ok, out_index, hn::Add(out_index, one));

    // Restart after a failure: at the end of the last token, usually the byte that failed. The
    // gather for the others costs less than a branch that would guess wrong on mixed text.
    const auto fell_back = hn::AndNot(ok, hn::Ne(last_end, pos));
    const V restart_byte =
        hn::IfThenElse(fell_back, hn::GatherOffset(d, text32, hn::BitCast(di, last_end)), byte);
    token_start = hn::IfThenElse(ok, token_start, last_end);
    pos = hn::IfThenElse(ok, after, last_end);
    byte = hn::And(hn::IfThenElse(ok, byte_after, restart_byte), low_byte);
    node = hn::IfThenElse(ok, unit, root);
    last_end = new_last_end;
  };

  // Two vectors of lanes, stepped in turn: each waits on its gathers, which then overlap.
  static_assert(kChains == 2, "the walk below steps two vectors");
  do {
    const V limit_a = hn::LoadU(d, s.limit), limit_b = hn::LoadU(d, s.limit + n);
    V pos_a = hn::LoadU(d, s.pos), pos_b = hn::LoadU(d, s.pos + n);
    V node_a = hn::LoadU(d, s.node), node_b = hn::LoadU(d, s.node + n);
    V byte_a = hn::LoadU(d, s.byte), byte_b = hn::LoadU(d, s.byte + n);
    V last_unit_a = hn::LoadU(d, s.last_unit), last_unit_b = hn::LoadU(d, s.last_unit + n);
    V last_end_a = hn::LoadU(d, s.last_end), last_end_b = hn::LoadU(d, s.last_end + n);
    V token_start_a = hn::LoadU(d, s.token_start), token_start_b = hn::LoadU(d, s.token_start + n);
    V out_index_a = hn::LoadU(d, s.out_index), out_index_b = hn::LoadU(d, s.out_index + n);

    // Each round moves every lane at most one byte forward, so kRounds rounds fit in the margin.
    const V rounds = hn::Set(d, kRounds);
    while (hn::AllTrue(d, hn::Lt(hn::Add(pos_a, rounds), limit_a)) &&
           hn::AllTrue(d, hn::Lt(hn::Add(pos_b, rounds), limit_b))) {
      for (uint32_t round = 0; round < kRounds; ++round) {
        step(pos_a, node_a, byte_a, last_unit_a, last_end_a, token_start_a, out_index_a);
        step(pos_b, node_b, byte_b, last_unit_b, last_end_b, token_start_b, out_index_b);
      }
    }
    hn::StoreU(pos_a, d, s.pos), hn::StoreU(pos_b, d, s.pos + n);
    hn::StoreU(node_a, d, s.node), hn::StoreU(node_b, d, s.node + n);
    hn::StoreU(byte_a, d, s.byte), hn::StoreU(byte_b, d, s.byte + n);
    hn::StoreU(last_unit_a, d, s.last_unit), hn::StoreU(last_unit_b, d, s.last_unit + n);
    hn::StoreU(last_end_a, d, s.last_end), hn::StoreU(last_end_b, d, s.last_end + n);
    hn::StoreU(token_start_a, d, s.token_start), hn::StoreU(token_start_b, d, s.token_start + n);
    hn::StoreU(out_index_a, d, s.out_index), hn::StoreU(out_index_b, d, s.out_index + n);
  } while (next(s));
}

// The windowed walk, for CPUs where every gather and scatter costs (AMD Zen 4: ~14 cycles a
// gather at best, ~19 a scatter). Two changes from Run above: each lane reads its text from a
// 4-byte window loaded by one gather every kWindowRounds steps (a lane moves at most one byte a
// step), so a step gathers only its trie unit; a lane whose restart point falls before its window
// waits for the next load. And a failing step appends its lane's last token, tagged with the
// lane, to a stream with a compress and a plain store; after every block of steps the stream's
// tokens become ids, a vector at a time (one gather), and are sorted into the lanes' outputs.
// A lane keeps its last token as its unit shifted right by kTokenShift: the base field and the
// kUnitIdInBase bit, so the id, or where the id is (units[base - 1]), without another load.
// (Its setup repeats Run's: sharing it through a struct of vectors made Run 12% slower.)
constexpr uint32_t kWindowBytes = 4;
constexpr uint32_t kWindowRounds = kWindowBytes - 1;
constexpr uint32_t kBlockRounds = kRounds / kWindowRounds * kWindowRounds;
constexpr uint32_t kLaneTagShift = 27;
constexpr uint32_t kTokenMask = (uint32_t{1} << kLaneTagShift) - 1;
static_assert(kMaxLanes <= (uint32_t{1} << (32 - kLaneTagShift)), "lane tags must fit");
constexpr uint32_t kTokenShift = 10;
constexpr uint32_t kTokenBaseShift = blob::kUnitBaseShift - kTokenShift;
static_assert((blob::kUnitIdInBase >> kTokenShift) == 1, "the id-in-base bit must be bit 0");
static_assert(blob::kMaxBase <= (kTokenMask >> kTokenBaseShift), "a base must fit below the tag");

template <class Next>
void RunWindowed(const Trie& trie, const uint8_t* text, uint32_t* out, LaneStates& s, Next next) {
  const LaneTag d;
  const hn::RebindToSigned<decltype(d)> di;
  using V = hn::Vec<decltype(d)>;
  using M = hn::Mask<decltype(d)>;
  const size_t n = hn::Lanes(d);
  const uint32_t* const text32 = reinterpret_cast<const uint32_t*>(text);

  const V one = hn::Set(d, 1), low_byte = hn::Set(d, 0xFF);
  const V check_mask = hn::Set(d, blob::kUnitCheckMask), occupied = hn::Set(d, blob::kUnitOccupied);
  const V token_bit = hn::Set(d, blob::kUnitIsToken), root = hn::Set(d, trie.root_unit);
  const V id_in_base = hn::Set(d, blob::kUnitIdInBase);
  const V token_mask = hn::Set(d, kTokenMask);
  const V tag_a = hn::ShiftLeft<kLaneTagShift>(hn::Iota(d, 0));
  const V tag_b = hn::ShiftLeft<kLaneTagShift>(hn::Iota(d, static_cast<uint32_t>(n)));
  // A block's failing steps: at most one token per lane and step, and a vector's slack.
  uint32_t stream[kBlockRounds * kMaxLanes + kMaxVectorLanes];
  size_t streamed = 0;

  const auto step = [&](V& pos, V& node, V& window, M& stale, V& last_unit, V& last_end,
                        V& token_start, const V& tag) HWY_ATTR {
    const V byte = hn::And(window, low_byte);
    const V child = hn::Add(hn::ShiftRight<blob::kUnitBaseShift>(node), byte);
    const V unit = hn::GatherIndex(d, trie.units, hn::BitCast(di, child));
    const V expected = hn::Or(hn::Or(byte, occupied), hn::ShiftLeft<1>(hn::And(node, id_in_base)));
    const M ok = hn::AndNot(stale, hn::Eq(hn::And(unit, check_mask), expected));
    const M is_token = hn::And(ok, hn::Ne(hn::And(unit, token_bit), hn::Zero(d)));
    const M emit = hn::AndNot(ok, hn::Not(stale));
    last_unit = hn::IfThenElse(is_token, hn::ShiftRight<kTokenShift>(unit), last_unit);
    const V after = hn::Add(pos, one);
    hn::StoreU(hn::Compress(hn::Or(last_unit, tag), emit), d, stream + streamed);
    streamed += hn::CountTrue(d, emit);
    // A lane restarting before the byte that failed has no byte in its window: it waits.
    stale = hn::Or(stale, hn::And(emit, hn::Ne(last_end, pos)));
    token_start = hn::IfThenElse(emit, last_end, token_start);
    pos = hn::IfThenElse(ok, after, hn::IfThenElse(emit, last_end, pos));
    last_end = hn::IfThenElse(is_token, after, last_end);
    window = hn::IfThenElse(ok, hn::ShiftRight<8>(window), window);
    node = hn::IfThenElse(ok, unit, hn::IfThenElse(emit, root, node));
  };

  static_assert(kChains == 2, "the walk below steps two vectors");
  do {
    const V limit_a = hn::LoadU(d, s.limit), limit_b = hn::LoadU(d, s.limit + n);
    V pos_a = hn::LoadU(d, s.pos), pos_b = hn::LoadU(d, s.pos + n);
    V node_a = hn::LoadU(d, s.node), node_b = hn::LoadU(d, s.node + n);
    V last_unit_a = hn::LoadU(d, s.last_unit), last_unit_b = hn::LoadU(d, s.last_unit + n);
    V last_end_a = hn::LoadU(d, s.last_end), last_end_b = hn::LoadU(d, s.last_end + n);
    V token_start_a = hn::LoadU(d, s.token_start), token_start_b = hn::LoadU(d, s.token_start + n);
    V window_a = hn::Zero(d), window_b = hn::Zero(d);  // loaded at a block's first round
    M stale_a = hn::FirstN(d, 0), stale_b = hn::FirstN(d, 0);

    const V rounds = hn::Set(d, kBlockRounds);
    while (hn::AllTrue(d, hn::Lt(hn::Add(pos_a, rounds), limit_a)) &&
           hn::AllTrue(d, hn::Lt(hn::Add(pos_b, rounds), limit_b))) {
      for (uint32_t round = 0; round < kBlockRounds; ++round) {
        if (round % kWindowRounds == 0) {
          window_a = hn::GatherOffset(d, text32, hn::BitCast(di, pos_a));
          window_b = hn::GatherOffset(d, text32, hn::BitCast(di, pos_b));
          stale_a = stale_b = hn::FirstN(d, 0);
        }
        step(pos_a, node_a, window_a, stale_a, last_unit_a, last_end_a, token_start_a, tag_a);
        step(pos_b, node_b, window_b, stale_b, last_unit_b, last_end_b, token_start_b, tag_b);
      }
      // Each token's id, lane tag kept. The lanes past the stream's end hold a token whose id
      // would be in units[0], so that every lane reads inside the trie.
      hn::StoreU(hn::Set(d, uint32_t{1} << kTokenBaseShift), d, stream + streamed);
      for (size_t i = 0; i < streamed; i += n) {
        const V value = hn::LoadU(d, stream + i);
        const V base = hn::ShiftRight<kTokenBaseShift>(hn::And(value, token_mask));
        // Signed: the encode-less build's stand-in trie keeps ids of 0 and a unit before it.
        const V below = hn::GatherIndex(d, trie.units, hn::BitCast(di, hn::Sub(base, one)));
        const V id = hn::IfThenElse(hn::Ne(hn::And(value, one), hn::Zero(d)), base,
                                    hn::ShiftRight<blob::kUnitBaseShift>(below));
        hn::StoreU(hn::Or(id, hn::AndNot(token_mask, value)), d, stream + i);
      }
      for (size_t i = 0; i < streamed; ++i) {
        out[s.out_index[stream[i] >> kLaneTagShift]++] = stream[i] & kTokenMask;
      }
      streamed = 0;
    }
    hn::StoreU(pos_a, d, s.pos), hn::StoreU(pos_b, d, s.pos + n);
    hn::StoreU(node_a, d, s.node), hn::StoreU(node_b, d, s.node + n);
    hn::StoreU(last_unit_a, d, s.last_unit), hn::StoreU(last_unit_b, d, s.last_unit + n);
    hn::StoreU(last_end_a, d, s.last_end), hn::StoreU(last_end_b, d, s.last_end + n);
    hn::StoreU(token_start_a, d, s.token_start), hn::StoreU(token_start_b, d, s.token_start + n);
  } while (next(s));
}

void WalkImpl(Kernel kernel, const Trie& trie, const uint8_t* text, const uint32_t* begin,
              const uint32_t* end, uint32_t* start, uint32_t* next, uint32_t* out) {
  const size_t lane_count = LaneCountImpl();
  LaneStates s;
  for (size_t k = 0; k < lane_count; ++k) s.Start(k, trie, text, begin[k], end[k]);
  const auto stop = [](const LaneStates&) { return false; };
  if (kernel == Kernel::kWindows) {
    RunWindowed(trie, text, out, s, stop);
  } else {
    Run(trie, text, out, s, stop);
  }
  for (size_t k = 0; k < lane_count; ++k) {
    start[k] = s.token_start[k];
    next[k] = s.out_index[k];
  }
}

void WalkTextsImpl(Kernel kernel, const Trie& trie, const uint8_t* text, const size_t* ends,
                   size_t count, size_t base, uint32_t* out, size_t* stopped) {
  const size_t lane_count = LaneCountImpl();
  const auto begin_of = [&](size_t i) {
    return static_cast<uint32_t>(i == 0 ? 0 : ends[i - 1] - base);
  };
  const auto end_of = [&](size_t i) { return static_cast<uint32_t>(ends[i] - base); };
  size_t queued = 0;  // the next text to take
  // The next text a lane walks, or count if none is left.
  const auto take = [&]() {
    for (; queued < count; ++queued) {
      const size_t length = end_of(queued) - begin_of(queued);
      if (length >= kMinLaneText && length < kMaxLaneText) return queued++;
      stopped[queued] = 0;
    }
    return count;
  };
  // Lane k walks text lane_text[k]; a lane with none left copies a lane that has one, which
  // does the same work to the same places, so that both hold the same text.
  size_t lane_text[kMaxLanes];
  bool copy[kMaxLanes];
  size_t walking = 0;  // texts in lanes
  LaneStates s;
  const auto stop = [&](size_t k) {
    stopped[lane_text[k]] = PackStop(s.token_start[k] - begin_of(lane_text[k]),
                                     s.out_index[k] - begin_of(lane_text[k]));
  };
  // Fills the lanes that have no text of their own; false once too few have one.
  const auto fill = [&]() {
    size_t walked_by = lane_count;  // a lane with a text of its own
    for (size_t k = 0; k < lane_count; ++k) {
      if (!copy[k]) continue;
      const size_t i = take();
      if (i == count) continue;
      s.Start(k, trie, text, begin_of(i), end_of(i));
      lane_text[k] = i;
      copy[k] = false;
      ++walking;
    }
    if (2 * walking < lane_count) {
      for (size_t k = 0; k < lane_count; ++k) {
        if (!copy[k]) stop(k);
      }
      return false;
    }
    for (size_t k = 0; k < lane_count; ++k) {
      if (!copy[k]) walked_by = k;
    }
    for (size_t k = 0; k < lane_count; ++k) {
      if (!copy[k]) continue;
      s.Copy(k, walked_by);
      lane_text[k] = lane_text[walked_by];
    }
    return true;
  };
  for (size_t k = 0; k < lane_count; ++k) copy[k] = true;
  if (!fill()) return;
  // Lanes near the end of their text take the next one.
  const auto next = [&](LaneStates&) {
    for (size_t k = 0; k < lane_count; ++k) {
      if (!s.Stopping(k)) continue;
      if (!copy[k]) {
        stop(k);
        --walking;
      }
      copy[k] = true;
    }
    return fill();
  };
  if (kernel == Kernel::kWindows) {
    RunWindowed(trie, text, out, s, next);
  } else {
    Run(trie, text, out, s, next);
  }
}

// The id of each token unit (lib/blob_format.h, "Token ids"): both places, then a select.
void ToIdsImpl(const Trie& trie, uint32_t* values, size_t count) {
  const LaneTag d;
  const hn::RebindToSigned<decltype(d)> di;
  using V = hn::Vec<decltype(d)>;
  const V one = hn::Set(d, 1), id_in_base = hn::Set(d, blob::kUnitIdInBase);
  const size_t n = hn::Lanes(d);
  size_t i = 0;
  for (; i + n <= count; i += n) {
    const V unit = hn::GatherIndex(d, trie.units, hn::BitCast(di, hn::LoadU(d, values + i)));
    const V below = hn::Sub(hn::ShiftRight<blob::kUnitBaseShift>(unit), one);
    const V id_unit = hn::GatherIndex(d, trie.units, hn::BitCast(di, below));
    const auto kept = hn::Ne(hn::And(unit, id_in_base), hn::Zero(d));
    hn::StoreU(hn::ShiftRight<blob::kUnitBaseShift>(hn::IfThenElse(kept, unit, id_unit)), d,
               values + i);
  }
  for (; i < count; ++i) {
    const uint32_t unit = trie.units[values[i]];
    const ptrdiff_t below = static_cast<ptrdiff_t>(blob::UnitBase(unit)) - 1;
    values[i] = blob::UnitTokenId(unit, trie.units[below]);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace lanes
}  // namespace rwkvtok
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "lib/targets.h"

namespace rwkvtok {
namespace lanes {

size_t LaneCount() { return RWKVTOK_DISPATCH(LaneCountImpl)(); }

const char* TargetName() { return RWKVTOK_DISPATCH(TargetNameImpl)(); }

void Walk(Kernel kernel, const Trie& trie, const uint8_t* text, const uint32_t* begin,
          const uint32_t* end, uint32_t* start, uint32_t* next, uint32_t* out) {
  RWKVTOK_DISPATCH(WalkImpl)(kernel, trie, text, begin, end, start, next, out);
}

void WalkTexts(Kernel kernel, const Trie& trie, const uint8_t* text, const size_t* ends,
               size_t count, size_t base, uint32_t* out, size_t* stopped) {
  RWKVTOK_DISPATCH(WalkTextsImpl)(kernel, trie, text, ends, count, base, out, stopped);
}

// The windows pay on Zen and on Intel cores with slow gathers, with 16-lane vectors (AVX-512),
// where compress is one instruction; with AVX2's 8 lanes they lose to the gathers
// (BM_EncodeLanes, docs/performance.md).
Kernel PreferredKernel() {
  const bool gathers_cost = targets::IsAmd() || targets::GathersSlow();
  return gathers_cost && LaneCount() >= kChains * 16 ? Kernel::kWindows : Kernel::kGathers;
}

size_t MinLanes() { return targets::GathersSlow() ? kSlowGatherMinLanes : kMinLanes; }

size_t LaneSpan() { return targets::GathersSlow() ? kSlowGatherLaneSpan : 0; }

void ToIds(const Trie& trie, uint32_t* values, size_t count) {
  RWKVTOK_DISPATCH(ToIdsImpl)(trie, values, count);
}

}  // namespace lanes
}  // namespace rwkvtok
#endif  // HWY_ONCE
