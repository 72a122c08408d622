"""Baselines: by fingerprint, sorted, no churn, no key; survive moves; catch new keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nsecguard import baseline
from nsecguard.errors import FatalError
from tests.conftest import Repo, assert_no_secret, new_key, run_cli


def test_baseline_survives_a_key_that_moves_and_catches_a_new_key_on_a_known_line(
    repo: Repo, tmp_path: Path
) -> None:
    known, fresh = new_key(), new_key()
    repo.write("keys.txt", f"header\nK = '{known.nsec}'\n")
    base = tmp_path / "baseline.json"
    code, out, err = run_cli("scan", ".", "--write-baseline", str(base), cwd=repo.path)
    assert code == 0 and "wrote" in err
    text = base.read_text()
    assert_no_secret(text + out + err, known)
    doc = json.loads(text)
    assert doc["keys"] == [
        {"fingerprint": known.fingerprint, "kind": "nsec", "npub": known.npub, "paths": ["keys.txt"]}
    ]

    # the key moves: new lines above it, then into another file
    repo.write("keys.txt", "a\nb\nc\nheader\n\n" + f"K = '{known.nsec}'\n")
    assert run_cli("scan", ".", "--baseline", str(base), cwd=repo.path)[0] == 0
    (repo.path / "keys.txt").rename(repo.path / "moved.txt")
    code, out, _ = run_cli("scan", ".", "--baseline", str(base), cwd=repo.path)
    assert code == 0 and "1 known finding(s) suppressed" in out

    # a new key on the very line the known key stands on is still caught
    repo.write("moved.txt", f"K = '{known.nsec}'; J = '{fresh.nsec}'\n")
    code, out, err = run_cli("scan", ".", "--baseline", str(base), cwd=repo.path)
    assert code == 1 and fresh.npub in out and known.npub not in out
    assert_no_secret(out + err, known, fresh)


def test_baseline_never_churns(repo: Repo, tmp_path: Path) -> None:
    keys = [new_key() for _ in range(5)]
    for i, key in enumerate(keys):
        repo.write(f"f{i}.txt", f"{key.nsec}\n")
    base = tmp_path / "b.json"
    run_cli("scan", ".", "--write-baseline", str(base), cwd=repo.path)
    first = base.read_bytes()
    mtime = base.stat().st_mtime_ns
    fps = [k["fingerprint"] for k in json.loads(first)["keys"]]
    assert fps == sorted(fps)
    # lines move, files are scanned in another order: same bytes, file untouched
    for i, key in enumerate(keys):
        repo.write(f"f{i}.txt", "\n" * i + f"x = '{key.nsec}'\n")
    code, _, err = run_cli("scan", ".", "--write-baseline", str(base), cwd=repo.path)
    assert code == 0 and "unchanged" in err
    assert base.read_bytes() == first and base.stat().st_mtime_ns == mtime
    doc = json.loads(first)
    assert set(doc) == {"nsecguard-baseline", "keys"}  # no timestamps, no tool version
    assert all(set(entry) == {"fingerprint", "kind", "npub", "paths"} for entry in doc["keys"])  # no lines


def test_baseline_with_history_and_config_key(repo: Repo) -> None:
    known, fresh = new_key(), new_key()
    repo.commit_file("a.txt", f"{known.nsec}\n")
    repo.commit_file("a.txt", "deleted\n")
    assert run_cli("scan", "--history", "--write-baseline", ".nsecguard-baseline.json", cwd=repo.path)[0] == 0
    repo.write(".nsecguard.toml", 'baseline = ".nsecguard-baseline.json"\n')
    assert run_cli("scan", "--history", cwd=repo.path)[0] == 0
    repo.commit_file("b.txt", f"{fresh.nsec}\n")
    code, out, err = run_cli("scan", "--history", cwd=repo.path)
    assert code == 1 and fresh.npub in out and known.npub not in out
    assert_no_secret(out + err + (repo.path / ".nsecguard-baseline.json").read_text(), known, fresh)


def test_bad_baselines_are_errors_that_do_not_echo(tmp_path: Path) -> None:
    key = new_key()
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"nsecguard-baseline": 1, "keys": [{"fingerprint": key.nsec}]}))
    with pytest.raises(FatalError) as err:
        baseline.load(bad)
    assert_no_secret(str(err.value), key)
    with pytest.raises(FatalError, match="not found"):
        baseline.load(tmp_path / "missing.json")
    bad.write_text("{}")
    with pytest.raises(FatalError, match="not an nsecguard baseline"):
        baseline.load(bad)


def test_a_baseline_written_to_a_pipe_or_device_writes_into_it(tmp_path: Path) -> None:
    """`--write-baseline /dev/null` (or a named pipe) must not replace the device with a file."""
    import stat
    import threading

    from nsecguard import baseline

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert baseline.write(fifo, [])
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert b"{" in got[0]
    assert baseline.write(os.devnull, [])
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
