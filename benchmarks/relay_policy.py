"""Events per second through the real `nsecguard relay-policy`, next to a naive plugin.

The naive reference reads strfry's requests, checks content and tags for the substring `nsec1`
and answers, flushing every line: the bar a full detector must stay near. Both are driven the
same way, as subprocesses, with the same realistic mix (notes, replies, reactions, reposts, zap
receipts, profiles, contact lists, 0.2% leaks), in two modes:

- pipelined: requests are written as fast as the plugin takes them (throughput);
- lock-step: one request, then wait for its answer, as strfry itself does (latency-bound).

    python benchmarks/relay_policy.py [N] [--runs R]

With `--runs R` (default 3) the pipelined runs of the naive plugin and of nsecguard take turns R
times and the medians are reported (a shared machine's load moves from one run to the next).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nostr_corpus import Corpus, strfry_request

NAIVE = """\
import json, sys
for line in sys.stdin:
    event = json.loads(line)["event"]
    leak = "nsec1" in event["content"] or any("nsec1" in v for tag in event["tags"] for v in tag)
    answer = {"id": event["id"], "action": "reject" if leak else "accept"}
    if leak:
        answer["msg"] = "blocked: nsec"
    print(json.dumps(answer), flush=True)
"""

# the policy with the optional orjson made unimportable: the stdlib json fallback
NO_ORJSON = (
    "import sys; sys.modules['orjson'] = None; from nsecguard.cli import main; "
    "sys.exit(main(['relay-policy', '--quiet']))"
)


def _start(cmd: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _warm(proc: subprocess.Popen[bytes], warmup: bytes) -> None:
    assert proc.stdin and proc.stdout
    proc.stdin.write(warmup)
    proc.stdin.flush()
    proc.stdout.readline()


def pipelined(cmd: list[str], payload: bytes, warmup: bytes, n: int) -> tuple[float, float, list[bytes]]:
    """(events per wall-clock second, per CPU second of the plugin, the answers)."""
    proc = _start(cmd)
    _warm(proc, warmup)
    assert proc.stdin and proc.stdout
    stdin = proc.stdin

    def feed() -> None:
        stdin.write(payload)
        stdin.close()

    start = time.perf_counter()
    writer = threading.Thread(target=feed)
    writer.start()
    answers = proc.stdout.read().splitlines()
    elapsed = time.perf_counter() - start
    writer.join()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    cpu = usage.ru_utime + usage.ru_stime  # includes start-up and the warm-up request
    assert len(answers) == n, (len(answers), n)
    return n / elapsed, n / cpu, answers


def lockstep(cmd: list[str], lines: list[bytes], warmup: bytes) -> float:
    proc = _start(cmd)
    _warm(proc, warmup)
    assert proc.stdin and proc.stdout
    stdin, stdout = proc.stdin, proc.stdout
    start = time.perf_counter()
    for line in lines:
        stdin.write(line)
        stdin.flush()
        stdout.readline()
    elapsed = time.perf_counter() - start
    stdin.close()
    proc.wait()
    return len(lines) / elapsed


def report(label: str, rate: float, reference: float | None = None) -> None:
    ratio = f"  ({rate / reference:.2f}x the naive)" if reference else ""
    print(f"{label:<36} {rate:>9,.0f} events/s{ratio}")


def main() -> int:
    import argparse
    import statistics

    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="events (default 100,000)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved pipelined runs (median)")
    args = parser.parse_args()
    n = args.n
    corpus = Corpus(seed=11)
    lines = [(strfry_request(ev) + "\n").encode() for ev in corpus.events(n)]
    warmup = (strfry_request(next(Corpus(seed=1).events(1))) + "\n").encode()
    payload = b"".join(lines)
    nsecguard = shutil.which("nsecguard", path=str(Path(sys.executable).parent)) or "nsecguard"
    with tempfile.TemporaryDirectory() as tmp:
        naive_path = Path(tmp, "naive.py")
        naive_path.write_text(NAIVE)
        naive = [sys.executable, str(naive_path)]
        ours = [nsecguard, "relay-policy", "--quiet"]
        no_orjson = [sys.executable, "-c", NO_ORJSON]
        size = len(payload) / n
        print(f"{n:,} events, {size:.0f} bytes per request on average, {len(corpus.leaked)} leaks planted")
        rounds: list[tuple[float, float, float, float]] = []
        for _ in range(max(1, args.runs)):  # taking turns: both meet the same moments of load
            naive_rate, naive_cpu, _ = pipelined(naive, payload, warmup, n)
            our_rate, our_cpu, answers = pipelined(ours, payload, warmup, n)
            rounds.append((naive_rate, naive_cpu, our_rate, our_cpu))
        naive_rate, naive_cpu, our_rate, our_cpu = (statistics.median(r[i] for r in rounds) for i in range(4))
        if len(rounds) > 1:
            print(f"pipelined: median of {len(rounds)} interleaved runs; nsecguard's runs:", end="")
            print("".join(f" {r[2]:,.0f}" for r in rounds), "events/s")
        rejected = sum(1 for a in answers if json.loads(a)["action"] != "accept")
        report("pipelined  naive nsec1 substring", naive_rate)
        report("pipelined  nsecguard relay-policy", our_rate, naive_rate)
        print(f"           rejected {rejected} of {len(corpus.leaked)} planted leaks")
        plain_rate, plain_cpu, _ = pipelined(no_orjson, payload, warmup, n)
        report("pipelined  relay-policy, no orjson", plain_rate, naive_rate)
        print("per CPU second of the plugin process (robust to other load on the machine):")
        report("  naive nsec1 substring", naive_cpu)
        report("  nsecguard relay-policy", our_cpu, naive_cpu)
        report("  relay-policy, no orjson", plain_cpu, naive_cpu)
        m = min(n, 20_000)
        naive_ls = lockstep(naive, lines[:m], warmup)
        ours_ls = lockstep(ours, lines[:m], warmup)
        report("lock-step  naive nsec1 substring", naive_ls)
        report("lock-step  nsecguard relay-policy", ours_ls, naive_ls)
    print(f"(cores: {os.cpu_count()}; the plugin uses one)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
