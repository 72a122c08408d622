"""A history scan judges a value decided by the text right before it once per process
(`context._decided_before`, cached): its report is the one of judging every value in full."""

from __future__ import annotations

import random

import pytest

from nsecguard import context
from nsecguard.engine import Options
from nsecguard.model import Confidence
from nsecguard.result import ScanResult
from nsecguard.sources import git
from tests.conftest import Repo, new_key


def _lock(rng: random.Random, n: int) -> list[str]:
    return [f'[[package]]\nname = "c{i}"\nchecksum = "{rng.randbytes(32).hex()}"\n' for i in range(n)]


def _planted(repo: Repo) -> dict[str, str]:
    """A big lock file changed in many commits; keys on unchanged and on added lines of it,
    one proven by its public key elsewhere in the blob, one by a file elsewhere in history."""
    rng = random.Random(11)
    old, new, proven, across, maker = new_key(), new_key(), new_key(), new_key(), new_key()
    lock = _lock(rng, 150)
    head = [
        f'secret_key = "{old.hex}"\n',  # on a line no later commit changes
        f"owner = {proven.pubhex}\n",
        f'event = make_event("{maker.hex}")\n',
    ]
    repo.commit_file("other.txt", f"npub of the bot: {across.npub}\nand of the event maker: {maker.npub}\n")
    for i in range(12):
        lock[rng.randrange(len(lock))] = _lock(rng, 1)[0]
        tail = []
        if i >= 4:
            tail.append(f'private_key = "{new.hex}"\n')  # added at commit 4, unchanged after
        if i >= 7:
            tail.append(f'value = "{proven.hex}"\n')
            tail.append(f'bot = "{across.hex}"\n')
        repo.write("Cargo.lock", "".join(head + lock + tail))
        repo.add("Cargo.lock")
        # every value named a checksum by its line: judged without a judgment (`find_hex`)
        repo.commit_file("deps.lock", "".join(lock[:60]) + f'checksum = "{proven.pubhex}"\n', message=f"c{i}")
    return {
        "old": old.fingerprint,
        "new": new.fingerprint,
        "proven": proven.fingerprint,
        "maker": maker.fingerprint,
    }


def _report(result: ScanResult) -> tuple[object, ...]:
    return repr(result.findings), result.notes, result.scanned, result.scanned_bytes, result.commits


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_history_report_is_the_same_as_judging_every_value_in_full(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    planted = _planted(repo)
    where = git.open_repo(str(repo.path))
    context._decided_before.cache_clear()
    fast = git.scan_history(where, Options(), ["--all"], jobs=jobs)
    if jobs == 1:
        assert context._decided_before.cache_info().hits > 1000  # the lock's lines, read once
    monkeypatch.setattr(context, "_decided_before", lambda before: None)  # every value in full
    full = git.scan_history(where, Options(), ["--all"], jobs=jobs)
    assert _report(fast) == _report(full)
    by_print = {f.fingerprint: f for f in fast.findings}
    assert dict(by_print[planted["old"]].extra)["commits"] == "1"  # not again for each later version
    assert by_print[planted["new"]].confidence is Confidence.HIGH
    assert by_print[planted["proven"]].confidence is Confidence.CERTAIN
    assert "other.txt" in by_print[planted["maker"]].reason  # a call's argument, proven across files
