"""History scans with their whole-blob scans on worker processes: the same report as one process."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from nsecguard import engine, output
from nsecguard.engine import Options
from nsecguard.model import Finding, Kind
from nsecguard.result import ScanResult
from nsecguard.sources import git, history_pool
from tests.conftest import Repo, new_key

OPTIONS = Options()


def _busy_history(repo: Repo) -> list[str]:
    """40 commits: a lock file gaining checksums (each change a whole-blob job), hex keys proven
    by their public keys in the same file, an nsec added, deleted and added again; returns the
    secrets planted (hex and nsec)."""
    rng = random.Random(11)
    hexkey, nsec, other = new_key(), new_key(), new_key()
    lock = ["# lock file"]
    for i in range(40):
        lock.append(f'checksum = "{rng.randbytes(32).hex()}"')
        if i == 12:
            lock.append(f"# owner {hexkey.pubkey.hex()}")
        if i == 20:
            lock.append(f"value = {hexkey.hex}")  # proven by the pubkey above: CERTAIN
        repo.write("Cargo.lock", "\n".join(lock) + "\n")
        if i == 5:
            repo.write("notes.txt", f"key {nsec.nsec}\n")  # added twice: one finding, 2 commits
        if i == 30:  # with a hex value: a whole-blob job, newer than the plain unit above
            repo.write("notes.txt", f"key {nsec.nsec}\nsum {rng.randbytes(32).hex()}\n")
        if i == 18:
            repo.write("notes.txt", "gone\n")
        if i == 25:
            repo.write("vectors.txt", f"pub {other.pubkey.hex()}\nsecret {other.hex}\n")
        repo.add(".")
        repo.commit(f"change {i}", date=f"2024-01-01T00:{i:02d}:00+00:00")
    return [hexkey.hex, nsec.nsec, other.hex]


def _report(result: ScanResult) -> list[tuple[object, ...]]:
    return [(f.kind, f.confidence, f.path, f.line, f.column, f.fingerprint, f.extra) for f in result.findings]


def _scan(repo: Repo, jobs: int) -> ScanResult:
    return git.scan_history(git.open_repo(str(repo.path)), OPTIONS, ["--all"], jobs=jobs)


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[history_pool.Pool]:
    """Every pool started (from the first whole-blob job on)."""
    started: list[history_pool.Pool] = []

    class Recorded(history_pool.Pool):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    monkeypatch.setattr(history_pool, "START_AFTER", 0)
    monkeypatch.setattr(history_pool, "Pool", Recorded)
    return started


def test_workers_give_the_same_report_as_one_process(repo: Repo, pools: list[history_pool.Pool]) -> None:
    _busy_history(repo)
    alone = _scan(repo, 1)
    assert not pools
    shared = _scan(repo, 2)
    assert len(pools) == 1 and not pools[0].broken
    assert _report(shared) == _report(alone)
    assert {f.kind for f in alone.findings} == {Kind.HEX, Kind.NSEC}
    nsec = [f for f in alone.findings if f.kind is Kind.NSEC]
    assert [dict(f.extra)["commits"] for f in nsec] == ["2"]  # the oldest introduction, counted twice
    assert [dict(f.extra)["date"][:16] for f in nsec] == ["2024-01-01T00:05"]
    assert (shared.scanned, shared.scanned_bytes, shared.commits) == (alone.scanned, alone.scanned_bytes, 40)


def test_a_small_history_starts_no_worker(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(history_pool, "Pool", lambda *a: started.append(a))
    key = new_key()
    repo.commit_file("v.txt", f"pub {key.pubkey.hex()}\nsecret {key.hex}\n")
    [finding] = _scan(repo, 4).findings
    assert finding.kind is Kind.HEX and not started


def test_the_workers_boundary_secrets_reach_this_process(repo: Repo, pools: list[history_pool.Pool]) -> None:
    planted = _busy_history(repo)
    output.reset()
    engine.set_hit_hook(output.remember_hits)
    try:
        result = _scan(repo, 2)
        assert pools and result.secrets
        hex_secrets = [s for s in planted if len(s) == 64]
        assert all(not output.is_remembered(s) for s in hex_secrets)  # found in the workers only
        for secret in result.secrets:
            output.remember(secret)
        for secret in hex_secrets:
            assert secret not in output.scrub(f"x {secret} y")
    finally:
        engine.set_hit_hook(None)
        output.reset()


def _failing(job: git.ContextJob, blobs: git.Blobs, options: Options) -> list[Finding]:
    raise RuntimeError("worker failure")


def _dying(job: git.ContextJob, blobs: git.Blobs, options: Options) -> list[Finding]:
    os._exit(3)


@pytest.mark.parametrize("fault", [_failing, _dying], ids=["raises", "dies"])
def test_a_failing_worker_costs_time_not_findings(
    repo: Repo, pools: list[history_pool.Pool], monkeypatch: pytest.MonkeyPatch, fault: object
) -> None:
    _busy_history(repo)
    alone = _scan(repo, 1)
    monkeypatch.setattr(history_pool, "context_findings", fault)  # what the forked workers run
    shared = _scan(repo, 2)
    assert pools and _report(shared) == _report(alone)
    assert pools[0].broken is (fault is _dying)
    assert not any(w.is_alive() for w in pools[0]._workers)


def test_no_worker_outlives_an_interrupted_scan(
    repo: Repo, pools: list[history_pool.Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy_history(repo)
    real = git.parse_file
    calls = [0]

    def interrupted(record: bytes) -> git.FileDiff:
        calls[0] += 1
        if calls[0] == 30:
            raise KeyboardInterrupt
        return real(record)

    monkeypatch.setattr(git, "parse_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _scan(repo, 2)
    assert pools and not any(w.is_alive() for w in pools[0]._workers)


def test_the_rust_nostr_history_is_the_same_on_workers(pools: list[history_pool.Pool]) -> None:
    """A real history with hundreds of whole-blob jobs (skipped where the clone is absent)."""
    path = Path("/work/corpus/rust-nostr+nostr")
    if not (path / ".git").is_dir():
        pytest.skip("no local clone of rust-nostr")
    repo = git.open_repo(str(path))
    revs = ["--all", "--max-count=300"]
    alone = git.scan_history(repo, OPTIONS, revs, jobs=1)
    shared = git.scan_history(repo, OPTIONS, revs, jobs=2)
    assert pools and _report(shared) == _report(alone)
