/* The C API of lib/rwkvtok.h, used from plain C99 (compiled with -std=c99 -pedantic -Werror, so
 * the header itself is checked to be valid C): the World tokenizer, encoding and decoding with
 * both id widths, buffer sizing, invalid ids, null pointers, budgeting, blob loading, the
 * streaming decoder and encoder, encoding in parts, status messages and the ABI facts. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rwkvtok.h"

static int failures = 0;

/* Counts a failure and says where; the test goes on, so one run reports every problem. */
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      ++failures;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define SENTINEL_ID 0xDEADBEEFu
#define SENTINEL_BYTE 0x5A
#define ID_BUFFER 4096
#define BYTE_BUFFER 8192

/* Texts as C escapes, with explicit sizes (one holds a zero byte). */
struct text {
  const char* name;
  const char* bytes;
  size_t size;
};

static const char kAscii[] = "Hello, world! The quick brown fox jumps over the lazy dog.";
/* 你好，世界 / Привет / مرحبا / नमस्ते / 😀🌱 / Ελληνικά */
static const char kMulti[] =
    "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c / "
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 / "
    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 / "
    "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87 / "
    "\xf0\x9f\x98\x80\xf0\x9f\x8c\xb1 / "
    "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac";
/* Bytes that are not UTF-8: FF FE, a lone continuation, an overlong, a surrogate, a cut-off
 * character, and a zero byte in the middle. */
static const char kInvalid[] = "\xff\xfe\x80 \xc0\xaf \xed\xa0\x80 a\0b \xe4\xb8";

static const struct text kTexts[] = {
    {"ascii", kAscii, sizeof(kAscii) - 1},
    {"multilingual", kMulti, sizeof(kMulti) - 1},
    {"invalid", kInvalid, sizeof(kInvalid) - 1},
    {"empty", "", 0},
};
#define TEXT_COUNT (sizeof(kTexts) / sizeof(kTexts[0]))

static uint32_t ids[ID_BUFFER];
static uint32_t full[ID_BUFFER];
static uint16_t ids16[ID_BUFFER];
static unsigned char bytes[BYTE_BUFFER];

static size_t count_value(const uint32_t* values, size_t n, uint32_t value) {
  size_t i, count = 0;
  for (i = 0; i < n; ++i) count += values[i] == value;
  return count;
}

static size_t count_byte(const unsigned char* values, size_t n, unsigned char value) {
  size_t i, count = 0;
  for (i = 0; i < n; ++i) count += values[i] == value;
  return count;
}

static void fill_ids(void) {
  size_t i;
  for (i = 0; i < ID_BUFFER; ++i) ids[i] = SENTINEL_ID;
}

static void test_abi(void) {
  CHECK(rwkvtok_abi_version() == RWKVTOK_ABI_VERSION);
  CHECK(sizeof(rwkvtok_tokenizer) == RWKVTOK_TOKENIZER_SIZE);
  CHECK(sizeof(rwkvtok_decoder) == RWKVTOK_DECODER_SIZE);
  CHECK(sizeof(rwkvtok_encoder) == RWKVTOK_ENCODER_SIZE);
  CHECK(sizeof(rwkvtok_status) == 4);
  CHECK(sizeof(rwkvtok_part) == 5 * sizeof(size_t));
}

static void test_status_messages(void) {
  rwkvtok_status s;
  for (s = RWKVTOK_OK; s <= RWKVTOK_STOPPED; ++s) {
    const char* message = rwkvtok_status_message(s);
    CHECK(message != NULL);
    if (message != NULL) CHECK(strlen(message) > 0);
  }
  CHECK(rwkvtok_status_message(-1) != NULL);
  CHECK(rwkvtok_status_message(1000) != NULL);
}

static void test_world_facts(const rwkvtok_tokenizer* tok) {
  unsigned b;
  CHECK(rwkvtok_token_count(tok) == 65530u);
  CHECK(rwkvtok_max_token_length(tok) == 128u);
  CHECK(rwkvtok_vocab_checksum(tok) != 0);
  /* Every byte is a token, id = byte + 1. */
  for (b = 0; b < 256; ++b) {
    const unsigned char byte = (unsigned char)b;
    rwkvtok_result r = rwkvtok_encode(tok, &byte, 1, ids, 1);
    CHECK(r.status == RWKVTOK_OK && r.count == 1 && ids[0] == b + 1);
  }
}

/* Encode with both id widths, decode back, with buffers of exactly the size and one too small. */
static void test_round_trips(const rwkvtok_tokenizer* tok) {
  size_t t;
  for (t = 0; t < TEXT_COUNT; ++t) {
    const struct text* text = &kTexts[t];
    rwkvtok_result r, r16, d, d16;
    size_t i, n, capacity;
    const int failures_before = failures;
    fill_ids();
    r = rwkvtok_encode(tok, text->bytes, text->size, ids, text->size);
    CHECK(r.status == RWKVTOK_OK);
    CHECK(r.reserved == 0);
    CHECK(r.count <= text->size);
    CHECK(text->size == 0 || r.count > 0);
    n = r.count;
    CHECK(ids[n] == SENTINEL_ID);
    CHECK(count_value(ids, n, 0) == 0); /* text never encodes to end of text */
    r16 = rwkvtok_encode_u16(tok, text->bytes, text->size, ids16, text->size);
    CHECK(r16.status == RWKVTOK_OK && r16.count == n);
    for (i = 0; i < n; ++i) CHECK(ids16[i] == ids[i]);

    memset(bytes, SENTINEL_BYTE, sizeof(bytes));
    d = rwkvtok_decode(tok, ids, n, bytes, text->size);
    CHECK(d.status == RWKVTOK_OK && d.count == text->size);
    CHECK(memcmp(bytes, text->bytes, text->size) == 0);
    CHECK(bytes[text->size] == SENTINEL_BYTE);
    memset(bytes, SENTINEL_BYTE, sizeof(bytes));
    d16 = rwkvtok_decode_u16(tok, ids16, n, bytes, sizeof(bytes));
    CHECK(d16.status == RWKVTOK_OK && d16.count == text->size);
    CHECK(memcmp(bytes, text->bytes, text->size) == 0);

    /* Too small: the size needed, the first `capacity` elements, nothing after them. */
    memcpy(full, ids, n * sizeof(uint32_t));
    for (capacity = 0; capacity < n; ++capacity) {
      fill_ids();
      r = rwkvtok_encode(tok, text->bytes, text->size, ids, capacity);
      CHECK(r.status == RWKVTOK_BUFFER_TOO_SMALL && r.count == n);
      CHECK(memcmp(ids, full, capacity * sizeof(uint32_t)) == 0);
      CHECK(count_value(ids + capacity, ID_BUFFER - capacity, SENTINEL_ID) == ID_BUFFER - capacity);
      r = rwkvtok_encode_u16(tok, text->bytes, text->size, ids16, capacity);
      CHECK(r.status == RWKVTOK_BUFFER_TOO_SMALL && r.count == n);
    }
    memcpy(ids, full, n * sizeof(uint32_t));
    for (capacity = 0; capacity < text->size; ++capacity) {
      memset(bytes, SENTINEL_BYTE, sizeof(bytes));
      d = rwkvtok_decode(tok, ids, n, bytes, capacity);
      CHECK(d.status == RWKVTOK_BUFFER_TOO_SMALL && d.count == text->size);
      CHECK(memcmp(bytes, text->bytes, capacity) == 0);
      CHECK(count_byte(bytes + capacity, sizeof(bytes) - capacity, SENTINEL_BYTE) ==
            sizeof(bytes) - capacity);
      d16 = rwkvtok_decode_u16(tok, ids16, n, bytes, capacity);
      CHECK(d16.status == RWKVTOK_BUFFER_TOO_SMALL && d16.count == text->size);
      CHECK(count_byte(bytes + capacity, sizeof(bytes) - capacity, SENTINEL_BYTE) ==
            sizeof(bytes) - capacity);
    }
    if (failures > failures_before)
      fprintf(stderr, "  (those were for the text '%s')\n", text->name);
  }
}

static void test_invalid_ids(const rwkvtok_tokenizer* tok) {
  const uint32_t bad[] = {65530u, 65535u, 65536u, 100000u, 0xFFFFFFFFu};
  const uint16_t bad16[] = {34, 65535};
  const uint32_t eot[] = {0, 34, 0};
  size_t i;
  rwkvtok_result r;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
    uint32_t seq[4];
    seq[0] = 34; /* "!" */
    seq[1] = 35; /* "\"" */
    seq[2] = bad[i];
    seq[3] = 34;
    r = rwkvtok_decode(tok, seq, 4, bytes, sizeof(bytes));
    CHECK(r.status == RWKVTOK_INVALID_ID);
    CHECK(r.position == 2);
    CHECK(r.count == 2);
  }
  r = rwkvtok_decode_u16(tok, bad16, 2, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_INVALID_ID && r.position == 1 && r.count == 1);
  r = rwkvtok_decode(tok, eot, 3, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 1 && bytes[0] == '!');
}

static void test_null_pointers(const rwkvtok_tokenizer* tok) {
  rwkvtok_result r;
  const uint32_t one = 34;
  ids[0] = SENTINEL_ID;
  r = rwkvtok_encode(tok, NULL, 0, ids, 4);
  CHECK(r.status == RWKVTOK_OK && r.count == 0 && ids[0] == SENTINEL_ID);
  r = rwkvtok_encode(tok, NULL, 0, NULL, 0);
  CHECK(r.status == RWKVTOK_OK && r.count == 0);
  r = rwkvtok_encode(tok, NULL, 5, ids, 4);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  r = rwkvtok_encode(tok, "abc", 3, NULL, 4);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  r = rwkvtok_encode_u16(tok, "abc", 3, NULL, 4);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  r = rwkvtok_decode(tok, NULL, 0, NULL, 0);
  CHECK(r.status == RWKVTOK_OK && r.count == 0);
  r = rwkvtok_decode(tok, NULL, 1, bytes, 4);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  r = rwkvtok_decode(tok, &one, 1, NULL, 4);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  r = rwkvtok_decode_u16(tok, NULL, 1, bytes, 4);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  /* Capacity 0 with no buffer measures. */
  r = rwkvtok_decode(tok, &one, 1, NULL, 0);
  CHECK(r.status == RWKVTOK_BUFFER_TOO_SMALL && r.count == 1);
  r = rwkvtok_count(tok, NULL, 0);
  CHECK(r.status == RWKVTOK_OK && r.count == 0);
  r = rwkvtok_count(tok, NULL, 1);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  r = rwkvtok_prefix(tok, NULL, 1, 1);
  CHECK(r.status == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_validate(NULL, 0) == RWKVTOK_BLOB_TRUNCATED); /* no bytes: an empty blob */
  CHECK(rwkvtok_validate(NULL, 64) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_token_count(NULL) == 0 && rwkvtok_max_token_length(NULL) == 0 &&
        rwkvtok_vocab_checksum(NULL) == 0);
  {
    rwkvtok_tokenizer unset;
    memset(&unset, 0, sizeof(unset));
    CHECK(rwkvtok_token_count(&unset) == 0 && rwkvtok_max_token_length(&unset) == 0 &&
          rwkvtok_vocab_checksum(&unset) == 0);
  }
}

/* count = the number of ids; prefix(N) = the bytes of the first min(N, count) ids. */
static void test_budget(const rwkvtok_tokenizer* tok) {
  size_t t;
  for (t = 0; t < TEXT_COUNT; ++t) {
    const struct text* text = &kTexts[t];
    const rwkvtok_result e = rwkvtok_encode(tok, text->bytes, text->size, ids, ID_BUFFER);
    const rwkvtok_result c = rwkvtok_count(tok, text->bytes, text->size);
    size_t budget;
    CHECK(c.status == RWKVTOK_OK && c.count == e.count);
    for (budget = 0; budget <= e.count + 2; ++budget) {
      const size_t n = budget < e.count ? budget : e.count;
      const rwkvtok_result p = rwkvtok_prefix(tok, text->bytes, text->size, budget);
      const rwkvtok_result d = rwkvtok_decode(tok, ids, n, bytes, sizeof(bytes));
      CHECK(p.status == RWKVTOK_OK);
      CHECK(p.position == n);
      CHECK(p.count == d.count);
    }
    {
      const rwkvtok_result p = rwkvtok_prefix(tok, text->bytes, text->size, (size_t)-1);
      CHECK(p.status == RWKVTOK_OK && p.count == text->size && p.position == e.count);
    }
  }
}

/* Reads lib/world_blob.bin into 8-byte aligned memory (with one spare word for a shifted copy),
 * found as tests/support.h's DataPath finds it (this file is C: it cannot include that header):
 * under $RWKVTOK_TEST_DATA_DIR, else in Bazel's runfiles, else in the working directory.
 * Returns NULL if it cannot. */
static uint64_t* read_world_blob(size_t* size) {
  const char* data_dir = getenv("RWKVTOK_TEST_DATA_DIR");
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  char path[4096];
  FILE* file;
  long length;
  uint64_t* words;
  if (data_dir != NULL) {
    snprintf(path, sizeof(path), "%s/lib/world_blob.bin", data_dir);
  } else if (srcdir != NULL) {
    snprintf(path, sizeof(path), "%s/%s/lib/world_blob.bin", srcdir,
             workspace ? workspace : "rwkvtok");
  } else {
    snprintf(path, sizeof(path), "lib/world_blob.bin");
  }
  file = fopen(path, "rb");
  if (file == NULL) return NULL;
  fseek(file, 0, SEEK_END);
  length = ftell(file);
  fseek(file, 0, SEEK_SET);
  words = (uint64_t*)calloc((size_t)length / 8 + 2, 8);
  if (words != NULL && fread(words, 1, (size_t)length, file) != (size_t)length) {
    free(words);
    words = NULL;
  }
  fclose(file);
  *size = (size_t)length;
  return words;
}

/* A rejected blob gives its status and leaves *out exactly as it was. */
static void expect_rejected(const void* blob, size_t size, rwkvtok_status expected) {
  rwkvtok_tokenizer out, before;
  memset(&out, 0xA5, sizeof(out));
  memcpy(&before, &out, sizeof(out));
  CHECK(rwkvtok_validate(blob, size) == expected);
  CHECK(rwkvtok_from_blob(blob, size, &out) == expected);
  CHECK(memcmp(&out, &before, sizeof(out)) == 0);
}

static void test_blobs(const rwkvtok_tokenizer* world) {
  static uint64_t garbage[512];
  size_t size = 0;
  uint64_t* blob;
  unsigned char* b;
  memset(garbage, 'x', sizeof(garbage));
  expect_rejected(garbage, sizeof(garbage), RWKVTOK_BLOB_BAD_MAGIC);
  expect_rejected(garbage, 3, RWKVTOK_BLOB_TRUNCATED);
  expect_rejected(NULL, 0, RWKVTOK_BLOB_TRUNCATED);
  expect_rejected(NULL, 64, RWKVTOK_INVALID_ARGUMENT);

  blob = read_world_blob(&size);
  CHECK(blob != NULL);
  if (blob == NULL) return;
  b = (unsigned char*)blob;
  {
    rwkvtok_tokenizer loaded;
    rwkvtok_result r;
    CHECK(rwkvtok_validate(blob, size) == RWKVTOK_OK);
    CHECK(rwkvtok_from_blob(blob, size, &loaded) == RWKVTOK_OK);
    CHECK(rwkvtok_vocab_checksum(&loaded) == rwkvtok_vocab_checksum(world));
    r = rwkvtok_encode(&loaded, kMulti, sizeof(kMulti) - 1, ids, ID_BUFFER);
    CHECK(r.status == RWKVTOK_OK);
    CHECK(rwkvtok_encode(world, kMulti, sizeof(kMulti) - 1, ids + r.count, ID_BUFFER - r.count)
              .count == r.count);
    CHECK(memcmp(ids, ids + r.count, r.count * sizeof(uint32_t)) == 0);
  }
  expect_rejected(blob, size - 1, RWKVTOK_BLOB_TRUNCATED);
  expect_rejected(blob, 40, RWKVTOK_BLOB_TRUNCATED);
  b[8] ^= 0x40; /* the version field */
  expect_rejected(blob, size, RWKVTOK_BLOB_UNSUPPORTED_VERSION);
  b[8] ^= 0x40;
  b[size / 2] ^= 0x01; /* a bit in the body */
  expect_rejected(blob, size, RWKVTOK_BLOB_CHECKSUM_MISMATCH);
  b[size / 2] ^= 0x01;
  memmove(b + 1, b, size); /* misaligned */
  expect_rejected(b + 1, size, RWKVTOK_BLOB_MISALIGNED);
  free(blob);
}

/* Pushes `n` ids into the decoder, appending the output to out (at *len); returns the status of
 * the last push. */
static rwkvtok_status push_all(rwkvtok_decoder* dec, const uint32_t* seq, size_t n,
                               unsigned char* out, size_t* len) {
  rwkvtok_status status = RWKVTOK_OK;
  size_t i;
  for (i = 0; i < n; ++i) {
    const rwkvtok_result r =
        rwkvtok_decoder_push(dec, seq[i], out + *len, RWKVTOK_DECODER_MAX_OUTPUT);
    status = r.status;
    if (r.status == RWKVTOK_OK || r.status == RWKVTOK_STOPPED || r.status == RWKVTOK_INVALID_UTF8) {
      *len += r.count;
    }
  }
  return status;
}

static void test_stream_decoder(const rwkvtok_tokenizer* tok) {
  rwkvtok_decoder dec;
  rwkvtok_result r;
  size_t t, len;
  const int32_t policies[] = {RWKVTOK_UTF8_REPLACE, RWKVTOK_UTF8_STRICT, RWKVTOK_UTF8_RAW};
  /* 中 = E4 B8 AD as three byte tokens (id = byte + 1). */
  const uint32_t zhong[] = {0xE4 + 1, 0xB8 + 1, 0xAD + 1};
  const uint32_t cut[] = {0xE4 + 1, 0xB8 + 1};
  const uint32_t stops[] = {1, 261};

  CHECK(rwkvtok_decoder_init(&dec, tok, 7) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_decoder_init(&dec, tok, RWKVTOK_UTF8_REPLACE) == RWKVTOK_OK);
  CHECK(rwkvtok_decoder_max_output(&dec) == 393);
  CHECK(rwkvtok_decoder_max_output(&dec) <= RWKVTOK_DECODER_MAX_OUTPUT);

  /* The texts, encoded and streamed id by id: raw gives the exact bytes; valid text comes out
   * the same in every policy. */
  for (t = 0; t < TEXT_COUNT; ++t) {
    const struct text* text = &kTexts[t];
    const rwkvtok_result e = rwkvtok_encode(tok, text->bytes, text->size, ids, ID_BUFFER);
    size_t p;
    for (p = 0; p < 3; ++p) {
      CHECK(rwkvtok_decoder_init(&dec, tok, policies[p]) == RWKVTOK_OK);
      len = 0;
      push_all(&dec, ids, e.count, bytes, &len);
      r = rwkvtok_decoder_finish(&dec, bytes + len, RWKVTOK_DECODER_MAX_OUTPUT);
      len += r.count;
      if (policies[p] == RWKVTOK_UTF8_RAW || text->bytes != kInvalid) {
        CHECK(len == text->size && memcmp(bytes, text->bytes, text->size) == 0);
      }
    }
  }

  /* A character comes out with the push that completes it. */
  CHECK(rwkvtok_decoder_init(&dec, tok, RWKVTOK_UTF8_STRICT) == RWKVTOK_OK);
  r = rwkvtok_decoder_push(&dec, zhong[0], bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 0);
  CHECK(rwkvtok_decoder_pending(&dec) == 1);
  r = rwkvtok_decoder_push(&dec, zhong[1], bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 0);
  CHECK(rwkvtok_decoder_pending(&dec) == 2);
  /* Too small: count = bytes needed, nothing written, nothing changed. */
  memset(bytes, SENTINEL_BYTE, 8);
  r = rwkvtok_decoder_push(&dec, zhong[2], bytes, 2);
  CHECK(r.status == RWKVTOK_BUFFER_TOO_SMALL && r.count == 3);
  CHECK(count_byte(bytes, 8, SENTINEL_BYTE) == 8);
  r = rwkvtok_decoder_push(&dec, 65530, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_INVALID_ID && r.count == 0);
  r = rwkvtok_decoder_push(&dec, zhong[2], bytes, 3);
  CHECK(r.status == RWKVTOK_OK && r.count == 3 && memcmp(bytes, "\xe4\xb8\xad", 3) == 0);
  CHECK(rwkvtok_decoder_pending(&dec) == 0);
  /* Strict: an invalid byte is an error, and the decoder carries on. */
  r = rwkvtok_decoder_push(&dec, 0xFF + 1, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_INVALID_UTF8 && r.count == 0);
  r = rwkvtok_decoder_push(&dec, 'A' + 1, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 1 && bytes[0] == 'A');
  /* Finish of an unfinished character. */
  len = 0;
  push_all(&dec, cut, 2, bytes, &len);
  r = rwkvtok_decoder_finish(&dec, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_INVALID_UTF8 && r.count == 0);
  /* Strict stop: an unfinished character is dropped and reported by position = 1. */
  push_all(&dec, cut, 2, bytes, &len);
  r = rwkvtok_decoder_push(&dec, 0, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_STOPPED && r.count == 0 && r.position == 1);
  r = rwkvtok_decoder_push(&dec, 0, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_STOPPED && r.count == 0 && r.position == 0);

  CHECK(rwkvtok_decoder_init(&dec, tok, RWKVTOK_UTF8_REPLACE) == RWKVTOK_OK);
  len = 0;
  push_all(&dec, cut, 2, bytes, &len);
  r = rwkvtok_decoder_finish(&dec, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 3 && memcmp(bytes, "\xef\xbf\xbd", 3) == 0);
  /* End of text (id 0) stops by default, flushing what was held. */
  len = 0;
  push_all(&dec, cut, 2, bytes, &len);
  r = rwkvtok_decoder_push(&dec, 0, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_STOPPED && r.count == 3 && memcmp(bytes, "\xef\xbf\xbd", 3) == 0);
  /* Custom stop ids: 1 (the byte 0x00) and 261 ("\n\n"); 0 then decodes to nothing. */
  CHECK(rwkvtok_decoder_set_stop_ids(&dec, stops, 2) == RWKVTOK_OK);
  r = rwkvtok_decoder_push(&dec, 0, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 0);
  r = rwkvtok_decoder_push(&dec, 1, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_STOPPED && r.count == 0);
  r = rwkvtok_decoder_push(&dec, 261, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_STOPPED && r.count == 0);
  CHECK(rwkvtok_decoder_set_stop_ids(&dec, NULL, 0) == RWKVTOK_OK);
  r = rwkvtok_decoder_push(&dec, 261, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 2 && memcmp(bytes, "\n\n", 2) == 0);
  CHECK(rwkvtok_decoder_set_stop_ids(&dec, ids, RWKVTOK_MAX_STOP_IDS + 1) ==
        RWKVTOK_INVALID_ARGUMENT);

  /* Raw: the bytes as they are. */
  CHECK(rwkvtok_decoder_init(&dec, tok, RWKVTOK_UTF8_RAW) == RWKVTOK_OK);
  len = 0;
  push_all(&dec, cut, 2, bytes, &len);
  CHECK(len == 0);
  r = rwkvtok_decoder_finish(&dec, bytes, sizeof(bytes));
  CHECK(r.status == RWKVTOK_OK && r.count == 2 && memcmp(bytes, "\xe4\xb8", 2) == 0);
}

static void test_stream_encoder(const rwkvtok_tokenizer* tok) {
  rwkvtok_encoder enc;
  size_t t, chunk;
  CHECK(rwkvtok_encoder_init(&enc, tok) == RWKVTOK_OK);
  CHECK(rwkvtok_encoder_pending(&enc) == 0);
  /* Every text in chunks of 1..9 bytes gives the one-shot ids. */
  for (t = 0; t < TEXT_COUNT; ++t) {
    const struct text* text = &kTexts[t];
    const rwkvtok_result e = rwkvtok_encode(tok, text->bytes, text->size, ids, ID_BUFFER);
    for (chunk = 1; chunk <= 9; ++chunk) {
      static uint32_t streamed[ID_BUFFER];
      size_t pos = 0, n = 0;
      rwkvtok_result r;
      while (pos < text->size) {
        const size_t size = text->size - pos < chunk ? text->size - pos : chunk;
        const size_t needed = size + rwkvtok_encoder_pending(&enc);
        CHECK(rwkvtok_encoder_pending(&enc) <= 128);
        /* One short of size + pending: refused, nothing consumed. */
        r = rwkvtok_encoder_push(&enc, text->bytes + pos, size, streamed + n, needed - 1);
        CHECK(r.status == RWKVTOK_BUFFER_TOO_SMALL && r.count == needed);
        CHECK(rwkvtok_encoder_pending(&enc) + size == needed);
        r = rwkvtok_encoder_push(&enc, text->bytes + pos, size, streamed + n, needed);
        CHECK(r.status == RWKVTOK_OK && r.count <= needed);
        n += r.count;
        pos += size;
      }
      r = rwkvtok_encoder_finish(&enc, streamed + n, ID_BUFFER - n);
      CHECK(r.status == RWKVTOK_OK);
      n += r.count;
      CHECK(rwkvtok_encoder_pending(&enc) == 0);
      CHECK(n == e.count && memcmp(streamed, ids, n * sizeof(uint32_t)) == 0);
    }
  }
  CHECK(rwkvtok_encoder_push(&enc, NULL, 3, ids, 16).status == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_encoder_push(&enc, NULL, 0, NULL, 0).status == RWKVTOK_OK);
}

/* Every text cut into 1 to 3 parts at every place encodes, part by part and joined, to the
 * one-shot ids; nothing outside the text's range of ids is written. */
static void test_parts(const rwkvtok_tokenizer* tok) {
  size_t t, cut_a, cut_b, i;
  for (t = 0; t < sizeof(kTexts) / sizeof(kTexts[0]); ++t) {
    const struct text* text = &kTexts[t];
    const rwkvtok_result expected = rwkvtok_encode(tok, text->bytes, text->size, full, ID_BUFFER);
    CHECK(expected.status == RWKVTOK_OK);
    for (cut_a = 0; cut_a <= text->size; ++cut_a) {
      for (cut_b = cut_a; cut_b <= text->size; cut_b += 5) {
        rwkvtok_part parts[3];
        rwkvtok_result r;
        memset(parts, 0, sizeof(parts));
        parts[0].end = parts[1].begin = cut_a;
        parts[1].end = parts[2].begin = cut_b;
        parts[2].end = text->size;
        fill_ids();
        for (i = 0; i < 3; ++i) {
          CHECK(rwkvtok_encode_part(tok, text->bytes, text->size, &parts[i], ids) == RWKVTOK_OK);
        }
        r = rwkvtok_join_parts(tok, text->bytes, text->size, parts, 3, ids);
        CHECK(r.status == RWKVTOK_OK && r.count == expected.count);
        CHECK(r.position + r.count <= text->size);
        if (r.status == RWKVTOK_OK && r.count == expected.count) {
          CHECK(memcmp(ids + r.position, full, r.count * sizeof(uint32_t)) == 0);
        }
        CHECK(count_value(ids + text->size, ID_BUFFER - text->size, SENTINEL_ID) ==
              ID_BUFFER - text->size);
      }
    }
  }
  CHECK(rwkvtok_encode_part(tok, "abc", 3, NULL, ids) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_join_parts(tok, "abc", 3, NULL, 1, ids).status == RWKVTOK_INVALID_ARGUMENT);
}

/* Every test text laid end to end (twice, so that lanes get texts of their own), encoded at once:
 * each gets rwkvtok_encode's ids. */
static void test_texts(const rwkvtok_tokenizer* tok) {
  static unsigned char all[BYTE_BUFFER];
  size_t ends[2 * TEXT_COUNT], counts[2 * TEXT_COUNT];
  size_t n = 0, size = 0, t, i;
  for (i = 0; i < 2; ++i) {
    for (t = 0; t < TEXT_COUNT; ++t) {
      memcpy(all + size, kTexts[t].bytes, kTexts[t].size);
      size += kTexts[t].size;
      ends[n++] = size;
    }
  }
  fill_ids();
  CHECK(rwkvtok_encode_texts(tok, all, ends, n, ids, counts) == RWKVTOK_OK);
  for (i = 0; i < n; ++i) {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    const rwkvtok_result r = rwkvtok_encode(tok, all + begin, ends[i] - begin, full, ID_BUFFER);
    CHECK(r.status == RWKVTOK_OK && r.count == counts[i]);
    CHECK(memcmp(ids + begin, full, r.count * sizeof(uint32_t)) == 0);
  }
  CHECK(count_value(ids + size, ID_BUFFER - size, SENTINEL_ID) == ID_BUFFER - size);
  CHECK(rwkvtok_encode_texts(tok, NULL, NULL, 0, NULL, NULL) == RWKVTOK_OK);
  CHECK(rwkvtok_encode_texts(NULL, all, ends, n, ids, counts) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_encode_texts(tok, all, NULL, n, ids, counts) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_encode_texts(tok, all, ends, n, ids, NULL) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_encode_texts(tok, NULL, ends, n, ids, counts) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(rwkvtok_encode_texts(tok, all, ends, n, NULL, counts) == RWKVTOK_INVALID_ARGUMENT);
  ends[1] = ends[0] - 1; /* decreasing: refused before anything is written */
  fill_ids();
  counts[0] = 77;
  CHECK(rwkvtok_encode_texts(tok, all, ends, n, ids, counts) == RWKVTOK_INVALID_ARGUMENT);
  CHECK(counts[0] == 77 && count_value(ids, ID_BUFFER, SENTINEL_ID) == ID_BUFFER);
}

int main(void) {
  rwkvtok_tokenizer world;
  rwkvtok_world(&world);
  test_abi();
  test_status_messages();
  test_world_facts(&world);
  test_round_trips(&world);
  test_invalid_ids(&world);
  test_null_pointers(&world);
  test_budget(&world);
  test_blobs(&world);
  test_stream_decoder(&world);
  test_stream_encoder(&world);
  test_parts(&world);
  test_texts(&world);
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all C API checks passed\n");
  return 0;
}
