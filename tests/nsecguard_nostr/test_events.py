"""The event-archive scanner: the pure partition function, its merge, and `nsecguard events`."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from nostr_helpers import assert_no_key, event, new_key, rand_hex

from nsecguard_nostr.archive import Aggregate, merge, merge_all, scan_partition

CLEAN = ("gm", "zap me", "coffee and bitcoin", "nostr:npub1 is not a key", "the quick brown fox")


class Archive:
    """A generated archive: mostly clean events, keys planted in known places."""

    def __init__(self, n: int = 3000, seed: int = 5) -> None:
        rng = random.Random(seed)
        self.bot, self.shared, self.tagged, self.wallet = new_key(), new_key(), new_key(), new_key()
        self.keys = [self.bot, self.shared, self.tagged, self.wallet]
        self.lines: list[str] = []
        self.leaky_ids: dict[str, set[str]] = {k.npub: set() for k in self.keys}
        for i in range(n):
            created = 1_700_000_000 + i * 60
            roll = rng.random()
            if roll < 0.6:
                ev = event(rng.choice(CLEAN), created_at=created)
            elif roll < 0.9:
                ev = event(rng.choice(CLEAN), [["e", rand_hex()], ["p", rand_hex()]], created_at=created)
            else:
                ev = event("", [["p", rand_hex()] for _ in range(40)], kind=3, created_at=created)
            self.lines.append(json.dumps(ev))
        self.plant(
            10, lambda c: event(f"bot config --sec {self.bot.nsec}", pubkey=self.bot.pubhex, created_at=c)
        )
        self.plant(3, lambda c: event("gm", [["t", self.shared.nsec]], created_at=c))
        self.plant(2, lambda c: event(f"{self.shared.hex}", pubkey=self.shared.pubhex, created_at=c))
        self.plant(
            2, lambda c: event(f"take this {self.tagged.hex}", [["p", self.tagged.pubhex]], created_at=c)
        )
        uri = f"nostr+walletconnect://{rand_hex()}?relay=wss://r.example.com&secret={self.wallet.hex}"
        self.plant(1, lambda c: event(uri, created_at=c))
        # a relay message wrapping, a duplicate from a second relay, and malformed lines
        dup = json.loads(self.lines[self.first_leak_line])
        self.lines.append(json.dumps(["EVENT", "sub1", dup]))
        self.lines += ["not json", "[1,2]", '{"no": "id"}', "", "   "]
        rng.shuffle(self.lines)

    def plant(self, count: int, make: Any) -> None:
        for _ in range(count):
            ev = make(1_690_000_000 + len(self.lines))
            for k in self.keys:
                if k.nsec in json.dumps(ev) or k.hex in json.dumps(ev):
                    self.leaky_ids[k.npub].add(ev["id"])
            if not hasattr(self, "first_leak_line"):
                self.first_leak_line = len(self.lines)
            self.lines.append(json.dumps(ev))


@pytest.fixture(scope="module")
def archive() -> Archive:
    return Archive()


def test_partition_finds_every_planted_key(archive: Archive) -> None:
    agg = scan_partition(archive.lines)
    records = {r.npub: r for r in agg.keys.values()}
    assert set(records) == {k.npub for k in archive.keys}
    for npub, ids in archive.leaky_ids.items():
        assert set(records[npub].events) == ids
    bot = records[archive.bot.npub].to_dict()
    assert bot["events"] == 10 and bot["own_key"] and bot["own_events"] == 10 and bot["kinds"] == ["nsec"]
    shared = records[archive.shared.npub].to_dict()
    assert shared["events"] == 5 and shared["own_events"] == 2 and shared["kinds"] == ["hex-key", "nsec"]
    assert shared["where"] == ["content", "tag t"]
    tagged = records[archive.tagged.npub].to_dict()
    assert not tagged["own_key"] and tagged["events"] == 2
    assert records[archive.wallet.npub].to_dict()["kinds"] == ["nwc-secret"]
    assert agg.malformed == 3  # blank lines are not malformed
    assert agg.events == 3000 + 18  # the duplicate from a second relay counts once
    assert agg.leaky_events == 18
    assert sum(r.event_count for r in agg.keys.values()) == 18


def test_first_and_last_seen(archive: Archive) -> None:
    agg = scan_partition(archive.lines)
    for record in agg.keys.values():
        stamps = list(record.events.values())
        assert record.first_seen == min(stamps) and record.last_seen == max(stamps)


def test_merge_of_partitions_equals_one_scan(archive: Archive) -> None:
    whole = scan_partition(archive.lines).to_dict()
    rng = random.Random(3)
    for _ in range(3):
        cuts = sorted(rng.sample(range(1, len(archive.lines)), 5))
        parts = [archive.lines[a:b] for a, b in zip([0, *cuts], [*cuts, len(archive.lines)], strict=True)]
        results = [scan_partition(p) for p in parts]
        rng.shuffle(results)
        assert merge_all(results).to_dict() == whole
        tree = merge(merge(results[0], results[1]), merge_all(results[2:]))
        assert tree.to_dict() == whole
    before = json.dumps(results[0].to_dict())
    merge(results[0], results[1])
    assert json.dumps(results[0].to_dict()) == before, "merge must leave its inputs alone"


def test_empty_and_bytes_input() -> None:
    assert scan_partition([]).to_dict() == Aggregate().to_dict()
    key = new_key()
    agg = scan_partition([json.dumps(event(key.nsec)).encode(), b"\n"])
    assert [r.npub for r in agg.keys.values()] == [key.npub]


def test_event_ids_are_capped_and_counted() -> None:
    key = new_key()
    lines = [json.dumps(event(f"k {key.nsec}", created_at=1_700_000_000 + i)) for i in range(30)]
    record = scan_partition(lines).to_dict(max_ids=5)["keys"][0]
    assert len(record["event_ids"]) == 5 and record["event_ids_omitted"] == 25 and record["events"] == 30


# --- the command ---------------------------------------------------------------------------


def run_events(exe: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([exe, "events", *args], input=stdin, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def archive_files(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("archive")
    data = ("\n".join(archive.lines) + "\n").encode()
    plain, packed = root / "events.jsonl", root / "events.jsonl.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))
    disguised = root / "export.dat"  # gzip found by its magic bytes, not its name
    disguised.write_bytes(gzip.compress(data))
    return {"plain": plain, "gz": packed, "disguised": disguised}


def _json_report(proc: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    assert proc.returncode == 1, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def test_command_json_same_for_plain_gzip_stdin_and_jobs(
    nsecguard_exe: str, archive: Archive, archive_files: dict[str, Path]
) -> None:
    expected = scan_partition(archive.lines).to_dict()
    reports = [
        _json_report(run_events(nsecguard_exe, "--format", "json", str(archive_files["plain"]))),
        _json_report(run_events(nsecguard_exe, "--format", "json", "-j", "1", str(archive_files["gz"]))),
        _json_report(run_events(nsecguard_exe, "--format", "json", str(archive_files["disguised"]))),
        _json_report(
            run_events(nsecguard_exe, "--format", "json", "-", stdin=archive_files["gz"].read_bytes())
        ),
    ]
    for report in reports:
        assert report == expected
    assert report["leaked_keys"] == 4 and report["own_keys"] == 2


def test_command_parallel_blocks_match(nsecguard_exe: str, archive: Archive, tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("w") as out:  # > 2 blocks of 1 MiB, so worker processes are used
        for _ in range(4):
            out.write("\n".join(archive.lines) + "\n")
    report = _json_report(run_events(nsecguard_exe, "--format", "json", "-j", "2", str(big)))
    assert report["events"] == scan_partition(archive.lines).events  # 4 copies of each count once
    assert {k["npub"] for k in report["keys"]} == {k.npub for k in archive.keys}
    bot = next(k for k in report["keys"] if k["npub"] == archive.bot.npub)
    assert bot["events"] == 10  # the same events four times over: de-duplicated


def test_command_text_output_and_no_key(
    nsecguard_exe: str, archive: Archive, archive_files: dict[str, Path]
) -> None:
    proc = run_events(nsecguard_exe, str(archive_files["plain"]))
    assert proc.returncode == 1
    text = proc.stdout.decode()
    assert "4 leaked secrets (2 exposed by their owners)" in text
    assert f"{archive.bot.npub} [nsec, critical] — posted by its owner" in text
    assert "3 malformed lines skipped" in text
    assert proc.stderr == b""  # no progress line when stderr is not a terminal
    assert_no_key(proc.stdout + proc.stderr, *archive.keys)


def test_command_output_file_progress_and_clean_exit(nsecguard_exe: str, tmp_path: Path) -> None:
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(json.dumps(event("gm")) for _ in range(50)) + "\n")
    report = tmp_path / "report.json"
    proc = run_events(nsecguard_exe, "--format", "json", "-o", str(report), "--progress", str(clean))
    assert proc.returncode == 0
    assert json.loads(report.read_text())["keys"] == []
    assert b"50 events" in proc.stderr  # forced progress line


def test_command_errors(nsecguard_exe: str, tmp_path: Path) -> None:
    proc = run_events(nsecguard_exe, str(tmp_path / "missing.jsonl"))
    assert proc.returncode == 2 and b"cannot read" in proc.stderr
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(b'{"id": "x"}\n' * 100)[:40])
    proc = run_events(nsecguard_exe, str(broken))
    assert proc.returncode == 2 and b"cannot decompress" in proc.stderr


def _crafted(k: Any) -> list[dict[str, Any]]:
    deep = '{"pubkey":"' + rand_hex() + '","content":"' + k.nsec + '","tags":' + "[" * 1000 + "]" * 1000 + "}"
    return [
        {**event(k.nsec), "kind": []},
        {**event(k.nsec), "kind": {"a": 1}},
        {**event("gm"), "tags": [{}, ["t", k.nsec]]},
        event(deep, kind=6),
        event("zap", [["description", deep]], kind=9735),
    ]


def test_malformed_events_do_not_abort_a_scan(nsecguard_exe: str) -> None:
    """Kinds that are lists or dicts, tags that are dicts, deep reposts and zaps: each is
    checked (its key found), and the scan goes on to the next line."""
    k, later = new_key(), new_key()
    lines = [json.dumps(ev) for ev in _crafted(k)] + [json.dumps(event(f"after {later.nsec}"))]
    proc = run_events(nsecguard_exe, "--format", "json", "-", stdin="\n".join(lines).encode())
    report = _json_report(proc)
    assert {r["npub"] for r in report["keys"]} == {k.npub, later.npub}
    assert report["events"] == len(lines) and report["leaky_events"] == len(lines)
    assert_no_key(proc.stdout + proc.stderr, k, later)


def test_an_event_that_cannot_be_checked_is_counted_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from nsecguard_nostr import archive as archive_module

    real = archive_module.scan_event

    def flaky(ev: Any, **kwargs: Any) -> Any:
        if ev.get("content") == "boom":
            raise RecursionError
        return real(ev, **kwargs)

    monkeypatch.setattr(archive_module, "scan_event", flaky)
    k = new_key()
    agg = scan_partition([json.dumps(event("boom")), json.dumps(event(k.nsec))])
    assert agg.unjudged == 1 and agg.events == 2 and [r.npub for r in agg.keys.values()] == [k.npub]


def test_keys_as_tag_names_and_ids_are_never_printed(nsecguard_exe: str) -> None:
    k, other = new_key(), new_key()
    lines = [
        event("gm", [[k.nsec, "x"]]),
        event(json.dumps(event("gm", [[k.nsec.upper(), "y"]])), kind=6),
        event(f"x {other.nsec}", event_id=k.nsec),
        event(f"x {k.nsec}", event_id=k.hex),
    ]
    data = "\n".join(json.dumps(ev) for ev in lines).encode()
    for fmt in ("text", "json"):
        proc = run_events(nsecguard_exe, "--format", fmt, "-", stdin=data)
        assert proc.returncode == 1
        assert_no_key(proc.stdout + proc.stderr, k)
    assert "tag (unusual name)" in proc.stdout.decode()


def test_an_endless_line_is_skipped_in_bounded_memory() -> None:
    import io

    from nsecguard_nostr.events_cmd import blocks

    k = new_key()
    stream = io.BytesIO(
        b"x" * (3 << 20) + b"\n" + json.dumps(event(k.nsec)).encode() + b"\n" + b"y" * (3 << 20)
    )
    parts = list(blocks(stream, size=1 << 16, max_line=1 << 20))  # type: ignore[arg-type]
    assert max(map(len, parts)) < 2 << 20
    agg = scan_partition(b"".join(parts).split(b"\n"))
    assert agg.malformed == 2 and [r.npub for r in agg.keys.values()] == [k.npub]
