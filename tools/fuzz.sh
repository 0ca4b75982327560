#!/usr/bin/env bash
# Builds the fuzz targets of tests/fuzz with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for SECONDS (default 60), two at a time.
#
#   tools/fuzz.sh            # 60 s per target, as CI runs it
#   tools/fuzz.sh 3600       # an hour per target
#   tools/fuzz.sh 600 vocab  # only some targets: encode decode blob compact_blob vocab jsonl
#                            # dataset
#
# Seeds: tests/fuzz/inputs/<target>, the shared corpus when it is beside the checkout, and small
# vocabularies and blobs made here. New inputs the fuzzers find interesting stay in the work
# directory ($RWKVTOK_FUZZ_DIR, default /tmp/rwkvtok-fuzz) and seed the next run. A finding stops
# its target, is saved there as findings/<target>-crash-..., and makes this script fail: copy it to
# tests/fuzz/inputs/<target>/ so that `bazel test //tests/fuzz:<target>_fuzz` replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(encode decode blob compact_blob vocab jsonl dataset)
work="${RWKVTOK_FUZZ_DIR:-/tmp/rwkvtok-fuzz}"
corpus="../shared/corpus/public"
vocab="third_party/rwkv_vocab/rwkv_vocab_v20230424.txt"
mkdir -p "$work/bin" "$work/seeds" "$work/findings"

# The generated World arrays and the small blob come from the Bazel build.
bazel build //lib:world_blob //tests/fuzz:small_blob //tests/fuzz:small_compact_blob \
  //tools:rwkvtok_gen
generated="$(bazel info bazel-bin 2>/dev/null)"

flags=(-std=c++17 -O1 -g -I. -I"$generated" -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -fno-omit-frame-pointer -DRWKVTOK_LANES=1)
# The library's sources, as lib/sources.bzl lists them for every build.
lib=($(python3 -c 'import ast
for node in ast.parse(open("lib/sources.bzl").read()).body:
    if getattr(node, "targets", None) and node.targets[0].id in ("LIB_SRCS", "LANES_SRCS"):
        print(" ".join("lib/" + name for name in ast.literal_eval(node.value)))'))
tools_lib=(tools/vocab.cc tools/blob_builder.cc)
for target in "${targets[@]}"; do
  defines=()
  case "$target" in
    encode|decode|blob) sources=("${lib[@]}") ;;
    compact_blob) sources=("${lib[@]}") defines=(-DRWKVTOK_FUZZ_COMPACT) ;;
    vocab) sources=("${lib[@]}" "${tools_lib[@]}") ;;
    jsonl) sources=(tools/binidx/jsonl.cc tools/binidx/utf8.cc lib/targets.cc) ;;
    dataset) sources=(tools/binidx/dataset.cc tools/cli/error.cc) ;;
    *) echo "unknown fuzz target: $target (encode decode blob compact_blob vocab jsonl dataset)" >&2
       exit 2 ;;
  esac
  source="tests/fuzz/${target}_fuzz.cc"
  [ "$target" = compact_blob ] && source=tests/fuzz/blob_fuzz.cc
  echo "building ${target}_fuzz"
  clang++ "${flags[@]}" "${defines[@]}" "${sources[@]}" "$source" \
    -o "$work/bin/${target}_fuzz"
done

# Seeds made from the shared corpus (when present) and from the vocabulary, in 4 KB pieces.
seeds="$work/seeds"
rm -rf "${seeds:?}"/*
mkdir -p "$seeds/encode" "$seeds/decode" "$seeds/blob" "$seeds/compact_blob" "$seeds/vocab" \
  "$seeds/jsonl" "$seeds/dataset"
if [ -d "$corpus" ]; then
  for text in "$corpus"/*.txt; do
    split -b 4096 -a 3 "$text" "$seeds/encode/$(basename "$text" .txt)-"
  done
  # Decode inputs: an id-type byte, a capacity byte, then the reference ids as 16-bit LE.
  python3 - "$corpus" "$seeds/decode" <<'PY'
import pathlib, struct, sys
corpus, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for n, path in enumerate(sorted(corpus.glob("*.ids"))):
    ids = [int(line) for line in path.read_text().split()][:1500]
    head = bytes([n % 3, (n * 37) % 256])
    (out / path.stem).write_bytes(head + b"".join(struct.pack("<H", i) for i in ids))
PY
fi
cp "$generated/tests/fuzz/small_blob_input_plain" "$generated/tests/fuzz/small_blob_input_forged" \
   "$seeds/blob/"
cp "$generated/tests/fuzz/small_compact_input_plain" \
   "$generated/tests/fuzz/small_compact_input_forged" "$seeds/compact_blob/"
cp tests/fuzz/small_vocab.txt "$seeds/vocab/"
if [ -f "$vocab" ]; then
  # Pieces of the real vocabulary, and small vocabularies of the byte tokens plus a slice of it.
  split -l 60 -a 4 "$vocab" "$seeds/vocab/world-"
  for start in 257 3000 20000 40000 60000; do
    { head -n 256 "$vocab"; sed -n "${start},$((start + 40))p" "$vocab"; } > "$seeds/vocab/bytes_plus_$start"
    "$generated/tools/rwkvtok_gen" "$seeds/vocab/bytes_plus_$start" --blob "$work/small.bin" >/dev/null
    for mode in '\000' '\003'; do
      { printf "$mode"; cat "$work/small.bin"; } > "$seeds/blob/bytes_plus_${start}_$mode"
    done
  done
  rm -f "$work/small.bin"
fi

run() {
  local target="$1"
  local dirs=("$work/corpus/$target" "$seeds/$target")
  mkdir -p "${dirs[@]}"
  [ -d "tests/fuzz/inputs/$target" ] && dirs+=("tests/fuzz/inputs/$target")
  "$work/bin/${target}_fuzz" "${dirs[@]}" \
    -max_total_time="$seconds" -max_len=8192 -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$work/findings/$target-" \
    >"$work/$target.log" 2>&1
}

status=0
pids=()
names=()
for target in "${targets[@]}"; do
  run "$target" &
  pids+=($!)
  names+=("$target")
  if [ ${#pids[@]} -ge 2 ]; then
    if wait "${pids[0]}"; then echo "${names[0]}: no finding"; else echo "${names[0]}: FINDING"; status=1; fi
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then echo "${names[$i]}: no finding"; else echo "${names[$i]}: FINDING"; status=1; fi
done
for target in "${targets[@]}"; do
  grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$work/$target.log" | tr '\n' ' ' |
    sed "s/^/$target: /"
  echo
done
if [ "$status" -ne 0 ]; then
  echo "fuzzing found problems; logs in $work/*.log, inputs in $work/findings/" >&2
  for target in "${targets[@]}"; do tail -n 40 "$work/$target.log" >&2; done
fi
exit "$status"
