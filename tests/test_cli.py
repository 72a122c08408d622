"""`nsecguard` on bad input and broken surroundings: a clear error and exit 2, never a
traceback, never "internal error", never a word that sounds like a clean scan (issue 13)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_helpers import run
from keygen import new_key

EXE = [sys.executable, "-m", "nsecguard"]


def _sh(script: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["sh", "-c", script],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        env={**os.environ, "NSG": " ".join(EXE), "NO_COLOR": "1"},
    )


def _clear_error(proc: subprocess.CompletedProcess[bytes], words: bytes) -> None:
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr, proc.stderr
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr
    assert b"No leaked Nostr keys" not in proc.stdout + proc.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("nothing here\n")
    return tmp_path


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_a_clear_error(tree: Path) -> None:
    _clear_error(_sh("$NSG scan . > /dev/full", tree), b"No space left on device")
    _clear_error(_sh("$NSG scan . -o /dev/full", tree), b"No space left on device")
    _clear_error(_sh("printf 'x\\n' | $NSG sanitize > /dev/full", tree), b"No space left on device")


def test_a_report_into_a_missing_directory_is_a_clear_error(tree: Path) -> None:
    _clear_error(run(["scan", ".", "-o", "missing/r.json"], cwd=tree), b"does not exist")
    _clear_error(run(["scan", ".", "--write-baseline", "missing/b.json"], cwd=tree), b"does not exist")
    assert sorted(os.listdir(tree)) == ["a.txt"]  # and no temporary file left behind


def test_closed_stdout_and_stdin_are_clear_errors(tree: Path) -> None:
    _clear_error(_sh("$NSG scan . >&-", tree), b"standard output is closed")
    _clear_error(_sh("$NSG scan - <&-", tree), b"standard input is closed")
    _clear_error(_sh("$NSG inspect <&-", tree), b"standard input is closed")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("tool = 5\n", b"`tool` must be a table"),
        ("[tool]\nnsecguard = 5\n", b"[tool.nsecguard] must be a table"),
        ("exclude = " + "[" * 100_000 + "]" * 100_000 + "\n", b"nested too deeply"),
        ("exclude = [1]\n", b"must be a list of strings"),
    ],
    ids=["tool-not-a-table", "nsecguard-not-a-table", "deep-array", "wrong-type"],
)
def test_a_bad_config_is_a_clear_error(tree: Path, text: str, words: bytes) -> None:
    (tree / ".nsecguard.toml").write_text(text)
    _clear_error(run(["scan", "."], cwd=tree), words)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, b"nested too deeply"),
        ('{"nsecguard-baseline": ' + "9" * 5000 + "}", b"too large"),
        ("{", b"not valid JSON"),
        ('{"nsecguard-baseline": 1, "keys": [5]}', b"no valid fingerprint"),
    ],
    ids=["deep-array", "huge-integer", "truncated", "bad-entry"],
)
def test_a_bad_baseline_is_a_clear_error(tree: Path, text: str, words: bytes) -> None:
    (tree / "b.json").write_text(text)
    _clear_error(run(["scan", ".", "--baseline", "b.json"], cwd=tree), words)


def test_a_baseline_that_is_a_directory(tree: Path) -> None:
    _clear_error(run(["scan", ".", "--baseline", "."], cwd=tree), b"is a directory")


def test_an_incomplete_scan_never_reads_as_a_clean_one(tree: Path) -> None:
    proc = run(["scan", "a.txt", "missing.txt"], cwd=tree)
    _clear_error(proc, b"missing.txt: no such file or directory")
    assert b"Scan incomplete: 1 error" in proc.stdout


def test_a_missing_optional_dependency_says_what_to_install(tmp_path: Path) -> None:
    # a real import failure: a `nio` package that is not there, as on an install without the extra
    fake = tmp_path / "fake" / "nio"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'nio'\", name='nio')\n")
    (tmp_path / "bot.toml").write_text(
        'homeserver = "http://127.0.0.1:9"\nuser_id = "@bot:localhost"\npassword = "pw"\n'
        f'store_path = "{tmp_path / "store"}"\n'
    )
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "fake"), os.environ.get("PYTHONPATH", "")])}
    proc = run(["matrix-bot", "--config", "bot.toml"], cwd=tmp_path, env=env)
    _clear_error(proc, b"pip install 'nsecguard[matrix]'")


def test_unknown_arguments_and_bad_values_are_usage_errors(tree: Path) -> None:
    _clear_error(run(["scan", "-j", "two"], cwd=tree), b"invalid int value")
    _clear_error(run(["scan", "-j", "0"], cwd=tree), b"-j/--jobs must be 1 or more")
    _clear_error(run(["nonsense"], cwd=tree), b"unknown command 'nonsense'")


def test_control_characters_in_a_file_name_are_escaped_in_the_text_report(tmp_path: Path) -> None:
    k = new_key()
    (tmp_path / "evil\x1b[2Jname\x07.env").write_text(f"NOSTR_NSEC={k.nsec}\n")
    proc = run(["scan", "."], cwd=tmp_path)
    assert proc.returncode == 1
    assert b"\x1b" not in proc.stdout and b"\x07" not in proc.stdout
    assert b"evil\\x1b[2Jname\\x07.env:1:" in proc.stdout


def test_a_name_that_is_not_utf8_does_not_break_any_report(tmp_path: Path) -> None:
    k = new_key()
    (tmp_path / os.fsdecode(b"bad\xff.env")).write_text(f"NOSTR_NSEC={k.nsec}\n")
    for fmt in ("text", "json", "sarif"):
        proc = run(["scan", ".", "--format", fmt, "-o", f"r.{fmt}"], cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
    assert b"bad%FF.env" in (tmp_path / "r.sarif").read_bytes()
    assert b"bad\\\\xff.env" in (tmp_path / "r.json").read_bytes()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] not in "ZX"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_parallel_scan_stops_the_workers_too(tmp_path: Path, sig: signal.Signals) -> None:
    # enough files for the parallel scan, each slow to judge (hex values named as keys)
    for d in range(12):  # the walk goes parallel when directories remain after 256 files
        sub = tmp_path / f"d{d}"
        sub.mkdir()
        for f in range(25):
            lines = "".join(f"secret_key = {os.urandom(32).hex()}\n" for _ in range(150))
            (sub / f"f{f}.env").write_text(lines)
    proc = subprocess.Popen(
        [*EXE, "scan", "-j", "2", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers: list[int] = []
    try:
        for _ in range(600):  # wait (up to a minute on a busy machine) for the workers to start
            workers = _children(proc.pid)
            if len(workers) >= 2 or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert len(workers) >= 2, "the scan did not start its workers"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and b"interrupted" in err, err
        for _ in range(100):
            if not any(_alive(w) for w in workers):
                break
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "a scanning process outlived the scan"
    finally:  # never leave a process behind, whatever failed
        for pid in [proc.pid, *workers]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_sanitize_output_is_byte_identical_except_for_keys(tmp_path: Path) -> None:
    k = new_key()
    data = b"\xff\xfe not utf-8 \x00\r\n" + f"key {k.nsec} end".encode() + b"\n\ttail without newline"
    proc = run(["sanitize", "-q"], cwd=tmp_path, stdin=data)
    assert proc.returncode == 1
    assert proc.stdout == data.replace(k.nsec.encode(), f"nostr:{k.npub}".encode())
    clean = b"\x00\x01 binary-ish \xff and no newline"
    assert run(["sanitize"], cwd=tmp_path, stdin=clean).stdout == clean
