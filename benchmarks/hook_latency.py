"""Hook latency: `nsecguard scan --staged` with ten staged 20 KB source files.

Prints the median wall time over N runs, next to bare `python -c pass` and, where installed,
`detect-secrets-hook` on the same files. It measures nsecguard as users get it: a regular
(non-editable) install in a fresh virtual environment, as pre-commit makes one. A development
install (`pip install -e`) adds about 20 ms to every start: setuptools' editable finder
imports pathlib and friends. `--here` measures the current environment instead.

Usage: python benchmarks/hook_latency.py [RUNS] [--here]
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _install import here, installed


def source_file(seed: int, size: int = 20_000) -> str:
    rng = random.Random(seed)
    words = ["def", "return", "self", "value", "config", "event", "relay", "pubkey", "import", "class"]
    lines = []
    total = 0
    while total < size:
        line = "    " * rng.randint(0, 3) + " ".join(rng.choice(words) for _ in range(rng.randint(3, 10)))
        if rng.random() < 0.002:  # now and then a hash, as real source has
            line += f"  # sha256 {rng.getrandbits(256):064x}"
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def median_ms(cmd: list[str], cwd: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--here"]
    runs = int(args[0]) if args else 15
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as venv:
        nsecguard = here() if "--here" in sys.argv else [installed(venv)]
        python = sys.executable if "--here" in sys.argv else os.path.join(venv, "bin", "python")
        env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        os.environ.update(env)
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: with .pyc files
        subprocess.run(["git", "init", "-q", tmp], check=True)
        names = []
        for i in range(10):
            name = f"module_{i}.py"
            with open(os.path.join(tmp, name), "w") as fh:
                fh.write(source_file(i))
            names.append(name)
        subprocess.run(["git", "add", *names], cwd=tmp, check=True)
        median_ms([*nsecguard, "scan", "--staged"], tmp, 2)  # warm caches (.pyc, hyperscan database)
        median_ms([*nsecguard, "scan", "--pre-commit", *names], tmp, 1)
        results = {
            "python -c pass": median_ms([python, "-c", "pass"], tmp, runs),
            "nsecguard scan --staged": median_ms([*nsecguard, "scan", "--staged"], tmp, runs),
            "nsecguard scan --pre-commit FILES": median_ms(
                [*nsecguard, "scan", "--pre-commit", *names], tmp, runs
            ),
        }
        beside = os.path.join(os.path.dirname(sys.executable), "detect-secrets-hook")
        ds = shutil.which("detect-secrets-hook") or (beside if os.path.exists(beside) else None)
        if ds:
            results["detect-secrets-hook FILES"] = median_ms([ds, *names], tmp, max(3, runs // 3))
        base = results["nsecguard scan --staged"]
        for label, ms in results.items():
            print(f"{label:<36} median {ms:8.1f} ms  ({ms / base:5.2f}x nsecguard scan --staged)")
        if not ds:
            print("(detect-secrets-hook not installed: reference ~1070 ms on the same files)")


if __name__ == "__main__":
    main()
