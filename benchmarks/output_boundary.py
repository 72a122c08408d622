"""What the output boundary (nsecguard/output.py) costs, against nsecguard without it.

The reference is a revision without the boundary (default `main`), exported with `git archive`
and run from its source tree by the same interpreter; this checkout is run the same way. Both
do the same work on the same generated inputs, in the same run:

- a hook run: `scan --staged` of ten staged 20 KB files in a fresh repository (clean, and with
  one staged key, whose report the boundary scrubs);
- `scan` of a tree of 3,000 small files (one with a key);
- the per-line cost of `scrub` (a report line, a relay-policy log line), in process.

Prints medians and the ratio this/reference. Usage:
    python benchmarks/output_boundary.py [RUNS] [--ref REV]
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from keygen import new_key  # noqa: E402


def export(rev: str, dest: Path) -> Path:
    archive = dest / "ref.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "archive", rev], cwd=ROOT, stdout=fh, check=True)
    out = dest / "ref"
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    return out


def runner(src: Path) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), str(src / "plugins")]),
        "NO_COLOR": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return [sys.executable, "-m", "nsecguard"], env


def timed(cmd: list[str], env: dict[str, str], cwd: Path, runs: int, stdin: Path | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with open(stdin or os.devnull, "rb") as fh:
            subprocess.run(cmd, cwd=cwd, env=env, stdin=fh, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def source(rng: random.Random, size: int) -> str:
    words = ["def", "return", "self", "value", "config", "event", "relay", "pubkey", "import", "class"]
    out, total = [], 0
    while total < size:
        line = " ".join(rng.choice(words) for _ in range(8)) + "\n"
        out.append(line)
        total += len(line)
    return "".join(out)


def hook_repo(base: Path, with_key: bool) -> Path:
    repo = base / ("hook-key" if with_key else "hook-clean")
    repo.mkdir()
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    rng = random.Random(1)
    for i in range(10):
        (repo / f"m{i}.py").write_text(source(rng, 20_000))
    if with_key:
        (repo / "m0.py").write_text(source(rng, 20_000) + f"NOSTR_NSEC = '{new_key().nsec}'\n")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    return repo


def tree(base: Path) -> Path:
    top = base / "tree"
    rng = random.Random(2)
    for d in range(30):
        sub = top / f"d{d}"
        sub.mkdir(parents=True)
        for f in range(100):
            (sub / f"f{f}.py").write_text(source(rng, 2_000))
    (top / "d0" / "f0.py").write_text(f"NOSTR_NSEC = '{new_key().nsec}'\n")
    return top


def per_line(runs: int) -> list[tuple[str, float, float]]:
    from nsecguard import output

    event_id = os.urandom(32).hex()
    report = "src/app/config.py:12:5: nsec npub1" + "q" * 58 + "\n"
    log = f'nsecguard relay-policy: rejected event {event_id} ("kind 1")\n'
    out = []
    n = 5_000
    for label, line, check in (
        ("report line", report, False),
        ("relay-policy log line, raw id", log, False),
        ("relay-policy log line, checked id", log, True),
    ):
        output.reset()
        if check:
            output.checked_id(event_id, "event")
        empty = min(_loop(lambda: output.scrub(line), n) for _ in range(runs))  # noqa: B023
        for _ in range(100):
            output.remember(new_key().hex)
        full = min(_loop(lambda: output.scrub(line), n) for _ in range(runs))  # noqa: B023
        out.append((label, empty / n * 1e6, full / n * 1e6))
    return out


def _loop(fn: object, n: int) -> float:
    assert callable(fn)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - start


def main() -> None:
    args = sys.argv[1:]
    ref = "main"
    if "--ref" in args:
        ref = args[args.index("--ref") + 1]
        del args[args.index("--ref") : args.index("--ref") + 2]
    runs = int(args[0]) if args else 5
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ref_src = export(ref, base)
        this_cmd, this_env = runner(ROOT)
        ref_cmd, ref_env = runner(ref_src)
        text = base / "sanitize.txt"
        rng = random.Random(3)
        text.write_text(source(rng, 10_000_000) + "".join(f"k {new_key().nsec}\n" for _ in range(100)))
        cases: list[tuple[str, Path, list[str], Path | None]] = [
            ("hook run, clean (scan --staged)", hook_repo(base, False), ["scan", "--staged"], None),
            ("hook run, one key (scan --staged)", hook_repo(base, True), ["scan", "--staged"], None),
            ("scan of 3,000 files (-j 1)", tree(base), ["scan", ".", "-j", "1"], None),
            ("scan of 3,000 files, JSON", base / "tree", ["scan", ".", "-j", "1", "--format", "json"], None),
            ("sanitize 10 MB, 100 keys", base, ["sanitize", "-q"], text),
        ]
        print(f"{'case':<38}{'reference':>12}{'this':>12}{'ratio':>8}   (median of {runs}; ref = {ref})")
        for label, cwd, cmd, stdin in cases:
            timed([*this_cmd, *cmd], this_env, cwd, 1, stdin)  # warm caches
            r = timed([*ref_cmd, *cmd], ref_env, cwd, runs, stdin)
            t = timed([*this_cmd, *cmd], this_env, cwd, runs, stdin)
            print(f"{label:<38}{r * 1000:>10.1f}ms{t * 1000:>10.1f}ms{t / r:>8.2f}")
    print()
    print(f"{'scrub, per line':<38}{'none known':>12}{'100 known':>12}")
    for label, empty, full in per_line(3):
        print(f"{label:<38}{empty:>10.2f}µs{full:>10.2f}µs")


if __name__ == "__main__":
    main()
