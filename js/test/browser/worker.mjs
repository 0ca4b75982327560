// A Web Worker that loads its own tokenizer and encodes what the page sends it.
import { World } from '../../rwkvtok.mjs';

const tok = await World();
self.onmessage = (event) => self.postMessage({ ids: Array.from(tok.encode(event.data)) });
self.postMessage({ ready: true });
