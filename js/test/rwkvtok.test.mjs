// The JavaScript package against the reference ids, the native library (through the rwkvtok
// command) and its own promises. Run with `node --test js/test/`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { World } from '../rwkvtok.mjs';
import { adversarialBytes, corpusFiles, generator, nativeCommand, root, runNative } from './support.mjs';

const tok = await World();
const native = nativeCommand();

test('the package version is the library version', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'js', 'package.json'), 'utf8'));
  assert.equal(pkg.version, tok.version);
  const header = readFileSync(path.join(root, 'lib', 'rwkvtok.h'), 'utf8');
  const part = (name) => header.match(new RegExp(`#define RWKVTOK_VERSION_${name} (\\d+)`))[1];
  assert.equal(tok.version, `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`);
});

test('constants', () => {
  assert.equal(tok.nVocab, 65536);
  assert.equal(tok.eotToken, 0);
  assert.equal(tok.maxTokenLength, 128);
  assert.deepEqual(tok.tokenBytes(0), new Uint8Array());
  assert.deepEqual(tok.tokenBytes(1), Uint8Array.of(0));
  assert.deepEqual(tok.tokenBytes(256), Uint8Array.of(255));
});

test('every public corpus file encodes to its reference ids and decodes back', (t) => {
  const files = corpusFiles('public');
  if (files.length === 0) {
    t.skip('no corpus (../shared/corpus/public or $RWKVTOK_CORPUS_DIR)');
    return;
  }
  for (const { name, text, ids } of files) {
    const got = tok.encode(text);
    assert.deepEqual(Array.from(got), ids, name);
    assert.equal(tok.count(text), ids.length, name);
    assert.deepEqual(Buffer.from(tok.decodeBytes(got)), text, name);
    const str = new TextDecoder('utf-8', { ignoreBOM: true }).decode(text);
    assert.equal(tok.decode(got), str, name);
    if (Buffer.from(str, 'utf8').equals(text)) {
      assert.deepEqual(tok.encode(str), got, `${name} as a string`);
    }
  }
});

test('strings are encoded as TextEncoder makes their UTF-8, lone surrogates as U+FFFD', () => {
  for (const text of ['', 'a', 'Hello, world!', '你好，世界', '🙂🙃 emoji', '\uD800', 'a\uDC00b',
    '\uFEFFbom', '\0\0\0', 'x'.repeat(1000)]) {
    assert.deepEqual(tok.encode(text), tok.encode(new TextEncoder().encode(text)), JSON.stringify(text));
  }
  assert.equal(tok.decode(tok.encode('\uD800x')), '\uFFFDx');
  assert.equal(tok.decode(tok.encode('\uFEFFbom')), '\uFEFFbom', 'a leading U+FEFF is kept');
});

test('encode takes a Uint8Array, a Buffer or an ArrayBuffer, byte for byte', () => {
  const bytes = Uint8Array.of(0xFF, 0xFE, 0x61, 0xE4, 0xBD, 0xA0, 0xC3);
  const ids = tok.encode(bytes);
  assert.deepEqual(tok.encode(Buffer.from(bytes)), ids);
  assert.deepEqual(tok.encode(bytes.buffer), ids);
  assert.deepEqual(tok.encode(new Uint8Array([9, ...bytes, 9]).subarray(1, 8)), ids);
  assert.deepEqual(tok.decodeBytes(ids), bytes);
});

test('random and adversarial bytes: the same ids as the native library, and back', (t) => {
  const random = generator(20261206);
  const cases = [];
  for (let i = 0; i < 150; ++i) cases.push(adversarialBytes(random, (id) => tok.tokenBytes(id)));
  for (const bytes of cases) assert.deepEqual(tok.decodeBytes(tok.encode(bytes)), bytes);
  if (native === null) {
    t.skip('no native rwkvtok command ($RWKVTOK_CLI, bazel-bin/tools/rwkvtok)');
    return;
  }
  for (const bytes of cases) {
    const expected = JSON.parse(runNative(['encode', '--format', 'json'], bytes).toString());
    assert.deepEqual(Array.from(tok.encode(bytes)), expected, Buffer.from(bytes).toString('hex'));
  }
});

test('random strings round trip', () => {
  const random = generator(7);
  const alphabet = ['a', ' ', 'the', 'é', 'ж', '你', '好', '🙂', '\n', 'ـ', '\u200d', '\uFEFF'];
  for (let i = 0; i < 300; ++i) {
    let text = '';
    for (let n = random(200); n > 0; --n) text += alphabet[random(alphabet.length)];
    assert.equal(tok.decode(tok.encode(text)), text);
    assert.equal(tok.count(text), tok.encode(text).length);
  }
});

test('decode has TextDecoder semantics', () => {
  const broken = [Uint8Array.of(0xFF), Uint8Array.of(0x61, 0xE4, 0xBD), Uint8Array.of(0xF0, 0x9F, 0x98, 0x41),
    Uint8Array.of(0xED, 0xA0, 0x80), Uint8Array.of(0xC0, 0xAF, 0x62), Uint8Array.of(0xF4, 0x90, 0x80, 0x80)];
  for (const bytes of broken) {
    const ids = tok.encode(bytes);
    assert.equal(tok.decode(ids), new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
    assert.equal(tok.decode(ids, { fatal: false }), tok.decode(ids));
    assert.throws(() => tok.decode(ids, { fatal: true }), TypeError);
  }
  assert.equal(tok.decode(tok.encode('ok'), { fatal: true }), 'ok');
});

test('ids may be any array or typed array of integers', () => {
  const ids = tok.encode('Hello, world! 你好');
  const expected = 'Hello, world! 你好';
  for (const form of [ids, Array.from(ids), new Uint16Array(ids), new Int32Array(ids),
    new Float64Array(0).length === 0 ? Array.from(ids, (id) => BigInt(id)) : null,
    new Set(ids).size === ids.length ? new Set(ids) : Array.from(ids)]) {
    assert.equal(tok.decode(form), expected);
  }
  assert.equal(tok.decode([]), '');
  assert.equal(tok.decode([0, 0]), '', 'id 0 decodes to nothing');
  assert.deepEqual(tok.decodeBytes(new Uint8Array([2, 3])), Uint8Array.of(1, 2));
});

test('every bad input kind throws the right error', () => {
  const invalidId = (id, position) => ({
    name: 'RangeError',
    message: new RegExp(`^invalid token id ${String(id).replace(/[.+]/g, '\\$&')} at position ${position}:`),
  });
  for (const text of [undefined, null, 12, {}, [1, 2], new Uint16Array(2), Symbol('s')]) {
    assert.throws(() => tok.encode(text), TypeError);
    assert.throws(() => tok.count(text), TypeError);
  }
  for (const ids of ['abc', 12, null, undefined, new DataView(new ArrayBuffer(4)), { length: -1 },
    { length: 1.5, 0: 73 }, { length: NaN }, { length: null }, {}]) {
    assert.throws(() => tok.decode(ids), TypeError);
    assert.throws(() => tok.decodeBytes(ids), TypeError);
  }
  assert.throws(() => tok.decode([1, 'a']), TypeError);
  assert.throws(() => tok.decode([1, {}]), TypeError);
  assert.throws(() => tok.decode([1, null]), TypeError);
  assert.throws(() => tok.decode([1, 2, 65530]), invalidId(65530, 2));
  assert.throws(() => tok.decode(Uint32Array.of(65535)), invalidId(65535, 0));
  assert.throws(() => tok.decode(Uint32Array.of(3, 0xFFFFFFFF)), invalidId(4294967295, 1));
  assert.throws(() => tok.decode([-1]), invalidId(-1, 0));
  assert.throws(() => tok.decode(Int32Array.of(5, -7)), invalidId(-7, 1));
  assert.throws(() => tok.decode([1.5]), invalidId(1.5, 0));
  assert.throws(() => tok.decode(Float64Array.of(300, 1.5)), invalidId(1.5, 1));
  assert.equal(tok.decode(Float32Array.of(33155)), 'Hello');
  assert.throws(() => tok.decode({ length: 2 ** 31 }), RangeError, 'too many ids, before any memory');
  assert.throws(() => tok.decode(new Array(2 ** 30 + 1)), RangeError);
  assert.throws(() => tok.decode([NaN]), invalidId(NaN, 0));
  assert.throws(() => tok.decode([2 ** 32]), invalidId(4294967296, 0));
  assert.throws(() => tok.decode([1e300]), invalidId(1e+300, 0));
  assert.throws(() => tok.decode([2n ** 64n]), invalidId(18446744073709551616n, 0));
  assert.throws(() => tok.decodeBytes([65530]), invalidId(65530, 0));
  assert.throws(() => tok.tokenBytes(65530), invalidId(65530, 0));
  assert.throws(() => tok.tokenBytes(-1), invalidId(-1, 0));
  assert.throws(() => tok.tokenBytes('1'), TypeError);
  assert.throws(() => tok.truncate('abc', -1), RangeError);
  assert.throws(() => tok.truncate('abc', '2'), TypeError);
  assert.throws(() => tok.truncate('abc', NaN), { name: 'TypeError', message: 'maxTokens must be a number, not NaN' });
  assert.throws(() => tok.truncate(5, 2), TypeError);
  assert.throws(() => tok.streamDecoder({ stopIds: [1, 2, 3, 4, 5, 6, 7, 8, 9] }), RangeError);
  assert.throws(() => tok.streamDecoder({ stopIds: [-1] }), invalidId(-1, 0));
  assert.throws(() => tok.streamDecoder({ stopIds: ['a'] }), TypeError);
  assert.throws(() => tok.streamDecoder({ stopIds: 0 }), TypeError);
  assert.throws(() => tok.encode(new Proxy(new Uint8Array(4), {})), TypeError);
  const dec = tok.streamDecoder();
  dec.push(33);
  assert.throws(() => dec.push(65530), invalidId(65530, 1));
  assert.throws(() => dec.push(-2), invalidId(-2, 1));
  assert.throws(() => dec.push('1'), TypeError);
  assert.equal(dec.push(34), '!', 'a rejected push changes nothing');
});

test('arguments that lie about themselves cannot reach outside their memory', () => {
  const invalidIdAt = (position) => ({ name: 'RangeError', message: new RegExp(` at position ${position}:`) });
  const memory = () => tok._core.m.HEAPU8.length;
  const before = memory();
  // A typed array whose length getter lies: its real contents count.
  class Short extends Uint8Array { get length() { return 1; } }
  const text = Buffer.from('Hello, world! '.repeat(20));
  assert.deepEqual(tok.encode(Short.from(text)), tok.encode(text));
  class Empty extends Uint32Array { get length() { return 0; } }
  assert.equal(tok.decode(Empty.from(tok.encode(text))), text.toString());
  // An element whose getter calls the tokenizer (and grows its memory) while the ids are read.
  const ids = Array.from(tok.encode('Hello, world!'));
  Object.defineProperty(ids, 0, { get() { tok.count('x'.repeat(3e6)); return 33155; } });
  assert.equal(tok.decode(ids), 'Hello, world!');
  const proxied = new Proxy(Array.from(tok.encode('Hello, world!')), {
    get(target, key) { if (key === '1') tok.encode('y'.repeat(1e5)); return target[key]; },
  });
  assert.equal(tok.decode(proxied), 'Hello, world!');
  // A sparse array too long for the module: refused before any of it is copied.
  const sparse = new Array(2 ** 30 + 1);
  sparse.fill(300, 0, 1000);
  assert.throws(() => tok.decode(sparse), RangeError);
  // Typed arrays that claim another type: their own type counts.
  const floats = Float64Array.of(33155.9, 1.5);
  Object.setPrototypeOf(floats, Uint32Array.prototype);
  assert.throws(() => tok.decode(floats), invalidIdAt(0));
  const negative = Int32Array.of(-1);
  Object.setPrototypeOf(negative, Uint16Array.prototype);
  assert.throws(() => tok.decode(negative), invalidIdAt(0));
  const wide = Uint16Array.of(0x6548);
  Object.defineProperty(wide, 'BYTES_PER_ELEMENT', { value: 1 });
  assert.throws(() => tok.encode(wide), TypeError);
  const narrow = new Uint8Array(Buffer.from('Hello'));
  Object.defineProperty(narrow, 'BYTES_PER_ELEMENT', { value: 2 });
  assert.deepEqual(tok.encode(narrow), Uint32Array.of(33155));
  assert.ok(memory() >= before);
  assert.equal(tok.decode([33155]), 'Hello');
});

test('truncate of bytes gives a copy of the same type', () => {
  const buffer = Buffer.from('Hello world');
  const prefix = tok.truncate(buffer, 1);
  assert.ok(Buffer.isBuffer(prefix));
  assert.equal(prefix.toString(), 'Hello');
  prefix[0] = 0;
  assert.equal(buffer[0], 0x48, 'the input is untouched');
  const fromArrayBuffer = tok.truncate(new TextEncoder().encode('Hello world').buffer, 1);
  assert.ok(fromArrayBuffer instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(fromArrayBuffer), 'Hello');
});

test('the strict stream decoder reports what it drops', () => {
  const dec = tok.streamDecoder({ fatal: true });
  assert.equal(dec.push(0xF0 + 1), '');
  assert.equal(dec.push(0x9F + 1), '');
  assert.throws(() => dec.push(0), TypeError, 'a stop inside a character');
  assert.equal(dec.stopped, true);
  assert.equal(dec.push(98), 'a', 'a new text after the stop');
  assert.equal(dec.push(0xC3 + 1), '');
  assert.throws(() => dec.push(2412), (error) => error instanceof TypeError && typeof error.text === 'string');
  assert.throws(() => dec.push(65530), { name: 'RangeError', message: /at position 0:/ },
    'positions count from the new text after invalid UTF-8');
  assert.equal(dec.finish(), '');
});

test('truncate gives the longest prefix within the budget, whole characters for strings', () => {
  const texts = ['Hello, world! 你好世界 🙂🙂 and more text', 'x'.repeat(500), '你'.repeat(40),
    '🙂a🙂b🙂c\uD800d', ''];
  for (const text of texts) {
    const ids = tok.encode(text);
    for (let budget = 0; budget <= ids.length + 1; ++budget) {
      const prefix = tok.truncate(text, budget);
      assert.ok(text.startsWith(prefix));
      assert.ok(tok.count(prefix) <= budget);
      const splitsPair = /[\uD800-\uDBFF]$/.test(prefix) &&
        /^[\uDC00-\uDFFF]/.test(text.slice(prefix.length));
      assert.ok(!splitsPair, 'no half of a surrogate pair');
      if (budget >= ids.length) assert.equal(prefix, text);
      const bytes = new TextEncoder().encode(text);
      const bytePrefix = tok.truncate(bytes, budget);
      assert.ok(bytePrefix instanceof Uint8Array);
      assert.ok(tok.count(bytePrefix) <= budget);
      assert.deepEqual(Array.from(tok.encode(bytePrefix)), Array.from(ids.subarray(0, tok.count(bytePrefix))));
    }
    assert.equal(tok.truncate(text, Infinity), text);
  }
  // A budget that ends inside a character: the prefix stops before it.
  const emoji = '🙂'.repeat(3);
  const one = tok.encode(emoji);
  for (let budget = 0; budget < one.length; ++budget) {
    const prefix = tok.truncate(emoji, budget);
    assert.equal(prefix.length % 2, 0);
  }
});

test('the stream decoder gives what the native one gives, and what decode gives', (t) => {
  const random = generator(31337);
  const sequences = [];
  for (let i = 0; i < 60; ++i) {
    const ids = [];
    for (let n = random(120); n > 0; --n) {
      // Byte tokens (often parts of characters), common tokens and end-of-text.
      const pick = random(10);
      ids.push(pick < 4 ? 1 + random(256) : pick < 9 ? 257 + random(65273) : 0);
    }
    sequences.push(ids);
  }
  sequences.push(Array.from(tok.encode('你好 🙂 world')));
  for (const ids of sequences) {
    for (const fatal of [false, true]) {
      const dec = tok.streamDecoder({ fatal });
      let text = '';
      let failed = false;
      for (const id of ids) {
        try {
          text += dec.push(id);
        } catch (error) {
          assert.ok(fatal && error instanceof TypeError);
          failed = true;
        }
      }
      try {
        text += dec.finish();
      } catch (error) {
        assert.ok(fatal && error instanceof TypeError);
        failed = true;
      }
      if (!fatal) {
        // Id 0 ends a text; the texts are decoded one by one.
        const texts = [];
        let start = 0;
        ids.forEach((id, i) => {
          if (id === 0) { texts.push(ids.slice(start, i)); start = i + 1; }
        });
        texts.push(ids.slice(start));
        assert.equal(text, texts.map((part) => tok.decode(part)).join(''));
        if (native !== null) {
          const expected = runNative(['decode', '--utf8', 'replace'], ids.join('\n')).toString('utf8');
          assert.equal(text, expected, ids.join(' '));
        }
      } else if (!failed) {
        assert.equal(text, tok.decode(ids.filter((id) => id !== 0)));
      }
    }
  }
  if (native === null) t.skip('no native rwkvtok command for the differential part');
});

test('the stream decoder holds back split characters and stops at stop ids', () => {
  const dec = tok.streamDecoder({ stopIds: [0, 11] });
  const bytes = new TextEncoder().encode('你');
  assert.equal(dec.push(bytes[0] + 1), '');
  assert.equal(dec.push(bytes[1] + 1), '');
  assert.equal(dec.stopped, false);
  assert.equal(dec.push(bytes[2] + 1), '你');
  assert.equal(dec.push(bytes[0] + 1), '');
  assert.equal(dec.push(11), '\uFFFD', 'a stop flushes what is held back');
  assert.equal(dec.stopped, true);
  assert.equal(dec.push(98), 'a');
  assert.equal(dec.stopped, false);
  assert.equal(dec.finish(), '');
  assert.equal(dec.push(0), '');
  assert.equal(dec.finish(), '');
  assert.equal(dec.stopped, true, 'finish leaves stopped as the last push set it');
  const none = tok.streamDecoder({ stopIds: [] });
  assert.equal(none.push(0), '');
  assert.equal(none.stopped, false);
});

test('works in worker threads, each with its own module', async () => {
  const source = `
    import { parentPort, workerData } from 'node:worker_threads';
    import { World } from ${JSON.stringify(new URL('../rwkvtok.mjs', import.meta.url).href)};
    const tok = await World();
    parentPort.postMessage(Array.from(tok.encode(workerData)));`;
  const text = 'Workers encode too: 你好 🙂 '.repeat(50);
  const runs = await Promise.all([0, 1, 2].map(() => new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`),
      { workerData: text });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  for (const ids of runs) assert.deepEqual(ids, Array.from(tok.encode(text)));
});

test('array buffers of another realm are text; imitations of one are not', async () => {
  const vm = await import('node:vm');
  const foreign = vm.runInNewContext('const a = new ArrayBuffer(2); new Uint8Array(a).set([104, 105]); a');
  assert.deepEqual(tok.encode(foreign), tok.encode('hi'));
  assert.equal(tok.count(foreign), 1);
  assert.deepEqual(tok.truncate(foreign, 1), Uint8Array.of(104, 105));
  for (const fake of [new Proxy(new ArrayBuffer(2), {}), Object.create(ArrayBuffer.prototype)]) {
    assert.throws(() => tok.encode(fake), TypeError);
    assert.throws(() => tok.count(fake), TypeError);
  }
});

test('decoding more bytes than the first guess of their size', () => {
  // 13.5 million ids of 'Hello' (5 bytes): 67.5 MB, more than the 64 MB guessed first.
  const ids = new Uint32Array(13_500_000).fill(33155);
  const bytes = tok.decodeBytes(ids);
  assert.equal(bytes.length, 5 * ids.length);
  assert.deepEqual(bytes.subarray(bytes.length - 10), new TextEncoder().encode('HelloHello'));
});

test('memory does not grow over 100,000 calls', () => {
  const memory = () => tok._core.m.HEAPU8.length;
  const text = 'A text of some length, 你好 🙂 '.repeat(40);
  const ids = tok.encode(text);
  const calls = () => {
    tok.encode(text);
    tok.decode(ids);
    tok.count(text);
  };
  for (let i = 0; i < 1000; ++i) calls();
  const before = memory();
  const probe = tok._core.m._malloc(1 << 16);
  tok._core.m._free(probe);
  for (let i = 0; i < 33334; ++i) calls();
  assert.equal(memory(), before);
  // Freed memory is handed out again: nothing was kept.
  const again = tok._core.m._malloc(1 << 16);
  tok._core.m._free(again);
  assert.equal(again, probe);
});

// --- What mutation testing found no test for.

const invalidIdError = (id, position) => ({
  name: 'RangeError',
  message: new RegExp(`^invalid token id ${String(id).replace(/[.+]/g, '\\$&')} at position ${position}:`),
});

test('an invalid id is named by its position, not by the bytes before it', () => {
  assert.throws(() => tok.decode([33155, 65530]), invalidIdError(65530, 1));
  // The JavaScript checks run over all ids (types first) before the library judges them.
  assert.throws(() => tok.decode([0xFFFFFFFF, 'a']), TypeError);
  assert.throws(() => tok.decode([0xFFFFFFFF, 1.5]), invalidIdError(1.5, 1));
});

test('truncate counts UTF-8 bytes of every width, and rounds a budget down', () => {
  assert.equal(tok.truncate('\u0080\u0080', 1), '\u0080');
  assert.equal(tok.truncate('\u0800\u0800', tok.count('\u0800')), '\u0800');
  assert.equal(tok.truncate('\uDC00\uDC00x', tok.count('\uDC00\uDC00')), '\uDC00\uDC00');
  assert.equal(tok.truncate('Hello world', 1.5), 'Hello');
  // Bytes are cut where tokens end, characters or not.
  const bytes = new TextEncoder().encode('🙂🙂🙂');
  for (let budget = 0; budget <= tok.encode(bytes).length; ++budget) {
    assert.equal(tok.count(tok.truncate(bytes, budget)), budget);
  }
});

test('Int8Array and Uint8ClampedArray are text', () => {
  assert.deepEqual(tok.encode(Int8Array.of(-28, -67, -96)), tok.encode('你'));
  assert.deepEqual(tok.encode(Uint8ClampedArray.of(0xE4, 0xBD, 0xA0)), tok.encode('你'));
});

test('stop ids: eight are allowed, each decoder keeps its own, none past 32 bits', () => {
  const eight = tok.streamDecoder({ stopIds: [1, 2, 3, 4, 5, 6, 7, 8] });
  eight.push(8);
  assert.equal(eight.stopped, true);
  tok.streamDecoder({ stopIds: [35] });
  const own = tok.streamDecoder({ stopIds: [34] });
  assert.equal(own.push(34), '');
  assert.equal(own.stopped, true);
  assert.equal(own.push(35), '"');
  assert.throws(() => tok.streamDecoder({ stopIds: [2 ** 32] }), invalidIdError(4294967296, 0));
});

test('a stream decoder checks each id itself, and finish restarts its positions', () => {
  assert.throws(() => tok.streamDecoder().push(1.5), invalidIdError(1.5, 0));
  assert.throws(() => tok.streamDecoder().push(2 ** 32), invalidIdError(4294967296, 0));
  const dec = tok.streamDecoder();
  dec.push(33);
  dec.finish();
  assert.throws(() => dec.push(65530), invalidIdError(65530, 0));
});

test('a text of more ids than half its bytes', () => {
  const big = new Uint8Array(3 << 20);
  for (let i = 0; i < big.length; ++i) big[i] = (Math.imul(i, 2654435761) >>> 13) & 0xFF;
  const ids = tok.encode(big);
  assert.ok(ids.length > big.length / 2);
  assert.equal(ids.length, tok.count(big));
  assert.deepEqual(tok.decodeBytes(ids), big);
});
