"""Events per minute through `nsecguard events` on a generated archive (gzip and plain).

    python benchmarks/events_scan.py [N]

The archive (the same realistic mix as the relay benchmark, 0.2% leaks) is written to
benchmarks/corpus/ (git-ignored) once per N and reused.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nostr_corpus import Corpus


def build(n: int) -> tuple[Path, int]:
    root = Path(__file__).parent / "corpus"
    root.mkdir(exist_ok=True)
    path = root / f"events-{n}.jsonl.gz"
    leaks_file = path.with_suffix(".leaks")
    if not path.exists():
        corpus = Corpus(seed=13)
        with gzip.open(path, "wt", compresslevel=3) as out:
            for ev in corpus.events(n):
                out.write(json.dumps(ev, separators=(",", ":"), ensure_ascii=False) + "\n")
        leaks_file.write_text(str(len(corpus.leaked)))
    return path, int(leaks_file.read_text())


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path, planted = build(n)
    plain = path.with_suffix("")
    if not plain.exists():
        with gzip.open(path) as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    exe = shutil.which("nsecguard", path=str(Path(sys.executable).parent)) or "nsecguard"
    print(
        f"{n:,} events, {plain.stat().st_size / n:.0f} bytes each, {planted} keys planted; "
        f"{os.cpu_count()} cores"
    )
    for label, target, jobs in (
        ("plain, 1 process", plain, "1"),
        ("plain, all cores", plain, str(os.cpu_count() or 1)),
        ("gzip, all cores", path, str(os.cpu_count() or 1)),
    ):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [exe, "events", "--format", "json", "-j", jobs, str(target)], capture_output=True
        )
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        report = json.loads(proc.stdout)
        print(
            f"{label:<18} {elapsed:6.1f} s  {report['events'] / elapsed * 60:>11,.0f} events/min  "
            f"({cpu:.1f} CPU s: {report['events'] / cpu * 60:,.0f} events per CPU-minute; "
            f"{report['leaked_keys']} leaked keys found)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
