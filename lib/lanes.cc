// The lane walk of lib/lanes.h for every Highway target, chosen at run time on x86-64.
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

void WalkImpl(const Trie& trie, const uint8_t* text, const uint32_t* begin, const uint32_t* end,
              uint32_t* start, uint32_t* next, uint32_t* out) {
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
  const V limit_a = hn::Sub(hn::LoadU(d, end), hn::Set(d, kStopBefore));
  const V limit_b = hn::Sub(hn::LoadU(d, end + n), hn::Set(d, kStopBefore));
  V pos_a = hn::LoadU(d, begin), pos_b = hn::LoadU(d, begin + n);
  V node_a = root, node_b = root;
  // Replaced by the first step of every lane.
  V last_unit_a = hn::Set(d, trie.first_token_unit), last_unit_b = last_unit_a;
  V last_end_a = pos_a, last_end_b = pos_b;
  V token_start_a = pos_a, token_start_b = pos_b;
  V out_index_a = pos_a, out_index_b = pos_b;
  V byte_a = hn::And(hn::GatherOffset(d, text32, hn::BitCast(di, pos_a)), low_byte);
  V byte_b = hn::And(hn::GatherOffset(d, text32, hn::BitCast(di, pos_b)), low_byte);

  // Each round moves every lane at most one byte forward, so kRounds rounds fit in the margin.
  const V rounds = hn::Set(d, kRounds);
  while (hn::AllTrue(d, hn::Lt(hn::Add(pos_a, rounds), limit_a)) &&
         hn::AllTrue(d, hn::Lt(hn::Add(pos_b, rounds), limit_b))) {
    for (uint32_t round = 0; round < kRounds; ++round) {
      step(pos_a, node_a, byte_a, last_unit_a, last_end_a, token_start_a, out_index_a);
      step(pos_b, node_b, byte_b, last_unit_b, last_end_b, token_start_b, out_index_b);
    }
  }
  hn::StoreU(token_start_a, d, start);
  hn::StoreU(token_start_b, d, start + n);
  hn::StoreU(out_index_a, d, next);
  hn::StoreU(out_index_b, d, next + n);
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
namespace rwkvtok {
namespace lanes {

HWY_EXPORT(LaneCountImpl);
HWY_EXPORT(TargetNameImpl);
HWY_EXPORT(WalkImpl);
HWY_EXPORT(ToIdsImpl);

size_t LaneCount() { return HWY_DYNAMIC_DISPATCH(LaneCountImpl)(); }

const char* TargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

void Walk(const Trie& trie, const uint8_t* text, const uint32_t* begin, const uint32_t* end,
          uint32_t* start, uint32_t* next, uint32_t* out) {
  HWY_DYNAMIC_DISPATCH(WalkImpl)(trie, text, begin, end, start, next, out);
}

void ToIds(const Trie& trie, uint32_t* values, size_t count) {
  HWY_DYNAMIC_DISPATCH(ToIdsImpl)(trie, values, count);
}

}  // namespace lanes
}  // namespace rwkvtok
#endif  // HWY_ONCE
