"""Why nsecguard has its own bech32 and uses `re` + Hyperscan: measured against the alternatives.

1. bech32: `nsecguard.bech32.decode` against the `bech32` package (BIP-173's reference
   implementation, `pip install bech32`) on the same nsec strings: plain decoding, and repairing
   one mistyped character (the reference cannot repair: the only way with it is to try every
   substitution, 58 positions x 31 characters, until a checksum holds).
2. Regular expressions: the engine's first-pass candidate patterns (nsecguard/candidates.py) over
   real source text (Python's standard library), run with `re`, with the `regex` module
   (`pip install regex`) and, where installed, with Hyperscan in one pass, as the scanner does.

    python benchmarks/bech32_regex.py [--keys N] [--mb MB]

Everything is timed in this one run; ratios are against nsecguard's own numbers.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sysconfig
import time
from collections.abc import Callable

from nsecguard import bech32 as ours
from nsecguard import candidates


def best_of(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def typo(s: str, rng: secrets.SystemRandom) -> str:
    i = rng.randrange(5, len(s))
    return s[:i] + rng.choice([c for c in ours.CHARSET if c != s[i]]) + s[i + 1 :]


def bench_bech32(n: int) -> None:
    import bech32 as ref

    rng = secrets.SystemRandom()
    keys = [secrets.token_bytes(32) for _ in range(n)]
    nsecs = [ref.bech32_encode("nsec", ref.convertbits(k, 8, 5)) for k in keys]
    assert all(ours.encode("nsec", k) == s for k, s in zip(keys, nsecs, strict=True))

    def ref_decode() -> None:
        for s in nsecs:
            _hrp, data = ref.bech32_decode(s)
            assert data is not None
            bytes(ref.convertbits(data, 5, 8, False) or b"")

    def our_decode() -> None:
        for s in nsecs:
            assert ours.decode(s) is not None

    t_ref, t_ours = best_of(ref_decode), best_of(our_decode)
    print(f"bech32 decode, {n} nsec strings")
    print(f"  nsecguard.bech32.decode      {t_ours / n * 1e6:8.2f} us/key  (1.00x)")
    print(f"  bech32 (reference) decode    {t_ref / n * 1e6:8.2f} us/key  ({t_ref / t_ours:.2f}x)")

    typos = [typo(s, rng) for s in nsecs[: max(1, n // 20)]]
    m = len(typos)

    def ref_repair() -> None:  # the reference has no repair: try every single substitution
        for s in typos:
            found = None
            for i in range(5, len(s)):
                for c in ours.CHARSET:
                    if c != s[i] and ref.bech32_decode(s[:i] + c + s[i + 1 :])[1] is not None:
                        found = i
                        break
                if found is not None:
                    break
            assert found is not None

    def our_repair() -> None:
        for s in typos:
            d = ours.decode(s, repair=True, hrp="nsec")
            assert d is not None and d.repaired_at >= 0

    t_ref, t_ours = best_of(ref_repair, 3), best_of(our_repair)
    print(f"bech32 one-typo repair, {m} nsec strings")
    print(f"  nsecguard.bech32 (syndrome)  {t_ours / m * 1e6:8.2f} us/key  (1.00x)")
    print(f"  reference, brute force       {t_ref / m * 1e6:8.2f} us/key  ({t_ref / t_ours:.0f}x)")
    long = ours.encode("ncryptsec", secrets.token_bytes(91))  # an ncryptsec is 162 characters
    mixed = nsecs[0][:30] + nsecs[0][30:].upper()  # a key pasted half in capitals is still a key
    for what, s in ((f"a {len(long)}-character ncryptsec", long), ("a mixed-case nsec", mixed)):
        print(
            f"  {what}: reference decodes it: {ref.bech32_decode(s)[1] is not None}; "
            f"nsecguard: {ours.decode(s) is not None}"
        )


def corpus(megabytes: float) -> list[bytes]:
    files: list[bytes] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(sysconfig.get_paths()["stdlib"]):
        dirnames.sort()
        dirnames[:] = [d for d in dirnames if d not in ("site-packages", "__pycache__")]
        for name in sorted(filenames):
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), "rb") as fh:
                    data = fh.read()
                files.append(data)
                total += len(data)
                if total >= megabytes * 1e6:
                    return files
    return files


def bench_regex(megabytes: float) -> None:
    import regex

    files = corpus(megabytes)
    size = sum(map(len, files)) / 1e6
    patterns = [(p, regex.IGNORECASE if caseless else 0) for _, p, caseless in candidates._PATTERNS]
    with_re = [re.compile(p, re.IGNORECASE if f else 0).search for p, f in patterns]
    with_regex = [regex.compile(p, f).search for p, f in patterns]

    def run(searches: list[Callable[[bytes], object]]) -> Callable[[], None]:
        def go() -> None:
            for data in files:
                for search in searches:
                    search(data)

        return go

    t_re, t_regex = best_of(run(with_re), 3), best_of(run(with_regex), 3)
    print(f"first-pass candidate patterns ({len(patterns)}) over {len(files)} files, {size:.1f} MB")
    print(f"  re, one search per pattern     {size / t_re:8.1f} MB/s  (1.00x)")
    print(f"  regex, one search per pattern  {size / t_regex:8.1f} MB/s  ({t_regex / t_re:.2f}x the time)")
    fallback = best_of(lambda: [candidates.python_prefilter(d) for d in files], 3)
    print(f"  nsecguard's re fallback        {size / fallback:8.1f} MB/s  ({fallback / t_re:.2f}x the time)")
    hs = candidates._hyperscan_prefilter()
    if hs is None:
        print("  hyperscan not installed: no one-pass figure")
        return
    t_hs = best_of(lambda: [hs(d) for d in files], 3)
    print(f"  Hyperscan, all in one pass     {size / t_hs:8.1f} MB/s  ({t_hs / t_re:.2f}x the time)")
    # the second pass: the engine's exact patterns only run on buffers the first pass flagged
    hex64 = rb"[0-9a-fA-F]{64,}"
    t_re_hex = best_of(lambda: [re.findall(hex64, d) for d in files], 3)
    t_regex_hex = best_of(lambda: [regex.findall(hex64, d) for d in files], 3)
    print(f"  hex run, findall: re {size / t_re_hex:.1f} MB/s, regex {size / t_regex_hex:.1f} MB/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--mb", type=float, default=10.0, help="megabytes of source text (default 10)")
    args = parser.parse_args()
    bench_bech32(args.keys)
    bench_regex(args.mb)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
