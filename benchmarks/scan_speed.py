"""Scan speed: `nsecguard scan` against ripgrep (and gitleaks, detect-secrets where installed).

Whole-process wall time on the same tree, measured in this one run, printed as ratios. The tree
is Python's own standard library by default (real source text), or any directory given.

    python benchmarks/scan_speed.py [TREE] [--runs N] [--no-python-fallback] [--here]

nsecguard runs from a regular install of this checkout in a fresh virtual environment, as users
get it (`--here`: the current environment's, e.g. a development install, ~25 ms slower to start).

ripgrep runs with the candidate patterns nsecguard's first pass looks for:
    rg -uu -e '(?i)nsec1[02-9ac-hj-np-z]{58}' -e '[0-9a-fA-F]{64}' TREE
A ratio at or below 1.0 means nsecguard is as fast as ripgrep on the tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Sequence

from _install import here, installed

RG_PATTERNS = ["-e", "(?i)nsec1[02-9ac-hj-np-z]{58}", "-e", "[0-9a-fA-F]{64}"]


def tree_size(root: str) -> tuple[int, int]:
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
                files += 1
            except OSError:
                pass
    return files, size


def warm(root: str) -> None:
    """Read every file once, so all tools meet the same (warm) page cache."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            try:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    while fh.read(1 << 20):
                        pass
            except OSError:
                pass


def timed(cmd: Sequence[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall seconds of `runs` runs (after one warm-up run)."""
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-python-fallback", action="store_true", help="skip the no-Hyperscan run")
    parser.add_argument("--detect-secrets", action="store_true", help="also time detect-secrets (slow)")
    parser.add_argument("--here", action="store_true", help="use this environment's nsecguard")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as venv:
        return measure(args, here() if args.here else [installed(venv)])


def measure(args: argparse.Namespace, exe: list[str]) -> int:
    root = os.path.abspath(args.tree)
    files, size = tree_size(root)
    print(f"tree: {root}: {files} files, {size / 1e6:.1f} MB")
    warm(root)
    nsecguard = [*exe, "scan", "--format", "json", "-o", os.devnull, root]
    results: dict[str, float] = {}
    rg = shutil.which("rg")
    if rg:
        results["ripgrep (reference)"] = timed([rg, "-uu", "-c", *RG_PATTERNS, root], args.runs)
    results["nsecguard scan"] = timed(nsecguard, args.runs)
    if not args.no_python_fallback:
        env = {**os.environ, "NSECGUARD_NO_HYPERSCAN": "1"}
        results["nsecguard scan (pure-Python fallback)"] = timed(nsecguard, max(1, args.runs // 2), env)
    gitleaks = shutil.which("gitleaks")
    if gitleaks:
        cmd = [gitleaks, "dir", root, "--no-banner", "--exit-code", "0", "--report-path", os.devnull]
        results["gitleaks dir"] = timed(cmd, 1)
    if args.detect_secrets and shutil.which("detect-secrets"):
        results["detect-secrets scan --all-files"] = timed(["detect-secrets", "scan", "--all-files", root], 1)
    reference = results.get("ripgrep (reference)")
    for name, seconds in results.items():
        ratio = f"{seconds / reference:6.2f}x ripgrep" if reference else ""
        print(f"{name:<40} {seconds * 1000:9.1f} ms  {size / seconds / 1e6:8.1f} MB/s  {ratio}")
    if not rg:
        print("ripgrep not installed (apt-get install ripgrep): no reference ratio")
    if not gitleaks:
        print("gitleaks not installed: no comparison (reference on a similar tree: ~7.1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
