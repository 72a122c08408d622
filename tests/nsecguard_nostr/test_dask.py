"""The distributed integration, run for real with Dask's local schedulers."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest
from nostr_helpers import event, new_key, rand_hex

from nsecguard_nostr.archive import scan_partition

pytest.importorskip("dask.bag")

from nsecguard_nostr.dask_scan import read_lines, scan_bag, scan_paths


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], list[str]]:
    """Three shards of an archive (one gzipped), with keys spread across them."""
    root = tmp_path_factory.mktemp("shards")
    keys = [new_key() for _ in range(4)]
    all_lines: list[str] = []
    paths: list[str] = []
    for shard in range(3):
        lines = [
            json.dumps(event("gm", [["p", rand_hex()]], created_at=1_700_000_000 + i)) for i in range(2000)
        ]
        for j, k in enumerate(keys):  # every key in every shard: records must merge across shards
            lines.insert(
                500 * j, json.dumps(event(f"--sec {k.nsec}", pubkey=k.pubhex, created_at=shard * 10 + j))
            )
        lines.append("not json")
        all_lines += lines
        data = ("\n".join(lines) + "\n").encode()
        path = root / (f"shard{shard}.jsonl.gz" if shard == 2 else f"shard{shard}.jsonl")
        path.write_bytes(gzip.compress(data) if shard == 2 else data)
        paths.append(str(path))
    return paths, all_lines, [k.npub for k in keys]


@pytest.mark.parametrize("scheduler", ["synchronous", "threads", "processes"])
def test_scan_paths_matches_single_machine_scan(
    shards: tuple[list[str], list[str], list[str]], scheduler: str
) -> None:
    paths, lines, npubs = shards
    result = scan_paths(paths, scheduler=scheduler, blocksize=64 * 1024)
    expected = scan_partition(lines)
    assert result.to_dict() == expected.to_dict()
    assert sorted(r.npub or "" for r in result.keys.values()) == sorted(npubs)
    assert result.malformed == 3
    for record in result.keys.values():
        assert record.event_count == 3 and len(record.own_events) == 3
        assert record.first_seen is not None and record.last_seen == record.first_seen + 20


def test_many_partitions(shards: tuple[list[str], list[str], list[str]]) -> None:
    paths, lines, _ = shards
    bag = read_lines(paths[:2], blocksize=16 * 1024)
    assert bag.npartitions > 4
    result = scan_bag(bag, split_every=2).compute(scheduler="synchronous")
    assert result.to_dict() == scan_partition(lines[: len(lines) * 2 // 3]).to_dict()


def test_events_command_with_dask(nsecguard_exe: str, shards: tuple[list[str], list[str], list[str]]) -> None:
    paths, lines, _ = shards
    glob = str(Path(paths[0]).parent / "shard*.jsonl*")
    proc = subprocess.run(
        [nsecguard_exe, "events", "--format", "json", "--dask", "processes", glob],
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout) == scan_partition(lines).to_dict()
