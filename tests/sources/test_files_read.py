"""Reading files in a tree scan: one read for most files, whole files however long, no hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nsecguard.engine import Options
from nsecguard.sources import files
from nsecguard.sources.files import RegularTarget, Target, scan_paths
from nsecguard.stream import CHUNK
from tests.conftest import new_key

SIZES = [0, 1, files._HEAD - 1, files._HEAD, files._HEAD + 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7]


@pytest.mark.parametrize("size", SIZES)
def test_a_key_at_the_very_end_of_a_file_is_found_whatever_its_size(tmp_path: Path, size: int) -> None:
    key = new_key()
    tail = f"\nnsec = {key.nsec}\n".encode()
    body = (b"x = 1 # filler line\n" * (size // 20 + 1))[: max(0, size - len(tail))]
    (tmp_path / "a.py").write_bytes(body + tail)
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")  # a link: read after an fstat
    for root, count in ((tmp_path, 2), (tmp_path / "a.py", 1)):  # a tree; a file named alone
        result = scan_paths([str(root)], Options(), jobs=1)
        assert result.scanned == count
        assert result.scanned_bytes == result.scanned * len(body + tail)
        assert {f.npub for f in result.findings} == {key.npub}
        assert {f.line for f in result.findings} == {(body + tail).count(b"\n")}


def test_the_walk_marks_regular_files_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x\n")
    (tmp_path / "l.txt").symlink_to(tmp_path / "f.txt")
    os.mkfifo(tmp_path / "p")
    found = {
        os.path.basename(t.fs): type(t)
        for t in files.walk([str(tmp_path)], files.WalkRules(), files.ScanResult())
    }
    assert found == {"f.txt": RegularTarget, "l.txt": Target, "p": Target}


def test_a_fifo_in_a_tree_is_skipped_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a.txt").write_text("hello\n")
    result = scan_paths([str(tmp_path)], Options(), jobs=1)
    assert result.scanned == 1
    assert any(n.endswith("pipe: not a regular file, skipped") for n in result.notes)


def test_a_file_that_became_a_fifo_after_the_walk_is_not_read_as_one(tmp_path: Path) -> None:
    path = tmp_path / "swapped"
    os.mkfifo(path)
    result = files.scan_file(RegularTarget((str(path), "swapped")), Options())
    assert (result.scanned, result.findings, result.errors) == (0, [], [])
