// How the command line tool fails: every error is one line on stderr, "rwkvtok: <message>", and an
// exit status: 2 for a command line that cannot run, 1 for anything that goes wrong while running.

#ifndef RWKVTOK_TOOLS_CLI_ERROR_H_
#define RWKVTOK_TOOLS_CLI_ERROR_H_

#include <stdexcept>
#include <string>

namespace rwkvtok {
namespace cli {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_status = 1)
      : std::runtime_error(message), exit_status_(exit_status) {}
  int exit_status() const { return exit_status_; }

 private:
  int exit_status_;
};

// A bad command line or environment: exit status 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, 2) {}
};

// `bytes` for a message: printable ASCII as it is, every other byte as a C escape (\n, \x1b, ...),
// at most `limit` input bytes, then "...". Input copied into messages never reaches the terminal
// as control codes, and a NUL never cuts a message short.
std::string Escaped(const std::string& bytes, size_t limit = 32);
// `message` with bytes below 0x20 and 0x7F as C escapes, the rest as it is: a message stays one
// line, and a file's name in it does not reach the terminal as control codes.
std::string OneLine(const std::string& message);
// Escaped(text), in single quotes: a value quoted in a message.
inline std::string Quoted(const std::string& text) { return "'" + Escaped(text) + "'"; }

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_ERROR_H_
