#!/bin/sh
# blob_inputs.sh BLOB PLAIN FORGED: the blob as inputs of the blob fuzz target, whose first byte
# is a mode: 0 = as it is, 3 = with both checksums recomputed.
set -e
{ printf '\000'; cat "$1"; } >"$2"
{ printf '\003'; cat "$1"; } >"$3"
