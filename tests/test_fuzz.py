"""The fuzz targets (fuzz/targets.py) hold their invariants on a few hundred inputs each: the
seeds, their mutations and random bytes. The long, coverage-guided runs are fuzz/run.py's."""

from __future__ import annotations

import base64
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz"))

import targets

INPUTS = 300


def _inputs(name: str, rng: random.Random) -> list[bytes]:
    seeds = targets.SEEDS[name]
    out = list(seeds)
    while len(out) < INPUTS:
        base = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 8)):
            op = rng.randrange(3)
            at = rng.randrange(len(base) + 1)
            if op == 0:
                base[at:at] = rng.randbytes(rng.randrange(1, 16))
            elif op == 1 and len(base) > 2:
                del base[at : at + rng.randrange(1, 8)]
            else:
                base[at:at] = rng.choice([b'"', b"[", b"{", b"}", b"]", b"\n", b"\\", b",", b":", b"\x01"])
        out.append(bytes(base))
    return out


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_fuzz_target_holds_its_invariants(name: str) -> None:
    rng = random.Random(name)
    target = targets.TARGETS[name]
    for data in _inputs(name, rng):
        target(data)


@pytest.mark.parametrize("name", list(targets.REGRESSIONS))
def test_inputs_fuzzing_found_hold_now(name: str) -> None:
    for encoded in targets.REGRESSIONS[name]:
        targets.TARGETS[name](base64.b64decode(encoded))


def test_the_invariant_checks_can_fail() -> None:
    with pytest.raises(AssertionError, match="whole key"):
        targets.check_text(f"x {targets.KEY.nsec.upper()} y", "a test")
    with pytest.raises(AssertionError, match="16-character piece"):
        targets.check_text(targets.KEY.hex[10:30], "a test")
