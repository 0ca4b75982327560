// Reading a vocabulary file in the format of rwkv_vocab_v20230424.txt.
//
// Each line is `<id> <literal> <byte length>`, separated by single spaces, ending in LF or CRLF
// (the last line may lack it). The literal is a Python str literal ('...' or "...", UTF-8 in the
// file, encoded as UTF-8) or bytes literal (b'...' or b"...", ASCII in the file). Escapes:
// \\ \' \" \n \t \r \xHH and, in str literals only, \uHHHH. In a str literal \xHH is the code point
// U+00HH (so '\x80' is the two bytes C2 80); in a bytes literal it is the byte HH.
//
// Checked: ids are in 1..65535 and unique, byte strings are non-empty, at most 255 bytes and
// unique, and the length column equals the byte length. Empty lines, a byte order mark and any
// other syntax are rejected. Errors read "line N: <what is wrong>".

#ifndef RWKVTOK_TOOLS_VOCAB_H_
#define RWKVTOK_TOOLS_VOCAB_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rwkvtok {
namespace tools {

struct VocabToken {
  uint32_t id;
  std::string bytes;
  size_t line;  // 1-based line in the file
};

// Parses a whole vocabulary file. On success fills `tokens` in file order and returns true; on
// failure returns false and sets `error` (e.g. "line 7: id 5 is already defined on line 3").
bool ParseVocabulary(std::string_view text, std::vector<VocabToken>* tokens, std::string* error);

}  // namespace tools
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_VOCAB_H_
