"""Is one first-pass call over many small files joined by NUL bytes cheaper than one call each?

    python benchmarks/prefilter_batch.py [TREE] [--rounds 5]

Reads the text files of TREE (default: Python's standard library) into memory, then times, in
interleaved rounds (median shown), the first pass (`candidates.get_prefilter()`) called once
per file against batches of 16, 64 and 256 files joined by b"\\x00": the join, one call per
batch, and one call per file of each batch that fired (to find the files to scan). No file
is read during the timing: this is the first pass alone. Prints each way's time as a ratio of
one call per file (below 1.0: batching is cheaper) and how many batches fired.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sysconfig
import time

from nsecguard.candidates import get_prefilter

HEAD = 64 << 10


def heads(tree: str) -> list[bytes]:
    out: list[bytes] = []
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__")]
        for name in filenames:
            try:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    data = fh.read(HEAD)
            except OSError:
                continue
            if b"\0" not in data[:8192]:
                out.append(data)
    return out


def per_file(bufs: list[bytes]) -> int:
    prefilter = get_prefilter()
    return sum(1 for b in bufs if prefilter(b))


def batched(bufs: list[bytes], size: int) -> tuple[int, int]:
    """(files that fired, batches that fired)."""
    prefilter = get_prefilter()
    hot = fired = 0
    for i in range(0, len(bufs), size):
        batch = bufs[i : i + size]
        if prefilter(b"\0".join(batch)):
            fired += 1
            hot += sum(1 for b in batch if prefilter(b))
    return hot, fired


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bufs = heads(args.tree)
    print(f"{args.tree}: {len(bufs)} text files, {sum(map(len, bufs)) / 1e6:.1f} MB in memory")
    sizes = (16, 64, 256)
    times: dict[str, list[float]] = {"one call per file": [], **{f"batches of {n}": [] for n in sizes}}
    fired: dict[str, str] = {}
    for _ in range(args.rounds):
        start = time.perf_counter()
        hot = per_file(bufs)
        times["one call per file"].append(time.perf_counter() - start)
        fired["one call per file"] = f"{hot} files fire"
        for n in sizes:
            start = time.perf_counter()
            hot_b, batches = batched(bufs, n)
            times[f"batches of {n}"].append(time.perf_counter() - start)
            assert hot_b == hot, "a batch that did not fire held a file that does"
            fired[f"batches of {n}"] = f"{batches} of {-(-len(bufs) // n)} batches fire"
    ref = statistics.median(times["one call per file"])
    for label, runs in times.items():
        t = statistics.median(runs)
        print(f"{label:<20} {t * 1000:8.1f} ms  {t / ref:5.2f}x  ({fired[label]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
