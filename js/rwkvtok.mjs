// rwkvtok for JavaScript: the RWKV World tokenizer compiled to WebAssembly, for Node, browsers and
// workers. A thin layer over the C API (lib/rwkvtok.h): it moves text and ids in and out of the
// module's memory and turns statuses into exceptions. rwkvtok.d.mts documents every function.

import createRwkvtokModule from './dist/rwkvtok_wasm.mjs';

// Statuses of lib/rwkvtok.h.
const OK = 0;
const BUFFER_TOO_SMALL = 1;
const INVALID_ID = 2;
const INVALID_UTF8 = 10;
const STOPPED = 11;
const UTF8_REPLACE = 0;
const UTF8_STRICT = 1;

// Sizes of lib/rwkvtok.h, checked against the module when it loads.
const TOKENIZER_SIZE = 64;  // RWKVTOK_TOKENIZER_SIZE
const DECODER_SIZE = 128;   // RWKVTOK_DECODER_SIZE
const DECODER_MAX_OUTPUT = 774;  // RWKVTOK_DECODER_MAX_OUTPUT
const MAX_STOP_IDS = 8;     // RWKVTOK_MAX_STOP_IDS
const MAX_SIZE = 0xFFFFFFFF;  // size_t in 32-bit WebAssembly

const utf8Encoder = new TextEncoder();
// Decoders that keep a leading U+FEFF: it is part of the text the ids spell.
const utf8Decoders = {
  replace: new TextDecoder('utf-8', { ignoreBOM: true }),
  fatal: new TextDecoder('utf-8', { ignoreBOM: true, fatal: true }),
};

let loading = null;

// The module and the memory every call shares, made once per JavaScript realm (each worker has
// its own): calls never overlap within one, so one scratch area serves them all.
async function load() {
  const options = {};
  if (typeof process === 'object' && process.versions && process.versions.node) {
    // Node: the loader's own fetch of a file URL fails there, so hand it the bytes.
    const { readFile } = await import('node:fs/promises');
    options.wasmBinary = await readFile(new URL('./dist/rwkvtok_wasm.wasm', import.meta.url));
  }
  const m = await createRwkvtokModule(options);
  if (!m._rwkvtok_js_abi_matches(TOKENIZER_SIZE, DECODER_SIZE, DECODER_MAX_OUTPUT, MAX_STOP_IDS)) {
    throw new Error('rwkvtok: dist/rwkvtok_wasm.wasm was built from another version of the library');
  }
  const tok = m._malloc(TOKENIZER_SIZE);
  const result = m._malloc(8);  // count and position of an rwkvtok_result
  const decoder = m._malloc(DECODER_SIZE);
  const decoderOut = m._malloc(DECODER_MAX_OUTPUT);
  const stopIds = m._malloc(4 * MAX_STOP_IDS);
  if (!tok || !result || !decoder || !decoderOut || !stopIds) {
    throw new Error('rwkvtok: out of WebAssembly memory');
  }
  m._rwkvtok_world(tok);
  return {
    m, tok, result, decoder, decoderOut, stopIds,
    tokenCount: m._rwkvtok_token_count(tok),
    maxTokenLength: m._rwkvtok_max_token_length(tok),
    version: cString(m, m._rwkvtok_version()),
  };
}

function cString(m, pointer) {
  let end = pointer;
  while (m.HEAPU8[end] !== 0) ++end;
  return utf8Decoders.replace.decode(m.HEAPU8.subarray(pointer, end));
}

/** The built-in World vocabulary: `const tok = await World()`. */
export async function World() {
  if (loading === null) {
    loading = load();
    loading.catch(() => { loading = null; });  // a failed load may be tried again
  }
  return new Tokenizer(await loading);
}

// The most one allocation may ask for: the module's memory is at most 2 GiB, and sizes are
// 32-bit inside it.
const MAX_ALLOCATION = 2 ** 31 - 2 ** 16;

// `bytes` of the module's memory, or 0 if it cannot have them.
function tryAllocate(core, bytes) {
  return bytes <= MAX_ALLOCATION ? core.m._malloc(Math.max(bytes, 1)) : 0;
}

function allocate(core, bytes, advice = 'encode a text this long in parts') {
  const pointer = tryAllocate(core, bytes);
  if (pointer === 0) {
    throw new RangeError(`rwkvtok: cannot allocate ${bytes} bytes of WebAssembly memory ` +
      `(it holds at most 2 GiB: ${advice})`);
  }
  return pointer;
}

function statusError(core, status) {
  return new Error(`rwkvtok: ${cString(core.m, core.m._rwkvtok_status_message(status))}`);
}

function invalidId(core, id, position) {
  return new RangeError(
    `invalid token id ${id} at position ${position}: not an id of this vocabulary (0 to ${core.tokenCount - 1})`);
}

// Typed arrays' own accessors: a subclass or a user's getter cannot make them lie.
const TypedArray = Object.getPrototypeOf(Uint8Array);
const typedArrayAccessor = (name) => Object.getOwnPropertyDescriptor(TypedArray.prototype, name).get;
const typedLength = typedArrayAccessor('length');
const typedBuffer = typedArrayAccessor('buffer');
const typedByteOffset = typedArrayAccessor('byteOffset');
const typedByteLength = typedArrayAccessor('byteLength');
// A typed array's own type ('Uint8Array', ...; undefined for anything else, a DataView or a Proxy
// included), which neither its prototype nor its properties can change.
const typedKindGetter = Object.getOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get;
const typedKind = (value) => typedKindGetter.call(value);
const isTypedArray = (value) => typedKind(value) !== undefined;
const BYTE_KINDS = new Set(['Uint8Array', 'Int8Array', 'Uint8ClampedArray']);
// Typed arrays whose every value is a 32-bit id.
const ID_KINDS = new Set(['Uint32Array', 'Uint16Array', 'Uint8Array', 'Uint8ClampedArray']);

// Strings longer than this are encoded to UTF-8 in JavaScript first, so that the module's memory
// (which never shrinks) grows by the text's UTF-8 and not by 3 bytes for every code unit.
const DIRECT_STRING = 1 << 16;
// Texts up to this many bytes get room for one id per byte at once.
const SMALL_TEXT = 1 << 20;

// The text's bytes in the module's memory: fn(pointer, size), then freed.
function withText(core, text, fn) {
  let pointer;
  let size;
  if (typeof text === 'string' && text.length <= DIRECT_STRING) {
    // At most 3 bytes of UTF-8 per UTF-16 code unit (a lone surrogate becomes U+FFFD).
    const room = text.length * 3;
    pointer = allocate(core, room);
    size = utf8Encoder.encodeInto(text, core.m.HEAPU8.subarray(pointer, pointer + room)).written;
  } else {
    const bytes = typeof text === 'string' ? utf8Encoder.encode(text) : textBytes(text);
    pointer = allocate(core, bytes.length);
    core.m.HEAPU8.set(bytes, pointer);
    size = bytes.length;
  }
  try {
    return fn(pointer, size);
  } finally {
    core.m._free(pointer);
  }
}

// The bytes of a text that is not a string, as a plain Uint8Array over the same memory: views of
// single bytes (Uint8Array, Buffer, Int8Array, Uint8ClampedArray) and array buffers.
// Whether `value` is an ArrayBuffer or SharedArrayBuffer, of this realm or another (an iframe's,
// a vm context's), and not an object that only inherits from one: their own byteLength getters
// throw for anything else.
const bufferLengthGetters = [ArrayBuffer, globalThis.SharedArrayBuffer]
  .filter((type) => typeof type === 'function')
  .map((type) => Object.getOwnPropertyDescriptor(type.prototype, 'byteLength').get);

function isArrayBuffer(value) {
  if (value === null || typeof value !== 'object') return false;
  return bufferLengthGetters.some((byteLength) => {
    try {
      byteLength.call(value);
      return true;
    } catch {
      return false;
    }
  });
}

function textBytes(text) {
  if (BYTE_KINDS.has(typedKind(text))) {
    return new Uint8Array(typedBuffer.call(text), typedByteOffset.call(text), typedByteLength.call(text));
  }
  if (isArrayBuffer(text)) return new Uint8Array(text);
  const what = text instanceof ArrayBuffer ? 'an object that only inherits from ArrayBuffer' : describe(text);
  throw new TypeError(`text must be a string, a Uint8Array or an ArrayBuffer, not ${what}`);
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor ? value.constructor.name : 'object';
}

// The most ids one call takes: their 32-bit copy must fit in the module's memory.
const MAX_IDS = Math.floor(MAX_ALLOCATION / 4);

// The ids as 32-bit values, checked, in JavaScript memory. Throws a TypeError for values that are
// not integers and a RangeError for integers that are no 32-bit id (the library judges the rest).
// All of the caller's code (getters, iterators) runs here, before the module's memory is used.
function readIds(core, ids) {
  if (ID_KINDS.has(typedKind(ids))) {
    const count = typedLength.call(ids);
    if (count > MAX_IDS) throw new RangeError(`rwkvtok: at most ${MAX_IDS} ids in one call, not ${count}`);
    const out = new Uint32Array(count);
    out.set(ids);
    return out;
  }
  if (typeof ids === 'string' || ids === null || typeof ids !== 'object') {
    throw new TypeError(`ids must be an array or typed array of integers, not ${describe(ids)}`);
  }
  let list = ids;
  if (!isTypedArray(ids) && !Array.isArray(ids)) {
    if (typeof ids[Symbol.iterator] === 'function') {
      list = Array.from(ids);
    } else {
      const length = ids.length;
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new TypeError(`ids must be an array or typed array of integers, not ${describe(ids)}` +
          ' without a valid length');
      }
    }
  }
  const count = isTypedArray(list) ? typedLength.call(list) : list.length;
  if (count > MAX_IDS) throw new RangeError(`rwkvtok: at most ${MAX_IDS} ids in one call, not ${count}`);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; ++i) {
    const id = list[i];
    if (typeof id === 'number') {
      if (!Number.isInteger(id) || id < 0 || id > 0xFFFFFFFF) throw invalidId(core, id, i);
      out[i] = id;
    } else if (typeof id === 'bigint') {
      if (id < 0n || id > 0xFFFFFFFFn) throw invalidId(core, id, i);
      out[i] = Number(id);
    } else {
      throw new TypeError(`ids must be integers: position ${i} holds ${describe(id)}`);
    }
  }
  return out;
}

// The ids in the module's memory: fn(pointer, count), then freed.
function withIds(core, ids, fn) {
  const values = readIds(core, ids);
  const pointer = allocate(core, 4 * values.length);
  try {
    core.m.HEAPU32.set(values, pointer >>> 2);
    return fn(pointer, values.length);
  } finally {
    core.m._free(pointer);
  }
}

// Decodes the ids: fn(bytesView) on a view of the bytes in the module's memory, valid during fn.
const DECODE_GUESS_LIMIT = 64 << 20;

function withDecoded(core, ids, fn) {
  return withIds(core, ids, (idsPointer, count) => {
    const m = core.m;
    // Most tokens are a few bytes long: a first guess (at most DECODE_GUESS_LIMIT, so that a
    // large call does not grow the memory, which never shrinks, past what it needs), then the
    // exact size when the guess is short or cannot be had (the library measures it then).
    let capacity = Math.min(count * 8 + 16, DECODE_GUESS_LIMIT);
    let out = tryAllocate(core, capacity);
    if (out === 0) capacity = 0;
    try {
      let status = m._rwkvtok_js_decode(core.tok, idsPointer, count, out, capacity, core.result);
      if (status === BUFFER_TOO_SMALL) {
        capacity = m.HEAPU32[core.result >>> 2];
        if (out !== 0) m._free(out);
        out = 0;
        out = allocate(core, capacity, 'decode these ids in parts');
        status = m._rwkvtok_js_decode(core.tok, idsPointer, count, out, capacity, core.result);
      }
      if (status === INVALID_ID) {
        const position = m.HEAPU32[(core.result >>> 2) + 1];
        throw invalidId(core, m.HEAPU32[(idsPointer >>> 2) + position], position);
      }
      if (status !== OK) throw statusError(core, status);
      const size = m.HEAPU32[core.result >>> 2];
      return fn(m.HEAPU8.subarray(out, out + size));
    } finally {
      if (out !== 0) m._free(out);
    }
  });
}

function checkId(core, id, position) {
  if (typeof id !== 'number') throw new TypeError(`a token id must be a number, not ${describe(id)}`);
  if (!Number.isInteger(id) || id < 0 || id >= core.tokenCount) throw invalidId(core, id, position);
}

// The number of UTF-16 code units of `text` whose UTF-8 (as TextEncoder makes it) is `bytes` long.
function utf16Length(text, bytes) {
  let i = 0;
  for (let used = 0; used < bytes; ++i) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) used += 1;
    else if (unit < 0x800) used += 2;
    else if (unit >= 0xD800 && unit < 0xDC00 && i + 1 < text.length &&
             (text.charCodeAt(i + 1) & 0xFC00) === 0xDC00) {
      used += 4;
      ++i;
    } else used += 3;  // the rest of the BMP, and lone surrogates (U+FFFD)
  }
  return i;
}

export class Tokenizer {
  /** Use `await World()`. */
  constructor(core) {
    this._core = core;
  }

  /** 65536: the size of the id space models use (ids 65530..65535 are reserved). */
  get nVocab() { return 65536; }
  /** The end-of-text token, 0. */
  get eotToken() { return 0; }
  /** The longest token, in bytes (128 for World). */
  get maxTokenLength() { return this._core.maxTokenLength; }
  /** The library's version, as lib/rwkvtok.h has it. */
  get version() { return this._core.version; }

  encode(text) {
    const core = this._core;
    return withText(core, text, (pointer, size) => {
      // Room for one id per byte is the most there can be; long texts have far fewer (a token
      // is 3 to 4 bytes on average), so they get room for half as many first, and the exact
      // number in the rare case that is short: the module's memory never shrinks.
      let capacity = size <= SMALL_TEXT ? size : Math.ceil(size / 2);
      let ids = allocate(core, 4 * capacity);
      try {
        let status = core.m._rwkvtok_js_encode(core.tok, pointer, size, ids, capacity, core.result);
        if (status === BUFFER_TOO_SMALL) {
          capacity = core.m.HEAPU32[core.result >>> 2];
          core.m._free(ids);
          ids = 0;
          ids = allocate(core, 4 * capacity);
          status = core.m._rwkvtok_js_encode(core.tok, pointer, size, ids, capacity, core.result);
        }
        if (status !== OK) throw statusError(core, status);
        const count = core.m.HEAPU32[core.result >>> 2];
        return core.m.HEAPU32.slice(ids >>> 2, (ids >>> 2) + count);
      } finally {
        if (ids !== 0) core.m._free(ids);
      }
    });
  }

  count(text) {
    const core = this._core;
    return withText(core, text, (pointer, size) => {
      const status = core.m._rwkvtok_js_count(core.tok, pointer, size, core.result);
      if (status !== OK) throw statusError(core, status);
      return core.m.HEAPU32[core.result >>> 2];
    });
  }

  truncate(text, maxTokens) {
    if (typeof maxTokens !== 'number' || Number.isNaN(maxTokens)) {
      const what = typeof maxTokens === 'number' ? 'NaN' : describe(maxTokens);
      throw new TypeError(`maxTokens must be a number, not ${what}`);
    }
    if (maxTokens < 0) throw new RangeError('maxTokens must not be negative');
    const budget = Math.min(Math.floor(maxTokens), MAX_SIZE);
    const core = this._core;
    const isString = typeof text === 'string';
    const length = withText(core, text, (pointer, size) => {
      const prefix = (bytes) => {
        const status = core.m._rwkvtok_js_prefix(core.tok, pointer, bytes, budget, core.result);
        if (status !== OK) throw statusError(core, status);
        return core.m.HEAPU32[core.result >>> 2];
      };
      let cut = prefix(size);
      // A str's prefix ends on a character: cut short inside one, encode up to its start afresh.
      const continues = (at) => (core.m.HEAPU8[pointer + at] & 0xC0) === 0x80;
      while (isString && cut < size && continues(cut)) {
        let boundary = cut - 1;
        while (boundary > 0 && continues(boundary)) --boundary;
        cut = prefix(boundary);
      }
      return cut;
    });
    if (isString) return text.slice(0, utf16Length(text, length));
    // A copy, of the same type for views (a Buffer's own slice would share its memory), a
    // Uint8Array for array buffers.
    if (isTypedArray(text)) return TypedArray.prototype.slice.call(text, 0, length);
    return textBytes(text).slice(0, length);
  }

  decodeBytes(ids) {
    return withDecoded(this._core, ids, (bytes) => bytes.slice());
  }

  decode(ids, { fatal = false } = {}) {
    const decoder = fatal ? utf8Decoders.fatal : utf8Decoders.replace;
    return withDecoded(this._core, ids, (bytes) => decoder.decode(bytes));
  }

  tokenBytes(id) {
    checkId(this._core, id, 0);
    return this.decodeBytes([id]);
  }

  streamDecoder({ stopIds = [0], fatal = false } = {}) {
    return new StreamDecoder(this._core, stopIds, fatal);
  }
}

// The decoder's state lives here, in JavaScript, and is copied into the module's memory for each
// call: nothing of it is left behind in the module for a decoder that is dropped.
class StreamDecoder {
  constructor(core, stopIds, fatal) {
    if (stopIds === null || typeof stopIds !== 'object' || typeof stopIds[Symbol.iterator] !== 'function') {
      throw new TypeError(`stopIds must be an array of ids, not ${describe(stopIds)}`);
    }
    const ids = Array.from(stopIds);
    if (ids.length > MAX_STOP_IDS) throw new RangeError(`at most ${MAX_STOP_IDS} stop ids, not ${ids.length}`);
    ids.forEach((id, i) => {
      if (typeof id !== 'number') throw new TypeError(`stop ids must be numbers: position ${i} holds ${describe(id)}`);
      if (!Number.isInteger(id) || id < 0 || id > 0xFFFFFFFF) throw invalidId(core, id, i);
    });
    this._core = core;
    this._fatal = fatal;
    this._state = new Uint8Array(DECODER_SIZE);
    this._pushed = 0;
    this.stopped = false;
    const m = core.m;
    let status = m._rwkvtok_decoder_init(core.decoder, core.tok, fatal ? UTF8_STRICT : UTF8_REPLACE);
    if (status === OK) {
      m.HEAPU32.set(ids, core.stopIds >>> 2);
      status = m._rwkvtok_decoder_set_stop_ids(core.decoder, core.stopIds, ids.length);
    }
    if (status !== OK) throw statusError(core, status);
    this._state.set(m.HEAPU8.subarray(core.decoder, core.decoder + DECODER_SIZE));
  }

  // Runs call() on the state in the module's memory; returns the status and the text written.
  _run(call) {
    const core = this._core;
    const m = core.m;
    m.HEAPU8.set(this._state, core.decoder);
    const status = call(m);
    this._state.set(m.HEAPU8.subarray(core.decoder, core.decoder + DECODER_SIZE));
    const size = m.HEAPU32[core.result >>> 2];
    return { status, bytes: m.HEAPU8.subarray(core.decoderOut, core.decoderOut + size) };
  }

  // The text of a push or finish; under the strict policy a TypeError at invalid UTF-8, which
  // carries the valid text written before it as `error.text`.
  _text(status, bytes, unfinished) {
    const text = utf8Decoders.replace.decode(bytes);
    if (status === INVALID_UTF8 || unfinished) {
      const error = new TypeError('The encoded data was not valid for encoding utf-8');
      error.text = text;
      throw error;
    }
    if (status !== OK && status !== STOPPED) throw statusError(this._core, status);
    return text;
  }

  /** Adds one id; returns the text it completes (complete characters only). */
  push(id) {
    const core = this._core;
    if (typeof id !== 'number') throw new TypeError(`a token id must be a number, not ${describe(id)}`);
    if (!Number.isInteger(id) || id < 0 || id > 0xFFFFFFFF) throw invalidId(core, id, this._pushed);
    const { status, bytes } = this._run((m) => m._rwkvtok_js_decoder_push(
      core.decoder, id, core.decoderOut, DECODER_MAX_OUTPUT, core.result));
    if (status === INVALID_ID) throw invalidId(core, id, this._pushed);
    ++this._pushed;
    this.stopped = status === STOPPED;
    // A stop, or invalid UTF-8 under the strict policy, starts a new text.
    if (this.stopped || status === INVALID_UTF8) this._pushed = 0;
    // A stop under the strict policy reports a character left unfinished by position 1.
    const unfinished = this.stopped && this._fatal && core.m.HEAPU32[(core.result >>> 2) + 1] === 1;
    return this._text(status, bytes, unfinished);
  }

  /** Ends the text: returns what was held back, and starts a new one. */
  finish() {
    const core = this._core;
    const { status, bytes } = this._run((m) => m._rwkvtok_js_decoder_finish(
      core.decoder, core.decoderOut, DECODER_MAX_OUTPUT, core.result));
    this._pushed = 0;
    return this._text(status, bytes, false);
  }
}
