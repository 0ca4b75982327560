// Compiled by tools/test_js.sh with `tsc --noEmit --strict`: the declarations describe the API.
import { World, Tokenizer, StreamDecoder } from '../rwkvtok.js';

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
  const dec: StreamDecoder = tok.streamDecoder({ stopIds: [0], fatal: false });
  const piece: string = dec.push(300) + dec.finish();
  const stopped: boolean = dec.stopped;
  console.log(fromBytes, text, bytes, n, prefix, bytePrefix, token, piece, stopped, tok.version);
}
main();
