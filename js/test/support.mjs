// What the tests share: where the corpus and the native command are, a seeded generator, and a
// way to run the command on bytes.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The corpus kept beside the checkout: $RWKVTOK_CORPUS_DIR, else ../shared/corpus.
export function corpusDir(part) {
  const base = process.env.RWKVTOK_CORPUS_DIR || path.join(root, '..', 'shared', 'corpus');
  const dir = path.join(base, part);
  return existsSync(dir) ? dir : null;
}

// The corpus's texts with their reference ids (one decimal per line).
export function corpusFiles(part) {
  const dir = corpusDir(part);
  if (dir === null) return [];
  return readdirSync(dir).filter((name) => name.endsWith('.txt')).sort()
    .filter((name) => existsSync(path.join(dir, name.replace(/\.txt$/, '.ids'))))
    .map((name) => ({
      name,
      text: readFileSync(path.join(dir, name)),
      ids: readFileSync(path.join(dir, name.replace(/\.txt$/, '.ids')), 'utf8')
        .split('\n').filter((line) => line !== '').map(Number),
    }));
}

// The native command, for differential tests: $RWKVTOK_CLI, else the Bazel or CMake build's.
export function nativeCommand() {
  const candidates = [process.env.RWKVTOK_CLI, path.join(root, 'bazel-bin', 'tools', 'rwkvtok'),
    path.join(root, 'build', 'host', 'rwkvtok')];
  return candidates.find((file) => file && existsSync(file)) || null;
}

export function runNative(args, input) {
  return execFileSync(nativeCommand(), args, { input, maxBuffer: 1 << 30 });
}

// xorshift32: the same cases on every run.
export function generator(seed) {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

// Bytes that stress the walk: random bytes, near misses of long tokens, broken UTF-8, long runs.
export function adversarialBytes(random, tokenBytes) {
  const parts = [];
  const pieces = 1 + random(12);
  for (let p = 0; p < pieces; ++p) {
    switch (random(6)) {
      case 0: {
        const run = new Uint8Array(1 + random(64));
        for (let i = 0; i < run.length; ++i) run[i] = random(256);
        parts.push(run);
        break;
      }
      case 1: {  // a token, cut short or with one byte changed
        const token = tokenBytes(1 + random(65529)).slice();
        if (token.length > 1 && random(2) === 0) parts.push(token.subarray(0, random(token.length)));
        else {
          token[random(token.length)] ^= 1 << random(8);
          parts.push(token);
        }
        break;
      }
      case 2:  // broken UTF-8: lone continuations, truncated leads, overlongs, surrogates
        parts.push(Uint8Array.of(...[[0x80], [0xC3], [0xE4, 0xBD], [0xF0, 0x9F, 0x98], [0xC0, 0xAF],
          [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF]][random(8)]));
        break;
      case 3:
        parts.push(new Uint8Array(1 + random(300)).fill([0x20, 0x0A, 0x61, 0xE4, 0x3D][random(5)]));
        break;
      default:
        parts.push(new TextEncoder().encode(['the ', '你好', 'Привет ', '\n\n', '🙂', '    ', 'ـ'][random(7)]));
    }
  }
  const size = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
