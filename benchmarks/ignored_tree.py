"""A project with a big ignored `.venv/` and `node_modules/`: `nsecguard scan .` against
`nsecguard scan --no-ignore .` (every file, as version 0.1 walked it) on the same tree.

The tree is made in a temporary git work tree: a small project (`src/`, 200 files) and, listed in
its `.gitignore`, FILES files of source-like text under `.venv/` and `node_modules/`, plus an
ignored `.env` (still scanned: it is where secrets live). Whole-process wall time, median of RUNS,
with this environment's nsecguard.

    python benchmarks/ignored_tree.py [--files N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time


def source_text(rng: random.Random, size: int) -> str:
    words = ["def", "return", "self", "value", "config", "import", "class", "relay", "event", "None"]
    out: list[str] = []
    total = 0
    while total < size:
        line = "    " + " ".join(rng.choice(words) for _ in range(8)) + "\n"
        out.append(line)
        total += len(line)
    return "".join(out)


def make_tree(root: str, files: int) -> None:
    rng = random.Random(7)
    subprocess.run(["git", "init", "-q", root], check=True)
    with open(os.path.join(root, ".gitignore"), "w") as fh:
        fh.write(".venv/\nnode_modules/\n.env\n")
    with open(os.path.join(root, ".env"), "w") as fh:
        fh.write("NOSTR_RELAY=wss://relay.example\n")

    def put(path: str, size: int) -> None:
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(source_text(rng, size))

    for i in range(200):
        put(f"src/pkg{i // 20}/mod{i}.py", 3000)
    for i in range(files):
        top = ".venv/lib/python3/site-packages" if i % 2 else "node_modules"
        put(f"{top}/dist{i // 50}/sub{i // 10 % 5}/file{i}.py", 2000)


def timed(args: list[str], cwd: str, runs: int) -> tuple[float, str]:
    times = []
    out = ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        out = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=20_000, help="files under the ignored directories")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nsecguard-ignored-") as root:
        make_tree(root, args.files)
        exe = [sys.executable, "-m", "nsecguard", "scan"]
        t_all, said_all = timed([*exe, "--no-ignore", "."], root, args.runs)
        t_ign, said_ign = timed([*exe, "."], root, args.runs)
        print(f"tree: 200 project files, {args.files} files under ignored .venv/ and node_modules/")
        print(f"nsecguard scan --no-ignore .   {t_all * 1000:8.0f} ms  (1.00x)  {said_all}")
        print(f"nsecguard scan .               {t_ign * 1000:8.0f} ms  ({t_ign / t_all:.3f}x)  {said_ign}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
