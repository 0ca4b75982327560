// A program that uses rwkvtok from C++ through CMake, as a user's would: find_package against an
// installed prefix (find_package/), or the source tree added as a subdirectory
// (add_subdirectory/). Encodes and decodes a sample and checks the ids; with RWKVTOK_EXPECT_LANES=1
// in the environment, also that long texts take the vector lanes, and that a long text's ids are
// the same through them.

#include <rwkvtok.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main() {
  int failures = 0;
  const auto check = [&](bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "consumer.cc: FAIL: %s\n", what);
      ++failures;
    }
  };
  const rwkvtok::Tokenizer tok = rwkvtok::Tokenizer::World();
  const std::string text = "Hello, world!";
  std::vector<int32_t> ids(text.size());
  rwkvtok::Result r = tok.Encode(text.data(), text.size(), ids.data(), ids.size());
  ids.resize(r.count);
  check(r.ok() && ids == std::vector<int32_t>{33155, 45, 40213, 34},
        "Hello, world! encodes to 33155 45 40213 34");
  std::string out(ids.size() * tok.max_token_length(), '\0');
  r = tok.Decode(ids.data(), ids.size(), &out[0], out.size());
  out.resize(r.count);
  check(r.ok() && out == text, "the ids decode to the text");

  // A text long enough for the lanes: one id per repeated sentence, as the plain walk gives.
  std::string long_text;
  while (long_text.size() < (1 << 20)) long_text += "Hello, world! ";
  std::vector<uint16_t> plain(long_text.size());
  std::vector<uint32_t> fast(long_text.size());
  const rwkvtok::Result a = tok.Encode(long_text.data(), long_text.size(), plain.data(), plain.size());
  const rwkvtok::Result b = tok.Encode(long_text.data(), long_text.size(), fast.data(), fast.size());
  check(a.ok() && b.ok() && a.count == b.count, "a long text gives as many ids either way");
  for (size_t i = 0; i < a.count && i < b.count; ++i) {
    if (plain[i] != fast[i]) {
      check(false, "a long text gives the same ids either way");
      break;
    }
  }
  const char* expect_lanes = std::getenv("RWKVTOK_EXPECT_LANES");
  if (expect_lanes != nullptr && std::strcmp(expect_lanes, "1") == 0) {
    check(std::strncmp(rwkvtok_encode_path(), "lanes/", 6) == 0, "long texts take the lanes");
  }
  std::printf("consumer.cc: rwkvtok %s, encode path %s: %s\n", rwkvtok_version(),
              rwkvtok_encode_path(), failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
