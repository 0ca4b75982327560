"""examples/ray_binidx.py on a local Ray: the same dataset, byte for byte, as `rwkvtok binidx`
on the same shards, and a bad line stops it with the command's message."""

import json
import os
import pathlib
import random
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ray_binidx.py"
TOOL = pathlib.Path(os.environ.get("RWKVTOK_CLI") or ROOT / "bazel-bin" / "tools" / "rwkvtok")

pytest.importorskip("ray", reason="tools/python_test.sh installs ray[data]")
if not TOOL.exists():
    pytest.skip(f"no rwkvtok command at {TOOL} (bazel build //tools:rwkvtok)",
                allow_module_level=True)


def run_example(*args):
    return subprocess.run([sys.executable, str(EXAMPLE), *map(str, args), "--num-cpus", "2"],
                          capture_output=True, timeout=600)


@pytest.mark.parametrize("ctx_len", [64, 10**9])
def test_ray_writes_the_commands_dataset(tmp_path, ctx_len):
    shards = tmp_path / "sh[1]"  # no glob pattern
    shards.mkdir()
    (shards / ".hidden.jsonl").write_text('{"text": "a hidden shard is read too"}\n')
    rng = random.Random(1)
    for k in range(6):
        lines = [json.dumps({"text": f"shard {k} doc {i} " + "\u00e9\u4f60\U0001f600" *
                             rng.randint(0, 30), "id": i}) for i in range(rng.randint(0, 300))]
        (shards / f"part-{k:02d}.jsonl").write_text("\n".join(lines) + ("\n" if lines else ""))
    result = run_example(shards, "-o", tmp_path / "ray", "--ctx-len", ctx_len)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    command = subprocess.run([str(TOOL), "binidx", "-o", str(tmp_path / "cli"), str(shards),
                              "--ctx-len", str(ctx_len)], capture_output=True, check=True)
    for suffix in (".bin", ".idx"):
        assert (tmp_path / f"ray{suffix}").read_bytes() == (tmp_path / f"cli{suffix}").read_bytes()
    assert result.stdout.decode().split("\n")[1:] == command.stdout.decode().split("\n")[1:]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cli.bin", "cli.idx", "ray.bin", "ray.idx", "sh[1]"]
    (shards / "notes.txt").write_text("a document the example cannot read")
    result = run_example(shards, "-o", tmp_path / "again")
    assert result.returncode == 2 and b"notes.txt is no .jsonl file" in result.stderr


def test_ray_stops_at_a_bad_line_as_the_command_does(tmp_path):
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "a.jsonl").write_text('{"text": "fine"}\n{"text": 5}\n')
    result = run_example(shards, "-o", tmp_path / "ray")
    assert result.returncode != 0
    assert f"{shards / 'a.jsonl'}:2: member \"text\" is a number, not a string" in \
        result.stderr.decode()
    assert not (tmp_path / "ray.idx").exists()
    result = run_example(shards, "-o", tmp_path / "ray", "--skip-bad")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert "skipped 1 bad lines" in result.stdout.decode()
