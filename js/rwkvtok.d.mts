/**
 * rwkvtok: the RWKV World tokenizer (rwkv_vocab_v20230424) in WebAssembly, for Node, browsers and
 * workers. Encoding is greedy longest match over the UTF-8 bytes, exactly as the reference
 * TRIE_TOKENIZER of the `rwkv` Python package; every input encodes, invalid UTF-8 included.
 *
 * ```js
 * import { World } from 'rwkvtok';
 * const tok = await World();
 * const ids = tok.encode('Hello, world!');   // Uint32Array [33155, 45, 40213, 34]
 * tok.decode(ids);                           // 'Hello, world!'
 * ```
 */

/** An array buffer, shared or not. (TypeScript would take a typed array of any items, ids
 * included, where an ArrayBuffer is asked for, as it has an ArrayBuffer's members; a typed array
 * has BYTES_PER_ELEMENT, which this refuses.) */
export type AnyArrayBuffer = (ArrayBuffer | SharedArrayBuffer) & { readonly BYTES_PER_ELEMENT?: never };

/** Bytes: a view of single bytes (Uint8Array, Node's Buffer, Int8Array, Uint8ClampedArray) or an
 * array buffer (shared or not). */
export type Bytes = Uint8Array | Int8Array | Uint8ClampedArray | AnyArrayBuffer;

/** Text to encode: a string (encoded to UTF-8 as TextEncoder does, so a lone surrogate becomes
 * U+FFFD) or bytes, encoded byte for byte. */
export type Text = string | Bytes;


/** Token ids: any array, typed array or iterable of integers (numbers or bigints; a float array
 * is taken when its values are integers). At most 2^29 - 2^14 ids in one call. */
export type Ids = ArrayLike<number | bigint> | Iterable<number | bigint>;

/** The built-in World vocabulary. The first call loads the WebAssembly module (about 1 MB); later
 * calls in the same realm share it. Each worker loads its own. */
export function World(): Promise<Tokenizer>;

export interface DecodeOptions {
  /** Throw a TypeError at invalid UTF-8 instead of writing U+FFFD (TextDecoder's `fatal`). */
  fatal?: boolean;
}

export interface StreamDecoderOptions {
  /** Ids that end a text (default [0], end of text): pushing one flushes what is held back,
   * sets `stopped` and starts a new text. At most 8; [] stops at nothing. */
  stopIds?: Iterable<number>;
  /** Throw a TypeError at invalid UTF-8 (and at a stop id inside a character) instead of writing
   * U+FFFD. The error's `text` property holds the valid text that came before it. */
  fatal?: boolean;
}

/** A tokenizer. Methods throw a TypeError for arguments of the wrong kind and a RangeError for
 * an id that names no token (negative, not an integer, reserved 65530..65535, or past the
 * vocabulary), with the id and its position in the message, and for inputs too large for the
 * module's memory (at most 2 GiB, which grows as calls need and never shrinks: a text of n bytes
 * needs about 3n while it is encoded). */
export class Tokenizer {
  private constructor();
  /** 65536: the size of the id space models use; ids 65530..65535 are reserved. */
  readonly nVocab: number;
  /** The end-of-text token, 0. It decodes to nothing. */
  readonly eotToken: number;
  /** The longest token, in bytes (128). */
  readonly maxTokenLength: number;
  /** The library's version. */
  readonly version: string;

  /** The ids of the text. */
  encode(text: Text): Uint32Array;
  /** How many ids the text encodes to, without making them. */
  count(text: Text): number;
  /** The longest prefix of `text` that encodes to at most `maxTokens` ids, of the same type:
   * for a string it ends on a whole character (never inside a surrogate pair), for bytes it may
   * end inside one. Its ids are the first ids of the whole text's. */
  truncate(text: string, maxTokens: number): string;
  /** For a view: a copy of the same type (a Buffer gives a Buffer). */
  truncate<T extends Uint8Array | Int8Array | Uint8ClampedArray>(text: T, maxTokens: number): T;
  /** For an array buffer: a Uint8Array. */
  truncate(text: AnyArrayBuffer, maxTokens: number): Uint8Array;
  truncate(text: Text, maxTokens: number): string | Uint8Array | Int8Array | Uint8ClampedArray;
  /** The text the ids spell, with TextDecoder's semantics: invalid UTF-8 becomes U+FFFD (maximal
   * subparts), or a TypeError with `fatal`. A leading U+FEFF is kept: it is part of the text. */
  decode(ids: Ids, options?: DecodeOptions): string;
  /** The bytes the ids spell, exactly. */
  decodeBytes(ids: Ids): Uint8Array;
  /** The bytes of one token. */
  tokenBytes(id: number): Uint8Array;
  /** A decoder for ids that arrive one at a time, as from a model. */
  streamDecoder(options?: StreamDecoderOptions): StreamDecoder;
}

/** Turns ids into text as they arrive, emitting only complete characters: the bytes of a
 * character split across tokens are held back (never more than 3). Its state lives in
 * JavaScript: a dropped decoder leaves nothing behind. */
export interface StreamDecoder {
  /** Adds one id; returns the text it completes (often ''). */
  push(id: number): string;
  /** Ends the text: returns what was held back (U+FFFD for an unfinished character) and starts a
   * new text. */
  finish(): string;
  /** Whether the last push was a stop id (finish() leaves it as it is). */
  readonly stopped: boolean;
}
