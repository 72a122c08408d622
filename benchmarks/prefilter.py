"""The first pass alone: nsecguard's Hyperscan prefilter against cheaper-looking variants.

    python benchmarks/prefilter.py [TREE ...] [--mb 120] [--rounds 4]

Loads up to `--mb` MB of text files (Python's standard library by default) into memory, then
calls each variant once per file, as a tree scan does, and prints CPU seconds (the least of
`--rounds` interleaved rounds, so every variant meets the same load), MB/s, the ratio to the
current prefilter, how many files it let through, and whether it ever gave another answer than
the current one (a variant that misses is no candidate, whatever its speed).

Variants: every first-pass pattern in one database (current); each detector's alone; all but the
byte-array pattern (a floor, not a candidate: it misses byte arrays); the byte-array pattern
replaced by a short necessary condition (N numbers in a row) with the exact pattern run only
where it fires; the hex run as a Python translate-and-find test instead of in the automaton;
the pure-Python fallback.
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nsecguard import candidates as c

Prefilter = Callable[[bytes], int]
MAYBE_BYTES = 64


def load(roots: list[str], limit: int) -> list[bytes]:
    out: list[bytes] = []
    total = 0
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__", "site-packages")]
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    if os.path.islink(path):
                        continue
                    with open(path, "rb") as fh:
                        data = fh.read(1 << 20)
                except OSError:
                    continue
                if b"\0" in data[:8000]:
                    continue  # binary: a tree scan skips it before the prefilter
                out.append(data)
                total += len(data)
                if total > limit:
                    return out
    return out


def database(patterns: list[tuple[int, bytes, bool]]) -> Prefilter:
    import hyperscan

    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[p for _, p, _ in patterns],
        ids=[bit for bit, _, _ in patterns],
        elements=len(patterns),
        flags=[
            hyperscan.HS_FLAG_SINGLEMATCH | (hyperscan.HS_FLAG_CASELESS if ci else 0) for *_, ci in patterns
        ],
    )
    found = [0]

    def on_match(bit: int, _start: int, _end: int, _flags: int, _ctx: object) -> None:
        found[0] |= bit

    scratch, scan = db.scratch, db.scan

    def prefilter(buf: bytes) -> int:
        found[0] = 0
        scan(buf, on_match, 0, None, scratch)  # as candidates.py calls it
        return found[0]

    return prefilter


def variants() -> dict[str, Prefilter]:
    from nsecguard import rules
    from nsecguard.rules import hex_key

    every = list(c.patterns())
    names = {c.BASE64: "76 base64", **{c.bit(d): d.name for d in rules.detectors()}}
    by_bit: dict[int, list[tuple[int, bytes, bool]]] = {}
    for pattern in every:
        by_bit.setdefault(pattern[0], []).append(pattern)
    out: dict[str, Prefilter] = {CURRENT: database(every)}
    for bit, group in by_bit.items():
        out[f"  {names.get(bit, bit)} alone"] = database(group)
    rest = [p for p in every if p[0] != c.BYTES]
    out["all but byte arrays (floor, misses)"] = database(rest)
    exact_bytes = database(by_bit[c.BYTES])

    def verified(first: Prefilter) -> Prefilter:
        def prefilter(buf: bytes) -> int:
            mask = first(buf)
            if mask & MAYBE_BYTES:
                mask = (mask & ~MAYBE_BYTES) | exact_bytes(buf)
            return mask

        return prefilter

    byte = hex_key._BYTE
    for n in (4, 8, 12):
        short = byte + rb"(?:\s*,\s*" + byte + rb"){%d}" % (n - 1)
        out[f"+ {n} numbers in a row, then exact"] = verified(database([*rest, (MAYBE_BYTES, short, False)]))
    bracket_run = rb"[\[{(][0-9a-fA-FxX,\s]{63}"
    out["+ bracket and 63-char run, then exact"] = verified(
        database([*rest, (MAYBE_BYTES, bracket_run, False)])
    )
    no_hex = database([p for p in every if p[0] != c.HEX])

    def hex_in_python(buf: bytes) -> int:
        return no_hex(buf) | (c.HEX if hex_key._HEX_64 in buf.translate(hex_key._HEX_MAP) else 0)

    out["hex run tested in Python, rest in one database"] = hex_in_python
    out["pure-Python fallback"] = c.python_prefilter
    return out


CURRENT = "current (every pattern, one database)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="*", default=[sysconfig.get_paths()["stdlib"]])
    parser.add_argument("--mb", type=float, default=120)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    files = load(args.trees, int(args.mb * 1e6))
    size = sum(map(len, files))
    print(f"{len(files)} text files, {size / 1e6:.1f} MB in memory, from {' '.join(args.trees)}")
    found = variants()
    current = found[CURRENT]
    truth = [current(d) for d in files]
    times: dict[str, list[float]] = {name: [] for name in found}
    for _ in range(args.rounds):
        for name, prefilter in found.items():
            start = time.process_time()
            for data in files:
                prefilter(data)
            times[name].append(time.process_time() - start)
    ref = min(times[CURRENT])
    for name, prefilter in found.items():
        best = min(times[name])
        masks = [prefilter(d) for d in files]
        passed = sum(1 for m in masks if m)
        if "alone" in name or "floor" in name:
            verdict = ""
        else:
            wrong = sum(1 for m, t in zip(masks, truth, strict=True) if m != t)
            verdict = "same answers" if not wrong else f"{wrong} DIFFERENT"
        print(
            f"{name:<46} {best * 1000:7.1f} ms {size / best / 1e6:7.0f} MB/s {best / ref:5.2f}x"
            f"  {passed:5d} files through  {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
