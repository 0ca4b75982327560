#!/usr/bin/env python3
"""A directory of JSONL shards to one binidx dataset for RWKV-LM, on Ray Data: each shard is read,
parsed and encoded where Ray puts it, written as a binidx shard of its own, and the shards are
merged in the order of their names. The dataset is the one `rwkvtok binidx -o OUT DIR` writes
(which also reads .txt, .gz and .zst files: this example refuses a directory holding them).

    pip install . "ray[data]"                      # in the rwkvtok checkout
    python examples/ray_binidx.py shards/ -o data/corpus --workdir /shared/tmp      # local Ray
    python examples/ray_binidx.py shards/ -o data/corpus --workdir /shared/tmp --address auto

On a cluster every node must see the input directory and --workdir at the same paths (NFS or the
like): the shards are written there by the workers and merged by this process. --skip-bad and
--field are the command's; a bad line stops the job with the command's message (FILE:LINE: ...).
"""

import argparse
import os
import shutil
import tempfile

import ray

import rwkvtok
from rwkvtok import binidx


def encode_shards(batch, field, skip_bad, workdir):
    """One block of rows (a JSONL file each) -> one binidx shard per file."""
    tok = rwkvtok.World()
    out = {"path": [], "shard": [], "skipped": []}
    for path, data in zip(batch["path"], batch["bytes"]):
        texts, skipped = [], 0
        for number, line in enumerate(bytes(data).split(b"\n"), 1):
            if not line.strip(b" \t\r"):
                continue
            try:
                texts.append(binidx.parse_line(line, field))
            except ValueError as error:
                if not skip_bad:
                    raise binidx.BinidxError(f"{path}:{number}: {error}") from None
                skipped += 1
        shard = os.path.join(workdir, os.path.basename(path) + ".shard")
        with binidx.Writer(shard) as writer:
            for ids in tok.encode_batch(texts):
                writer.add_ids(ids)
        out["path"].append(path)
        out["shard"].append(shard)
        out["skipped"].append(skipped)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="a directory of .jsonl shards")
    parser.add_argument("-o", "--output", required=True, help="the dataset's PREFIX")
    parser.add_argument("--field", default="text")
    parser.add_argument("--skip-bad", action="store_true")
    parser.add_argument("--ctx-len", type=int, default=0)
    parser.add_argument("--workdir", help="for the shards; every node must see it (default: beside"
                        " the output)")
    parser.add_argument("--address", help="a Ray cluster (e.g. auto); default: a local one")
    parser.add_argument("--num-cpus", type=int, help="for a local Ray")
    args = parser.parse_args()

    # Every entry, in byte order of the names, as the command takes a directory.
    try:
        names = sorted(os.listdir(args.input), key=os.fsencode)
    except OSError as error:
        parser.error(f"cannot open {args.input}: {error.strerror}")
    files = [os.path.abspath(os.path.join(args.input, name)) for name in names]
    for path in files:
        if not path.endswith(".jsonl") or not os.path.isfile(path):
            parser.error(f"{path} is no .jsonl file (rwkvtok binidx reads the other kinds)")
    if not files:
        parser.error(f"no .jsonl files in {args.input}")
    work = tempfile.mkdtemp(prefix=".shards-", dir=args.workdir or
                            os.path.dirname(os.path.abspath(args.output)))
    try:
        ray.init(address=args.address, num_cpus=args.num_cpus, include_dashboard=False,
                 log_to_driver=False)
        rows = ray.data.read_binary_files(files, include_paths=True).map_batches(
            encode_shards, batch_size=1,
            fn_kwargs={"field": args.field, "skip_bad": args.skip_bad, "workdir": work}).take_all()
        order = {path: k for k, path in enumerate(files)}
        rows.sort(key=lambda row: order[os.path.abspath(row["path"])])
        counts = binidx.merge(args.output, [row["shard"] for row in rows])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.output}.bin, {args.output}.idx: {counts.documents} documents, "
          f"{counts.tokens} tokens")
    if args.skip_bad:
        print(f"skipped {sum(row['skipped'] for row in rows)} bad lines")
    if args.ctx_len:
        print(f"--my_exit_tokens {counts.tokens}")
        prime = binidx.magic_prime(counts.tokens, args.ctx_len)
        print(f"--magic_prime {prime}" if prime else "no --magic_prime: the dataset holds fewer "
              f"than 3 contexts of {args.ctx_len} tokens")


if __name__ == "__main__":
    main()
