from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cli_helpers import run
from keygen import TestKey, assert_no_key, new_key


def _report(cp: object) -> dict[str, object]:
    return json.loads(cp.stdout)  # type: ignore[attr-defined,no-any-return]


def test_clean_tree_exits_0(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / "a.py").write_text(f"pubkey = '{key.pubhex}'\nprint('hi')\n")
    cp = run(["scan", str(tmp_path)])
    assert cp.returncode == 0, cp.stderr
    assert b"No leaked Nostr keys" in cp.stdout


def test_findings_exit_1_with_json_fields(tmp_path: Path, key: TestKey, key2: TestKey) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "app.env").write_text(f"# cfg\nNOSTR_SK={key.hex}\n")
    (tmp_path / "notes.md").write_text(f"oops {key2.nsec}\n")
    cp = run(["scan", "--format", "json", "."], cwd=tmp_path)
    assert cp.returncode == 1, cp.stderr
    doc = _report(cp)
    findings = doc["findings"]
    assert isinstance(findings, list)
    by_path = {f["path"]: f for f in findings}
    assert set(by_path) == {"sub/app.env", "notes.md"}
    f = by_path["sub/app.env"]
    for field in ("kind", "confidence", "path", "line", "column", "npub", "fingerprint", "message"):
        assert field in f
    assert (f["kind"], f["line"], f["column"], f["npub"]) == ("hex-key", 2, 10, key.npub)
    assert by_path["notes.md"]["npub"] == key2.npub
    assert_no_key(cp.stdout + cp.stderr, key, key2)


def test_text_report_says_what_to_do(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / "k.txt").write_text(key.nsec)
    cp = run(["scan", str(tmp_path / "k.txt")])
    out = cp.stdout.decode()
    assert cp.returncode == 1
    assert f"{tmp_path / 'k.txt'}:1:1" in out and key.npub in out and "nsec" in out
    assert "new key" in out and "allow" in out
    assert_no_key(out + cp.stderr.decode(), key)


def test_stdin(key: TestKey) -> None:
    cp = run(["scan", "-", "--format", "json"], stdin=f"x {key.nsec}\n".encode())
    assert cp.returncode == 1
    assert [f["path"] for f in _report(cp)["findings"]] == ["-"]  # type: ignore[index,union-attr]
    assert_no_key(cp.stdout, key)


def test_git_dir_is_skipped(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(key.nsec)
    assert run(["scan", str(tmp_path)]).returncode == 0


def test_binary_file_skipped_and_said_in_verbose(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2" + key.nsec.encode() + b"\0" * 100)
    cp = run(["scan", "-v", str(tmp_path)])
    assert cp.returncode == 0
    assert b"blob.bin: binary, skipped" in cp.stdout


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_are_decoded(tmp_path: Path, key: TestKey, encoding: str) -> None:
    text = f"héllo\r\nNOSTR_SK={key.hex}\r\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
        data = bom + data
    (tmp_path / "win.txt").write_bytes(data)
    cp = run(["scan", "--format", "json", str(tmp_path / "win.txt")])
    assert cp.returncode == 1, cp.stderr
    (f,) = _report(cp)["findings"]  # type: ignore[misc]
    assert (f["npub"], f["line"], f["column"]) == (key.npub, 2, 10)


def test_utf16_without_bom(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / "nobom.txt").write_bytes(f"key: {key.nsec}\n".encode("utf-16-le"))
    assert run(["scan", str(tmp_path)]).returncode == 1


def test_invalid_utf8_is_tolerated(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 \xff\xfe\xfd " + key.nsec.encode() + b"\n\xc3")
    assert run(["scan", str(tmp_path)]).returncode == 1


def test_broken_symlink_and_loop_do_not_stop_the_scan(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "k.txt").write_text(key.nsec)
    cp = run(["scan", str(tmp_path)])
    assert cp.returncode == 1
    assert b"warning:" in cp.stderr and b"dangling: broken symbolic link" in cp.stderr  # said even without -v
    cp = run(["scan", "-v", str(tmp_path)])
    assert b"not followed" in cp.stdout


def _unreadable(path: Path) -> object:
    """A directory entry that cannot be read: mode 000 for a normal user; root reads anything,
    so for root a Unix socket (opening one fails with ENXIO)."""
    if os.geteuid() != 0:
        path.write_text("nothing")
        path.chmod(0)
        return None
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    return sock


def test_unreadable_file_is_an_error_and_the_scan_continues(tmp_path: Path, key: TestKey) -> None:
    keep = _unreadable(tmp_path / "secret.txt")
    (tmp_path / "k.txt").write_text(key.nsec)
    cp = run(["scan", str(tmp_path)])
    assert b"secret.txt: cannot read" in cp.stderr, cp.stderr
    assert cp.returncode == 1  # the finding in k.txt wins over the error
    (tmp_path / "k.txt").unlink()
    cp = run(["scan", str(tmp_path)])
    assert cp.returncode == 2
    assert b"Traceback" not in cp.stderr
    del keep


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    cp = run(["scan", str(tmp_path / "nope")])
    assert cp.returncode == 2 and b"no such file" in cp.stderr and b"Traceback" not in cp.stderr


def test_a_path_named_after_a_key_is_scrubbed(key: TestKey) -> None:
    cp = run(["scan", key.nsec])
    assert cp.returncode == 2
    assert_no_key(cp.stdout + cp.stderr, key)


def test_notes_about_files_named_after_keys_are_scrubbed(tmp_path: Path, key: TestKey, key2: TestKey) -> None:
    """Notes (one per skipped binary file) are scrubbed together in one pass: every key in
    every one of them, hex or nsec, whatever its neighbours."""
    for name in (f"{key.nsec}.bin", "plain.bin", "other.bin", f"NOSTR_SK={key2.hex}.png"):
        (tmp_path / name).write_bytes(b"\0binary\0" * 10)
    cp = run(["scan", "--verbose", str(tmp_path)])
    assert cp.returncode == 0, cp.stderr
    notes = [line for line in (cp.stdout + cp.stderr).decode().splitlines() if line.startswith("note:")]
    assert len(notes) == 4 and all("binary" in n for n in notes)
    assert sum(key.npub in n for n in notes) == 1
    assert_no_key(cp.stdout + cp.stderr, key)
    assert_no_key(cp.stdout + cp.stderr, key2)


def test_bad_usage_exits_2_without_echoing_a_key(key: TestKey) -> None:
    cp = run(["scan", f"--{key.nsec}"])
    assert cp.returncode == 2
    assert_no_key(cp.stdout + cp.stderr, key)
    cp = run([key.nsec])
    assert cp.returncode == 2
    assert_no_key(cp.stdout + cp.stderr, key)


def test_config_in_pyproject(tmp_path: Path, key: TestKey, key2: TestKey) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.nsecguard]\nallow = ["{key.npub}"]\nexclude = ["fixtures/**"]\n'
    )
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "k.txt").write_text(key2.nsec)
    (tmp_path / "vector.txt").write_text(key.nsec)
    assert run(["scan"], cwd=tmp_path).returncode == 0
    (tmp_path / "new.txt").write_text(key2.nsec)
    assert run(["scan"], cwd=tmp_path).returncode == 1


def test_config_file_and_min_confidence(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / ".nsecguard.toml").write_text('min-confidence = "certain"\n')
    (tmp_path / "a.env").write_text(f"NOSTR_SK={key.hex}\n")
    assert run(["scan"], cwd=tmp_path).returncode == 0
    assert run(["scan", "--min-confidence", "high"], cwd=tmp_path).returncode == 1
    cp = run(["scan", "--min-confidence", "bogus"], cwd=tmp_path)
    assert cp.returncode == 2 and b"unknown confidence" in cp.stderr


def test_unknown_config_key_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".nsecguard.toml").write_text('excludes = ["x"]\n')
    cp = run(["scan"], cwd=tmp_path)
    assert cp.returncode == 2
    assert b"unknown setting `excludes`" in cp.stderr and b"exclude" in cp.stderr


def test_invalid_toml_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".nsecguard.toml").write_text("allow = [\n")
    cp = run(["scan"], cwd=tmp_path)
    assert cp.returncode == 2 and b"invalid TOML" in cp.stderr


def test_a_private_key_in_the_allowlist_is_not_echoed(tmp_path: Path, key: TestKey) -> None:
    (tmp_path / ".nsecguard.toml").write_text(f'allow = ["{key.nsec}"]\n')
    cp = run(["scan"], cwd=tmp_path)
    assert cp.returncode == 2
    assert_no_key(cp.stdout + cp.stderr, key)


@pytest.mark.slow
def test_large_file_streams_in_flat_memory(tmp_path: Path) -> None:
    """A 600 MB file with keys across chunk borders: found, with RSS far below the file size."""
    keys = [new_key() for _ in range(4)]
    chunk = 8 << 20
    path = tmp_path / "big.log"
    line = b"2024-01-01 INFO something happened with value 12345 and more text here\n"
    block = line * ((1 << 20) // len(line))
    with open(path, "wb") as fh:
        written = 0
        placed = 0
        while written < 600 << 20:
            fh.write(block)
            written += len(block)
            border = (placed + 1) * chunk * 15
            if placed < len(keys) and written + 200 > border:
                pad = border - written - 30
                if pad > 0:
                    fh.write(b"x" * pad)
                    written += pad
                fh.write(keys[placed].nsec.encode() + b"\n")
                written += 64
                placed += 1
    script = (
        "import resource, subprocess, sys;"
        "cp = subprocess.run([sys.executable, '-m', 'nsecguard', 'scan', '--format', 'json', sys.argv[1]],"
        " capture_output=True);"
        "sys.stdout.write(cp.stdout.decode());"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
    )
    import subprocess

    cp = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, timeout=600)
    doc = json.loads(cp.stdout)
    assert {f["npub"] for f in doc["findings"]} == {k.npub for k in keys}
    max_rss_kb = int(cp.stderr.split()[-1])
    assert max_rss_kb < 200 * 1024, f"RSS {max_rss_kb} KB"


def test_symlinked_file_named_on_the_command_line(tmp_path: Path, key: TestKey) -> None:
    real = tmp_path / "real.txt"
    real.write_text(key.nsec)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert run(["scan", str(link)]).returncode == 1


def test_fifo_is_skipped_not_hung(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    cp = run(["scan", "-v", str(tmp_path)])
    assert cp.returncode == 0


def test_a_parallel_scan_reports_derived_pubkeys_and_never_a_key(tmp_path: Path) -> None:
    key = new_key()
    for d in range(12):  # enough files and directories for the scan to go parallel
        sub = tmp_path / f"d{d}"
        sub.mkdir()
        for f in range(25):
            (sub / f"f{f}.txt").write_text("x\n")
    (tmp_path / "d11" / "key.env").write_text(f"NOSTR_SECRET_KEY={key.hex}\n")
    (tmp_path / "d11" / f"{key.hex}.txt").write_text("named after the key\n")
    cp = run(["scan", "-j", "2", "--format", "json", str(tmp_path)])
    assert cp.returncode == 1
    doc = json.loads(cp.stdout)
    assert [f["pubkey"] for f in doc["findings"]] == [key.pubhex]
    assert_no_key(cp.stdout + cp.stderr, key)
