// The encode-only and decode-only builds of the library (//lib:rwkvtok_encode_only with
// RWKVTOK_NO_DECODE, //lib:rwkvtok_decode_only with RWKVTOK_NO_ENCODE). This file is compiled once
// for each, with the same define. The half a build keeps must work exactly like the full
// tokenizer, here the same blob loaded from lib/world_blob.bin, which is complete in any build;
// the half it leaves out must stay memory-safe and behave as documented in lib/world.cc.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "lib/segments.h"
#include "tests/support.h"

namespace rwkvtok {
namespace {

// The complete World tokenizer, from the blob file, which it points into.
struct Loaded {
  testing::BlobFile file;
  Tokenizer tokenizer = Tokenizer::World();
};

const Tokenizer& Full() {
  static const Loaded* const loaded = [] {
    auto* l = new Loaded;
    const std::string path = testing::DataPath("lib/world_blob.bin");
    EXPECT_TRUE(testing::ReadWorldBlob(&l->file)) << "cannot read " << path;
    EXPECT_EQ(Tokenizer::FromBlob(l->file.bytes(), l->file.size, &l->tokenizer), Status::kOk)
        << "cannot load " << path;
    return l;
  }();
  return loaded->tokenizer;
}

std::vector<uint32_t> Encode(const Tokenizer& tok, const std::string& text) {
  std::vector<uint32_t> ids(text.size());
  const Result r = tok.Encode(text.data(), text.size(), ids.data(), ids.size());
  EXPECT_EQ(r.status, Status::kOk);
  ids.resize(r.count);
  return ids;
}

std::vector<std::string> Texts() {
  std::vector<std::string> texts = {
      "",
      "Hello, world! The quick brown fox jumps over the lazy dog.",
      "Grüße aus Köln. Привет, мир! Γειά σου κόσμε. 你好，世界。こんにちは。안녕하세요. 🌍🚀",
      "int main(int argc, char** argv) {\n    return argc > 1 ? 0 : 1;\n}\n",
      std::string(300, ' ') + std::string(200, '=') + "\n\n\n",
      std::string("\xff\xfe\x80\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\0abc", 16),
  };
  std::mt19937 random(12345);
  for (int i = 0; i < 50; ++i) {
    std::string bytes(random() % 700, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    texts.push_back(bytes);
  }
  return texts;
}

#if defined(RWKVTOK_NO_DECODE)

// The bytes of every token, from the complete tokenizer.
std::vector<std::string> AllTokens() {
  const testing::TokenTable table = testing::MakeTokenTable(Full());
  std::vector<std::string> tokens;
  for (uint32_t id = 1; id < table.bytes.size(); ++id) {
    if (table.valid[id] && !table.bytes[id].empty()) tokens.push_back(table.bytes[id]);
  }
  return tokens;
}

TEST(EncodeOnly, EncodesLikeTheFullTokenizer) {
  const Tokenizer world = Tokenizer::World();
  for (const std::string& text : Texts()) {
    EXPECT_EQ(Encode(world, text), Encode(Full(), text));
    EXPECT_EQ(world.Count(text.data(), text.size()).count,
              Full().Count(text.data(), text.size()).count);
    const Result prefix = world.Prefix(text.data(), text.size(), 7);
    const Result full_prefix = Full().Prefix(text.data(), text.size(), 7);
    EXPECT_EQ(prefix.count, full_prefix.count);
    EXPECT_EQ(prefix.position, full_prefix.position);
  }
  std::string all;
  for (const std::string& token : AllTokens()) {
    ASSERT_EQ(Encode(world, token), Encode(Full(), token));
    all += token;
  }
  EXPECT_EQ(Encode(world, all), Encode(Full(), all));
}

// Joining parts skips a part's tokens by matching each against the text, so it needs no decode
// table: here tokenizations started at the cut agree only after many tokens.
TEST(EncodeOnly, JoinsParts) {
  const Tokenizer world = Tokenizer::World();
  for (const std::string& text : {"x" + std::string(3000, '='), Texts()[2] + Texts()[3]}) {
    for (const size_t cut : {size_t{1}, text.size() / 2, text.size() - 1}) {
      std::vector<uint32_t> ids(text.size());
      Tokenizer::Part parts[2] = {{0, cut, 0, 0, 0}, {cut, text.size(), 0, 0, 0}};
      for (Tokenizer::Part& part : parts) {
        ASSERT_EQ(world.EncodePart(text.data(), text.size(), &part, ids.data()), Status::kOk);
      }
      const Result r = world.JoinParts(text.data(), text.size(), parts, 2, ids.data());
      ASSERT_EQ(r.status, Status::kOk) << "cut at " << cut;
      EXPECT_EQ(std::vector<uint32_t>(ids.begin() + r.position, ids.begin() + r.position + r.count),
                Encode(Full(), text));
    }
  }
}

TEST(EncodeOnly, StreamEncoderWorks) {
  const std::string text = Texts()[2] + Texts()[3] + Texts()[4];
  StreamEncoder encoder(Tokenizer::World());
  std::vector<uint32_t> ids;
  for (size_t at = 0; at < text.size(); at += 5) {
    const size_t n = text.size() - at < 5 ? text.size() - at : 5;
    std::vector<uint32_t> out(n + 128);
    const Result r = encoder.Push(text.data() + at, n, out.data(), out.size());
    ASSERT_EQ(r.status, Status::kOk);
    ids.insert(ids.end(), out.begin(), out.begin() + r.count);
  }
  std::vector<uint32_t> out(128);
  const Result r = encoder.Finish(out.data(), out.size());
  ASSERT_EQ(r.status, Status::kOk);
  ids.insert(ids.end(), out.begin(), out.begin() + r.count);
  EXPECT_EQ(ids, Encode(Full(), text));
}

TEST(EncodeOnly, DecodesOnlyEndOfText) {
  const Tokenizer world = Tokenizer::World();
  EXPECT_EQ(world.token_count(), 1u);
  EXPECT_EQ(world.max_token_length(), 128u);
  EXPECT_EQ(world.vocab_checksum(), Full().vocab_checksum());
  char bytes[16];
  const uint32_t end_of_text = 0;
  Result r = world.Decode(&end_of_text, 1, bytes, sizeof(bytes));
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.count, 0u);
  const std::vector<uint32_t> ids = {0, 34, 1, 65529};
  r = world.Decode(ids.data(), ids.size(), bytes, sizeof(bytes));
  EXPECT_EQ(r.status, Status::kInvalidId);
  EXPECT_EQ(r.position, 1u);
  StreamDecoder decoder(world);
  r = decoder.Push(34, bytes, sizeof(bytes));
  EXPECT_EQ(r.status, Status::kInvalidId);
  r = decoder.Push(0, bytes, sizeof(bytes));
  EXPECT_EQ(r.status, Status::kStopped);
}

#elif defined(RWKVTOK_NO_ENCODE)

std::string Decode(const Tokenizer& tok, const std::vector<uint32_t>& ids) {
  std::string bytes(ids.size() * tok.max_token_length(), '\0');
  const Result r = tok.Decode(ids.data(), ids.size(), &bytes[0], bytes.size());
  EXPECT_EQ(r.status, Status::kOk) << StatusMessage(r.status) << " at " << r.position;
  bytes.resize(r.count);
  return bytes;
}

TEST(DecodeOnly, DecodesLikeTheFullTokenizer) {
  const Tokenizer world = Tokenizer::World();
  EXPECT_EQ(world.token_count(), Full().token_count());
  EXPECT_EQ(world.max_token_length(), Full().max_token_length());
  EXPECT_EQ(world.vocab_checksum(), Full().vocab_checksum());
  std::vector<uint32_t> every_id;
  for (uint32_t id = 0; id < 65536; ++id) {
    char bytes[256], full_bytes[256];
    const Result r = world.Decode(&id, 1, bytes, sizeof(bytes));
    const Result full = Full().Decode(&id, 1, full_bytes, sizeof(full_bytes));
    ASSERT_EQ(r.status, full.status) << id;
    ASSERT_EQ(std::string(bytes, r.count), std::string(full_bytes, full.count)) << id;
    if (r.ok()) every_id.push_back(id);
  }
  EXPECT_EQ(Decode(world, every_id), Decode(Full(), every_id));
  for (const std::string& text : Texts()) {
    const std::vector<uint32_t> ids = Encode(Full(), text);
    EXPECT_EQ(Decode(world, ids), text);
  }
}

TEST(DecodeOnly, StreamDecoderWorks) {
  const std::string text = Texts()[2] + Texts()[5];
  const std::vector<uint32_t> ids = Encode(Full(), text);
  for (const Utf8Policy policy : {Utf8Policy::kRaw, Utf8Policy::kReplace}) {
    StreamDecoder decoder(Tokenizer::World(), policy), full(Full(), policy);
    std::string out, full_out;
    char bytes[RWKVTOK_DECODER_MAX_OUTPUT];
    for (const uint32_t id : ids) {
      Result r = decoder.Push(id, bytes, sizeof(bytes));
      ASSERT_EQ(r.status, Status::kOk);
      out.append(bytes, r.count);
      r = full.Push(id, bytes, sizeof(bytes));
      full_out.append(bytes, r.count);
    }
    Result r = decoder.Finish(bytes, sizeof(bytes));
    out.append(bytes, r.count);
    r = full.Finish(bytes, sizeof(bytes));
    full_out.append(bytes, r.count);
    EXPECT_EQ(out, full_out);
    if (policy == Utf8Policy::kRaw) {
      EXPECT_EQ(out, text);
    }
  }
}

TEST(DecodeOnly, EncodesEveryByteToEndOfText) {
  const Tokenizer world = Tokenizer::World();
  for (const std::string& text : Texts()) {
    EXPECT_EQ(Encode(world, text), std::vector<uint32_t>(text.size(), 0));
    EXPECT_EQ(world.Count(text.data(), text.size()).count, text.size());
  }
}

// Long enough for the vector lanes (where the CPU has them) and many texts at once: the stand-in
// trie walked in lanes gives the same, with each lane kernel (Encode and EncodeTexts take only
// this CPU's preferred one), which read the unit below a kept id of 0 (units[-1], which the
// stand-in has).
TEST(DecodeOnly, EncodesEveryByteToEndOfTextInLanes) {
  const Tokenizer world = Tokenizer::World();
  std::string text;
  for (size_t i = 0; text.size() < (size_t{1} << 19); ++i) text += Texts()[i % Texts().size()];
  EXPECT_EQ(Encode(world, text), std::vector<uint32_t>(text.size(), 0));
  std::vector<size_t> ends;
  for (size_t end = 300; end <= 300 * 64; end += 300) ends.push_back(end);
  const auto check = [&](auto encode_texts) {
    std::vector<uint32_t> ids(ends.back(), 7);
    std::vector<size_t> counts(ends.size());
    ASSERT_EQ(encode_texts(ids.data(), counts.data()), Status::kOk);
    EXPECT_EQ(ids, std::vector<uint32_t>(ids.size(), 0));
    EXPECT_EQ(counts, std::vector<size_t>(ends.size(), 300));
  };
  check([&](uint32_t* ids, size_t* counts) {
    return world.EncodeTexts(text.data(), ends.data(), ends.size(), ids, counts);
  });
  for (const lanes::Kernel kernel : {lanes::Kernel::kGathers, lanes::Kernel::kWindows}) {
    check([&](uint32_t* ids, size_t* counts) {
      return EncodeTextsWith(world, kernel, text.data(), ends.data(), ends.size(), ids, counts);
    });
  }
}

#else
#error "compile with RWKVTOK_NO_DECODE or RWKVTOK_NO_ENCODE"
#endif

}  // namespace
}  // namespace rwkvtok
