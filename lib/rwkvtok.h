/* rwkvtok: the RWKV "World" tokenizer (vocabulary rwkv_vocab_v20230424), exact and allocation-free.
 *
 * Encoding is greedy longest match over bytes: at each position the longest vocabulary entry that
 * is a prefix of the remaining input is emitted. Every byte value is a token of its own (for the
 * World vocabulary, id = byte + 1), so every input encodes, including invalid UTF-8.
 *
 * Special ids: id 0 is the end-of-text token. Text never encodes to it, it decodes to no bytes,
 * and appending it is up to the caller. Id 1 is the byte 0x00, an ordinary token, although some
 * models emit it where they mean "stop"; the streaming decoder can treat any ids as stop tokens.
 * Ids 65530..65535 are reserved and name no token.
 *
 * Buffers belong to the caller. No function here allocates, throws, aborts or keeps global state;
 * all are safe to call from many threads on one shared tokenizer (streaming states are per stream).
 *
 * This header has two layers over one implementation:
 *  - a C API (C99, and C++ of any version), with a stable ABI: caller-allocated opaque states
 *    of fixed, documented size, statuses as int32_t, no callbacks;
 *  - a C++17 API in namespace rwkvtok (Tokenizer, StreamDecoder, StreamEncoder), the idiomatic one.
 *
 * C++:
 *   const rwkvtok::Tokenizer tok = rwkvtok::Tokenizer::World();
 *   std::vector<uint16_t> ids(text.size());              // never more ids than input bytes
 *   rwkvtok::Result r = tok.Encode(text.data(), text.size(), ids.data(), ids.size());
 *   ids.resize(r.count);
 * C:
 *   rwkvtok_tokenizer tok;
 *   rwkvtok_world(&tok);
 *   rwkvtok_result r = rwkvtok_encode(&tok, text, size, ids, capacity);
 *
 * Sizing rule: Encode writes at most one id per input byte; Decode writes at most
 * max_token_length (128 for World) bytes per id. Or call with capacity 0 to learn the size. */

#ifndef RWKVTOK_LIB_RWKVTOK_H_
#define RWKVTOK_LIB_RWKVTOK_H_

#include <stddef.h>
#include <stdint.h>

/* What the library exports. A shared library built with -fvisibility=hidden (as the CMake build
 * does) shows the functions and classes marked with it, and nothing else. */
#ifndef RWKVTOK_API
#if defined(__GNUC__) || defined(__clang__)
#define RWKVTOK_API __attribute__((visibility("default")))
#else
#define RWKVTOK_API
#endif
#endif

/* ------------------------------------------------------------------------------------------------
 * C API
 * --------------------------------------------------------------------------------------------- */

#ifdef __cplusplus
extern "C" {
#endif

/* The version of rwkvtok: the project's one version number, which its packages take from here. */
#define RWKVTOK_VERSION_MAJOR 0
#define RWKVTOK_VERSION_MINOR 1
#define RWKVTOK_VERSION_PATCH 0
#define RWKVTOK_STRINGIFY_(x) #x
#define RWKVTOK_STRINGIFY(x) RWKVTOK_STRINGIFY_(x)
#define RWKVTOK_VERSION_STRING             \
  RWKVTOK_STRINGIFY(RWKVTOK_VERSION_MAJOR) \
  "." RWKVTOK_STRINGIFY(RWKVTOK_VERSION_MINOR) "." RWKVTOK_STRINGIFY(RWKVTOK_VERSION_PATCH)
/* The version of the library linked, as RWKVTOK_VERSION_STRING ("0.1.0"). */
RWKVTOK_API const char* rwkvtok_version(void);

/* Bumped when the layout of a state or the meaning of a function changes. */
#define RWKVTOK_ABI_VERSION 2
RWKVTOK_API uint32_t rwkvtok_abi_version(void);

/* Statuses. Functions return them as rwkvtok_status (int32_t) so the ABI never depends on the
 * compiler's choice of enum size. */
typedef int32_t rwkvtok_status;
enum {
  RWKVTOK_OK = 0,
  /* The output did not fit. result.count is the size needed; nothing past capacity was written. */
  RWKVTOK_BUFFER_TOO_SMALL = 1,
  /* An id that names no token (reserved, beyond the vocabulary, negative). result.position is its
   * index. Id 0 (end of text) is valid. */
  RWKVTOK_INVALID_ID = 2,
  /* An argument outside what the function documents: a null pointer with a non-zero size, an
   * unknown UTF-8 policy, more than RWKVTOK_MAX_STOP_IDS stop ids, parts that do not cover the
   * text, or a decoder made with an unknown policy. */
  RWKVTOK_INVALID_ARGUMENT = 3,
  /* Blob problems, from rwkvtok_validate and rwkvtok_from_blob. */
  RWKVTOK_BLOB_TRUNCATED = 4,           /* shorter than its header says */
  RWKVTOK_BLOB_BAD_MAGIC = 5,           /* not an rwkvtok blob */
  RWKVTOK_BLOB_UNSUPPORTED_VERSION = 6, /* made for another version of this library */
  RWKVTOK_BLOB_MISALIGNED = 7,          /* does not start at a multiple of 4 bytes */
  RWKVTOK_BLOB_CHECKSUM_MISMATCH = 8,   /* contents damaged */
  RWKVTOK_BLOB_CORRUPT = 9,             /* inconsistent structure */
  /* Streaming decoder, strict policy: the text is not valid UTF-8 (see rwkvtok_decoder_push). */
  RWKVTOK_INVALID_UTF8 = 10,
  /* Streaming decoder: a stop id was pushed (see rwkvtok_decoder_push). Not an error. */
  RWKVTOK_STOPPED = 11
};

/* A short English description of a status, for logs. Never null. */
RWKVTOK_API const char* rwkvtok_status_message(rwkvtok_status status);

typedef struct rwkvtok_result {
  rwkvtok_status status;
  uint32_t reserved; /* always 0 */
  /* RWKVTOK_OK: elements written (ids for encoding, bytes for decoding). BUFFER_TOO_SMALL: elements
   * needed. INVALID_ID: bytes written before the invalid id. Other statuses: see each function. */
  size_t count;
  /* INVALID_ID: index of the first invalid id. Otherwise as each function says, else 0. */
  size_t position;
} rwkvtok_result;

/* A tokenizer: an immutable view of a vocabulary blob, copyable with memcpy. */
#define RWKVTOK_TOKENIZER_SIZE 64
typedef struct rwkvtok_tokenizer {
  uint64_t opaque[RWKVTOK_TOKENIZER_SIZE / 8];
} rwkvtok_tokenizer;

/* The built-in World vocabulary. Cannot fail; needs no initialisation of the library. */
RWKVTOK_API void rwkvtok_world(rwkvtok_tokenizer* out);
/* The same vocabulary in the compact profile: the same ids and bytes from a trie of 189 KB
 * instead of 1 MB, for devices with little flash; encoding is about a tenth as fast (5 to 8 times
 * as long as the plain walk), decoding over a hundred times slower (docs/performance.md). A
 * firmware that calls only this one keeps only the compact trie. */
RWKVTOK_API void rwkvtok_world_compact(rwkvtok_tokenizer* out);

/* Checks that `size` bytes at `blob` are a complete, undamaged blob (made by rwkvtok_gen) that
 * can be used without reading out of bounds, and whose trie spells its own tokens: one id never
 * covers more than max_token_length bytes, and what it encodes decodes back to the input. Reads
 * only inside [blob, blob + size). Takes about 10 ms for World (a walk over the whole trie). */
RWKVTOK_API rwkvtok_status rwkvtok_validate(const void* blob, size_t size);

/* Validates the blob (full or compact) and, on success, points `*out` at it (the blob must
 * outlive every use). On failure `*out` is left untouched. */
RWKVTOK_API rwkvtok_status rwkvtok_from_blob(const void* blob, size_t size, rwkvtok_tokenizer* out);

/* Encodes `size` bytes of `text` into `ids` (room for `capacity`). count = ids written, or needed
 * with RWKVTOK_BUFFER_TOO_SMALL. Room past the ids, within capacity, may have been written: long
 * texts are worked on there. */
RWKVTOK_API rwkvtok_result rwkvtok_encode(const rwkvtok_tokenizer* tok, const void* text,
                                          size_t size, uint32_t* ids, size_t capacity);
RWKVTOK_API rwkvtok_result rwkvtok_encode_u16(const rwkvtok_tokenizer* tok, const void* text,
                                              size_t size, uint16_t* ids, size_t capacity);

/* Encodes many texts, each as rwkvtok_encode would on its own: a corpus of short documents, which
 * rwkvtok_encode would walk one at a time, fills the vector lanes with a text each. The texts lie
 * end to end in text[0 .. ends[count - 1]): text i is [ends[i - 1], ends[i]) (text 0 starts at
 * 0), so `ends` never decreases. Text i's ids go to ids[ends[i - 1] ..] (the start of its own
 * room: `ids` has room for one id per byte, ends[count - 1] ids in all), and id_counts[i] says how
 * many there are. RWKVTOK_INVALID_ARGUMENT, with nothing written, for null pointers with non-zero
 * sizes or decreasing ends. */
RWKVTOK_API rwkvtok_status rwkvtok_encode_texts(const rwkvtok_tokenizer* tok, const void* text,
                                                const size_t* ends, size_t count, uint32_t* ids,
                                                size_t* id_counts);

/* Decodes `count` ids into `bytes` (room for `capacity`). The bytes of the tokens are joined as
 * they are; a token may be part of a UTF-8 character (see the streaming decoder for text). With
 * RWKVTOK_OK and RWKVTOK_BUFFER_TOO_SMALL nothing after the bytes counted is touched; with
 * RWKVTOK_INVALID_ID the bytes of the ids before it are written and up to 16 bytes after them (but
 * within capacity) may have been overwritten. */
RWKVTOK_API rwkvtok_result rwkvtok_decode(const rwkvtok_tokenizer* tok, const uint32_t* ids,
                                          size_t count, void* bytes, size_t capacity);
RWKVTOK_API rwkvtok_result rwkvtok_decode_u16(const rwkvtok_tokenizer* tok, const uint16_t* ids,
                                              size_t count, void* bytes, size_t capacity);

/* Token budgeting. rwkvtok_count: count = the number of tokens `text` encodes to, no ids written.
 * rwkvtok_prefix: count = the length in bytes of the longest prefix of `text` that encodes to at
 * most `max_tokens` tokens, position = the number of tokens it encodes to. That prefix always ends
 * on a token boundary of the whole text's encoding, so its ids are the first `position` ids of the
 * whole text's. Both stop early: they cost what encoding the part they look at costs. */
RWKVTOK_API rwkvtok_result rwkvtok_count(const rwkvtok_tokenizer* tok, const void* text,
                                         size_t size);
RWKVTOK_API rwkvtok_result rwkvtok_prefix(const rwkvtok_tokenizer* tok, const void* text,
                                          size_t size, size_t max_tokens);

/* The vocabulary's sizes; each is 0 for a null tokenizer, or one no tokenizer was put in. */
RWKVTOK_API uint32_t
rwkvtok_token_count(const rwkvtok_tokenizer* tok); /* ids are below it: 65530 */
RWKVTOK_API uint32_t
rwkvtok_max_token_length(const rwkvtok_tokenizer* tok); /* bytes: 128 for World */
RWKVTOK_API uint64_t
rwkvtok_vocab_checksum(const rwkvtok_tokenizer* tok); /* see lib/blob_format.h */

/* How encoding walks a long text (128 KB and more, room for an id per byte) or many texts of 256
 * bytes and more (rwkvtok_encode_texts) on this CPU: "lanes/" and the vector target (e.g.
 * "lanes/AVX3", "lanes/AVX2", "lanes/SVE") when it walks many places at once in vector lanes, or
 * "plain" when this build has no lanes (microcontrollers, other CPUs) or this CPU's vectors are
 * too narrow for them to pay. Other texts, and every text of the compact profile, take the plain
 * walk. The ids are the same either way. */
RWKVTOK_API const char* rwkvtok_encode_path(void);

/* --- Streaming decoder: ids in one at a time, UTF-8 text out ----------------------------------
 *
 * Emits only complete UTF-8 characters: the bytes of a character split across tokens are held
 * back (never more than 3) until it is complete. Bytes that cannot be part of valid UTF-8 are
 * handled by the policy:
 *   RWKVTOK_UTF8_REPLACE: each maximal invalid subpart becomes U+FFFD (EF BF BD), as the Unicode
 *                         standard recommends and as Python's bytes.decode('utf-8', 'replace')
 *                         does; the output is always valid UTF-8.
 *   RWKVTOK_UTF8_STRICT:  the push (or finish) that meets them returns RWKVTOK_INVALID_UTF8 with
 *                         count = the bytes of valid text it wrote before them; the rest of that
 *                         token's bytes and anything held back are dropped, and the decoder
 *                         carries on with the next id as if starting a new text. Reporting it
 *                         needs room for at least one byte, even when no byte comes before it,
 *                         so a call with capacity 0 never ends in it: it returns
 *                         RWKVTOK_BUFFER_TOO_SMALL, changes nothing and can be retried.
 *   RWKVTOK_UTF8_RAW:     they are passed through as they are. Output = the one-shot decode.
 * Stop ids (default: just 0, end of text; set others with rwkvtok_decoder_set_stop_ids): pushing
 * one returns RWKVTOK_STOPPED after flushing what was held back (as rwkvtok_decoder_finish does,
 * except that under the strict policy an unfinished character is dropped and reported by
 * position = 1, else 0); the stop id's own bytes are not written and the decoder is ready for a
 * new text. Any id can be a stop id, even one that names no token. */
enum { RWKVTOK_UTF8_REPLACE = 0, RWKVTOK_UTF8_STRICT = 1, RWKVTOK_UTF8_RAW = 2 };
#define RWKVTOK_MAX_STOP_IDS 8
/* A bound on the bytes one push or finish can write, for any blob: 3 bytes of U+FFFD for each of
 * up to 255 token bytes and for each of 3 held-back bytes (a simple bound: held-back bytes give
 * at most one U+FFFD). rwkvtok_decoder_max_output gives the bound for one tokenizer (393 for
 * World). */
#define RWKVTOK_DECODER_MAX_OUTPUT 774

#define RWKVTOK_DECODER_SIZE 128
typedef struct rwkvtok_decoder {
  uint64_t opaque[RWKVTOK_DECODER_SIZE / 8];
} rwkvtok_decoder;

/* `policy` is one of RWKVTOK_UTF8_*. The tokenizer is copied. With any other policy the decoder
 * is still made, but every call on it returns RWKVTOK_INVALID_ARGUMENT (max_output: 0), as does
 * this one. */
RWKVTOK_API rwkvtok_status rwkvtok_decoder_init(rwkvtok_decoder* dec, const rwkvtok_tokenizer* tok,
                                                int32_t policy);
/* Replaces the stop ids with `count` (at most RWKVTOK_MAX_STOP_IDS) ids, copied; 0 ids is allowed
 * and means nothing stops. */
RWKVTOK_API rwkvtok_status rwkvtok_decoder_set_stop_ids(rwkvtok_decoder* dec, const uint32_t* ids,
                                                        size_t count);
RWKVTOK_API size_t rwkvtok_decoder_max_output(const rwkvtok_decoder* dec);
/* Bytes of an unfinished character held back now (0..3): nonzero after the id that began it, until
 * an id completes or breaks it. */
RWKVTOK_API size_t rwkvtok_decoder_pending(const rwkvtok_decoder* dec);
/* Decodes one id into `out` (room for `capacity` bytes). count = bytes written. Atomic: on
 * RWKVTOK_BUFFER_TOO_SMALL (count = bytes needed) or RWKVTOK_INVALID_ID nothing is written and the
 * decoder is unchanged, so the push can be retried. Other statuses as above. */
RWKVTOK_API rwkvtok_result rwkvtok_decoder_push(rwkvtok_decoder* dec, uint32_t id, void* out,
                                                size_t capacity);
/* Ends the text: writes what is held back (an unfinished character is invalid: U+FFFD, an
 * RWKVTOK_INVALID_UTF8 error, or raw bytes, by policy) and resets the decoder for a new text. */
RWKVTOK_API rwkvtok_result rwkvtok_decoder_finish(rwkvtok_decoder* dec, void* out, size_t capacity);

/* --- Streaming encoder: bytes in chunks of any size, ids out --------------------------------
 *
 * Gives exactly the ids that encoding all the bytes at once gives. An id is written as soon as it
 * is final: when the bytes after its start rule out any longer token. So at most
 * max_token_length (128 for World) bytes are held back between pushes, in the state itself. */
#define RWKVTOK_ENCODER_SIZE 576
typedef struct rwkvtok_encoder {
  uint64_t opaque[RWKVTOK_ENCODER_SIZE / 8];
} rwkvtok_encoder;

/* The tokenizer is copied. */
RWKVTOK_API rwkvtok_status rwkvtok_encoder_init(rwkvtok_encoder* enc, const rwkvtok_tokenizer* tok);
/* Bytes held back now (0..max_token_length). */
RWKVTOK_API size_t rwkvtok_encoder_pending(const rwkvtok_encoder* enc);
/* Adds `size` bytes and writes the ids that became final. Writes at most size + pending ids, and
 * requires `capacity` to be at least that (else RWKVTOK_BUFFER_TOO_SMALL with count = that bound,
 * nothing consumed or written), so a buffer of chunk size + max_token_length always suffices.
 * An encoder never initialised (zeroed) gives RWKVTOK_INVALID_ARGUMENT, here and in finish. */
RWKVTOK_API rwkvtok_result rwkvtok_encoder_push(rwkvtok_encoder* enc, const void* chunk,
                                                size_t size, uint32_t* ids, size_t capacity);
/* Ends the input: writes the ids of the bytes held back (at most pending ids, same capacity rule)
 * and resets the encoder for a new input. */
RWKVTOK_API rwkvtok_result rwkvtok_encoder_finish(rwkvtok_encoder* enc, uint32_t* ids,
                                                  size_t capacity);

/* --- One long text on several threads -----------------------------------------------------
 *
 * Cut the text anywhere into parts, encode each part on its own thread with rwkvtok_encode_part,
 * then, once all are done, call rwkvtok_join_parts on one thread: the ids of rwkvtok_encode are
 * then ids[result.position .. result.position + result.count). The caller owns the threads and
 * all the memory: one ids buffer with room for one id per byte of text, shared by all parts, and
 * one rwkvtok_part each. A part writes only ids[begin .. end): the first part to the end of that
 * range and every other part from its start, so with two parts the joined ids are nearly always
 * in place already. Joining re-encodes a few bytes at each cut (where the tokenizations from
 * either side agree again) and moves the ids of the third and later parts, so parts of a few
 * hundred KB and more cost next to nothing to join. That holds in a periodic run across a cut
 * too (one character or a pattern of up to 256 bytes, repeated for megabytes): a part that
 * begins in one scans back, at memory speed, to where the run begins, up to 32 times its own
 * length (at least 64 KB). Where a part's start is still mispredicted (a part further into a
 * run), joining re-encodes until the two tokenizations agree, at worst up to the part's end, on
 * one thread (the ids are exact all the same). */
typedef struct rwkvtok_part {
  size_t begin;    /* the caller's: the part's first byte; the first part begins at 0 */
  size_t end;      /* the caller's: where the next part begins; the last part ends at the size */
  size_t start;    /* rwkvtok_encode_part's: where its first token starts (begin, or the first
                      token boundary at or after it, as the bytes before it predict) */
  size_t count;    /* rwkvtok_encode_part's: its ids (0 if start >= end) */
  size_t last_end; /* rwkvtok_encode_part's: where its last token ends (>= end), else start */
} rwkvtok_part;

/* Encodes the tokens that start in [part->start, part->end) of text[0..size), greedily from
 * part->start, into ids[part->begin .. part->end): at the end of that range for the first part
 * (begin 0), at its start for the others. */
RWKVTOK_API rwkvtok_status rwkvtok_encode_part(const rwkvtok_tokenizer* tok, const void* text,
                                               size_t size, rwkvtok_part* part, uint32_t* ids);
/* Joins the encoded parts (in order, covering the text) into ids[position .. position + count)
 * of the result. The parts and their ids must be as rwkvtok_encode_part left them. Parts that do
 * not cover the text end to end are RWKVTOK_INVALID_ARGUMENT (position: the part). Joining reads
 * a part's ids only up to where its tokenization agrees with the one entering it; ids there that
 * name no token or run past the text are RWKVTOK_INVALID_ARGUMENT too, and ids is then
 * unspecified. Other damage is joined as it is. Joining never writes outside ids[0 .. size). */
RWKVTOK_API rwkvtok_result rwkvtok_join_parts(const rwkvtok_tokenizer* tok, const void* text,
                                              size_t size, const rwkvtok_part* parts,
                                              size_t part_count, uint32_t* ids);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* ------------------------------------------------------------------------------------------------
 * C++ API, for C++17 and later; older C++ sees the C API alone.
 * --------------------------------------------------------------------------------------------- */

#if defined(__cplusplus) && \
    (__cplusplus >= 201703L || (defined(_MSVC_LANG) && _MSVC_LANG >= 201703L))

namespace rwkvtok {

// clang-format off: clang-format 14 misreads an enum with an attribute
enum class [[nodiscard]] Status : int32_t{
    kOk = RWKVTOK_OK,
    kBufferTooSmall = RWKVTOK_BUFFER_TOO_SMALL,
    kInvalidId = RWKVTOK_INVALID_ID,
    kInvalidArgument = RWKVTOK_INVALID_ARGUMENT,
    kBlobTruncated = RWKVTOK_BLOB_TRUNCATED,
    kBlobBadMagic = RWKVTOK_BLOB_BAD_MAGIC,
    kBlobUnsupportedVersion = RWKVTOK_BLOB_UNSUPPORTED_VERSION,
    kBlobMisaligned = RWKVTOK_BLOB_MISALIGNED,
    kBlobChecksumMismatch = RWKVTOK_BLOB_CHECKSUM_MISMATCH,
    kBlobCorrupt = RWKVTOK_BLOB_CORRUPT,
    kInvalidUtf8 = RWKVTOK_INVALID_UTF8,
    kStopped = RWKVTOK_STOPPED,
};
// clang-format on

// A short English description of a status, e.g. for logs. Never null.
RWKVTOK_API const char* StatusMessage(Status status) noexcept;

// As rwkvtok_result: count and position mean what each function says.
struct [[nodiscard]] Result {
  Status status;
  size_t count;
  size_t position;

  bool ok() const noexcept { return status == Status::kOk; }
};

enum class Utf8Policy : int32_t {
  kReplace = RWKVTOK_UTF8_REPLACE,
  kStrict = RWKVTOK_UTF8_STRICT,
  kRaw = RWKVTOK_UTF8_RAW,
};

RWKVTOK_API Status Validate(const void* data, size_t size) noexcept;

// An immutable view of a vocabulary blob: a few pointers, cheap to copy. The memory it views must
// outlive it. Same layout as rwkvtok_tokenizer's contents.
class RWKVTOK_API Tokenizer {
 public:
  // The built-in World vocabulary, compiled into the library as read-only data.
  static Tokenizer World() noexcept;
  // The same in the compact profile, as rwkvtok_world_compact.
  static Tokenizer WorldCompact() noexcept;

  // Validates the blob at `data` (see Validate) and, on success, points `*out` at it. On failure
  // `*out` is left untouched. `out` must not be null.
  static Status FromBlob(const void* data, size_t size, Tokenizer* out) noexcept;

  // Encodes `size` bytes at `text` into `ids` (room for `capacity` ids): kOk with the number of
  // ids, kBufferTooSmall with the number needed, or kInvalidArgument for null pointers with
  // non-zero sizes. Room past the ids, within capacity, may have been written.
  Result Encode(const void* text, size_t size, uint16_t* ids, size_t capacity) const noexcept;
  Result Encode(const void* text, size_t size, int32_t* ids, size_t capacity) const noexcept;
  Result Encode(const void* text, size_t size, uint32_t* ids, size_t capacity) const noexcept;

  // Many texts laid end to end, each encoded on its own, as rwkvtok_encode_texts.
  Status EncodeTexts(const void* text, const size_t* ends, size_t count, uint32_t* ids,
                     size_t* id_counts) const noexcept;

  // Decodes `count` ids into `bytes` (room for `capacity` bytes): kOk with the number of bytes,
  // kBufferTooSmall with the number needed (saturating at SIZE_MAX), kInvalidId with the index of
  // the first id that names no token (its predecessors' bytes are written; up to 16 bytes after
  // them, within capacity, may have been overwritten), or kInvalidArgument. Tokens' bytes are
  // simply joined: a token may be part of a UTF-8 character (StreamDecoder yields whole
  // characters).
  Result Decode(const uint16_t* ids, size_t count, void* bytes, size_t capacity) const noexcept;
  Result Decode(const int32_t* ids, size_t count, void* bytes, size_t capacity) const noexcept;
  Result Decode(const uint32_t* ids, size_t count, void* bytes, size_t capacity) const noexcept;

  // Token budgeting, as rwkvtok_count and rwkvtok_prefix: Count's count is the number of tokens;
  // Prefix's count is the byte length of the longest prefix that encodes to at most `max_tokens`
  // tokens and its position the number of tokens that prefix encodes to.
  Result Count(const void* text, size_t size) const noexcept;
  Result Prefix(const void* text, size_t size, size_t max_tokens) const noexcept;

  // One long text on several threads, as rwkvtok_encode_part and rwkvtok_join_parts.
  using Part = rwkvtok_part;
  Status EncodePart(const void* text, size_t size, Part* part, uint32_t* ids) const noexcept;
  Result JoinParts(const void* text, size_t size, const Part* parts, size_t part_count,
                   uint32_t* ids) const noexcept;

  // The size of the id space: every valid id is below it (65530 for World).
  uint32_t token_count() const noexcept { return token_count_; }
  // The longest token, in bytes (128 for World).
  uint32_t max_token_length() const noexcept { return max_token_length_; }
  // Identifies the vocabulary (see lib/blob_format.h).
  uint64_t vocab_checksum() const noexcept { return vocab_checksum_; }

  // The C state for this tokenizer, and back.
  rwkvtok_tokenizer ToC() const noexcept;
  static Tokenizer FromC(const rwkvtok_tokenizer& c) noexcept;

 private:
  friend struct Internal;
  constexpr Tokenizer(const uint32_t* units, const uint32_t* token_entries,
                      const uint8_t* token_bytes, uint32_t token_count, uint32_t max_token_length,
                      uint64_t vocab_checksum)
      : units_(units),
        token_entries_(token_entries),
        token_bytes_(token_bytes),
        token_count_(token_count),
        max_token_length_(max_token_length),
        vocab_checksum_(vocab_checksum) {}

  // The sections of a validated blob; see lib/blob_format.h. In the compact profile, units_ and
  // token_entries_ are null and token_bytes_ is the validated compact blob.
  const uint32_t* units_;
  const uint32_t* token_entries_;
  const uint8_t* token_bytes_;
  uint32_t token_count_;
  uint32_t max_token_length_;
  uint64_t vocab_checksum_;
};

// Ids in one at a time, whole UTF-8 characters out; see the C API above for every rule.
class RWKVTOK_API StreamDecoder {
 public:
  // A policy that is not one of Utf8Policy's makes a decoder whose every call returns
  // kInvalidArgument (max_output: 0); status() tells.
  explicit StreamDecoder(const Tokenizer& tokenizer,
                         Utf8Policy policy = Utf8Policy::kReplace) noexcept;
  // kOk, or kInvalidArgument for a decoder made with an unknown policy.
  Status status() const noexcept;
  // Up to kMaxStopIds ids; kInvalidArgument if more.
  static constexpr size_t kMaxStopIds = RWKVTOK_MAX_STOP_IDS;
  Status SetStopIds(const uint32_t* ids, size_t count) noexcept;
  // The most bytes one Push or Finish can write with this tokenizer.
  size_t max_output() const noexcept;
  // Bytes of an unfinished character held back now (0..3).
  size_t pending() const noexcept;
  Result Push(uint32_t id, void* out, size_t capacity) noexcept;
  Result Finish(void* out, size_t capacity) noexcept;

 private:
  rwkvtok_decoder state_;
};

// Bytes in, in chunks of any size; exactly the one-shot ids out. See the C API above.
class RWKVTOK_API StreamEncoder {
 public:
  explicit StreamEncoder(const Tokenizer& tokenizer) noexcept;
  size_t pending() const noexcept;
  Result Push(const void* chunk, size_t size, uint32_t* ids, size_t capacity) noexcept;
  Result Finish(uint32_t* ids, size_t capacity) noexcept;

 private:
  rwkvtok_encoder state_;
};

}  // namespace rwkvtok

#endif  // C++17

#endif  // RWKVTOK_LIB_RWKVTOK_H_
