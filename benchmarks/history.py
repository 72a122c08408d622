"""History scan speed: `nsecguard scan --history` on a repository with thousands of commits.

    python benchmarks/history.py [REPO]      # a local clone (nothing is fetched from the internet)

Without REPO, a synthetic repository is built with `git fast-import` (3000 commits of source-like
edits across 200 files, a few keys planted and later deleted). Prints the wall time of
`git log -p` alone (the floor: git producing the diffs), of nsecguard, and of `gitleaks git`
where gitleaks is on PATH.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

COMMITS = 3000
FILES = 200


def synthetic(path: str, commits: int = COMMITS) -> None:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from nsecguard import bech32, keys

    rng = random.Random(7)
    words = ["def", "return", "self", "value", "config", "event", "relay", "pubkey", "import", "class"]
    files = {
        f"src/m{i}.py": [" ".join(rng.choice(words) for _ in range(8)) for _ in range(60)]
        for i in range(FILES)
    }
    subprocess.run(["git", "init", "-q", path], check=True)
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    out = proc.stdin
    for n in range(commits):
        changed = rng.sample(sorted(files), 3)
        body = []
        for name in changed:
            lines = files[name]
            for _ in range(rng.randint(1, 6)):
                lines[rng.randrange(len(lines))] = " ".join(
                    rng.choice(words) for _ in range(rng.randint(4, 12))
                )
            if n % 500 == 250:
                secret = rng.randbytes(32)
                if keys.is_valid_secret(secret):
                    lines.append(f"KEY = '{bech32.encode('nsec', secret)}'")
            elif n % 500 == 260:
                lines[:] = [ln for ln in lines if not ln.startswith("KEY = ")]
            data = ("\n".join(lines) + "\n").encode()
            body.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
        msg = f"commit {n}".encode()
        out.write(
            f"commit refs/heads/main\ncommitter Bench <b@example.com> {1600000000 + n * 60} +0000\n"
            f"data {len(msg)}\n".encode()
            + msg
            + b"\n"
            + b"".join(body)
            + b"\n"
        )
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")


def timed(cmd: list[str], cwd: str, runs: int = 3, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Best of `runs` wall times (the least disturbed by other load on the machine)."""
    best, code = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
        )
        best, code = min(best, time.perf_counter() - start), proc.returncode
    return best, code


def main() -> None:
    tmp = None
    if len(sys.argv) > 1:
        repo = os.path.abspath(sys.argv[1])
    else:
        tmp = tempfile.mkdtemp(prefix="nsecguard-history-")
        repo = os.path.join(tmp, "repo")
        start = time.perf_counter()
        synthetic(repo)
        print(
            f"built a synthetic repository: {COMMITS} commits, {FILES} files "
            f"({time.perf_counter() - start:.1f} s)"
        )
    try:
        count = subprocess.run(
            ["git", "rev-list", "--count", "--all"], cwd=repo, capture_output=True, text=True
        )
        size = subprocess.run(
            "git log --all -p -U0 --full-index --no-color | wc -c",
            shell=True,
            cwd=repo,
            capture_output=True,
            text=True,
        )
        print(
            f"{repo}: {count.stdout.strip()} commits, `git log -p -U0` output {int(size.stdout) / 1e6:.1f} MB"
        )
        exe = os.path.join(os.path.dirname(sys.executable), "nsecguard")
        nsecguard = [exe] if os.path.exists(exe) else [sys.executable, "-m", "nsecguard"]
        rows = [
            ("git log -p (floor)", ["git", "log", "--all", "-p", "-U0", "--full-index", "--no-color", "-M"]),
            ("nsecguard scan --history", [*nsecguard, "scan", "--history", "--no-progress"]),
        ]
        gitleaks = shutil.which("gitleaks")
        if gitleaks:
            rows.append(
                ("gitleaks git", [gitleaks, "git", "--no-banner", "--redact", "--exit-code", "0", "."])
            )
        for label, cmd in rows:
            seconds, code = timed(cmd, repo)
            print(f"{label:<28} {seconds:7.2f} s best of 3   (exit {code})")
        if not gitleaks:
            print("(gitleaks not on PATH: install it to compare)")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
