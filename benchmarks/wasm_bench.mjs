// The JavaScript package's speed in Node, against the native library in the same run, and the
// WebAssembly SIMD128 lanes against the plain walk they would replace.
//
//   tools/build_js.sh                    # js/dist: the package's module
//   tools/build_js.sh --simd             # build/js/simd: a module with the lanes, for comparison
//   bazel build -c opt //benchmarks:encode_bench
//   node benchmarks/wasm_bench.mjs [BENCH_DIR]
//
// BENCH_DIR defaults to ../shared/corpus/bench (or $RWKVTOK_CORPUS_DIR/bench). Figures are MB/s of
// input, one thread, the best of several runs. "encode" is the package's tok.encode (the text
// copied in, the ids copied out); "plain" and the lanes (each kernel: lib/tuning.h) call the
// module directly on text already in its memory. The native figures are BM_EncodePlain and BM_Encode of encode_bench, run after.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { World } from '../js/rwkvtok.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = process.argv[2] ||
  path.join(process.env.RWKVTOK_CORPUS_DIR || path.join(root, '..', 'shared', 'corpus'), 'bench');
const files = readdirSync(benchDir).filter((name) => name.endsWith('.txt')).sort();

function best(run, repeats = 7) {
  let seconds = Infinity;
  for (let i = 0; i < repeats; ++i) {
    const start = process.hrtime.bigint();
    run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return seconds;
}

async function loadSimd() {
  const dir = path.join(root, 'build', 'js', 'simd');
  if (!existsSync(path.join(dir, 'rwkvtok_wasm.mjs'))) return null;
  const { default: create } = await import(path.join(dir, 'rwkvtok_wasm.mjs'));
  return create({ wasmBinary: readFileSync(path.join(dir, 'rwkvtok_wasm.wasm')) });
}

function nativeFigures() {
  const bench = path.join(root, 'bazel-bin', 'benchmarks', 'encode_bench');
  if (!existsSync(bench)) return null;
  const out = execFileSync(bench, ['--benchmark_filter=^BM_Encode(Plain)?/', '--benchmark_format=json',
    '--benchmark_min_time=0.5'], { maxBuffer: 1 << 26 }).toString();
  const figures = {};
  for (const b of JSON.parse(out).benchmarks) figures[b.name] = b.bytes_per_second / 1e6;
  return figures;
}

const tok = await World();
const simd = await loadSimd();
const cpu = os.cpus()[0].model;
console.log(`CPU: ${cpu}; Node ${process.versions.node}; rwkvtok ${tok.version}` +
  (simd ? `; lanes module: ${(() => {
    const p = simd._rwkvtok_bench_lanes_target();
    let e = p; while (simd.HEAPU8[e]) ++e;
    return new TextDecoder().decode(simd.HEAPU8.subarray(p, e));
  })()}` : ''));
const rows = [];
for (const name of files) {
  const text = readFileSync(path.join(benchDir, name));
  const mb = text.length / 1e6;
  const row = { name: name.replace(/\.txt$/, ''), encode: mb / best(() => tok.encode(text)) };
  if (simd) {
    const input = simd._malloc(text.length);
    const ids = simd._malloc(4 * text.length);
    const tokPointer = simd._malloc(64);
    const result = simd._malloc(8);
    simd._rwkvtok_world(tokPointer);
    simd.HEAPU8.set(text, input);
    let plainCount = 0;
    row.plain = mb / best(() => {
      simd._rwkvtok_js_encode(tokPointer, input, text.length, ids, text.length, result);
      plainCount = simd.HEAPU32[result >>> 2];
    });
    const plainIds = simd.HEAPU32.slice(ids >>> 2, (ids >>> 2) + plainCount);
    for (const [kernel, windows] of [['lanes', 0], ['windows', 1]]) {
      let lanesCount = 0;
      row[kernel] = mb / best(() => {
        lanesCount = simd._rwkvtok_bench_encode_in_lanes(input, text.length, ids, windows);
      });
      const lanesIds = simd.HEAPU32.subarray(ids >>> 2, (ids >>> 2) + lanesCount);
      if (lanesCount !== plainCount || !lanesIds.every((id, i) => id === plainIds[i])) {
        throw new Error(`${name}: the ${kernel} kernel's ids differ from the plain walk's`);
      }
    }
    for (const p of [input, ids, tokPointer, result]) simd._free(p);
  }
  rows.push(row);
}
const native = nativeFigures();
const header = ['file', 'Node encode'];
if (simd) header.push('wasm plain', 'SIMD128 lanes, gathers', '/ plain', 'SIMD128 lanes, windows', '/ plain');
if (native) header.push('native EncodePlain', 'native Encode', 'Node / native Encode');
console.log(`\n| ${header.join(' | ')} |\n|${header.map((_, i) => (i ? '--:' : '---')).join('|')}|`);
for (const row of rows) {
  const cells = [row.name, row.encode.toFixed(0)];
  if (simd) {
    cells.push(row.plain.toFixed(0), row.lanes.toFixed(0), `${(row.lanes / row.plain).toFixed(2)}x`,
      row.windows.toFixed(0), `${(row.windows / row.plain).toFixed(2)}x`);
  }
  if (native) {
    const plain = native[`BM_EncodePlain/${row.name}`];
    const encode = native[`BM_Encode/${row.name}`];
    cells.push(plain ? plain.toFixed(0) : '–', encode ? encode.toFixed(0) : '–',
      encode ? `${(row.encode / encode).toFixed(2)}x` : '–');
  }
  console.log(`| ${cells.join(' | ')} |`);
}
