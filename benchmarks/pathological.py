"""Pathological inputs scan in linear time: prints ms per input size and the 4 MB / 1 MB ratio
(about 4 means linear). Every key here is generated and thrown away. The cases after the
scan_bytes ones run other entry points (scan_text, sanitize, relay-policy, events); the
streaming ones also print their peak memory (tracemalloc), which must not grow with the input.

    python benchmarks/pathological.py [--quick] [WORD...]
    (--quick: 256 KB, 512 KB, 1 MB; WORDs: only the cases whose name holds one)
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable

from nsecguard import bech32, keys
from nsecguard.engine import Options, scan_bytes, scan_text
from nsecguard.model import Confidence


def _key_hex() -> bytes:
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            return secret.hex().encode()


CASES: dict[str, Callable[[int], bytes]] = {
    "megabytes of nsec1": lambda n: b"nsec1" * (n // 5),
    "megabytes of hex digits": lambda n: b"0123456789abcdef" * (n // 16),
    "64-hex values on one line": lambda n: (_key_hex() + b" ") * (n // 65),
    "a named key on every line": lambda n: (b"NOSTR_SK=" + _key_hex() + b"\n") * (n // 74),
    "one nsec on every line": lambda n: (
        (bech32.encode("nsec", bytes.fromhex(_key_hex().decode())).encode() + b"\n") * (n // 64)
    ),
    "a base64 blob": lambda n: b"QUJD" * (n // 4),
    # unnamed values walk back to their list's name or their column's header, a bounded way
    "a YAML list of unnamed hex": lambda n: b"values:\n" + (b"  - " + _key_hex() + b"\n") * (n // 69),
    "a JSON list on one line": lambda n: b'{"values": [' + (b'"' + _key_hex() + b'", ') * (n // 68) + b"]}",
    "a CSV column of unnamed hex": lambda n: b"name,value\n" + (b"x," + _key_hex() + b"\n") * (n // 67),
    "32-number arrays named sk": lambda n: (
        (b"sk = [" + b", ".join(b"%d" % (i + 1) for i in range(32)) + b"]\n") * (n // 130)
    ),
    "megabytes of comma-separated numbers": lambda n: b"[" + b"7, " * (n // 3) + b"]",
    "nsec1 and zero-width spaces": lambda n: "nsec1\u200bq".encode() * (n // 10),
    "&secret=a repeated": lambda n: b"bunker://x?relay=wss://r" + b"&secret=a" * (n // 9),
    "distinct secret= values": lambda n: (
        b"bunker://x?relay=wss://r" + b"".join(b"&secret=k2m9x%07d" % i for i in range(n // 20))
    ),
    "bunker secret= then nsecs": lambda n: b"bunker://x?secret=" + _nsec().encode() * (n // 63),
    # mnemonics: runs of BIP-39 list words, named so the first pass fires (nsecguard.rules.mnemonic)
    "megabytes of list words": lambda n: b"mnemonic: " + _list_words(n),
    "list words, named every line": lambda n: b"".join(
        b"seed phrase: " + _list_words(100) + b"\n" for _ in range(n // 113)
    ),
    "lines of valid phrases": lambda n: b"".join(b"mnemonic: " + p for p in _phrases(n, valid=True)),
    "lines of near-phrases": lambda n: b"".join(b"mnemonic: " + p for p in _phrases(n, valid=False)),
}


def _list_words(n: int) -> bytes:
    from nsecguard.rules.mnemonic import wordlist

    words = list(wordlist())
    out = b" ".join(words[b] for b in os.urandom(n // 6))  # one of the first 256 words each
    return out[:n]


def _phrases(n: int, valid: bool) -> list[bytes]:
    """12-word lines (about 80 bytes each): valid checksums, or every one a checksum off."""
    from mnemonic import Mnemonic

    m = Mnemonic("english")
    out: list[bytes] = []
    size = 0
    while size < n:
        words = m.to_mnemonic(os.urandom(16)).split()
        if not valid:
            words[-1] = next(w for w in m.wordlist if not m.check(" ".join([*words[:-1], w])))
        line = (" ".join(words) + "\n").encode()
        out.append(line)
        size += len(line)
    return out


def _nsec() -> str:
    return bech32.encode("nsec", bytes.fromhex(_key_hex().decode()))


def _low(data: bytes) -> None:
    scan_bytes(data, options=Options(min_confidence=Confidence.LOW))


def _scan_str(data: bytes) -> None:
    scan_text(data.decode())


def _sanitize_whole(data: bytes) -> None:
    from nsecguard.sanitizer import sanitize

    sanitize(data.decode())


def _sanitize_stream(data: bytes) -> None:
    from nsecguard.sanitizer import decode_stream, sanitize_stream

    pieces = (data[i : i + (1 << 18)] for i in range(0, len(data), 1 << 18))
    for _ in sanitize_stream(decode_stream(pieces), overlap=16 << 10):
        pass


def _relay_policy(data: bytes) -> None:
    from nsecguard_nostr.policy import PolicyConfig, serve

    rin, win = os.pipe()
    rout, wout = os.pipe()

    def write() -> None:
        os.write(win, data)
        os.close(win)

    writer = threading.Thread(target=write)
    reader = threading.Thread(target=lambda: os.read(rout, 1 << 20))
    writer.start()
    reader.start()
    serve(PolicyConfig(), rin, wout, io.StringIO())
    os.close(wout)
    writer.join()
    reader.join()
    os.close(rin)
    os.close(rout)


def _events(data: bytes) -> None:
    from nsecguard_nostr.archive import scan_blob
    from nsecguard_nostr.events_cmd import blocks

    for blob in blocks(io.BytesIO(data), size=1 << 16, max_line=1 << 19):  # a low cap, to see it hold
        scan_blob(blob)


def _policy_line(n: int) -> bytes:
    content = ("gm " * (n // 3)).encode()
    return (
        b'{"type":"new","event":{"id":"'
        + b"a" * 64
        + b'","kind":1,"tags":[],"content":"'
        + content
        + b'"}}\n'
    )


def _non_ascii_findings(n: int) -> bytes:
    return ("é👋 " + _nsec() + " ").encode() * (n // 72)


# (make input, run it, print peak memory)
OTHER: dict[str, tuple[Callable[[int], bytes], Callable[[bytes], None], bool]] = {
    "&secret=a, reported (low)": (CASES["&secret=a repeated"], _low, False),
    "scan_text, non-ASCII, many nsecs": (_non_ascii_findings, _scan_str, False),
    "sanitize, non-ASCII, many nsecs": (_non_ascii_findings, _sanitize_whole, False),
    "sanitize stream, nsec every line": (CASES["one nsec on every line"], _sanitize_stream, True),
    "relay-policy, one long line": (_policy_line, _relay_policy, True),
    "events, one endless line": (lambda n: b"x" * n, _events, True),
}


def _measure(run: Callable[[bytes], None], data: bytes, memory: bool) -> tuple[float, int]:
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    run(data)
    took = time.perf_counter() - start
    peak = 0
    if memory:
        peak = max(0, tracemalloc.get_traced_memory()[1] - len(data))  # beyond the input itself
        tracemalloc.stop()
    return took, peak


def main() -> int:
    quick = "--quick" in sys.argv
    sizes = (256, 512, 1024) if quick else (1024, 2048, 4096)  # KB
    label = "KB" if quick else "MB"
    shown = [s if quick else s // 1024 for s in sizes]
    cases = {name: (make, scan_bytes, False) for name, make in CASES.items()}
    only = [a for a in sys.argv[1:] if not a.startswith("-")]  # names containing one of these
    for name, (make, run, memory) in {**cases, **OTHER}.items():
        if only and not any(word in name for word in only):
            continue
        run(make(16 << 10))  # warm up: imports, caches
        times, peaks = [], []
        for kb in sizes:
            took, peak = _measure(run, make(kb << 10), memory)  # type: ignore[arg-type]
            times.append(took)
            peaks.append(peak)
        cells = "  ".join(f"{n} {label} {t * 1000:7.0f} ms" for n, t in zip(shown, times, strict=True))
        mem = f"   peak {peaks[0] >> 10} KB .. {peaks[2] >> 10} KB" if memory else ""
        print(f"{name:<34} {cells}   4x/1x = {times[2] / times[0]:.1f}{mem}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
