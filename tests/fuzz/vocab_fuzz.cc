// Fuzz target: any text offered as a vocabulary file is either rejected with an error that says
// what is wrong (and on which line, where a line is to blame), or becomes a blob that validates,
// encodes each token's bytes to that token alone, and round-trips text.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/rwkvtok.h"
#include "tests/fuzz/fuzz_check.h"
#include "tools/blob_builder.h"
#include "tools/vocab.h"

using rwkvtok::Result;
using rwkvtok::Status;
using rwkvtok::Tokenizer;
using rwkvtok::tools::BlobSections;
using rwkvtok::tools::VocabToken;

namespace {

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::vector<uint32_t> Encode(const Tokenizer& tok, std::string_view text) {
  std::vector<uint32_t> ids(text.size());
  const Result r = tok.Encode(text.data(), text.size(), ids.data(), ids.size());
  FUZZ_CHECK(r.ok());
  ids.resize(r.count);
  return ids;
}

std::string Decode(const Tokenizer& tok, const std::vector<uint32_t>& ids) {
  std::string bytes(ids.size() * tok.max_token_length(), '\0');
  const Result r = tok.Decode(ids.data(), ids.size(), &bytes[0], bytes.size());
  FUZZ_CHECK(r.ok());
  bytes.resize(r.count);
  return bytes;
}

// Gives each byte value that is not a token of its own an unused id, from the top down.
bool AddMissingByteTokens(std::vector<VocabToken>* tokens) {
  std::vector<bool> id_used(65536, false);
  std::vector<bool> byte_is_token(256, false);
  for (const VocabToken& token : *tokens) {
    id_used[token.id] = true;
    if (token.bytes.size() == 1) byte_is_token[static_cast<uint8_t>(token.bytes[0])] = true;
  }
  uint32_t id = 65535;
  for (int byte = 0; byte < 256; ++byte) {
    if (byte_is_token[byte]) continue;
    while (id > 0 && id_used[id]) --id;
    if (id == 0) return false;
    id_used[id] = true;
    tokens->push_back(VocabToken{id, std::string(1, static_cast<char>(byte)), 0});
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<VocabToken> tokens;
  std::string error;
  if (!rwkvtok::tools::ParseVocabulary(text, &tokens, &error)) {
    FUZZ_CHECK(StartsWith(error, "line ") || error == "the vocabulary file is empty");
    return 0;
  }
  FUZZ_CHECK(!tokens.empty());
  BlobSections sections;
  if (!rwkvtok::tools::BuildBlob(tokens, &sections, &error)) {
    FUZZ_CHECK(!error.empty());
    // Mutated files rarely keep all 256 one-byte tokens the builder insists on. Adding the missing
    // ones under unused ids lets every parsed vocabulary reach the builder's trie placement.
    if (!AddMissingByteTokens(&tokens)) return 0;
    FUZZ_CHECK(rwkvtok::tools::BuildBlob(tokens, &sections, &error));
  }
  const std::vector<uint8_t> file = rwkvtok::tools::SerializeBlob(sections);
  std::unique_ptr<uint8_t[]> blob(new uint8_t[file.size()]);
  std::copy(file.begin(), file.end(), blob.get());
  Tokenizer tok = Tokenizer::World();
  FUZZ_CHECK(Tokenizer::FromBlob(blob.get(), file.size(), &tok) == Status::kOk);
  FUZZ_CHECK(tok.vocab_checksum() == sections.vocab_checksum);

  for (const VocabToken& token : tokens) {
    const std::vector<uint32_t> ids = Encode(tok, token.bytes);
    FUZZ_CHECK(ids.size() == 1 && ids[0] == token.id);
    FUZZ_CHECK(Decode(tok, ids) == token.bytes);
  }
  FUZZ_CHECK(Decode(tok, Encode(tok, text)) == text);
  return 0;
}
