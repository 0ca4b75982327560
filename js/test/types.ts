// Compiled by tools/test_js.sh with `tsc --noEmit --strict`: the declarations describe the API.
import { World, Tokenizer, StreamDecoder, Text } from '../rwkvtok.mjs';

async function main(): Promise<void> {
  const tok: Tokenizer = await World();
  const ids: Uint32Array = tok.encode('Hello');
  const fromBytes: Uint32Array = tok.encode(new Uint8Array([104, 105]));
  const text: string = tok.decode(ids, { fatal: true });
  const bytes: Uint8Array = tok.decodeBytes([1, 2, 3]);
  const n: number = tok.count('Hello') + tok.nVocab + tok.eotToken + tok.maxTokenLength;
  const prefix: string = tok.truncate('Hello', 1);
  const bytePrefix: Uint8Array = tok.truncate(new Uint8Array(4), 1);
  const token: Uint8Array = tok.tokenBytes(300);
  const some: Text = new Uint8ClampedArray(3);
  const anyPrefix: string | Uint8Array | Int8Array | Uint8ClampedArray = tok.truncate(some, 1);
  const fromSet: string = tok.decode(new Set([33155])) + tok.decode([1n, 2n]);
  const dec: StreamDecoder = tok.streamDecoder({ stopIds: [0], fatal: false });
  const piece: string = dec.push(300) + dec.finish();
  const stopped: boolean = dec.stopped;
  const buffer: Uint8Array = tok.truncate(new ArrayBuffer(4), 1);
  const counted: number = tok.count(new SharedArrayBuffer(2)) + tok.encode(new ArrayBuffer(2)).length;
  // Ids are not text: TypeScript would take them as an ArrayBuffer, the declarations do not.
  // @ts-expect-error
  tok.encode(new Uint16Array([104, 105]));
  // @ts-expect-error
  tok.count(new Float64Array([104]));
  // @ts-expect-error
  tok.truncate(new Int32Array([104]), 1);
  // Callers generic over text types compile.
  const encodeAll = <U extends Text>(texts: U[]): Uint32Array[] => texts.map((t) => tok.encode(t));
  const cut = <V extends Uint8Array>(text: V): V => tok.truncate(text, 1);
  console.log(encodeAll(['a', new Uint8Array(1)]), cut(new Uint8Array(2)), buffer, counted, anyPrefix, fromSet, fromBytes, text, bytes, n, prefix, bytePrefix, token, piece, stopped, tok.version);
}
main();
