"""Regenerate the README's speed table from measurements made now, on this machine.

    python benchmarks/readme_table.py [--gb 0.2] [--big-gb 1.6] [--repo PATH] [--runs 5] [--print-only]

Measures, interleaved (each round runs every command once, so a change in the machine's load
hits all of them alike) and reported as the median of `--runs` rounds:
- a tree scan of about `--gb` GB of real source (copies of Python's standard library, its
  text only) by ripgrep and nsecguard, on one core and on all cores;
- with `--big-gb`, a tree that large on one core, with the peak memory of each process tree;
- `scan --history` on `--repo`'s full history (default: a local clone of rust-nostr when
  /work/corpus has one, else this repository) against `gitleaks git` (benchmarks/
  history_vs_gitleaks.py finds or installs gitleaks).
Then rewrites the table between the `speed-table` marker comments in README.md (unless
`--print-only`), with the machine, its load average and the date it was measured on.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Sequence

from _install import REPO, here
from history_vs_gitleaks import find_gitleaks
from scan_speed import RG_PATTERNS, tree_size, warm

START = "<!-- speed-table:start (benchmarks/readme_table.py writes this table) -->"
END = "<!-- speed-table:end -->"
CORPUS_REPO = "/work/corpus/rust-nostr+nostr"

Row = tuple[str, Sequence[str], str]  # label, command, working directory


def interleaved(rows: Sequence[Row], runs: int) -> dict[str, float]:
    """Median wall seconds of each command over `runs` rounds (after one warm-up round)."""
    times: dict[str, list[float]] = {label: [] for label, _, _ in rows}
    for round_ in range(runs + 1):
        for label, cmd, cwd in rows:
            start = time.perf_counter()
            subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            if round_:
                times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}


def build(source: str, dest: str, gb: float) -> None:
    """Copies of `source` (its text: no compiled modules, static library or caches) under
    `dest` until they hold `gb` GB."""

    def skip(_dir: str, names: list[str]) -> list[str]:
        return [n for n in names if n in SKIP or n.startswith("config-")]

    copies = 0
    while tree_size(dest)[1] < gb * 1e9:
        shutil.copytree(source, os.path.join(dest, f"copy{copies}"), symlinks=True, ignore=skip)
        copies += 1


SKIP = frozenset({"site-packages", "__pycache__", ".git", "lib-dynload"})


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}"


def tree_rows(gb: float, runs: int, tmp: str) -> tuple[list[str], str]:
    rg = shutil.which("rg")
    if not rg:
        return [], "ripgrep not installed: no tree rows"
    tree = os.path.join(tmp, "tree")
    os.mkdir(tree)
    build(sysconfig.get_paths()["stdlib"], tree, gb)
    files, size = tree_size(tree)
    warm(tree)
    scan = [*here(), "scan", "--format", "json", "-o", os.devnull, "--no-progress"]
    t = interleaved(
        [
            ("rg1", [rg, "-uu", "-c", "-j1", *RG_PATTERNS, tree], tmp),
            ("rgn", [rg, "-uu", "-c", *RG_PATTERNS, tree], tmp),
            ("ng1", [*scan, "-j", "1", tree], tmp),
            ("ngn", [*scan, tree], tmp),
        ],
        runs,
    )
    what = f"{files:,} files, {size / 1e6:.0f} MB"
    return [
        f"| tree scan, all cores ({what}) | {t['ngn']:.2f} s | ripgrep {t['rgn']:.2f} s "
        f"| **{t['ngn'] / t['rgn']:.2f}x** | <= 1.0x |",
        f"| tree scan, one core | {t['ng1']:.2f} s | `rg -j1` {t['rg1']:.2f} s "
        f"| **{t['ng1'] / t['rg1']:.2f}x** | <= 1.0x |",
        f"| scaling 1 -> {os.cpu_count()} cores | {t['ng1'] / t['ngn']:.2f}x | ripgrep "
        f"{t['rg1'] / t['rgn']:.2f}x | | >= 1.8x |",
    ], what


def big_rows(gb: float, runs: int, tmp: str) -> list[str]:
    """A tree `gb` GB large (copies of the standard library as benchmarks/big_tree.py builds
    them, compiled modules included): time and peak memory of the whole process tree."""
    from big_tree import build as build_big
    from big_tree import run

    rg = shutil.which("rg")
    if not rg:
        return []
    tree = os.path.join(tmp, "big")
    os.mkdir(tree)
    build_big(sysconfig.get_paths()["stdlib"], tree, gb)
    files, size = tree_size(tree)
    warm(tree)
    scan = [*here(), "scan", "--format", "json", "-o", os.devnull, "--no-progress"]
    cmds = {"rg1": [rg, "-uu", "-c", "-j1", *RG_PATTERNS, tree], "ng1": [*scan, "-j", "1", tree]}
    got: dict[str, list[tuple[float, int]]] = {k: [] for k in cmds}
    for round_ in range(runs + 1):
        for label, cmd in cmds.items():
            measured = run(cmd, None)
            if round_:
                got[label].append(measured)
    t = {k: statistics.median(s for s, _ in v) for k, v in got.items()}
    peak = {k: max(m for _, m in v) for k, v in got.items()}
    shutil.rmtree(tree)
    return [
        f"| tree scan, one core, {files:,} files, {size / 1e9:.2f} GB | {t['ng1']:.2f} s, "
        f"peak {peak['ng1'] / 1e6:.0f} MB | `rg -j1` {t['rg1']:.2f} s, peak {peak['rg1'] / 1e6:.0f} MB "
        f"| **{t['ng1'] / t['rg1']:.2f}x** | <= 1.0x, memory flat |",
    ]


def history_rows(repo: str, runs: int, tmp: str) -> list[str]:
    gitleaks = find_gitleaks(tmp)
    report = os.path.join(tmp, "gitleaks.json")
    scan = [*here(), "scan", "--history", "--no-progress", "-o", os.devnull]
    t = interleaved(
        [
            (
                "gl",
                [
                    gitleaks,
                    "git",
                    "--no-banner",
                    "--redact",
                    "--exit-code",
                    "0",
                    "--report-path",
                    report,
                    ".",
                ],
                repo,
            ),
            ("ng1", [*scan, "-j", "1"], repo),
            ("ngn", scan, repo),
        ],
        runs,
    )
    count = subprocess.run(["git", "rev-list", "--count", "--all"], cwd=repo, capture_output=True, text=True)
    name = os.path.basename(repo).replace("+", "/")
    return [
        f"| `scan --history`, all cores ({name}, {count.stdout.strip()} commits) | {t['ngn']:.2f} s "
        f"| `gitleaks git` {t['gl']:.2f} s | **{t['ngn'] / t['gl']:.2f}x** | < 1.0x |",
        f"| `scan --history`, one core | {t['ng1']:.2f} s | `gitleaks git` {t['gl']:.2f} s "
        f"| **{t['ng1'] / t['gl']:.2f}x** | < 1.0x |",
    ]


def table(rows: list[str], runs: int) -> str:
    load = os.getloadavg()[0]
    day = time.strftime("%Y-%m-%d", time.gmtime())
    return "\n".join(
        [
            START,
            "| measure | nsecguard | reference | ratio | goal |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Measured {day} by `python benchmarks/readme_table.py` on {machine()}, load average "
            f"{load:.1f} at the end (a shared machine: compare the ratios, measured in the same run, "
            f"each the median of {runs} interleaved rounds, not the seconds). docs/speed.md says where "
            "the time goes, and why on a machine shared like this one all cores get about one.",
            END,
        ]
    )


def rewrite(readme: str, text: str) -> None:
    with open(readme, encoding="utf-8") as fh:
        old = fh.read()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(old):
        raise SystemExit(f"{readme}: no speed-table markers")
    with open(readme, "w", encoding="utf-8") as fh:
        fh.write(pattern.sub(lambda _m: text, old, count=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=0.2, help="tree size (default 0.2 GB)")
    default_repo = CORPUS_REPO if os.path.isdir(os.path.join(CORPUS_REPO, ".git")) else REPO
    parser.add_argument("--repo", default=default_repo, help="a local clone for --history")
    parser.add_argument("--big-gb", type=float, default=0.0, help="also a tree this large (e.g. 1.6)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--print-only", action="store_true", help="print the table, leave README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nsecguard-table-") as tmp:
        rows, what = tree_rows(args.gb, args.runs, tmp)
        print(f"tree: {what}")
        if args.big_gb:
            rows += big_rows(args.big_gb, args.runs, tmp)
        rows += history_rows(os.path.abspath(args.repo), args.runs, tmp)
    text = table(rows, args.runs)
    print(text)
    if not args.print_only:
        rewrite(os.path.join(REPO, "README.md"), text)
        print("README.md: speed table rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
