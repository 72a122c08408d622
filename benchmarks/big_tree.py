"""A tree 10x larger than scan_speed.py's: nsecguard against ripgrep, time and peak memory.

    python benchmarks/big_tree.py [SOURCE] [--gb 1.8] [--runs 3] [--main REV]

Builds a tree of about `--gb` GB under /tmp from real copies (not links: each copy has its own
pages) of SOURCE (default: Python's standard library, site-packages left out), warms the page
cache, then times ripgrep (`-j1` and all cores) and nsecguard (`-j1` and all cores, this
checkout, and `--main REV`'s code where given) and samples the resident memory of each whole
process tree (the process and all its children, summed) every 10 ms. Prints ratios against
ripgrep and deletes the tree. Uses this environment's nsecguard (a development install).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence

from _install import here
from scan_speed import RG_PATTERNS, tree_size, warm

PAGE = os.sysconf("SC_PAGE_SIZE")


def build(source: str, dest: str, gb: float) -> None:
    def skip(_dir: str, names: list[str]) -> list[str]:
        return [n for n in names if n in ("site-packages", "__pycache__", ".git")]

    copies, total = 0, 0
    _, one = tree_size(source)
    while total < gb * 1e9:
        shutil.copytree(source, os.path.join(dest, f"copy{copies}"), symlinks=True, ignore=skip)
        copies += 1
        total = tree_size(dest)[1]
        if one == 0:
            break


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and every descendant (one pass over /proc)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * PAGE
    wanted, total = {pid}, 0
    changed = True
    while changed:
        changed = False
        for child, ppid in parent.items():
            if ppid in wanted and child not in wanted:
                wanted.add(child)
                changed = True
    for p in wanted:
        total += rss.get(p, 0)
    return total


def run(cmd: Sequence[str], env: dict[str, str] | None) -> tuple[float, int]:
    """Wall seconds and peak whole-tree RSS of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.01)
    return time.perf_counter() - start, peak


def measure(cmd: Sequence[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, int]:
    run(cmd, env)  # warm-up
    results = [run(cmd, env) for _ in range(runs)]
    return statistics.median(t for t, _ in results), max(m for _, m in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--gb", type=float, default=1.8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--main", metavar="REV", help="also time REV's nsecguard (git archive of it)")
    args = parser.parse_args()
    rg = shutil.which("rg")
    if not rg:
        print("ripgrep not installed (apt-get install ripgrep): nothing to compare against")
        return 2
    exe = here()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="nsecguard-big-") as tmp:
        tree = os.path.join(tmp, "tree")
        os.mkdir(tree)
        start = time.perf_counter()
        build(os.path.abspath(args.source), tree, args.gb)
        files, size = tree_size(tree)
        built = time.perf_counter() - start
        print(f"tree: copies of {args.source}: {files} files, {size / 1e9:.2f} GB (built in {built:.0f} s)")
        warm(tree)
        rows: list[tuple[str, Sequence[str], dict[str, str] | None]] = [
            ("ripgrep -j1", [rg, "-uu", "-c", "-j1", *RG_PATTERNS, tree], None),
            ("ripgrep (all cores)", [rg, "-uu", "-c", *RG_PATTERNS, tree], None),
        ]
        scan = ["scan", "--format", "json", "-o", os.devnull, "--no-progress", tree]
        rows += [
            ("nsecguard -j1", [*exe, *scan[:-1], "-j", "1", tree], None),
            ("nsecguard (all cores)", [*exe, *scan], None),
        ]
        if args.main:
            src = os.path.join(tmp, "main-src")
            os.mkdir(src)
            git = ["git", "-C", repo, "archive", args.main]
            archive = subprocess.run(git, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", src], input=archive.stdout, check=True)
            env = {**os.environ, "PYTHONPATH": src}  # ahead of the editable install's finder
            python = [sys.executable, "-m", "nsecguard"]
            rows += [
                (f"nsecguard {args.main} -j1", [*python, *scan[:-1], "-j", "1", tree], env),
                (f"nsecguard {args.main} (all cores)", [*python, *scan], env),
            ]
        results = {label: measure(cmd, args.runs, env) for label, cmd, env in rows}
        ref1, refn = results["ripgrep -j1"], results["ripgrep (all cores)"]
        for label, (seconds, peak) in results.items():
            ref = ref1 if "-j1" in label else refn
            print(
                f"{label:<34} {seconds:7.2f} s {size / seconds / 1e6:7.0f} MB/s {seconds / ref[0]:5.2f}x rg"
                f"   peak RSS {peak / 1e6:7.1f} MB {peak / ref[1]:6.1f}x rg"
            )
        for label in [k for k in results if "(all cores)" in k]:
            one = results[label.replace("(all cores)", "-j1")][0]
            name = label.split(" (")[0]
            print(f"scaling 1 -> {os.cpu_count()} cores, {name}: {one / results[label][0]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
