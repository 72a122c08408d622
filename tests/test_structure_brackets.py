"""Open brackets at a value: the matched-once answer equals the walk-back answer."""

from __future__ import annotations

import bisect
import random

from nsecguard import structure


def _nested(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(0, 4)):
        if depth < 5 and rng.random() < 0.5:
            o, c = rng.choice(["{}", "[]", "()"])
            parts.append(o + _nested(rng, depth + 1) + c)
        else:
            parts.append(rng.choice(["a", "x = 1, ", '"s", ', "\n", "k: "]))
    return "".join(parts)


def test_matched_brackets_answer_as_the_walk_back_does() -> None:
    rng = random.Random(7)
    for _ in range(200):
        buf = _nested(rng).encode()
        tree = structure._Brackets(buf)
        for start in range(len(buf) + 1):
            floor = rng.randint(0, start)
            walked = list(structure._walk_back(buf, start, floor))
            i = bisect.bisect_left(tree.positions, start) - 1
            at = tree.open_after[i] if i >= 0 else -1
            matched = []
            while at >= 0 and tree.positions[at] >= floor:
                matched.append(tree.positions[at])
                at = tree.parent[at]
            assert matched == walked, (buf, start, floor)


def test_many_questions_about_one_buffer_switch_to_matching() -> None:
    buf = b"{" + b"[1, 2], " * 1000 + b"}"
    answers = [list(structure.open_brackets(buf, s, 0)) for s in range(1, len(buf), 7)]
    assert structure._last is not None and structure._last[2] is not None  # matched once
    assert all(a and a[-1] == 0 for a in answers)
