"""Proof across files: what it costs on a tree of real source, and what it finds.

    python benchmarks/cross_file_proof.py [ROOT ...] [--mb 150] [--runs 3] [--jobs N]

Scans the same tree (default: one tree under /tmp holding /work/corpus, then site-packages
directories of this environment until about `--mb` MB, hard-linked where it can be, else
copied) with and without proof across files, in this process, alternating, after
one warm-up run of each; the derivation cache is emptied before every run. Prints the median
time of each and their ratio (the budget: <= 1.10), the derivations and places scanned again,
then, for each root given (or each directory of /work/corpus), the findings proof across files
adds at the default confidence, by path:line and reason (never the key).
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

from scan_speed import tree_size, warm

from nsecguard import crossproof
from nsecguard.engine import Options
from nsecguard.paths import WalkRules
from nsecguard.result import ScanResult
from nsecguard.sources.files import scan_paths

CORPUS = "/work/corpus"


def scan(roots: list[str], proof: bool, jobs: int | None) -> tuple[float, ScanResult, int]:
    """Seconds, result and places scanned again of one scan, as `nsecguard scan` runs it. With
    one job, the seconds are this process's CPU time (steadier on a shared machine); with more,
    wall time."""
    options = Options()
    crossproof._derived.clear()
    clock = time.process_time if jobs == 1 else time.perf_counter
    start = clock()
    if proof:
        crossproof.start()
    try:
        result = scan_paths(roots, options, jobs=jobs, rules=WalkRules())
    finally:
        crossproof.stop()
    again = crossproof.prove(result, crossproof.rescan_file(options)) if proof else 0
    return clock() - start, result, again


def default_roots(mb: float) -> list[str]:
    roots = [os.path.join(CORPUS, d) for d in sorted(os.listdir(CORPUS))] if os.path.isdir(CORPUS) else []
    total = sum(tree_size(r)[1] for r in roots)
    site = sysconfig.get_paths()["purelib"]
    for name in sorted(os.listdir(site)):
        path = os.path.join(site, name)
        if total >= mb * 1e6:
            break
        if os.path.isdir(path) and not name.startswith(("nsecguard", "__")):
            roots.append(path)
            total += tree_size(path)[1]
    return roots


def build(roots: list[str], dest: str) -> None:
    """One tree of `roots` (one walk root, as a user scans a checkout): hard links, else copies."""
    for i, root in enumerate(roots):
        target = os.path.join(dest, f"{i:03d}-{os.path.basename(root)}")
        if subprocess.run(["cp", "-al", root, target], capture_output=True).returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root, target, symlinks=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("roots", nargs="*")
    parser.add_argument("--mb", type=float, default=150)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nsecguard-crossproof-") as tmp:
        build(args.roots or default_roots(args.mb), tmp)
        return measure(args, [tmp])


def measure(args: argparse.Namespace, roots: list[str]) -> int:
    files, size = tree_size(roots[0])
    warm(roots[0])
    print(f"tree: {files} files, {size / 1e6:.0f} MB")
    scan(roots, False, args.jobs)  # warm-up: the pattern database, libsecp256k1, the page cache
    scan(roots, True, args.jobs)
    times: dict[bool, list[float]] = {False: [], True: []}
    derived = again = 0
    for _ in range(args.runs):
        for proof in (False, True):
            before = crossproof.derivations
            seconds, _, again = scan(roots, proof, args.jobs)
            times[proof].append(seconds)
            derived = crossproof.derivations - before if proof else derived
    base, with_proof = statistics.median(times[False]), statistics.median(times[True])
    print(f"without proof across files {base:7.2f} s   {size / base / 1e6:6.0f} MB/s")
    print(f"with proof across files    {with_proof:7.2f} s   {size / with_proof / 1e6:6.0f} MB/s")
    print(f"ratio {with_proof / base:.3f} (budget <= 1.10); places scanned again: {again}; ", end="")
    print(f"derivations in this process (the workers' are theirs): {derived}")
    crossproof.start()
    try:
        kept = scan_paths(roots, Options(), jobs=args.jobs, rules=WalkRules()).clues
    finally:
        crossproof.stop()
    if kept is not None:
        wanted = sum(len(s) for s in kept.wanted.values())
        print(
            f"clues kept: {len(kept.names)} public keys named, {wanted} candidates, {len(kept.wanted)} files"
        )
    corpus = args.roots or (
        [os.path.join(CORPUS, d) for d in sorted(os.listdir(CORPUS))] if os.path.isdir(CORPUS) else []
    )
    for root in corpus:  # each repository is its own scan
        _, plain, _ = scan([root], False, args.jobs)
        _, proven, _ = scan([root], True, args.jobs)
        was = {(f.path, f.line): f for f in plain.findings}
        new = [
            f
            for f in proven.findings
            if f.reason.startswith("its public key appears in ") and not f.reason.endswith("same text")
        ]
        print(f"{root}: {len(plain.findings)} findings, {len(proven.findings)} with proof across files")
        for f in sorted(new, key=lambda f: (f.path, f.line)):
            old = was.get((f.path, f.line))
            before = f"was {old.confidence}" if old else "was not reported"
            print(f"  {f.path}:{f.line} {f.confidence} ({before}): {f.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
