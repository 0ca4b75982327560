// The streaming encoder against the one-shot encoder under many chunkings, with the rule in
// lib/rwkvtok.h for when an id becomes final and the capacity rule.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

// Tokens sorted, to answer "is this string the beginning of a longer token?".
const std::vector<std::string>& SortedTokens() {
  static const std::vector<std::string>* const sorted = [] {
    auto* s = new std::vector<std::string>(SimpleEncoder::World().tokens());
    std::sort(s->begin(), s->end());
    return s;
  }();
  return *sorted;
}

bool StartsLongerToken(std::string_view bytes) {
  const auto& sorted = SortedTokens();
  auto it = std::lower_bound(sorted.begin(), sorted.end(), bytes,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it != sorted.end() && *it == bytes) ++it;  // the token itself, if it is one
  return it != sorted.end() && it->size() > bytes.size() &&
         std::string_view(*it).substr(0, bytes.size()) == bytes;
}

// Chunk sizes for one pass over a text.
struct Chunking {
  std::string name;
  size_t fixed = 0;   // every chunk this size, or
  uint64_t seed = 0;  // random sizes (including 0 and sizes around 128) from this seed
};

const std::vector<Chunking>& AllChunkings() {
  static const std::vector<Chunking>* const all = [] {
    auto* c = new std::vector<Chunking>;
    for (const size_t size : {1, 2, 3, 7, 127, 128, 129, 4096}) {
      c->push_back({"chunks of " + std::to_string(size), size, 0});
    }
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      c->push_back({"random chunks #" + std::to_string(seed), 0, seed});
    }
    return c;
  }();
  return *all;
}

// When ids must be written: "An id is written as soon as it is final: when the bytes after its
// start rule out any longer token."
enum class Finality {
  kNeverEarly,  // every id written is final (an id written earlier could still change)
  kExact,       // and every final id is written by the push that makes it final
};

// Pushes `text` in the chunks of `chunking` and checks, at every push: a too-small buffer gets
// kBufferTooSmall with count = size + pending and changes nothing; the ids written are one-shot
// ids that are final (no longer token can start with the bytes from their start to the end of
// the input so far), with `finality`; pending() is the rest, at most max_token_length; and the
// finish gives the remaining ids, so the whole is the one-shot encoding. Leaves `enc` reset.
void CheckEncoderChunking(StreamEncoder* enc, const std::string& text,
                          const std::vector<uint32_t>& expected, const Chunking& chunking,
                          const std::string& what, Finality finality = Finality::kNeverEarly) {
  const size_t max_length = TestWorld().max_token_length();
  std::mt19937_64 rng(chunking.seed);
  std::vector<uint32_t> ids;
  size_t consumed = 0;  // bytes pushed
  size_t covered = 0;   // bytes covered by the ids written
  std::vector<uint32_t> buffer;
  const auto fail = [&](const std::string& message) {
    ADD_FAILURE() << what << ", " << chunking.name << ", after " << consumed << " of "
                  << text.size() << " bytes: " << message;
    std::vector<uint32_t> rest(max_length + 1);
    (void)enc->Finish(rest.data(), rest.size());  // ready for the next input
  };
  for (;;) {
    size_t size = chunking.fixed;
    if (chunking.fixed == 0) {
      const size_t kind = Uniform(rng, 0, 9);
      size = kind == 0  ? 0
             : kind < 6 ? Uniform(rng, 1, 8)
             : kind < 9 ? Uniform(rng, 120, 136)
                        : Uniform(rng, 137, 5000);
    }
    size = std::min(size, text.size() - consumed);
    if (size == 0 && consumed == text.size()) break;
    const size_t pending = enc->pending();
    if (pending != consumed - covered) return fail("pending() is " + std::to_string(pending));
    const size_t needed = size + pending;
    // One short of the rule's bound: nothing consumed, nothing written.
    if (needed > 0) {
      buffer.assign(needed + 1, 0xDEADBEEF);
      const Result r = enc->Push(text.data() + consumed, size, buffer.data(), needed - 1);
      if (r.status != Status::kBufferTooSmall || r.count != needed) {
        return fail("capacity " + std::to_string(needed - 1) + " gave " + StatusMessage(r.status) +
                    " with count " + std::to_string(r.count));
      }
      if (std::count(buffer.begin(), buffer.end(), 0xDEADBEEF) !=
          static_cast<long>(buffer.size())) {
        return fail("a push with too small a buffer wrote ids");
      }
      if (enc->pending() != pending) return fail("a push with too small a buffer consumed bytes");
    }
    buffer.assign(needed + 1, 0xDEADBEEF);
    const Result r = enc->Push(text.data() + consumed, size, buffer.data(), needed);
    if (!r.ok() || r.count > needed) return fail(std::string("push: ") + StatusMessage(r.status));
    if (buffer[needed] != 0xDEADBEEF) return fail("written past the capacity");
    ids.insert(ids.end(), buffer.begin(), buffer.begin() + r.count);
    consumed += size;
    // Which ids are final now, counting from the first not yet written.
    size_t final_count = ids.size() - r.count;
    size_t final_end = covered;
    while (final_count < expected.size() &&
           !StartsLongerToken(std::string_view(text).substr(final_end, consumed - final_end))) {
      final_end += WorldTokens().bytes[expected[final_count]].size();
      ++final_count;
    }
    if (ids.size() > final_count || (finality == Finality::kExact && ids.size() != final_count)) {
      return fail("wrote " + std::to_string(ids.size()) + " ids in all, " +
                  std::to_string(final_count) + " are final; the bytes after the last id " +
                  "written before this push: " + Hex(text.substr(covered, consumed - covered)));
    }
    if (!std::equal(ids.end() - r.count, ids.end(), expected.begin() + (ids.size() - r.count))) {
      return fail("ids differ");
    }
    for (size_t i = ids.size() - r.count; i < ids.size(); ++i)
      covered += WorldTokens().bytes[ids[i]].size();
    if (enc->pending() != consumed - covered || enc->pending() > max_length) {
      return fail("pending() is " + std::to_string(enc->pending()) + ", expected " +
                  std::to_string(consumed - covered));
    }
  }
  const size_t pending = enc->pending();
  buffer.assign(pending + 1, 0xDEADBEEF);
  if (pending > 0) {
    const Result r = enc->Finish(buffer.data(), pending - 1);
    if (r.status != Status::kBufferTooSmall || r.count != pending) {
      return fail(std::string("finish with a small buffer: ") + StatusMessage(r.status));
    }
    if (enc->pending() != pending) return fail("a finish with too small a buffer consumed bytes");
  }
  const Result r = enc->Finish(buffer.data(), pending);
  if (!r.ok() || buffer[pending] != 0xDEADBEEF) return fail("finish failed");
  ids.insert(ids.end(), buffer.begin(), buffer.begin() + r.count);
  if (ids != expected) return fail("the ids differ from the one-shot ids");
  if (enc->pending() != 0) return fail("finish did not reset");
}

TEST(StreamEncoder, CorpusFilesInChunks) {
  const auto& texts = CorpusTexts();
  if (texts.empty())
    GTEST_SKIP() << "no corpus beside the checkout; generated data is tested below";
  StreamEncoder enc(TestWorld());  // one encoder for everything: Finish resets it
  const auto& chunkings = AllChunkings();
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& [name, text] = texts[i];
    const std::vector<uint32_t> expected = EncodeAll(TestWorld(), text);
    // Two chunkings per file, a fixed size and a random mix, rotating through all of them; the
    // big bench samples get only the fixed sizes from 127 up (tiny chunks over a whole megabyte
    // would add time, not coverage).
    const size_t fixed = text.size() > (256 << 10) ? 4 + i % 4 : i % 8;
    CheckEncoderChunking(&enc, text, expected, chunkings[fixed], name);
    CheckEncoderChunking(&enc, text, expected, chunkings[8 + i % 3], name);
    if (HasFailure()) return;
  }
}

TEST(StreamEncoder, AdversarialInputsInEveryChunking) {
  std::mt19937_64 rng(6);
  std::vector<std::string> inputs = {"", "a", std::string(1, '\0')};
  // Long runs of one byte (World has tokens of up to 128 spaces, 64 dashes, ...).
  for (const char byte : {' ', '-', '=', '\n', '\t', '#', '0', '\xff', 'a'}) {
    for (const size_t length : {2, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300}) {
      inputs.push_back(std::string(length, byte));
      inputs.push_back("x" + std::string(length, byte) + "y");
    }
  }
  for (size_t dashes = 1; dashes <= 300; dashes += 7)
    inputs.push_back("//" + std::string(dashes, '-'));
  // Near misses of long tokens: a proper prefix then a wrong byte, or one byte changed, so the
  // longest match is only known many bytes after its start.
  std::vector<std::string> longer;
  for (const std::string& token : SimpleEncoder::World().tokens()) {
    if (token.size() >= 8) longer.push_back(token);
  }
  ASSERT_GT(longer.size(), 100u);
  for (int n = 0; n < 300; ++n) {
    std::string text;
    for (size_t p = Uniform(rng, 1, 5); p > 0; --p) {
      std::string token = longer[Uniform(rng, 0, longer.size() - 1)];
      if (Uniform(rng, 0, 1)) {
        token = token.substr(0, Uniform(rng, 1, token.size() - 1)) +
                static_cast<char>(Uniform(rng, 0, 255));
      } else {
        token[Uniform(rng, 0, token.size() - 1)] ^= static_cast<char>(Uniform(rng, 1, 255));
      }
      text += token;
    }
    inputs.push_back(text);
  }
  for (int n = 0; n < 150; ++n) inputs.push_back(RandomBytes(rng, 600));
  for (int n = 0; n < 150; ++n) inputs.push_back(RandomUtf8(rng, 200));
  for (int n = 0; n < 150; ++n) inputs.push_back(AdversarialUtf8(rng));

  StreamEncoder enc(TestWorld());
  for (const std::string& text : inputs) {
    const std::vector<uint32_t> expected = EncodeAll(TestWorld(), text);
    for (const Chunking& chunking : AllChunkings()) {
      CheckEncoderChunking(&enc, text, expected, chunking, Hex(text));
      if (HasFailure()) return;
    }
  }
}

// "An id is written as soon as it is final: when the bytes after its start rule out any longer
// token." A token that no longer token starts with (a leaf of the trie, such as the byte 0x00 or
// "Download") is final as soon as its last byte arrives.
TEST(StreamEncoder, WritesALeafTokenAsSoonAsItsLastByteArrives) {
  ASSERT_FALSE(StartsLongerToken(std::string(1, '\0')));
  ASSERT_FALSE(StartsLongerToken("Download"));
  ASSERT_TRUE(StartsLongerToken("Down"));
  StreamEncoder enc(TestWorld());
  std::vector<uint32_t> ids(256);
  Result r = enc.Push("\0", 1, ids.data(), ids.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.count, 1u) << "no token is longer than the byte 0x00 and starts with it";
  ASSERT_TRUE(enc.Finish(ids.data(), ids.size()).ok());
  r = enc.Push("Down", 4, ids.data(), ids.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.count, 0u) << "\"Down\" may become \"Download\"";
  EXPECT_EQ(enc.pending(), 4u);
  r = enc.Push("load", 4, ids.data(), ids.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.count, 1u) << "no token is longer than \"Download\" and starts with it";
  ASSERT_TRUE(enc.Finish(ids.data(), ids.size()).ok());
}

// The same rule at every byte of generated texts and of the start of every corpus file.
TEST(StreamEncoder, WritesEachIdAsSoonAsItIsFinal) {
  StreamEncoder enc(TestWorld());
  std::mt19937_64 rng(10);
  std::vector<std::string> texts;
  for (int n = 0; n < 100; ++n) texts.push_back(RandomUtf8(rng, 50));
  for (int n = 0; n < 100; ++n) texts.push_back(RandomBytes(rng, 100));
  for (const auto& [name, text] : CorpusTexts()) texts.push_back(text.substr(0, 4096));
  for (const std::string& text : texts) {
    for (const Chunking& chunking : {AllChunkings()[0], AllChunkings()[8]}) {  // 1 byte, random
      CheckEncoderChunking(&enc, text, EncodeAll(TestWorld(), text), chunking, Hex(text),
                           Finality::kExact);
      if (HasFailure()) return;  // one example is enough
    }
  }
}

TEST(StreamEncoder, PendingIsBoundedByTheLongestToken) {
  // 127 spaces are the start of the 128-space token: all held. The 128th makes it final.
  StreamEncoder enc(TestWorld());
  std::vector<uint32_t> ids(300);
  const std::string spaces(300, ' ');
  Result r = enc.Push(spaces.data(), 127, ids.data(), ids.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(enc.pending(), 127u);
  r = enc.Push(spaces.data(), 1, ids.data(), ids.size());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.count, 1u) << "no token is longer: the 128-space token is final";
  EXPECT_EQ(ids[0], EncodeAll(TestWorld(), std::string(128, ' ')).at(0));
  EXPECT_EQ(enc.pending(), 0u);
  r = enc.Finish(ids.data(), ids.size());
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.count, 0u);
}

TEST(StreamEncoder, FinishStartsANewInput) {
  StreamEncoder enc(TestWorld());
  std::vector<uint32_t> ids(64);
  ASSERT_TRUE(enc.Push("Hello, wor", 10, ids.data(), ids.size()).ok());
  ASSERT_TRUE(enc.Finish(ids.data(), ids.size()).ok());
  EXPECT_EQ(enc.pending(), 0u);
  // "ld" alone, not the end of "world".
  std::vector<uint32_t> got;
  Result r = enc.Push("ld", 2, ids.data(), ids.size());
  ASSERT_TRUE(r.ok());
  got.insert(got.end(), ids.begin(), ids.begin() + r.count);
  r = enc.Finish(ids.data(), ids.size());
  ASSERT_TRUE(r.ok());
  got.insert(got.end(), ids.begin(), ids.begin() + r.count);
  EXPECT_EQ(got, EncodeAll(TestWorld(), "ld"));
  // Finish with nothing pending writes nothing, even into no buffer.
  r = enc.Finish(nullptr, 0);
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.count, 0u);
}

TEST(StreamEncoder, NullPointers) {
  StreamEncoder enc(TestWorld());
  uint32_t ids[8];
  EXPECT_EQ(enc.Push(nullptr, 0, nullptr, 0).status, Status::kOk);
  EXPECT_EQ(enc.Push(nullptr, 0, ids, 8).status, Status::kOk);
  EXPECT_EQ(enc.Push(nullptr, 3, ids, 8).status, Status::kInvalidArgument);
  EXPECT_EQ(enc.Push("abc", 3, nullptr, 8).status, Status::kInvalidArgument);
  EXPECT_EQ(enc.pending(), 0u) << "a rejected push consumes nothing";
}

TEST(StreamEncoder, CApiAgreesWithCpp) {
  const rwkvtok_tokenizer world = TestWorld().ToC();
  rwkvtok_encoder c;
  ASSERT_EQ(rwkvtok_encoder_init(&c, &world), RWKVTOK_OK);
  EXPECT_EQ(rwkvtok_encoder_pending(&c), 0u);
  std::mt19937_64 rng(7);
  std::string text;
  for (int n = 0; n < 50; ++n) text += RandomUtf8(rng, 40) + AdversarialUtf8(rng);
  std::vector<uint32_t> ids;
  std::vector<uint32_t> buffer(text.size() + 128);
  for (size_t pos = 0; pos < text.size();) {
    const size_t size = std::min(text.size() - pos, Uniform(rng, 0, 40));
    const rwkvtok_result r =
        rwkvtok_encoder_push(&c, text.data() + pos, size, buffer.data(), buffer.size());
    ASSERT_EQ(r.status, RWKVTOK_OK);
    ids.insert(ids.end(), buffer.begin(), buffer.begin() + r.count);
    pos += size;
  }
  const rwkvtok_result r = rwkvtok_encoder_finish(&c, buffer.data(), buffer.size());
  ASSERT_EQ(r.status, RWKVTOK_OK);
  ids.insert(ids.end(), buffer.begin(), buffer.begin() + r.count);
  EXPECT_EQ(ids, EncodeAll(TestWorld(), text));
}

// Push needs room for size + pending ids (lib/rwkvtok.h): with bytes held, a size near SIZE_MAX
// is refused with that bound saturated at SIZE_MAX, before any byte of the chunk is read, not
// wrapped round to a small bound.
TEST(StreamEncoder, AHugeSizeIsRefusedNotWrapped) {
  StreamEncoder enc(TestWorld());
  std::vector<uint32_t> ids(64, 0xDEADBEEF);
  ASSERT_TRUE(enc.Push("Down", 4, ids.data(), ids.size()).ok());
  ASSERT_EQ(enc.pending(), 4u);
  const char byte = 'x';  // never read: the bound is checked first
  for (const size_t size : {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 3}) {
    const Result r = enc.Push(&byte, size, ids.data(), ids.size());
    EXPECT_EQ(r.status, Status::kBufferTooSmall) << size;
    EXPECT_EQ(r.count, SIZE_MAX) << size;  // size + 4 saturates
    EXPECT_EQ(enc.pending(), 4u) << "nothing consumed";
  }
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 0xDEADBEEF), 64) << "nothing written";
  // The C API refuses it the same way.
  const rwkvtok_tokenizer world = TestWorld().ToC();
  rwkvtok_encoder c;
  ASSERT_EQ(rwkvtok_encoder_init(&c, &world), RWKVTOK_OK);
  ASSERT_EQ(rwkvtok_encoder_push(&c, "Down", 4, ids.data(), ids.size()).status, RWKVTOK_OK);
  const rwkvtok_result cr = rwkvtok_encoder_push(&c, &byte, SIZE_MAX, ids.data(), ids.size());
  EXPECT_EQ(cr.status, RWKVTOK_BUFFER_TOO_SMALL);
  EXPECT_EQ(cr.count, SIZE_MAX);
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
