"""History scans with their whole-blob scans on worker processes: the same report as one process."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
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


def test_one_dead_worker_among_live_ones_costs_no_finding(
    repo: Repo, pools: list[history_pool.Pool], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _busy_history(repo)
    alone = _scan(repo, 1)
    marker = str(tmp_path / "died")
    real = history_pool.context_findings

    def first_one_dies(job: git.ContextJob, blobs: git.Blobs, options: Options) -> list[Finding]:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return real(job, blobs, options)
        os._exit(3)  # the first job taken: that worker dies holding it, the other lives on

    monkeypatch.setattr(history_pool, "context_findings", first_one_dies)
    shared = _scan(repo, 2)
    assert pools and pools[0].broken and os.path.exists(marker)
    assert _report(shared) == _report(alone)


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


def _lock_history(path: Path, commits: int, checksums: int, name: str = "checksum") -> None:
    """A repository whose every commit changes a long lock file (a whole-blob job each)."""
    rng = random.Random(5)
    lines = [f'{name} = "{rng.randbytes(32).hex()}"' for _ in range(checksums)]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    script = []
    for i in range(commits):
        lines[rng.randrange(checksums)] = f'{name} = "{rng.randbytes(32).hex()}"'
        data = ("\n".join(lines) + "\n").encode()
        script.append(
            f"commit refs/heads/main\ncommitter T <t@x> {1700000000 + i} +0000\ndata 1\nc\n"
            f"M 100644 inline Cargo.lock\ndata {len(data)}\n".encode()
            + data
            + b"\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(script), check=True)


def _descendants(pid: int) -> list[int]:
    """Children, grandchildren...: the workers and every git they started."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        kids: list[int] = []
        with contextlib.suppress(OSError), open(f"/proc/{parent}/task/{parent}/children") as fh:
            kids = [int(c) for c in fh.read().split()]
        found += kids
        todo += kids
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] not in "ZX"
    except OSError:
        return False


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_history_scan_stops_its_workers_and_their_git(
    tmp_path: Path, sig: signal.Signals
) -> None:
    # values named by nothing: each judged in its whole blob (a `checksum = "` line is judged once
    # per process, and the scan would be over before the signal)
    _lock_history(tmp_path / "r", commits=200, checksums=800, name="x")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nsecguard", "scan", "--history", "-j", "2", "--no-progress"],
        cwd=tmp_path / "r",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen: list[int] = []
    try:
        for _ in range(600):  # wait (up to a minute on a busy machine) for the workers to start
            seen = _descendants(proc.pid)
            if len([p for p in seen if _comm(p) != "git"]) >= 2 or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert len([p for p in seen if _comm(p) != "git"]) >= 2, "the scan did not start its workers"
        time.sleep(0.3)  # let the workers start their own `git cat-file`
        seen = sorted(set(seen) | set(_descendants(proc.pid)))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and b"interrupted" in err and b"Traceback" not in err, err
        for _ in range(100):
            if not any(_alive(p) for p in seen):
                break
            time.sleep(0.1)
        assert not [_comm(p) for p in seen if _alive(p)], "a process outlived the scan"
    finally:  # never leave a process behind, whatever failed
        for pid in [proc.pid, *seen]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_proof_across_files_works_when_workers_judge_the_blobs(
    repo: Repo, pools: list[history_pool.Pool]
) -> None:
    """The clues of a whole-blob job judged in a worker reach this process: a value with no
    name in one commit is proven by its public key in another, with workers as without."""
    k = new_key()
    rng = random.Random(5)
    for i in range(6):  # whole-blob jobs, so the pool starts before the candidate's job
        repo.write("Cargo.lock", "".join(f'checksum = "{rng.randbytes(32).hex()}"\n' for _ in range(i + 1)))
        repo.add(".")
        repo.commit(f"lock {i}")
    repo.write("vectors.txt", f"value {k.hex}\n")
    repo.add(".")
    repo.commit("a vector")
    repo.write("expected.md", f"owner {k.npub}\n")
    repo.add(".")
    repo.commit("its owner")
    alone = _scan(repo, 1)
    shared = _scan(repo, 2)
    assert pools and _report(shared) == _report(alone)
    (found,) = [f for f in shared.findings if f.path == "vectors.txt"]
    assert str(found.confidence) == "certain" and "expected.md" in found.reason
