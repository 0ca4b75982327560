/* The C API as JavaScript calls it: functions that return an rwkvtok_result by value write its
 * count and position to `out[0..2)` and return its status, since a struct returned by value is
 * an implementation detail of the WebAssembly C ABI. Everything else is called directly. */
#include <stddef.h>
#include <stdint.h>

#include "rwkvtok.h"

static int32_t Report(rwkvtok_result r, size_t* out) {
  out[0] = r.count;
  out[1] = r.position;
  return r.status;
}

int32_t rwkvtok_js_encode(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                          uint32_t* ids, size_t capacity, size_t* out) {
  return Report(rwkvtok_encode(tok, text, size, ids, capacity), out);
}

int32_t rwkvtok_js_decode(const rwkvtok_tokenizer* tok, const uint32_t* ids, size_t count,
                          void* bytes, size_t capacity, size_t* out) {
  return Report(rwkvtok_decode(tok, ids, count, bytes, capacity), out);
}

int32_t rwkvtok_js_count(const rwkvtok_tokenizer* tok, const void* text, size_t size, size_t* out) {
  return Report(rwkvtok_count(tok, text, size), out);
}

int32_t rwkvtok_js_prefix(const rwkvtok_tokenizer* tok, const void* text, size_t size,
                          size_t max_tokens, size_t* out) {
  return Report(rwkvtok_prefix(tok, text, size, max_tokens), out);
}

int32_t rwkvtok_js_decoder_push(rwkvtok_decoder* dec, uint32_t id, void* bytes, size_t capacity,
                                size_t* out) {
  return Report(rwkvtok_decoder_push(dec, id, bytes, capacity), out);
}

int32_t rwkvtok_js_decoder_finish(rwkvtok_decoder* dec, void* bytes, size_t capacity, size_t* out) {
  return Report(rwkvtok_decoder_finish(dec, bytes, capacity), out);
}

/* Whether the sizes js/rwkvtok.mjs was written for are this build's. */
int32_t rwkvtok_js_abi_matches(size_t tokenizer_size, size_t decoder_size,
                               size_t decoder_max_output, size_t max_stop_ids) {
  return tokenizer_size == RWKVTOK_TOKENIZER_SIZE && decoder_size == RWKVTOK_DECODER_SIZE &&
         decoder_max_output == RWKVTOK_DECODER_MAX_OUTPUT && max_stop_ids == RWKVTOK_MAX_STOP_IDS;
}
