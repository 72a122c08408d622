"""Pathological inputs scan in linear time: prints ms per input size and the 4 MB / 1 MB ratio
(about 4 means linear). Every key here is generated and thrown away.

    python benchmarks/pathological.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from nsecguard import bech32, keys
from nsecguard.engine import scan_bytes


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
}


def main() -> int:
    for name, make in CASES.items():
        times = []
        for mb in (1, 2, 4):
            data = make(mb << 20)
            start = time.perf_counter()
            scan_bytes(data)
            times.append(time.perf_counter() - start)
        cells = "  ".join(f"{mb} MB {t * 1000:7.0f} ms" for mb, t in zip((1, 2, 4), times, strict=True))
        print(f"{name:<28} {cells}   4MB/1MB = {times[2] / times[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
