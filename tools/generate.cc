// rwkvtok_gen: turns a vocabulary file into a blob (lib/blob_format.h), as a C++ header of
// constexpr arrays and/or a binary file, and the compact blob of the same vocabulary.
//
//   rwkvtok_gen VOCAB [--header OUT.h] [--namespace NAME] [--blob OUT.bin]
//               [--compact-blob OUT.bin] [--compact]
//
// Outputs are written whole or not at all, all of them or none: each goes to a temporary file
// beside it, renamed into place once every output is complete (and the renames undone if one
// fails), and removed on any failure.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "lib/blob_format.h"
#include "tools/blob_builder.h"
#include "tools/compact_builder.h"
#include "tools/vocab.h"

namespace {

constexpr char kUsage[] =
    "usage: rwkvtok_gen VOCAB [--header OUT.h] [--namespace NAME] [--blob OUT.bin]\n"
    "                   [--compact-blob OUT.bin] [--compact]\n"
    "Reads a vocabulary file (one token a line: ID LITERAL LENGTH, as rwkv_vocab_v20230424.txt)\n"
    "and writes at least one of:\n"
    "  --header OUT.h          the blob as C++ constexpr arrays, in namespace rwkvtok::NAME\n"
    "  --namespace NAME        (default world_blob) a C++ identifier\n"
    "  --blob OUT.bin          the blob, for Tokenizer::FromBlob\n"
    "  --compact-blob OUT.bin  the compact profile's blob (ids must follow the compact order)\n"
    "  --compact               also put the compact blob into the header (needs --header)\n"
    "Outputs are written whole or not at all; a bad line is reported as FILE: line N: what.\n";

// A vocabulary has at most 65,535 lines of at most a few KB (255 bytes, escaped): anything far
// larger is not one, and is refused before it is read into memory.
constexpr size_t kMaxVocabBytes = size_t{256} << 20;

int UsageError(const std::string& what) {
  std::fprintf(stderr, "rwkvtok_gen: %s (rwkvtok_gen --help)\n", what.c_str());
  return 2;
}

// `name` for a message or a comment: printable ASCII as it is, any other byte as '?'.
std::string Printable(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  }
  return out;
}

// A name the header can give its namespace: an identifier that is not reserved, no keyword of C++
// (up to C++20, as the header may be compiled as that) or of C, nor a macro GCC defines in its GNU
// modes (-std=gnu++17: linux, unix, i386). (A macro of the header's compilation is caught there.)
bool IsIdentifier(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  // Reserved for the implementation (its macros among them): a double underscore, or an
  // underscore and a capital first.
  if (name.find("__") != std::string::npos ||
      (name[0] == '_' && name.size() > 1 && name[1] >= 'A' && name[1] <= 'Z')) {
    return false;
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  // Space-separated, with a space at each end.
  static const char kKeywords[] =
      " alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t"
      " char16_t char32_t class co_await co_return co_yield compl concept const const_cast"
      " consteval constexpr constinit continue decltype default delete do double dynamic_cast"
      " else enum explicit export extern false float for friend goto if inline int long mutable"
      " namespace new noexcept not not_eq nullptr operator or or_eq private protected public"
      " register reinterpret_cast requires restrict return short signed sizeof static"
      " static_assert static_cast struct switch template this thread_local throw true try"
      " typedef typeid typename union unsigned using virtual void volatile wchar_t while xor"
      " xor_eq linux unix i386 ";
  return std::strstr(kKeywords, (" " + name + " ").c_str()) == nullptr;
}

// Reads the whole file, or returns false with `error` set.
bool ReadFile(const std::string& path, std::string* text, std::string* error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot read " + Printable(path) + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    *error = "cannot read " + Printable(path) + ": " + std::strerror(EISDIR);
    return false;
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot read " + Printable(path) + ": " + std::strerror(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;
    if (text->size() + static_cast<size_t>(n) > kMaxVocabBytes) {
      *error = Printable(path) + " is larger than any vocabulary (" +
               std::to_string(kMaxVocabBytes >> 20) + " MB at most)";
      close(fd);
      return false;
    }
    text->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

// The outputs, written to temporary files first and renamed into place together.
class Outputs {
 public:
  ~Outputs() {
    for (const Output& o : outputs_) unlink(o.temporary.c_str());
  }

  // Writes `data` to a temporary file beside `path`; false with `error` set on failure.
  bool Write(const std::string& path, const void* data, size_t size, std::string* error) {
    const size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string temporary = dir + ".rwkvtok_gen.XXXXXX";
    const int fd = mkstemp(&temporary[0]);
    if (fd < 0) {
      *error = "cannot write " + Printable(path) + ": " + std::strerror(errno);
      return false;
    }
    outputs_.push_back({path, temporary});
    const char* bytes = static_cast<const char*>(data);
    for (size_t done = 0; done < size;) {
      const ssize_t n = write(fd, bytes + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *error = "cannot write " + Printable(path) + ": " + std::strerror(n < 0 ? errno : EIO);
        close(fd);
        return false;
      }
      done += static_cast<size_t>(n);
    }
    // mkstemp makes the file readable by its owner alone; outputs get the usual mode.
    const mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0 || close(fd) != 0) {
      *error = "cannot write " + Printable(path) + ": " + std::strerror(errno);
      return false;
    }
    return true;
  }

  // Renames every temporary file into place, or none. First each earlier output gets a second
  // name (a hard link), so that it can be put back if a later output cannot be put in place; one
  // that cannot have one (a directory, a file system without hard links) stops the commit before
  // anything is replaced. The last output needs none: if it fails, it is the one not replaced.
  bool Commit(std::string* error) {
    int failure = 0;  // errno of the step that failed
    size_t linked = 0;
    for (; linked < outputs_.size(); ++linked) {
      Output& o = outputs_[linked];
      struct stat st;
      if (lstat(o.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        failure = EISDIR;
        break;
      }
      if (linked + 1 < outputs_.size()) {  // the last is never put back: none come after it
        o.kept = link(o.path.c_str(), Old(o).c_str()) == 0;
        if (!o.kept && errno != ENOENT) {
          failure = errno;
          break;
        }
      }
    }
    size_t renamed = 0;
    if (linked == outputs_.size()) {
      for (; renamed < outputs_.size(); ++renamed) {
        if (rename(outputs_[renamed].temporary.c_str(), outputs_[renamed].path.c_str()) != 0) {
          failure = errno;
          break;
        }
      }
    }
    const bool committed = renamed == outputs_.size();
    if (!committed) {
      const bool unkept = linked < outputs_.size() && failure != EISDIR;
      const Output& failed = outputs_[linked < outputs_.size() ? linked : renamed];
      *error = "cannot write " + Printable(failed.path) + ": " +
               (unkept ? "cannot keep the file there until every output is in place: " : "") +
               std::strerror(failure);
    }
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const Output& o = outputs_[i];
      if (!committed && i < renamed) {  // put back as it was
        if (o.kept) {
          rename(Old(o).c_str(), o.path.c_str());
        } else {
          unlink(o.path.c_str());
        }
      } else if (o.kept) {
        unlink(Old(o).c_str());
      }
    }
    if (!committed) return false;
    outputs_.clear();
    return true;
  }

 private:
  struct Output {
    std::string path, temporary;
    bool kept = false;  // the earlier output at `path` has a second name, Old()
  };
  static std::string Old(const Output& o) { return o.temporary + ".old"; }
  std::vector<Output> outputs_;
};

// Whether two paths name the same file: the same string, the same existing file, or the same name
// in the same directory.
bool SameFile(const std::string& a, const std::string& b) {
  if (a == b) return true;
  struct stat sa, sb;
  if (stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0) {
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }
  const auto directory = [](const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash + 1);
  };
  const auto name = [](const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  };
  return name(a) == name(b) && stat(directory(a).c_str(), &sa) == 0 &&
         stat(directory(b).c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int Run(int argc, char** argv) {
  std::string vocab_path, header_path, blob_path, compact_path, name_space = "world_blob";
  bool compact_in_header = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool takes_value =
        arg == "--header" || arg == "--blob" || arg == "--compact-blob" || arg == "--namespace";
    if (takes_value && i + 1 >= argc) return UsageError(arg + " needs a value");
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return std::fflush(stdout) == 0 && !std::ferror(stdout) ? 0 : 1;
    } else if (arg == "--header") {
      header_path = argv[++i];
    } else if (arg == "--blob") {
      blob_path = argv[++i];
    } else if (arg == "--compact") {
      compact_in_header = true;
    } else if (arg == "--compact-blob") {
      compact_path = argv[++i];
    } else if (arg == "--namespace") {
      name_space = argv[++i];
    } else if (!arg.empty() && arg[0] == '-') {
      return UsageError("unknown option " + Printable(arg));
    } else if (!vocab_path.empty()) {
      return UsageError("one VOCAB only, not also " + Printable(arg));
    } else {
      vocab_path = arg;
    }
  }
  if (vocab_path.empty()) return UsageError("no VOCAB given");
  if (header_path.empty() && blob_path.empty() && compact_path.empty()) {
    return UsageError("no output: give --header, --blob or --compact-blob");
  }
  if (compact_in_header && header_path.empty()) {
    return UsageError("--compact puts the compact blob into the header: it needs --header");
  }
  if (!IsIdentifier(name_space)) {
    return UsageError(
        "--namespace must be a C++ identifier (not a keyword or reserved name), not '" +
        Printable(name_space) + "'");
  }
  const std::vector<std::pair<const char*, std::string>> outputs = {
      {"--header", header_path}, {"--blob", blob_path}, {"--compact-blob", compact_path}};
  for (size_t a = 0; a < outputs.size(); ++a) {
    if (outputs[a].second.empty()) continue;
    if (SameFile(outputs[a].second, vocab_path)) {
      return UsageError(std::string(outputs[a].first) + " names the vocabulary itself");
    }
    for (size_t b = a + 1; b < outputs.size(); ++b) {
      if (!outputs[b].second.empty() && SameFile(outputs[a].second, outputs[b].second)) {
        return UsageError(std::string(outputs[a].first) + " and " + outputs[b].first +
                          " name the same file");
      }
    }
  }

  std::string text, error;
  if (!ReadFile(vocab_path, &text, &error)) {
    std::fprintf(stderr, "rwkvtok_gen: %s\n", error.c_str());
    return 1;
  }
  std::vector<rwkvtok::tools::VocabToken> tokens;
  rwkvtok::tools::BlobSections sections;
  if (!rwkvtok::tools::ParseVocabulary(text, &tokens, &error) ||
      !rwkvtok::tools::BuildBlob(tokens, &sections, &error)) {
    std::fprintf(stderr, "%s: %s\n", Printable(vocab_path).c_str(), error.c_str());
    return 1;
  }
  std::string().swap(text);
  const std::vector<uint8_t> blob = rwkvtok::tools::SerializeBlob(sections);
  std::vector<uint8_t> compact;
  rwkvtok::tools::CompactStats stats;
  if ((compact_in_header || !compact_path.empty()) &&
      !rwkvtok::tools::BuildCompactBlob(tokens, &compact, &stats, &error)) {
    std::fprintf(stderr, "%s: %s\n", Printable(vocab_path).c_str(), error.c_str());
    return 1;
  }

  Outputs files;
  bool written = true;
  if (!header_path.empty()) {
    const size_t slash = vocab_path.find_last_of('/');
    const std::string source =
        Printable(slash == std::string::npos ? vocab_path : vocab_path.substr(slash + 1));
    const std::string header = rwkvtok::tools::EmitHeader(
        sections, name_space, source, compact_in_header ? compact : std::vector<uint8_t>());
    written = files.Write(header_path, header.data(), header.size(), &error);
  }
  if (written && !blob_path.empty()) {
    written = files.Write(blob_path, blob.data(), blob.size(), &error);
  }
  if (written && !compact_path.empty()) {
    written = files.Write(compact_path, compact.data(), compact.size(), &error);
  }
  if (!written || !files.Commit(&error)) {
    std::fprintf(stderr, "rwkvtok_gen: %s\n", error.c_str());
    return 1;
  }

  const size_t units = sections.units.size();
  size_t id_units = 0;  // units below inner tokens' children holding their ids
  for (size_t u = 1; u < units; ++u) {
    id_units += sections.units[u] != 0 && (sections.units[u] & rwkvtok::blob::kUnitOccupied) == 0;
  }
  std::fprintf(stderr,
               "rwkvtok_gen: %zu tokens, %u trie nodes and %zu ids in %zu units (%.1f%% used); "
               "blob %zu bytes: trie %zu + decode table %zu + byte pool %zu\n",
               tokens.size(), sections.trie_nodes, id_units, units,
               100.0 * (sections.trie_nodes + id_units) / units, blob.size(), units * 4,
               sections.token_entries.size() * 4, sections.token_bytes.size());
  if (!compact.empty()) {
    std::fprintf(stderr,
                 "rwkvtok_gen: compact blob %zu bytes: louds %llu + token bits %llu + samples "
                 "%llu + labels %llu for %u nodes\n",
                 compact.size(), static_cast<unsigned long long>(stats.louds_bytes),
                 static_cast<unsigned long long>(stats.token_bits_bytes),
                 static_cast<unsigned long long>(stats.samples_bytes),
                 static_cast<unsigned long long>(stats.labels_bytes), stats.nodes);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A vocabulary too large for memory is reported, not an abort; the outputs' destructor has
  // removed any temporary file by then.
  // Past a file size limit, writes fail (EFBIG) instead of killing the tool before it cleans up.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return Run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "rwkvtok_gen: out of memory\n");
    return 1;
  }
}
