// rwkvtok_gen: turns a vocabulary file into a blob (lib/blob_format.h), as a C++ header of
// constexpr arrays and/or a binary file, and the compact blob of the same vocabulary.
//
//   rwkvtok_gen VOCAB [--header OUT.h] [--namespace NAME] [--blob OUT.bin]
//               [--compact-blob OUT.bin] [--compact]
//
// --compact puts the compact blob into the header too (as kCompactBlob).

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "lib/blob_format.h"
#include "tools/blob_builder.h"
#include "tools/compact_builder.h"
#include "tools/vocab.h"

namespace {

int Usage() {
  std::cerr << "usage: rwkvtok_gen VOCAB [--header OUT.h] [--namespace NAME] [--blob OUT.bin]\n"
               "                   [--compact-blob OUT.bin] [--compact]\n";
  return 2;
}

bool WriteFile(const std::string& path, const void* data, size_t size) {
  std::ofstream file(path, std::ios::binary);
  file.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  file.close();
  if (!file) {
    std::cerr << "rwkvtok_gen: cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string vocab_path, header_path, blob_path, compact_path, name_space = "world_blob";
  bool compact_in_header = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--header" && has_value) {
      header_path = argv[++i];
    } else if (arg == "--blob" && has_value) {
      blob_path = argv[++i];
    } else if (arg == "--compact") {
      compact_in_header = true;
    } else if (arg == "--compact-blob" && has_value) {
      compact_path = argv[++i];
    } else if (arg == "--namespace" && has_value) {
      name_space = argv[++i];
    } else if (!arg.empty() && arg[0] != '-' && vocab_path.empty()) {
      vocab_path = arg;
    } else {
      return Usage();
    }
  }
  if (vocab_path.empty() || (header_path.empty() && blob_path.empty() && compact_path.empty())) {
    return Usage();
  }

  std::ifstream file(vocab_path, std::ios::binary);
  if (!file) {
    std::cerr << "rwkvtok_gen: cannot read " << vocab_path << "\n";
    return 1;
  }
  std::stringstream text;
  text << file.rdbuf();

  std::vector<rwkvtok::tools::VocabToken> tokens;
  rwkvtok::tools::BlobSections sections;
  std::string error;
  if (!rwkvtok::tools::ParseVocabulary(text.str(), &tokens, &error) ||
      !rwkvtok::tools::BuildBlob(tokens, &sections, &error)) {
    std::cerr << vocab_path << ": " << error << "\n";
    return 1;
  }
  const std::vector<uint8_t> blob = rwkvtok::tools::SerializeBlob(sections);
  std::vector<uint8_t> compact;
  rwkvtok::tools::CompactStats stats;
  if ((compact_in_header || !compact_path.empty()) &&
      !rwkvtok::tools::BuildCompactBlob(tokens, &compact, &stats, &error)) {
    std::cerr << vocab_path << ": " << error << "\n";
    return 1;
  }
  if (!header_path.empty()) {
    const size_t slash = vocab_path.find_last_of('/');
    const std::string source =
        slash == std::string::npos ? vocab_path : vocab_path.substr(slash + 1);
    const std::string header = rwkvtok::tools::EmitHeader(
        sections, name_space, source, compact_in_header ? compact : std::vector<uint8_t>());
    if (!WriteFile(header_path, header.data(), header.size())) return 1;
  }
  if (!blob_path.empty() && !WriteFile(blob_path, blob.data(), blob.size())) return 1;
  if (!compact_path.empty() && !WriteFile(compact_path, compact.data(), compact.size())) return 1;

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
