"""What the output boundary (nsecguard/output.py) costs, against nsecguard without it.

The reference is a revision without the boundary (default `main`), exported with `git archive`
and run from its source tree by the same interpreter; this checkout is run the same way. Both
do the same work on the same generated inputs, in the same run:

- a hook run: `scan --staged` of ten staged 20 KB files in a fresh repository (clean, and with
  one staged key, whose report the boundary scrubs);
- `scan` of a tree of 3,000 small files (one with a key);
- the per-line cost of `scrub` (a report line, a relay-policy log line), in process;
- start-up: `nsecguard --version`, `scan` of one tiny file and `inspect` of a generated nsec on stdin,
  20 runs each, interleaved with the reference and with `python -c pass` (the interpreter's
  own start, the floor), and what `python -X importtime` charges `nsecguard.output` in each.

Prints medians and the ratio this/reference. Usage:
    python benchmarks/output_boundary.py [RUNS] [--ref REV] [--startup-only]
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


def runner(src: Path, pycache: Path) -> tuple[list[str], dict[str, str]]:
    """How to run nsecguard from `src`. With bytecode caches (in `pycache`), as an installed
    package has them: without (PYTHONDONTWRITEBYTECODE), every start compiles every module."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPATH": os.pathsep.join([str(src), str(src / "plugins")]),
        "PYTHONPYCACHEPREFIX": str(pycache),
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


STARTUP_RUNS = 20


def startup(
    base: Path, this: tuple[list[str], dict[str, str]], ref: tuple[list[str], dict[str, str]]
) -> None:
    """Start-up of three quick commands: this checkout, the reference and `python -c pass`,
    one run of each in turn (the machine's load hits all three alike)."""
    tiny = base / "tiny"
    tiny.mkdir()
    (tiny / "a.txt").write_text("hello\n")
    nsec = base / "nsec.txt"
    nsec.write_text(new_key().nsec + "\n")
    floor = [sys.executable, "-c", "pass"]
    cases: list[tuple[str, list[str], Path | None]] = [
        ("nsecguard --version", ["--version"], None),
        ("nsecguard scan a.txt (tiny)", ["scan", "a.txt"], None),
        ("nsecguard inspect < nsec", ["inspect"], nsec),
    ]
    print()
    print(f"start-up, median of {STARTUP_RUNS} (python -c pass is the floor; 'over' = minus the floor)")
    head = f"{'case':<30}{'floor':>9}{'reference':>11}{'this':>9}{'ratio':>7}"
    print(f"{head}{'ref over':>10}{'over':>8}{'ratio':>7}")
    for label, args, stdin in cases:
        times: dict[str, list[float]] = {"floor": [], "ref": [], "this": []}
        timed([*ref[0], *args], ref[1], tiny, 1, stdin)  # bytecode caches written
        timed([*this[0], *args], this[1], tiny, 1, stdin)
        for _ in range(STARTUP_RUNS):
            times["floor"].append(timed(floor, this[1], tiny, 1))
            times["ref"].append(timed([*ref[0], *args], ref[1], tiny, 1, stdin))
            times["this"].append(timed([*this[0], *args], this[1], tiny, 1, stdin))
        for stat, name in ((statistics.median, label), (min, "  (fastest of the runs)")):
            f, r, t = (stat(times[k]) * 1000 for k in ("floor", "ref", "this"))
            print(
                f"{name:<30}{f:>7.1f}ms{r:>9.1f}ms{t:>7.1f}ms{t / r:>7.2f}"
                f"{r - f:>8.1f}ms{t - f:>6.1f}ms{(t - f) / (r - f):>7.2f}"
            )
    print()
    print("python -X importtime, cumulative µs of nsecguard.output (median of 5) in `nsecguard --version`")
    for label, (cmd, env) in (("reference", ref), ("this", this)):
        print(f"  {label:<10}{statistics.median(import_cost(cmd, env, tiny) for _ in range(5)):>10.0f}µs")


def import_cost(cmd: list[str], env: dict[str, str], cwd: Path) -> int:
    proc = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:], "--version"], cwd=cwd, env=env, capture_output=True, text=True
    )
    for line in proc.stderr.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) == 3 and fields[2] == "nsecguard.output":
            return int(fields[1])
    return 0


def main() -> None:
    args = sys.argv[1:]
    ref = "main"
    if "--ref" in args:
        ref = args[args.index("--ref") + 1]
        del args[args.index("--ref") : args.index("--ref") + 2]
    only_startup = "--startup-only" in args
    args = [a for a in args if a != "--startup-only"]
    runs = int(args[0]) if args else 5
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ref_src = export(ref, base)
        this_cmd, this_env = runner(ROOT, base / "pycache")
        ref_cmd, ref_env = runner(ref_src, base / "pycache")
        startup(base, (this_cmd, this_env), (ref_cmd, ref_env))
        if only_startup:
            return
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
