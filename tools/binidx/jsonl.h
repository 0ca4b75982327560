// One line of JSONL: a JSON object (RFC 8259, strictly: no NaN, no comments, no trailing commas),
// of which one string member is wanted, as UTF-8. For `rwkvtok binidx`, where each line is a
// training document, and for anything else that must read corpora exactly as it does.

#ifndef RWKVTOK_TOOLS_BINIDX_JSONL_H_
#define RWKVTOK_TOOLS_BINIDX_JSONL_H_

#include <string>
#include <string_view>

namespace rwkvtok {
namespace binidx {

// Reads `line` (without its line break; surrounding whitespace allowed) as one JSON object and
// sets `*text` to the value of its member named `field`, a string, as UTF-8 (every escape decoded,
// surrogate pairs joined). When a name appears more than once the last member counts, as in
// Python's json module. False, with `*error` saying what is wrong and at which byte (1-based
// column), when the line is not valid JSON, not an object, has no such member, or the member is
// not a string. Invalid UTF-8 anywhere in the line is an error, and so is an escaped lone
// surrogate ("\ud800") in the member's value, which UTF-8 cannot hold. Nesting deeper than
// kMaxDepth is an error.
bool ReadField(std::string_view line, std::string_view field, std::string* text,
               std::string* error);

// As ReadField, but appends the text to what `*text` holds; on false, what follows that is
// unspecified.
bool AppendField(std::string_view line, std::string_view field, std::string* text,
                 std::string* error);

constexpr int kMaxDepth = 1000;

}  // namespace binidx
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_BINIDX_JSONL_H_
