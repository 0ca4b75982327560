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
  console.log(anyPrefix, fromSet, fromBytes, text, bytes, n, prefix, bytePrefix, token, piece, stopped, tok.version);
}
main();
