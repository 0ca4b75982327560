// The minimal firmware images that tools/size_report.py links to measure the library on Cortex-M:
// a two-entry vector table and a reset handler that calls the library functions the image is
// about, and nothing else (no printf, no semihosting, no startup beyond that). RWKVTOK_SIZE_IMAGE
// selects them:
//   1  encode and decode, uint32_t ids: Tokenizer::World, Encode, Decode (the code budget)
//   2  encode only: World, Encode (linked with the encode-only library)
//   3  decode only: World, Decode (linked with the decode-only library)
//   4  the whole API: every function of lib/rwkvtok.h
//   5  the compact profile's encode and decode: Tokenizer::WorldCompact, Encode, Decode
//   6  the compact profile's encode only: WorldCompact, Encode
//   7  the compact profile's decode only: WorldCompact, Decode
//   8  a blob of the firmware's own through the C API: rwkvtok_from_blob, rwkvtok_encode,
//      rwkvtok_decode (no built-in vocabulary)
// The images are linked, measured and never run.

#include <stdint.h>

#include "lib/rwkvtok.h"

extern "C" uint32_t __stack_top__[];

namespace {

[[maybe_unused]] uint8_t text[256];
[[maybe_unused]] uint32_t ids[256];
[[maybe_unused]] uint8_t bytes[1024];
volatile size_t sink;

void Use(const rwkvtok::Result& r) { sink = r.count + r.position + static_cast<size_t>(r.status); }

void Run() {
#if RWKVTOK_SIZE_IMAGE == 8
  rwkvtok_tokenizer loaded;  // from the blob `bytes` stands in for
  sink = static_cast<size_t>(rwkvtok_from_blob(bytes, sink, &loaded));
  sink = rwkvtok_encode(&loaded, text, sink, ids, 256).count;
  sink = rwkvtok_decode(&loaded, ids, sink, bytes, sizeof(bytes)).count;
  return;
#endif
#if RWKVTOK_SIZE_IMAGE >= 5
  const rwkvtok::Tokenizer tok = rwkvtok::Tokenizer::WorldCompact();
#else
  const rwkvtok::Tokenizer tok = rwkvtok::Tokenizer::World();
#endif
#if RWKVTOK_SIZE_IMAGE == 1 || RWKVTOK_SIZE_IMAGE == 2 || RWKVTOK_SIZE_IMAGE == 4 || \
    RWKVTOK_SIZE_IMAGE == 5 || RWKVTOK_SIZE_IMAGE == 6
  Use(tok.Encode(text, sink, ids, 256));
#endif
#if RWKVTOK_SIZE_IMAGE == 1 || RWKVTOK_SIZE_IMAGE == 3 || RWKVTOK_SIZE_IMAGE == 4 || \
    RWKVTOK_SIZE_IMAGE == 5 || RWKVTOK_SIZE_IMAGE == 7
  Use(tok.Decode(ids, sink, bytes, sizeof(bytes)));
#endif
#if RWKVTOK_SIZE_IMAGE == 4
  uint16_t ids16[256];
  int32_t ids32[256];
  Use(tok.Encode(text, sink, ids16, 256));
  Use(tok.Encode(text, sink, ids32, 256));
  Use(tok.Decode(ids16, sink, bytes, sizeof(bytes)));
  Use(tok.Decode(ids32, sink, bytes, sizeof(bytes)));
  Use(tok.Count(text, sink));
  Use(tok.Prefix(text, sink, 5));
  size_t ends[2] = {sink, sink};
  size_t id_counts[2];
  sink = static_cast<size_t>(tok.EncodeTexts(text, ends, 2, ids, id_counts));
  rwkvtok::Tokenizer::Part parts[2] = {{0, sink, 0, 0, 0}, {sink, sizeof(text), 0, 0, 0}};
  sink = static_cast<size_t>(tok.EncodePart(text, sizeof(text), &parts[1], ids));
  Use(tok.JoinParts(text, sizeof(text), parts, 2, ids));
  sink = static_cast<size_t>(rwkvtok::Validate(text, sink));
  rwkvtok::Tokenizer loaded = tok;
  sink = static_cast<size_t>(rwkvtok::Tokenizer::FromBlob(text, sink, &loaded));
  sink = reinterpret_cast<uintptr_t>(rwkvtok::StatusMessage(rwkvtok::Status::kOk));
  const rwkvtok_tokenizer c = tok.ToC();
  sink = rwkvtok::Tokenizer::FromC(c).token_count();
  rwkvtok::StreamDecoder decoder(tok);
  sink = static_cast<size_t>(decoder.status());
  sink = static_cast<size_t>(decoder.SetStopIds(ids, 2));
  sink = decoder.max_output();
  sink = decoder.pending();
  Use(decoder.Push(ids[0], bytes, sizeof(bytes)));
  Use(decoder.Finish(bytes, sizeof(bytes)));
  rwkvtok::StreamEncoder encoder(tok);
  sink = encoder.pending();
  Use(encoder.Push(text, sink, ids, 256));
  Use(encoder.Finish(ids, 256));

  rwkvtok_tokenizer ct;
  rwkvtok_world(&ct);
  rwkvtok_world_compact(&ct);
  sink = rwkvtok::Tokenizer::WorldCompact().token_count();
  sink = rwkvtok_abi_version();
  sink = reinterpret_cast<uintptr_t>(rwkvtok_version());
  sink = reinterpret_cast<uintptr_t>(rwkvtok_encode_path());
  sink = reinterpret_cast<uintptr_t>(rwkvtok_status_message(RWKVTOK_OK));
  sink = static_cast<size_t>(rwkvtok_validate(text, sink));
  sink = static_cast<size_t>(rwkvtok_from_blob(text, sink, &ct));
  sink = rwkvtok_encode(&ct, text, sink, ids, 256).count;
  sink = rwkvtok_encode_u16(&ct, text, sink, ids16, 256).count;
  sink = rwkvtok_decode(&ct, ids, sink, bytes, sizeof(bytes)).count;
  sink = rwkvtok_decode_u16(&ct, ids16, sink, bytes, sizeof(bytes)).count;
  sink = rwkvtok_count(&ct, text, sink).count;
  sink = rwkvtok_prefix(&ct, text, sink, 5).count;
  sink = static_cast<size_t>(rwkvtok_encode_texts(&ct, text, ends, 2, ids, id_counts));
  sink = static_cast<size_t>(rwkvtok_encode_part(&ct, text, sizeof(text), &parts[0], ids));
  sink = rwkvtok_join_parts(&ct, text, sizeof(text), parts, 2, ids).count;
  sink = rwkvtok_token_count(&ct) + rwkvtok_max_token_length(&ct) + rwkvtok_vocab_checksum(&ct);
  rwkvtok_decoder cd;
  sink = static_cast<size_t>(rwkvtok_decoder_init(&cd, &ct, RWKVTOK_UTF8_STRICT));
  sink = static_cast<size_t>(rwkvtok_decoder_set_stop_ids(&cd, ids, 1));
  sink = rwkvtok_decoder_max_output(&cd);
  sink = rwkvtok_decoder_pending(&cd);
  sink = rwkvtok_decoder_push(&cd, ids[1], bytes, sizeof(bytes)).count;
  sink = rwkvtok_decoder_finish(&cd, bytes, sizeof(bytes)).count;
  rwkvtok_encoder ce;
  sink = static_cast<size_t>(rwkvtok_encoder_init(&ce, &ct));
  sink = rwkvtok_encoder_pending(&ce);
  sink = rwkvtok_encoder_push(&ce, text, sink, ids, 256).count;
  sink = rwkvtok_encoder_finish(&ce, ids, 256).count;
#endif
}

}  // namespace

extern "C" [[noreturn]] void Reset_Handler() {
  Run();
  for (;;) {
  }
}

extern "C" __attribute__((section(".vectors"), used)) void (*const vector_table[2])() = {
    reinterpret_cast<void (*)()>(__stack_top__),
    Reset_Handler,
};
