// One text encoded in parts on several threads and joined: exactly the one-shot ids, for any cut
// points, including cuts inside long runs where tokenizations from either side agree late, empty
// parts, and parts large enough for the lanes; and joining refuses parts that do not fit together.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/simple_encoder.h"
#include "tests/support.h"
#include "tests/test_util.h"

namespace rwkvtok {
namespace testing {
namespace {

// Encodes `text` cut at `cuts` (sorted, inside the text), one thread per part. Joins only the ids
// the parts say they wrote: the rest of the buffer holds ids that name no token.
std::vector<uint32_t> EncodeInParts(const Tokenizer& tok, const std::string& text,
                                    std::vector<size_t> cuts) {
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(text.size());
  std::vector<Tokenizer::Part> parts(cuts.size() - 1);
  for (size_t k = 0; k < parts.size(); ++k) {
    parts[k] = Tokenizer::Part{cuts[k], cuts[k + 1], 0, 0, 0};
  }
  std::vector<uint32_t> ids(text.size());
  std::vector<std::thread> threads;
  for (Tokenizer::Part& part : parts) {
    threads.emplace_back([&] {
      EXPECT_EQ(tok.EncodePart(text.data(), text.size(), &part, ids.data()), Status::kOk);
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<uint32_t> encoded = ids;
  ids.assign(ids.size(), 0xFFFFFFFF);
  for (const Tokenizer::Part& part : parts) {
    const size_t first = part.begin == 0 ? part.end - part.count : part.begin;
    std::copy(encoded.begin() + first, encoded.begin() + first + part.count, ids.begin() + first);
  }
  const Result r = tok.JoinParts(text.data(), text.size(), parts.data(), parts.size(), ids.data());
  EXPECT_EQ(r.status, Status::kOk);
  EXPECT_LE(r.count, ids.size());
  EXPECT_LE(r.position, ids.size() - r.count);
  return std::vector<uint32_t>(ids.begin() + r.position, ids.begin() + r.position + r.count);
}

// Every test runs on both profiles.
class Parallel : public ::testing::TestWithParam<Profile> {
 protected:
  Tokenizer tok() const { return World(GetParam()); }
};

std::vector<size_t> RandomCuts(std::mt19937_64& rng, size_t size, size_t count) {
  std::vector<size_t> cuts;
  for (size_t i = 0; i < count && size > 0; ++i) cuts.push_back(rng() % size);
  std::sort(cuts.begin(), cuts.end());  // repeated cuts make empty parts
  return cuts;
}

TEST_P(Parallel, RandomCutsOfGeneratedText) {
  const SimpleEncoder simple(tok());
  std::mt19937_64 rng(1);
  const std::string runs[] = {std::string(700, ' '), std::string(300, '-'),
                              "//" + std::string(62, '-') + "x"};
  for (int n = 0; n < 200 && !HasFailure(); ++n) {
    std::string text;
    while (text.size() < 3000) {
      const size_t pick = rng() % 10;
      text += pick < 7   ? simple.tokens()[rng() % simple.tokens().size()]
              : pick < 9 ? runs[rng() % 3]
                         : std::string(1, static_cast<char>(rng()));
    }
    EXPECT_EQ(EncodeInParts(tok(), text, RandomCuts(rng, text.size(), 1 + rng() % 12)),
              simple.Encode(text))
        << "text " << n;
  }
}

// Inside a long periodic run, tokenizations started at different places may never agree, so a
// part that begins there must find where the true one passes, however far back the run begins:
// else joining re-encodes up to the run's end on one thread.
TEST_P(Parallel, PartsInsideAPeriodicRunStartOnATrueBoundary) {
  const Tokenizer tok = this->tok();
  const TokenTable table = MakeTokenTable(tok);
  std::string long_pattern;  // a period of 250 bytes, of tokens that do not line up with it
  while (long_pattern.size() < 250) long_pattern += "== " + std::to_string(long_pattern.size());
  long_pattern.resize(250);
  const std::string patterns[] = {" ",         "a",
                                  "=",         "0",
                                  "\n\n",      "ab",
                                  "-=",        "\xe4\xb8\x80",
                                  "abc ",      std::string(99, '-') + "x",
                                  long_pattern};
  const std::string befores[] = {"", "x", "b a", "\xff\xfe", std::string(5003, 'a')};
  std::mt19937_64 rng(3);
  size_t cuts_in_runs = 0;
  for (const std::string& pattern : patterns) {
    for (const std::string& before : befores) {
      std::string text = before;
      while (text.size() < before.size() + 40000) text += pattern;
      text += "\nend";
      std::vector<bool> boundary(text.size() + 1, false);
      size_t pos = 0;
      for (const uint32_t id : EncodeAll(tok, text)) {
        boundary[pos] = true;
        pos += table.bytes[id].size();
      }
      ASSERT_EQ(pos, text.size());
      boundary[pos] = true;
      const size_t run_end = text.size() - 4;
      for (int n = 0; n < 24 && !HasFailure(); ++n) {
        // Anywhere in the run, and near its start and end.
        const size_t cut = n < 8    ? before.size() + 600 + rng() % 600
                           : n < 16 ? run_end - rng() % 1200
                                    : before.size() + rng() % (run_end - before.size());
        Tokenizer::Part part{cut, cut + 1, 0, 0, 0};
        std::vector<uint32_t> ids(text.size());
        ASSERT_EQ(tok.EncodePart(text.data(), text.size(), &part, ids.data()), Status::kOk);
        size_t expected = cut;
        while (!boundary[expected]) ++expected;
        EXPECT_EQ(part.start, expected) << "pattern \"" << pattern.substr(0, 12) << "\", "
                                        << before.size() << " bytes before it, cut at " << cut;
        ++cuts_in_runs;
      }
    }
  }
  EXPECT_EQ(cuts_in_runs, 11u * 5u * 24u);
  // Small parts far into a long run, past where they scan for its start: exact all the same.
  std::string run = "start ";
  while (run.size() < 300000) run += "ab";
  run += " end";
  const size_t limit = GetParam() == Profile::kCompact ? 1 : 3;
  for (size_t n = 0; n < limit && !HasFailure(); ++n) {
    EXPECT_EQ(EncodeInParts(tok, run, {200000 + n, 200500 + n, 201000 + n, 290000}),
              EncodeAll(tok, run));
  }
}

TEST_P(Parallel, CutsEverywhereInARunOfSpaces) {
  const std::string text = "a" + std::string(1000, ' ') + "b" + std::string(129, ' ');
  const std::vector<uint32_t> expected = EncodeAll(tok(), text);
  for (size_t cut = 0; cut <= text.size() && !HasFailure(); ++cut) {
    EXPECT_EQ(EncodeInParts(tok(), text, {cut}), expected) << "cut at " << cut;
  }
}

// A part whose tokens do not start where the true tokenization passes: joining re-encodes from
// where the part before it ends until the two agree, and moves the ids that follow. Such a part
// is made here from the same text with other bytes before the cut, which give another start.
TEST_P(Parallel, JoinsAPartThatStartsOffTheTrueTokenization) {
  const Tokenizer tok = this->tok();
  const std::string text = "a" + std::string(1000, ' ') + "b" + std::string(129, ' ') + "end";
  const std::vector<uint32_t> expected = EncodeAll(tok, text);
  size_t mispredicted = 0;
  for (size_t cut = 1; cut < text.size() && !HasFailure(); ++cut) {
    std::vector<uint32_t> ids(text.size());
    Tokenizer::Part parts[2] = {{0, cut, 0, 0, 0}, {cut, text.size(), 0, 0, 0}};
    ASSERT_EQ(tok.EncodePart(text.data(), text.size(), &parts[0], ids.data()), Status::kOk);
    std::string other = text;
    std::fill(other.begin(), other.begin() + cut, '\n');
    ASSERT_EQ(tok.EncodePart(other.data(), other.size(), &parts[1], ids.data()), Status::kOk);
    mispredicted += parts[1].start != parts[0].last_end;
    const Result r = tok.JoinParts(text.data(), text.size(), parts, 2, ids.data());
    ASSERT_EQ(r.status, Status::kOk) << "cut at " << cut;
    EXPECT_EQ(std::vector<uint32_t>(ids.begin() + r.position, ids.begin() + r.position + r.count),
              expected)
        << "cut at " << cut;
  }
  EXPECT_GT(mispredicted, 500u);
}

TEST_P(Parallel, LargePartsOfTheCorpus) {
  std::mt19937_64 rng(2);
  std::vector<std::string> texts;
  for (const std::string& stem : CorpusStems("bench")) {
    texts.push_back(ReadFileOrDie(CorpusDir("bench") + "/" + stem + ".txt"));
  }
  std::string generated;  // large enough for lanes inside parts, corpus or not
  while (generated.size() < 3000000) generated += "Parts of a long text, 分成几部分, 각 부분. ";
  texts.push_back(generated);
  // The compact profile walks a tenth as fast, and has no lanes: a part of each text is plenty.
  const size_t limit = kSlowBuild ? 128 << 10 : 1 << 20;
  for (std::string& text : texts) {
    if (GetParam() == Profile::kCompact && text.size() > limit) text.resize(limit);
  }
  for (const std::string& text : texts) {
    const std::vector<uint32_t> expected = EncodeAll(tok(), text);
    EXPECT_EQ(EncodeInParts(tok(), text, RandomCuts(rng, text.size(), 1)), expected);
    EXPECT_EQ(EncodeInParts(tok(), text, RandomCuts(rng, text.size(), 3)), expected);
  }
}

TEST_P(Parallel, EmptyTextAndEmptyParts) {
  EXPECT_TRUE(EncodeInParts(tok(), "", {}).empty());
  EXPECT_TRUE(EncodeInParts(tok(), "", {0, 0}).empty());
  const std::string text = "hello world, \xff\xfe and more";
  const std::vector<uint32_t> expected = EncodeAll(tok(), text);
  const size_t end = text.size();
  for (const std::vector<size_t>& cuts : std::vector<std::vector<size_t>>{
           {}, {0}, {0, 0}, {end}, {0, end}, {end, end}, {0, 5, 5, end}, {1, 2, 3, 4}}) {
    EXPECT_EQ(EncodeInParts(tok(), text, cuts), expected) << ::testing::PrintToString(cuts);
  }
}

TEST_P(Parallel, PartsThatDoNotFitAreRefused) {
  const Tokenizer tok = this->tok();
  const std::string text = "The parts must cover the text, in order.";
  std::vector<uint32_t> ids(text.size());
  Tokenizer::Part parts[2] = {{0, 10, 0, 0, 0}, {10, text.size(), 0, 0, 0}};
  for (Tokenizer::Part& part : parts) {
    ASSERT_EQ(tok.EncodePart(text.data(), text.size(), &part, ids.data()), Status::kOk);
  }
  const auto join = [&](const Tokenizer::Part* p, size_t n) {
    std::vector<uint32_t> copy = ids;
    return tok.JoinParts(text.data(), text.size(), p, n, copy.data()).status;
  };
  EXPECT_EQ(join(parts, 2), Status::kOk);
  EXPECT_EQ(join(parts, 1), Status::kInvalidArgument) << "the text is not covered";
  EXPECT_EQ(join(parts + 1, 1), Status::kInvalidArgument) << "does not begin at 0";
  const auto join_damaged = [&](void (*damage)(Tokenizer::Part*)) {
    Tokenizer::Part bad[2] = {parts[0], parts[1]};
    damage(bad);
    return join(bad, 2);
  };
  EXPECT_EQ(join_damaged([](Tokenizer::Part* p) { p[1].count = p[1].end - p[1].start + 1; }),
            Status::kInvalidArgument)
      << "more ids than bytes";
  EXPECT_EQ(join_damaged([](Tokenizer::Part* p) { p[1].count = 0; }), Status::kInvalidArgument)
      << "no ids for its bytes";
  EXPECT_EQ(join_damaged([](Tokenizer::Part* p) { p[1].start = p[1].end; }),
            Status::kInvalidArgument)
      << "ids for no bytes";
  EXPECT_EQ(join_damaged([](Tokenizer::Part* p) { p[1].last_end = p[1].end + 100; }),
            Status::kInvalidArgument)
      << "ends past the text";
  EXPECT_EQ(join_damaged([](Tokenizer::Part* p) { p[1].start = p[1].begin - 1; }),
            Status::kInvalidArgument)
      << "starts before its bytes";
  EXPECT_EQ(join_damaged([](Tokenizer::Part* p) { p[0].start = 1; }), Status::kInvalidArgument)
      << "the first part starts after the text does";
  {
    // The same, with ids that fit that start: the tokens from byte 1, at the end of the first
    // part's range, as a part that began there would have them. Taken, the token before them
    // would be written over the second part's first id.
    const std::string shifted = "\xff" + text;
    std::vector<uint32_t> shifted_ids(shifted.size());
    Tokenizer::Part from_one[2] = {{0, 10, 0, 0, 0}, {10, shifted.size(), 0, 0, 0}};
    for (Tokenizer::Part& part : from_one) {
      ASSERT_EQ(tok.EncodePart(shifted.data(), shifted.size(), &part, shifted_ids.data()),
                Status::kOk);
    }
    ASSERT_EQ(from_one[1].start, 10u);
    Tokenizer::Part whole_from_one{1, 10, 0, 0, 0};
    std::vector<uint32_t> scratch(shifted.size());
    ASSERT_EQ(tok.EncodePart(shifted.data(), shifted.size(), &whole_from_one, scratch.data()),
              Status::kOk);
    ASSERT_EQ(whole_from_one.start, 1u);
    ASSERT_EQ(whole_from_one.last_end, from_one[0].last_end);
    from_one[0].start = 1;
    from_one[0].count = whole_from_one.count;
    std::copy(scratch.begin() + 1, scratch.begin() + 1 + whole_from_one.count,
              shifted_ids.begin() + (10 - whole_from_one.count));
    EXPECT_EQ(tok.JoinParts(shifted.data(), shifted.size(), from_one, 2, shifted_ids.data()).status,
              Status::kInvalidArgument)
        << "a first part that starts after the text, with ids that fit";
  }

  // Joining reads a part's ids where the tokenization entering it is not at its start.
  Tokenizer::Part early[2] = {parts[0], parts[1]};
  early[1].start = early[1].begin;
  ASSERT_LT(early[1].start, early[0].last_end);
  std::vector<uint32_t> garbage(text.size(), 70000);
  EXPECT_EQ(tok.JoinParts(text.data(), text.size(), early, 2, garbage.data()).status,
            Status::kInvalidArgument)
      << "ids that name no token";

  // Ids that name tokens, but ones that run past the text.
  Tokenizer::Part cut_in_a_token[2] = {{0, 2, 0, 0, 0}, {2, text.size(), 0, 0, 0}};
  for (Tokenizer::Part& part : cut_in_a_token) {
    ASSERT_EQ(tok.EncodePart(text.data(), text.size(), &part, ids.data()), Status::kOk);
  }
  ASSERT_GT(cut_in_a_token[0].last_end, 2u) << "\"The\" is one token";
  cut_in_a_token[1].start = 2;
  uint32_t long_token = 0;
  while (tok.Decode(&long_token, 1, nullptr, 0).count < 100) ++long_token;
  std::vector<uint32_t> long_ids = ids;
  long_ids[2] = long_token;
  EXPECT_EQ(tok.JoinParts(text.data(), text.size(), cut_in_a_token, 2, long_ids.data()).status,
            Status::kInvalidArgument)
      << "ids longer than the text";

  Tokenizer::Part inverted{5, 4, 0, 0, 0};
  EXPECT_EQ(tok.EncodePart(text.data(), text.size(), &inverted, ids.data()),
            Status::kInvalidArgument);
  Tokenizer::Part beyond{0, text.size() + 1, 0, 0, 0};
  EXPECT_EQ(tok.EncodePart(text.data(), text.size(), &beyond, ids.data()),
            Status::kInvalidArgument);
}

// A part writes only its own range of ids, its ids ending there for the first part and starting
// there for the others, so that two parts that meet where a token ends join without moving.
TEST_P(Parallel, PartsWriteOnlyTheirOwnIds) {
  const Tokenizer tok = this->tok();
  std::string text;  // large enough for lanes inside parts
  while (text.size() < 1500000) text += "Each part keeps to its own ids; 각자의 자리. ";
  const std::vector<uint32_t> expected = EncodeAll(tok, text);
  constexpr uint32_t kUntouched = 0xDEADBEEF;
  const size_t cut = text.size() / 2 + 7;
  Tokenizer::Part parts[2] = {{0, cut, 0, 0, 0}, {cut, text.size(), 0, 0, 0}};
  std::vector<uint32_t> ids(text.size(), kUntouched);
  for (Tokenizer::Part& part : parts) {
    std::vector<uint32_t> own(text.size(), kUntouched);
    ASSERT_EQ(tok.EncodePart(text.data(), text.size(), &part, own.data()), Status::kOk);
    const size_t first = part.begin == 0 ? part.end - part.count : part.begin;
    for (size_t i = 0; i < own.size(); ++i) {
      if (i < part.begin || i >= part.end) {
        ASSERT_EQ(own[i], kUntouched) << "id " << i;
      }
    }
    std::copy(own.begin() + first, own.begin() + first + part.count, ids.begin() + first);
  }
  EXPECT_EQ(parts[1].start, parts[0].last_end) << "the second part starts where the first ends";
  const std::vector<uint32_t> encoded = ids;
  const Result r = tok.JoinParts(text.data(), text.size(), parts, 2, ids.data());
  ASSERT_EQ(r.status, Status::kOk);
  EXPECT_EQ(r.position, parts[0].end - parts[0].count);
  EXPECT_EQ(ids, encoded) << "nothing moved";
  EXPECT_EQ(std::vector<uint32_t>(ids.begin() + r.position, ids.begin() + r.position + r.count),
            expected);
}

INSTANTIATE_TEST_SUITE_P(Profiles, Parallel, ::testing::ValuesIn(kProfiles),
                         [](const ::testing::TestParamInfo<Profile>& info) {
                           return std::string(ProfileName(info.param));
                         });

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
