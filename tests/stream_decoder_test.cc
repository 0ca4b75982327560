// The streaming decoder, checked against the rules in lib/rwkvtok.h and a small reference model
// written here (Python's UTF-8 decoding rules, fed one token at a time): on the corpus, on
// generated and adversarial inputs, in every policy; stop ids; atomic retries; the output bound.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

constexpr Utf8Policy kPolicies[] = {Utf8Policy::kReplace, Utf8Policy::kStrict, Utf8Policy::kRaw};
constexpr uint32_t kWorldMaxOutput = 393;  // 3 bytes of U+FFFD for each of 128 + 3 bytes
const std::string kFffd = "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER in UTF-8

// World: every byte is a token of its own, id = byte + 1.
uint32_t ByteId(uint8_t byte) { return byte + 1u; }

const char* PolicyName(Utf8Policy policy) {
  switch (policy) {
    case Utf8Policy::kReplace:
      return "replace";
    case Utf8Policy::kStrict:
      return "strict";
    case Utf8Policy::kRaw:
      return "raw";
  }
  return "?";
}

// ------------------------------------------------------------------------------------------------
// Reference UTF-8 decoding, written from the standard rather than from the library.
//
// Python's bytes.decode('utf-8', 'replace') follows Unicode §3.9 "U+FFFD Substitution of Maximal
// Subparts" (also the W3C/WHATWG Encoding Standard): a lead byte announces 1..3 continuation
// bytes; the first continuation has a narrower range after E0 (A0..BF, no overlongs), ED (80..9F,
// no surrogates), F0 (90..BF, no overlongs) and F4 (80..8F, nothing above U+10FFFF); every other
// continuation is 80..BF. 80..C1 and F5..FF never start a character. A maximal subpart is a lead
// byte followed by the continuations that were still valid when an unexpected byte (or the end)
// came; it becomes one U+FFFD, and decoding resumes at the unexpected byte.

struct RefDecoded {
  std::string text;      // what is written
  size_t held = 0;       // final == false: trailing bytes of a character that may yet complete
  bool invalid = false;  // strict: an invalid subpart was met; `text` is the valid text before it
};

// Decodes `in` under `policy`. With final == false an unfinished (but so far valid) character at
// the end is held back instead of being treated as invalid, as a streaming decoder must.
RefDecoded RefDecode(std::string_view in, Utf8Policy policy, bool final) {
  RefDecoded r;
  size_t i = 0;
  while (i < in.size()) {
    const uint8_t lead = static_cast<uint8_t>(in[i]);
    if (lead < 0x80) {
      r.text += static_cast<char>(lead);
      ++i;
      continue;
    }
    size_t need = 0;  // continuation bytes this lead announces; 0: it cannot start a character
    uint8_t low = 0x80, high = 0xBF;  // range of the first continuation byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      need = 1;
    } else if (lead == 0xE0) {
      need = 2, low = 0xA0;
    } else if (lead == 0xED) {
      need = 2, high = 0x9F;
    } else if (lead >= 0xE1 && lead <= 0xEF) {
      need = 2;
    } else if (lead == 0xF0) {
      need = 3, low = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      need = 3;
    } else if (lead == 0xF4) {
      need = 3, high = 0x8F;
    }
    size_t end = i + 1;  // end of the valid-so-far part
    while (need > 0 && end < in.size() && end - i <= need) {
      const uint8_t c = static_cast<uint8_t>(in[end]);
      const bool ok = end == i + 1 ? (c >= low && c <= high) : (c >= 0x80 && c <= 0xBF);
      if (!ok) break;
      ++end;
    }
    if (need > 0 && end - i == need + 1) {  // a whole character
      r.text.append(in.substr(i, end - i));
      i = end;
      continue;
    }
    if (need > 0 && end == in.size() && !final) {  // may still be completed by what follows
      r.held = end - i;
      break;
    }
    // in[i, end) is a maximal invalid subpart.
    switch (policy) {
      case Utf8Policy::kReplace:
        r.text += kFffd;
        break;
      case Utf8Policy::kRaw:
        r.text.append(in.substr(i, end - i));
        break;
      case Utf8Policy::kStrict:
        r.invalid = true;
        return r;
    }
    i = end;
  }
  return r;
}

bool IsValidUtf8(std::string_view bytes) {
  const RefDecoded d = RefDecode(bytes, Utf8Policy::kStrict, /*final=*/true);
  return !d.invalid;
}

std::string PythonReplace(std::string_view bytes) {
  return RefDecode(bytes, Utf8Policy::kReplace, /*final=*/true).text;
}

// What one push or finish returns: a status, the bytes written and the result's position (0 but
// for a strict stop that drops an unfinished character).
struct Pushed {
  Status status;
  std::string bytes;
  size_t position = 0;
  bool operator==(const Pushed& o) const {
    return status == o.status && bytes == o.bytes && position == o.position;
  }
};

// The streaming decoder as the header describes it, one token's bytes at a time: the held bytes
// and the new token are decoded together; an unfinished character at the end stays held. Strict:
// on an invalid subpart, everything after the valid text before it is dropped. A stop id flushes
// like Finish and returns kStopped.
class RefStream {
 public:
  explicit RefStream(Utf8Policy policy) : policy_(policy) {}

  Pushed Push(std::string_view token) {
    // ASCII after a character boundary is itself in every policy (and most corpus tokens are).
    if (held_.empty() && std::all_of(token.begin(), token.end(),
                                     [](char c) { return static_cast<uint8_t>(c) < 0x80; })) {
      return {Status::kOk, std::string(token)};
    }
    const std::string buffer = held_ + std::string(token);
    const RefDecoded d = RefDecode(buffer, policy_, /*final=*/false);
    held_ = d.invalid ? std::string() : buffer.substr(buffer.size() - d.held);
    return {d.invalid ? Status::kInvalidUtf8 : Status::kOk, d.text};
  }

  Pushed Finish() {
    const RefDecoded d = RefDecode(held_, policy_, /*final=*/true);
    held_.clear();
    return {d.invalid ? Status::kInvalidUtf8 : Status::kOk, d.text};
  }

  // "pushing one returns RWKVTOK_STOPPED after flushing what was held back (as
  // rwkvtok_decoder_finish does, except that under the strict policy an unfinished character is
  // dropped and reported by position = 1, else 0)".
  Pushed Stop() {
    Pushed flushed = Finish();
    flushed.position = flushed.status == Status::kInvalidUtf8 ? 1 : 0;
    flushed.status = Status::kStopped;
    return flushed;
  }

  size_t held() const { return held_.size(); }

 private:
  Utf8Policy policy_;
  std::string held_;
};

std::string Show(const Pushed& p) {
  return std::string(StatusMessage(p.status)) + " [" + Hex(p.bytes) + "] position " +
         std::to_string(p.position);
}

// A buffer that any push or finish fits in, with guard bytes after it.
class OutBuffer {
 public:
  static constexpr size_t kCapacity = RWKVTOK_DECODER_MAX_OUTPUT;
  static constexpr char kGuard = '#';
  OutBuffer() : bytes_(kCapacity + 16, kGuard) {}
  char* data() { return &bytes_[0]; }
  // The bytes the result says were written; checks that nothing was written past the capacity.
  std::string Take(const Result& r) {
    std::string out;
    if (r.status != Status::kBufferTooSmall && r.status != Status::kInvalidId &&
        r.status != Status::kInvalidArgument && r.count <= kCapacity) {
      out.assign(bytes_.data(), r.count);
    }
    if (bytes_.find_first_not_of(kGuard, kCapacity) != std::string::npos) {
      ADD_FAILURE() << "written past the capacity";
    }
    return out;
  }

 private:
  std::string bytes_;
};

Pushed PushId(StreamDecoder* dec, uint32_t id) {
  OutBuffer buffer;
  const Result r = dec->Push(id, buffer.data(), OutBuffer::kCapacity);
  return {r.status, buffer.Take(r), r.position};
}

Pushed FinishDecoder(StreamDecoder* dec) {
  OutBuffer buffer;
  const Result r = dec->Finish(buffer.data(), OutBuffer::kCapacity);
  return {r.status, buffer.Take(r), r.position};
}

// A StreamDecoder and the reference model side by side: every push and finish must return the
// same status and bytes from both. Reports the first few differences and then stays quiet.
class CheckedDecoder {
 public:
  CheckedDecoder(Utf8Policy policy, std::string what)
      : decoder_(TestWorld(), policy),
        model_(policy),
        policy_(policy),
        what_(std::move(what) + " (" + PolicyName(policy) + ")") {}

  void SetStopIds(const std::vector<uint32_t>& ids) {
    ASSERT_EQ(decoder_.SetStopIds(ids.data(), ids.size()), Status::kOk);
    stop_ids_ = ids;
  }

  bool Push(uint32_t id) {
    const bool stop = std::find(stop_ids_.begin(), stop_ids_.end(), id) != stop_ids_.end();
    const Pushed expected = stop ? model_.Stop() : model_.Push(WorldTokens().bytes.at(id));
    if (policy_ == Utf8Policy::kReplace) {
      const Pushed validity = stop ? validity_.Finish() : validity_.Push(WorldTokens().bytes[id]);
      if (validity.status == Status::kInvalidUtf8) valid_ = false;
    } else if (expected.status == Status::kInvalidUtf8) {
      valid_ = false;  // strict: the model itself says so (raw does not need to know)
    }
    const Result r = decoder_.Push(id, buffer_.data(), OutBuffer::kCapacity);
    const Pushed actual{r.status, buffer_.Take(r), r.position};
    input_ += stop ? "" : WorldTokens().bytes[id];
    return Record(expected, actual, "push of id " + std::to_string(id));
  }

  bool Finish() {
    const Pushed expected = model_.Finish();
    if (validity_.Finish().status == Status::kInvalidUtf8) valid_ = false;
    const Result r = decoder_.Finish(buffer_.data(), OutBuffer::kCapacity);
    const Pushed actual{r.status, buffer_.Take(r), r.position};
    return Record(expected, actual, "finish");
  }

  const std::string& output() const { return output_; }
  size_t invalid_utf8_count() const { return invalid_utf8_; }
  bool failed() const { return failures_ > 0; }

 private:
  bool Record(const Pushed& expected, const Pushed& actual, const std::string& step) {
    ++steps_;
    output_ += actual.bytes;
    if (actual.status == Status::kInvalidUtf8) ++invalid_utf8_;
    bool good = actual == expected;
    if (actual.bytes.size() > decoder_.max_output()) good = false;
    // Never more than 3 bytes held back: in raw mode, and in any mode while the text is valid,
    // everything but the held bytes has been written.
    if ((policy_ == Utf8Policy::kRaw || valid_) && output_.size() + 3 < input_.size()) {
      good = false;
    }
    if (!good && ++failures_ <= 3) {
      ADD_FAILURE() << what_ << ", step " << steps_ << ", " << step << ": got " << Show(actual)
                    << ", expected " << Show(expected) << "; output so far " << output_.size()
                    << " bytes of " << input_.size() << " input bytes; max_output "
                    << decoder_.max_output();
    }
    return good;
  }

  StreamDecoder decoder_;
  OutBuffer buffer_;
  RefStream model_;
  RefStream validity_{Utf8Policy::kStrict};  // tells whether the input so far is valid UTF-8
  bool valid_ = true;
  Utf8Policy policy_;
  std::string what_;
  std::vector<uint32_t> stop_ids_ = {0};
  std::string input_;  // the bytes of every non-stop id pushed
  std::string output_;
  size_t steps_ = 0;
  size_t invalid_utf8_ = 0;
  int failures_ = 0;
};

// Streams `ids` (no stop ids among them) in every policy and checks, besides every single push
// against the model: raw gives exactly the one-shot Decode; replace gives Python's replacement
// of the one-shot bytes; for valid UTF-8 all three give the one-shot bytes and strict reports
// nothing.
void CheckDecoderOnIds(const std::vector<uint32_t>& ids, const std::string& what) {
  const std::string oneshot = DecodeAll(TestWorld(), ids);
  const bool valid = IsValidUtf8(oneshot);
  for (const Utf8Policy policy : kPolicies) {
    CheckedDecoder dec(policy, what);
    for (const uint32_t id : ids) {
      if (!dec.Push(id)) return;
    }
    if (!dec.Finish()) return;
    if (policy == Utf8Policy::kRaw) {
      ASSERT_TRUE(dec.output() == oneshot) << what << ": raw output differs from Decode";
    }
    if (policy == Utf8Policy::kReplace) {
      ASSERT_TRUE(dec.output() == PythonReplace(oneshot)) << what << ": replace output";
    }
    if (valid) {
      ASSERT_TRUE(dec.output() == oneshot) << what << " (" << PolicyName(policy) << ")";
      ASSERT_EQ(dec.invalid_utf8_count(), 0u) << what;
    }
  }
}

// ================================================================================================
// The reference model itself

// Results of Python 3's bytes.decode('utf-8', 'replace').encode('utf-8'), recorded, so that the
// model is checked against Python independently of the library (tests/utf8_replace_test.py checks
// the library against a live python3 on thousands more).
TEST(Reference, MatchesRecordedPythonResults) {
  const std::pair<std::string, std::string> kCases[] = {
      // The example of Unicode §3.9, Table 3-8.
      {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
       "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d"},
      {"\xc0\x80", kFffd + kFffd},
      {"\xc1\xbf", kFffd + kFffd},
      {"\xe0\x80\x80", kFffd + kFffd + kFffd},
      {"\xe0\x9f\xbf", kFffd + kFffd + kFffd},
      {"\xe0\xa0\x80", "\xe0\xa0\x80"},
      {"\xed\xa0\x80", kFffd + kFffd + kFffd},
      {"\xed\x9f\xbf", "\xed\x9f\xbf"},
      {"\xf0\x8f\xbf\xbf", kFffd + kFffd + kFffd + kFffd},
      {"\xf0\x90\x80\x80", "\xf0\x90\x80\x80"},
      {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},
      {"\xf4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},
      {"\xf5\x80\x80\x80", kFffd + kFffd + kFffd + kFffd},
      {"\xff\xfe", kFffd + kFffd},
      {"\xe4\xb8", kFffd},
      {"\xf0\x9f\x98", kFffd},
      {"\xe4\xb8\x41", kFffd + "A"},
      {"\x80\xbf", kFffd + kFffd},
      {"\xf1\x80\x80\xe1\x80\xc2", kFffd + kFffd + kFffd},
      {"\xed\xa0", kFffd + kFffd},
      {"\xf4\x90", kFffd + kFffd},
      {"\xe0\x80", kFffd + kFffd},
  };
  for (const auto& [in, expected] : kCases) {
    EXPECT_EQ(Hex(PythonReplace(in)), Hex(expected)) << "input " << Hex(in);
  }
  // Held back only while it can still complete.
  EXPECT_EQ(RefDecode("a\xf0\x9f\x98", Utf8Policy::kReplace, false).held, 3u);
  EXPECT_EQ(RefDecode("a\xed\xa0", Utf8Policy::kReplace, false).held, 0u);
}

// ================================================================================================
// StreamDecoder

TEST(StreamDecoder, MaxOutputIsTheDocumentedBound) {
  for (const Utf8Policy policy : kPolicies) {
    const StreamDecoder dec(TestWorld(), policy);
    EXPECT_EQ(dec.max_output(), kWorldMaxOutput) << PolicyName(policy);
    EXPECT_LE(dec.max_output(), size_t{RWKVTOK_DECODER_MAX_OUTPUT});
  }
}

// A character is written by the push that completes it, not earlier and not later.
TEST(StreamDecoder, EmitsEachCharacterAsSoonAsItIsComplete) {
  for (const Utf8Policy policy : kPolicies) {
    StreamDecoder dec(TestWorld(), policy);
    // 中 = E4 B8 AD, one byte token at a time.
    EXPECT_EQ(PushId(&dec, ByteId(0xE4)), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(PushId(&dec, ByteId(0xB8)), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(PushId(&dec, ByteId(0xAD)), (Pushed{Status::kOk, "\xe4\xb8\xad"}));
    // 😀 = F0 9F 98 80: "a" + F0, then 9F, then 98 80 + "b".
    EXPECT_EQ(PushId(&dec, 98), (Pushed{Status::kOk, "a"}));  // 98 = "a"
    EXPECT_EQ(PushId(&dec, ByteId(0xF0)), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(PushId(&dec, ByteId(0x9F)), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(PushId(&dec, ByteId(0x98)), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(PushId(&dec, ByteId(0x80)), (Pushed{Status::kOk, "\xf0\x9f\x98\x80"}));
    EXPECT_EQ(FinishDecoder(&dec), (Pushed{Status::kOk, ""}));
  }
  // A vocabulary token that ends inside a character (E0 A4, the start of Devanagari) is held
  // until a later token completes it.
  const std::vector<uint32_t> ids = EncodeAll(TestWorld(), "\xe0\xa4");
  ASSERT_EQ(ids.size(), 1u);
  StreamDecoder dec(TestWorld(), Utf8Policy::kStrict);
  EXPECT_EQ(PushId(&dec, ids[0]), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, ByteId(0xA8)), (Pushed{Status::kOk, "\xe0\xa4\xa8"}));  // न
}

TEST(StreamDecoder, CorpusFilesDecodeAsOneShot) {
  const auto& texts = CorpusTexts();
  if (texts.empty())
    GTEST_SKIP() << "no corpus beside the checkout; generated data is tested below";
  for (const auto& [name, text] : texts) {
    CheckDecoderOnIds(EncodeAll(TestWorld(), text), name);
    if (HasFatalFailure()) return;
  }
}

TEST(StreamDecoder, GeneratedTextsDecodeAsOneShot) {
  std::mt19937_64 rng(1);
  for (int n = 0; n < 300; ++n) {
    const std::string text = RandomBytes(rng, 300);
    CheckDecoderOnIds(EncodeAll(TestWorld(), text), "random bytes " + Hex(text));
    if (HasFatalFailure()) return;
  }
  for (int n = 0; n < 300; ++n) {
    const std::string text = RandomUtf8(rng, 100);
    CheckDecoderOnIds(EncodeAll(TestWorld(), text), "random UTF-8 " + Hex(text));
    if (HasFatalFailure()) return;
  }
  // Every token of the vocabulary, concatenated and encoded...
  std::string all;
  for (const std::string& token : SimpleEncoder::World().tokens()) all += token;
  CheckDecoderOnIds(EncodeAll(TestWorld(), all), "every token concatenated");
  // ...and every id pushed as such, in order and shuffled: each of the 358 tokens that are
  // parts of characters meets every kind of neighbour.
  std::vector<uint32_t> ids;
  for (uint32_t id = 1; id < TestWorld().token_count(); ++id) ids.push_back(id);
  CheckDecoderOnIds(ids, "every id in order");
  std::shuffle(ids.begin(), ids.end(), rng);
  CheckDecoderOnIds(ids, "every id shuffled");
}

// Replacement of invalid input, tokenized in three ways: as the encoder does, one byte per token
// (every character split), and as random runs of the vocabulary tokens that are parts of
// characters, mixed with bytes that start, continue or break characters.
TEST(StreamDecoder, ReplaceMatchesPythonOnAdversarialInputs) {
  std::mt19937_64 rng(2);
  for (int n = 0; n < 3000; ++n) {
    const std::string text = AdversarialUtf8(rng);
    CheckDecoderOnIds(EncodeAll(TestWorld(), text), "encoded " + Hex(text));
    if (HasFatalFailure()) return;
    std::vector<uint32_t> bytes;
    for (const char c : text) bytes.push_back(ByteId(static_cast<uint8_t>(c)));
    CheckDecoderOnIds(bytes, "byte by byte " + Hex(text));
    if (HasFatalFailure()) return;
  }
  std::vector<uint32_t> pool;
  for (uint32_t id = 1; id < WorldTokens().bytes.size(); ++id) {
    if (!IsValidUtf8(WorldTokens().bytes[id])) pool.push_back(id);
  }
  EXPECT_GT(pool.size(), 300u) << "the World vocabulary has 358 tokens that are not valid UTF-8";
  for (const uint8_t b : {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
                          0xC2, 0xDF, 0xE0, 0xE4, 0xED, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF}) {
    pool.push_back(ByteId(b));
  }
  for (const char* valid : {"\xe4\xb8\xad", " the", "\xf0\x9f\x98\x80", "\xc3\xa9"}) {
    for (const uint32_t id : EncodeAll(TestWorld(), valid)) pool.push_back(id);
  }
  for (int n = 0; n < 4000; ++n) {
    std::vector<uint32_t> ids(Uniform(rng, 1, 10));
    for (uint32_t& id : ids) id = pool[Uniform(rng, 0, pool.size() - 1)];
    CheckDecoderOnIds(ids, "token mix #" + std::to_string(n));
    if (HasFatalFailure()) return;
  }
}

// Each token of the vocabulary after each kind of unfinished character, in every policy: the
// widest outputs a push can have (U+FFFD for held bytes, then a whole token), checked against
// the model and the bound.
TEST(StreamDecoder, EveryTokenAfterEveryKindOfHeldBytes) {
  const std::vector<std::string> kHeld = {"",     "\xf0\x9f\x98", "\xe4\xb8",    "\xc3",
                                          "\xe0", "\xed",         "\xf4\x8f\xbf"};
  const size_t kinds = kSanitized ? 3 : kHeld.size();
  for (const Utf8Policy policy : kPolicies) {
    CheckedDecoder dec(policy, "held bytes then a token");
    for (size_t kind = 0; kind < kinds; ++kind) {
      const std::string& held = kHeld[kind];
      for (uint32_t id = 1; id < WorldTokens().bytes.size(); ++id) {
        for (const char c : held) dec.Push(ByteId(static_cast<uint8_t>(c)));
        dec.Push(id);
        dec.Finish();
        if (dec.failed()) return;
      }
    }
  }
}

// Strict: an invalid subpart ends the push with kInvalidUtf8, count = the valid text written
// before it; the rest of that token and anything held are dropped; the next id starts afresh.
TEST(StreamDecoder, StrictReportsInvalidSubpartsAndCarriesOn) {
  StreamDecoder dec(TestWorld(), Utf8Policy::kStrict);
  EXPECT_EQ(PushId(&dec, 66), (Pushed{Status::kOk, "A"}));
  EXPECT_EQ(PushId(&dec, ByteId(0xFF)), (Pushed{Status::kInvalidUtf8, ""}));
  EXPECT_EQ(PushId(&dec, 67), (Pushed{Status::kOk, "B"}));

  // C3 held; the token 82 AC completes "Â" (C3 82), then AC is a lone continuation byte.
  const std::vector<uint32_t> token = EncodeAll(TestWorld(), "\x82\xac");
  ASSERT_EQ(token.size(), 1u);
  EXPECT_EQ(PushId(&dec, ByteId(0xC3)), (Pushed{Status::kOk, ""}));
  OutBuffer out;
  Result r = dec.Push(token[0], out.data(), OutBuffer::kCapacity);
  EXPECT_EQ(r.status, Status::kInvalidUtf8);
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(out.Take(r), "\xc3\x82");
  EXPECT_EQ(PushId(&dec, 66), (Pushed{Status::kOk, "A"}));

  // E4 held, then "A": E4 is an unfinished character; "A" is part of the same token and dropped.
  EXPECT_EQ(PushId(&dec, ByteId(0xE4)), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, 66), (Pushed{Status::kInvalidUtf8, ""}));
  EXPECT_EQ(PushId(&dec, 67), (Pushed{Status::kOk, "B"}));

  // An overlong C0 AF over two tokens: C0 can never start a character, so it is invalid at once.
  EXPECT_EQ(PushId(&dec, ByteId(0xC0)), (Pushed{Status::kInvalidUtf8, ""}));
  EXPECT_EQ(PushId(&dec, ByteId(0xAF)), (Pushed{Status::kInvalidUtf8, ""}));  // lone continuation
  // A surrogate: ED is held, A0 shows it is invalid; the held ED is dropped with it.
  EXPECT_EQ(PushId(&dec, ByteId(0xED)), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, ByteId(0xA0)), (Pushed{Status::kInvalidUtf8, ""}));
  // The decoder starts afresh: 80 after a dropped ED A0 is a lone continuation too.
  EXPECT_EQ(PushId(&dec, ByteId(0x80)), (Pushed{Status::kInvalidUtf8, ""}));
  for (const uint32_t id : EncodeAll(TestWorld(), "\xe4\xbd\xa0\xe5\xa5\xbd")) {
    const Pushed p = PushId(&dec, id);
    EXPECT_EQ(p.status, Status::kOk);
  }
  EXPECT_EQ(FinishDecoder(&dec), (Pushed{Status::kOk, ""}));
}

// Finish with an unfinished character: U+FFFD, kInvalidUtf8 or the raw bytes; then a new text.
TEST(StreamDecoder, FinishWithAnUnfinishedCharacter) {
  for (const std::string& held : {std::string("\xe4\xb8"), std::string("\xf0\x9f\x98"),
                                  std::string("\xc3"), std::string("\xed")}) {
    const Pushed expected[] = {
        {Status::kOk, kFffd}, {Status::kInvalidUtf8, ""}, {Status::kOk, held}};
    for (int p = 0; p < 3; ++p) {
      StreamDecoder dec(TestWorld(), kPolicies[p]);
      for (const char c : held) {
        EXPECT_EQ(PushId(&dec, ByteId(static_cast<uint8_t>(c))), (Pushed{Status::kOk, ""}));
      }
      EXPECT_EQ(FinishDecoder(&dec), expected[p]) << PolicyName(kPolicies[p]) << " " << Hex(held);
      // Reset: what was held is gone, so a continuation byte now stands alone.
      const Pushed after = PushId(&dec, ByteId(0xAD));
      const Pushed lone[] = {
          {Status::kOk, kFffd}, {Status::kInvalidUtf8, ""}, {Status::kOk, "\xad"}};
      EXPECT_EQ(after, lone[p]) << PolicyName(kPolicies[p]) << " after finish";
      EXPECT_EQ(FinishDecoder(&dec), (Pushed{Status::kOk, ""}));
      EXPECT_EQ(FinishDecoder(&dec), (Pushed{Status::kOk, ""})) << "finish of nothing";
    }
  }
}

// --- Stop ids

TEST(StreamDecoder, EndOfTextStopsByDefaultAndFlushes) {
  // Strict drops the unfinished character and says so with position 1.
  const Pushed flushed[] = {
      {Status::kStopped, kFffd}, {Status::kStopped, "", 1}, {Status::kStopped, "\xe4\xb8"}};
  for (int p = 0; p < 3; ++p) {
    StreamDecoder dec(TestWorld(), kPolicies[p]);
    EXPECT_EQ(PushId(&dec, 66), (Pushed{Status::kOk, "A"}));
    EXPECT_EQ(PushId(&dec, 0), (Pushed{Status::kStopped, ""})) << "nothing held";
    EXPECT_EQ(PushId(&dec, ByteId(0xE4)), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(PushId(&dec, ByteId(0xB8)), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(PushId(&dec, 0), flushed[p]) << PolicyName(kPolicies[p]);
    // Ready for a new text: the held E4 B8 is gone, so AD stands alone.
    const Pushed lone[] = {{Status::kOk, kFffd}, {Status::kInvalidUtf8, ""}, {Status::kOk, "\xad"}};
    EXPECT_EQ(PushId(&dec, ByteId(0xAD)), lone[p]) << PolicyName(kPolicies[p]);
    // And a fresh text decodes exactly.
    const std::string text = "Fresh text, \xe6\x96\xb0\xe3\x81\x97\xe3\x81\x84 \xf0\x9f\x8c\xb1.";
    std::string out;
    for (const uint32_t id : EncodeAll(TestWorld(), text)) {
      const Pushed pushed = PushId(&dec, id);
      EXPECT_EQ(pushed.status, Status::kOk);
      out += pushed.bytes;
    }
    EXPECT_EQ(FinishDecoder(&dec), (Pushed{Status::kOk, ""}));
    EXPECT_EQ(out, text) << PolicyName(kPolicies[p]);
  }
}

TEST(StreamDecoder, CustomStopIds) {
  StreamDecoder dec(TestWorld(), Utf8Policy::kReplace);
  // 1 is the byte 0x00, which some models emit to mean "stop"; 261 is "\n\n".
  ASSERT_EQ(WorldTokens().bytes[261], "\n\n");
  const uint32_t stops[] = {1, 261};
  ASSERT_EQ(dec.SetStopIds(stops, 2), Status::kOk);
  EXPECT_EQ(PushId(&dec, 66), (Pushed{Status::kOk, "A"}));
  EXPECT_EQ(PushId(&dec, 1), (Pushed{Status::kStopped, ""})) << "the stop id's byte is not written";
  EXPECT_EQ(PushId(&dec, ByteId(0xF0)), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, 261), (Pushed{Status::kStopped, kFffd})) << "flushes the held F0";
  // 0 is no longer a stop id: it decodes to nothing, and leaves held bytes alone.
  EXPECT_EQ(PushId(&dec, ByteId(0xE4)), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, 0), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, ByteId(0xB8)), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, 0), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, ByteId(0xAD)), (Pushed{Status::kOk, "\xe4\xb8\xad"}));
  EXPECT_EQ(PushId(&dec, 262), (Pushed{Status::kOk, "\n "})) << "262 is not a stop id";

  // No stop ids at all: 0 decodes to nothing.
  ASSERT_EQ(dec.SetStopIds(nullptr, 0), Status::kOk);
  EXPECT_EQ(PushId(&dec, 0), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, 1), (Pushed{Status::kOk, std::string(1, '\0')}));
  EXPECT_EQ(PushId(&dec, 261), (Pushed{Status::kOk, "\n\n"}));

  // Up to kMaxStopIds; more is an invalid argument.
  static_assert(StreamDecoder::kMaxStopIds == 8, "documented as RWKVTOK_MAX_STOP_IDS");
  const uint32_t many[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(dec.SetStopIds(many, StreamDecoder::kMaxStopIds), Status::kOk);
  EXPECT_EQ(PushId(&dec, 7), (Pushed{Status::kStopped, ""}));
  EXPECT_EQ(PushId(&dec, 9), (Pushed{Status::kOk, "\x08"}));
  EXPECT_EQ(dec.SetStopIds(many, StreamDecoder::kMaxStopIds + 1), Status::kInvalidArgument);

  // "Any id can be a stop id, even one that names no token": such a stop id stops rather than
  // being rejected, while other invalid ids still are.
  const uint32_t invalid_stops[] = {65535, 70000};
  ASSERT_EQ(dec.SetStopIds(invalid_stops, 2), Status::kOk);
  EXPECT_EQ(PushId(&dec, ByteId(0xC3)), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(PushId(&dec, 70000), (Pushed{Status::kStopped, kFffd}));
  EXPECT_EQ(PushId(&dec, 65535), (Pushed{Status::kStopped, ""}));
  EXPECT_EQ(PushId(&dec, 65534).status, Status::kInvalidId);
  EXPECT_EQ(PushId(&dec, 0), (Pushed{Status::kOk, ""}));
  EXPECT_EQ(dec.SetStopIds(nullptr, 1), Status::kInvalidArgument);
}

// Stop ids in the middle of random streams: each one ends a text, the next text starts afresh.
TEST(StreamDecoder, StopIdsInRandomStreams) {
  std::mt19937_64 rng(3);
  for (const Utf8Policy policy : kPolicies) {
    for (const std::vector<uint32_t>& stops :
         {std::vector<uint32_t>{0}, std::vector<uint32_t>{1, 261}, std::vector<uint32_t>{}}) {
      CheckedDecoder dec(policy, "random stream with stop ids");
      dec.SetStopIds(stops);
      for (int n = 0; n < 400; ++n) {
        const std::string text = Uniform(rng, 0, 1) ? AdversarialUtf8(rng) : RandomUtf8(rng, 20);
        for (const uint32_t id : EncodeAll(TestWorld(), text)) dec.Push(id);
        dec.Push(Uniform(rng, 0, 1) ? 0 : (Uniform(rng, 0, 1) ? 1 : 261));
        if (dec.failed()) return;
      }
      dec.Finish();
    }
  }
}

// --- Atomic pushes

// kBufferTooSmall (count = bytes needed) and kInvalidId leave the decoder as it was: a decoder
// probed with small buffers and invalid ids before every push writes exactly what a decoder fed
// with roomy buffers writes.
TEST(StreamDecoder, TooSmallBuffersAndInvalidIdsChangeNothing) {
  std::mt19937_64 rng(4);
  std::vector<uint32_t> ids;
  for (int n = 0; n < 1000; ++n) {
    const std::string text = Uniform(rng, 0, 1) ? AdversarialUtf8(rng) : RandomUtf8(rng, 10);
    for (const uint32_t id : EncodeAll(TestWorld(), text)) ids.push_back(id);
    if (Uniform(rng, 0, 9) == 0) ids.push_back(0);  // end of text: a stop id that may flush
  }
  // 128 spaces after a held byte.
  ids.push_back(SimpleEncoder::World().Encode(std::string(128, ' ')).at(0));
  ids.insert(ids.end() - 1, ByteId(0xF0));
  const uint32_t kInvalid[] = {65530, 65535, 65536, 100000, 0xFFFFFFFFu};

  for (const Utf8Policy policy : kPolicies) {
    StreamDecoder probed(TestWorld(), policy);
    StreamDecoder plain(TestWorld(), policy);
    for (size_t i = 0; i < ids.size(); ++i) {
      const Pushed expected = PushId(&plain, ids[i]);
      // An invalid id: rejected, nothing written, state kept.
      const uint32_t bad = kInvalid[Uniform(rng, 0, std::size(kInvalid) - 1)];
      std::string sentinel(64, '#');
      Result r = probed.Push(bad, &sentinel[0], sentinel.size());
      ASSERT_EQ(r.status, Status::kInvalidId) << bad;
      EXPECT_EQ(r.count, 0u);
      EXPECT_EQ(r.position, 0u) << "the index of the invalid id among the one pushed";
      EXPECT_EQ(sentinel, std::string(64, '#'));
      // Measure with capacity 0, then try one byte short, then the exact size. Reporting invalid
      // UTF-8 needs room for a byte even when none is written before it.
      const size_t needed = expected.status == Status::kInvalidUtf8
                                ? std::max<size_t>(expected.bytes.size(), 1)
                                : expected.bytes.size();
      r = probed.Push(ids[i], &sentinel[0], 0);
      if (r.status != Status::kBufferTooSmall) {  // nothing to write: that was the push
        ASSERT_EQ(needed, 0u) << PolicyName(policy) << " id " << ids[i];
        ASSERT_EQ(r.status, expected.status);
        ASSERT_EQ(r.position, expected.position);
        ASSERT_EQ(r.count, 0u);
        continue;
      }
      ASSERT_EQ(r.count, needed) << PolicyName(policy) << " id " << ids[i];
      ASSERT_GT(r.count, 0u);
      std::string buffer(r.count + 8, '#');
      const Result shorter = probed.Push(ids[i], &buffer[0], r.count - 1);
      EXPECT_EQ(shorter.status, Status::kBufferTooSmall);
      EXPECT_EQ(shorter.count, r.count);
      EXPECT_EQ(buffer, std::string(r.count + 8, '#')) << "a failed push wrote bytes";
      const Result exact = probed.Push(ids[i], &buffer[0], r.count);
      ASSERT_EQ(exact.status, expected.status);
      ASSERT_EQ(exact.position, expected.position);
      ASSERT_EQ(exact.count, expected.bytes.size());
      ASSERT_EQ(buffer.substr(0, exact.count), expected.bytes);
      ASSERT_EQ(buffer.substr(exact.count), std::string(r.count - exact.count + 8, '#'));
    }
    // Finish is atomic too.
    for (const uint8_t b : {0xF0, 0x9F}) {
      ASSERT_EQ(PushId(&probed, ByteId(b)).status, Status::kOk);
      ASSERT_EQ(PushId(&plain, ByteId(b)).status, Status::kOk);
    }
    const Pushed expected = FinishDecoder(&plain);
    if (!expected.bytes.empty()) {
      std::string buffer(8, '#');
      const Result r = probed.Finish(&buffer[0], expected.bytes.size() - 1);
      EXPECT_EQ(r.status, Status::kBufferTooSmall);
      EXPECT_EQ(r.count, expected.bytes.size());
      EXPECT_EQ(buffer, std::string(8, '#'));
    }
    EXPECT_EQ(FinishDecoder(&probed), expected) << PolicyName(policy);
  }
}

// Under the strict policy, a push or finish with capacity 0 that would report invalid UTF-8
// changes nothing: the same call retried with room reports the error exactly as it would have.
TEST(StreamDecoder, StrictErrorWithCapacityZeroOnlyMeasures) {
  StreamDecoder probed(TestWorld(), Utf8Policy::kStrict);
  StreamDecoder plain(TestWorld(), Utf8Policy::kStrict);
  // Held F0 9F, then 'A': the held bytes are invalid and the rest of the token is dropped.
  for (StreamDecoder* dec : {&probed, &plain}) {
    ASSERT_EQ(PushId(dec, ByteId(0xF0)).status, Status::kOk);
    ASSERT_EQ(PushId(dec, ByteId(0x9F)).status, Status::kOk);
  }
  for (int retry = 0; retry < 3; ++retry) {
    const Result r = probed.Push(ByteId('A'), nullptr, 0);
    EXPECT_EQ(r.status, Status::kBufferTooSmall);
    EXPECT_EQ(r.count, 1u) << "room for one byte reports the error";
  }
  std::string buffer(4, '#');
  const Result r = probed.Push(ByteId('A'), &buffer[0], 1);
  EXPECT_EQ(r.status, Status::kInvalidUtf8);
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(buffer, "####");
  EXPECT_EQ(PushId(&plain, ByteId('A')), (Pushed{Status::kInvalidUtf8, ""}));
  EXPECT_EQ(PushId(&probed, ByteId('A')), (Pushed{Status::kOk, "A"}));
  EXPECT_EQ(PushId(&plain, ByteId('A')), (Pushed{Status::kOk, "A"}));

  // A byte that never starts a character, with nothing held.
  EXPECT_EQ(probed.Push(ByteId(0xFF), nullptr, 0).status, Status::kBufferTooSmall);
  EXPECT_EQ(PushId(&probed, ByteId(0xFF)), (Pushed{Status::kInvalidUtf8, ""}));

  // Finish with an unfinished character.
  ASSERT_EQ(PushId(&probed, ByteId(0xE6)).status, Status::kOk);
  Result f = probed.Finish(nullptr, 0);
  EXPECT_EQ(f.status, Status::kBufferTooSmall);
  EXPECT_EQ(f.count, 1u);
  f = probed.Finish(&buffer[0], 1);
  EXPECT_EQ(f.status, Status::kInvalidUtf8);
  EXPECT_EQ(f.count, 0u);
  EXPECT_EQ(PushId(&probed, ByteId('B')), (Pushed{Status::kOk, "B"})) << "finish reset it";
}

// A decoder made with a policy that is not a Utf8Policy is still fully made, whatever the memory
// held before, and refuses every call.
TEST(StreamDecoder, UnknownPolicyGivesADecoderThatRefusesEveryCall) {
  for (const int32_t policy : {3, -1, 255, 256, 0x7FFFFFFF}) {
    SCOPED_TRACE(policy);
    alignas(StreamDecoder) unsigned char memory[2][sizeof(StreamDecoder)];
    memset(memory[0], 0xA5, sizeof(memory[0]));
    memset(memory[1], 0x5A, sizeof(memory[1]));
    StreamDecoder* decoders[2];
    for (int k = 0; k < 2; ++k) {
      decoders[k] = new (memory[k]) StreamDecoder(TestWorld(), static_cast<Utf8Policy>(policy));
    }
    EXPECT_EQ(memcmp(memory[0], memory[1], sizeof(memory[0])), 0) << "state depends on old memory";
    StreamDecoder& dec = *decoders[0];
    EXPECT_EQ(dec.status(), Status::kInvalidArgument);
    EXPECT_EQ(dec.max_output(), 0u);
    std::string out(16, '#');
    for (const uint32_t id : {ByteId('A'), 0u, 65530u}) {
      const Result r = dec.Push(id, &out[0], out.size());
      EXPECT_EQ(r.status, Status::kInvalidArgument) << id;
      EXPECT_EQ(r.count, 0u);
    }
    EXPECT_EQ(dec.Finish(&out[0], out.size()).status, Status::kInvalidArgument);
    const uint32_t stop = 1;
    EXPECT_EQ(dec.SetStopIds(&stop, 1), Status::kInvalidArgument);
    EXPECT_EQ(out, std::string(16, '#'));

    // The C API: init reports it, and so does every call after.
    const rwkvtok_tokenizer c = TestWorld().ToC();
    rwkvtok_decoder state;
    memset(&state, 0xA5, sizeof(state));
    EXPECT_EQ(rwkvtok_decoder_init(&state, &c, policy), RWKVTOK_INVALID_ARGUMENT);
    EXPECT_EQ(rwkvtok_decoder_max_output(&state), 0u);
    EXPECT_EQ(rwkvtok_decoder_push(&state, ByteId('A'), &out[0], out.size()).status,
              RWKVTOK_INVALID_ARGUMENT);
    EXPECT_EQ(rwkvtok_decoder_finish(&state, &out[0], out.size()).status, RWKVTOK_INVALID_ARGUMENT);
    EXPECT_EQ(rwkvtok_decoder_set_stop_ids(&state, &stop, 1), RWKVTOK_INVALID_ARGUMENT);
  }
  for (const Utf8Policy policy : kPolicies) {
    EXPECT_EQ(StreamDecoder(TestWorld(), policy).status(), Status::kOk);
  }
}

TEST(StreamDecoder, PendingCountsTheBytesOfAnUnfinishedCharacter) {
  for (const Utf8Policy policy : kPolicies) {
    StreamDecoder dec(TestWorld(), policy);
    const rwkvtok_tokenizer c = TestWorld().ToC();
    rwkvtok_decoder cdec;
    ASSERT_EQ(rwkvtok_decoder_init(&cdec, &c, static_cast<int32_t>(policy)), RWKVTOK_OK);
    const struct {
      uint8_t byte;
      size_t pending;
    } kSteps[] = {{'a', 0},  {0xE4, 1}, {0xB8, 2}, {0xAD, 0}, {0xF0, 1},
                  {0x9F, 2}, {0x98, 3}, {0x80, 0}, {0xE4, 1}, {'b', 0}};
    std::string out(RWKVTOK_DECODER_MAX_OUTPUT, '\0');
    for (const auto& step : kSteps) {
      (void)dec.Push(ByteId(step.byte), &out[0], out.size());
      (void)rwkvtok_decoder_push(&cdec, ByteId(step.byte), &out[0], out.size());
      EXPECT_EQ(dec.pending(), step.pending) << PolicyName(policy) << " after " << int{step.byte};
      EXPECT_EQ(rwkvtok_decoder_pending(&cdec), step.pending);
    }
    (void)dec.Push(ByteId(0xE4), &out[0], out.size());
    (void)dec.Finish(&out[0], out.size());
    EXPECT_EQ(dec.pending(), 0u) << "finish resets";
  }
  EXPECT_EQ(rwkvtok_decoder_pending(nullptr), 0u);
}

TEST(StreamDecoder, NullOutputOnlyWithCapacityZero) {
  StreamDecoder dec(TestWorld(), Utf8Policy::kReplace);
  Result r = dec.Push(66, nullptr, 0);
  EXPECT_EQ(r.status, Status::kBufferTooSmall);
  EXPECT_EQ(r.count, 1u);
  r = dec.Push(66, nullptr, 1);
  EXPECT_EQ(r.status, Status::kInvalidArgument);
  for (const uint32_t id : {0u, 65530u, 70000u}) {  // the arguments are checked before the id
    EXPECT_EQ(dec.Push(id, nullptr, 1).status, Status::kInvalidArgument) << id;
    EXPECT_EQ(dec.Finish(nullptr, 1).status, Status::kInvalidArgument);
  }
  r = dec.Push(ByteId(0xE4), nullptr, 0);
  EXPECT_EQ(r.status, Status::kOk) << "nothing to write";
  EXPECT_EQ(r.count, 0u);
  EXPECT_EQ(PushId(&dec, 66), (Pushed{Status::kOk, kFffd + "A"}));
}

// The C API drives the same decoder: pushing every id, shuffled, gives identical results, and the
// states have the documented sizes.
TEST(StreamDecoder, CApiAgreesWithCpp) {
  static_assert(sizeof(rwkvtok_decoder) == RWKVTOK_DECODER_SIZE, "");
  static_assert(sizeof(rwkvtok_encoder) == RWKVTOK_ENCODER_SIZE, "");
  static_assert(sizeof(rwkvtok_tokenizer) == RWKVTOK_TOKENIZER_SIZE, "");
  std::vector<uint32_t> ids;
  for (uint32_t id = 0; id < 65536; ++id) ids.push_back(id);
  std::mt19937_64 rng(5);
  std::shuffle(ids.begin(), ids.end(), rng);
  const rwkvtok_tokenizer world = TestWorld().ToC();
  for (const Utf8Policy policy : kPolicies) {
    rwkvtok_decoder c;
    ASSERT_EQ(rwkvtok_decoder_init(&c, &world, static_cast<int32_t>(policy)), RWKVTOK_OK);
    EXPECT_EQ(rwkvtok_decoder_max_output(&c), kWorldMaxOutput);
    StreamDecoder cpp(TestWorld(), policy);
    for (const uint32_t id : ids) {
      OutBuffer c_out;
      const rwkvtok_result cr = rwkvtok_decoder_push(&c, id, c_out.data(), OutBuffer::kCapacity);
      const Result r{static_cast<Status>(cr.status), cr.count, cr.position};
      const Pushed from_c{r.status, c_out.Take(r), r.position};
      ASSERT_EQ(from_c, PushId(&cpp, id)) << PolicyName(policy) << " id " << id;
      EXPECT_EQ(cr.reserved, 0u);
    }
  }
  rwkvtok_decoder c;
  EXPECT_EQ(rwkvtok_decoder_init(&c, &world, 3), RWKVTOK_INVALID_ARGUMENT);
  EXPECT_EQ(rwkvtok_decoder_init(&c, &world, -1), RWKVTOK_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
