"""Coverage-guided fuzzing of nsecguard's parsers (atheris/libFuzzer).

    python fuzz/run.py TARGET [libFuzzer options, e.g. -max_total_time=600 -max_len=4096]
    python fuzz/run.py --list

A failing input is saved by libFuzzer as `crash-*` (it holds a generated key that is thrown
away with the process, never a real one). Without atheris, `--hypothesis TARGET N` runs N
random inputs instead.
"""

from __future__ import annotations

import os
import sys

sys.path[:0] = [
    os.path.dirname(os.path.abspath(__file__)),
    os.path.join(os.path.dirname(__file__), "..", "plugins"),
]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    if argv[0] == "--list":
        import targets

        print("\n".join(targets.TARGETS))
        return 0
    if argv[0] == "--hypothesis":
        return _hypothesis(argv[1], int(argv[2]) if len(argv) > 2 else 10_000)
    name, options = argv[0], argv[1:]
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports():
        import targets

        import nsecguard.config
        import nsecguard.output
        import nsecguard.sanitizer
        import nsecguard.sources.git  # noqa: F401
        import nsecguard_nostr.archive
        import nsecguard_nostr.events_cmd
        import nsecguard_nostr.policy  # noqa: F401

    target = targets.TARGETS[name]
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", name)
    os.makedirs(corpus, exist_ok=True)
    for i, seed in enumerate(targets.SEEDS.get(name, [])):
        with open(os.path.join(corpus, f"seed-{i}"), "wb") as fh:
            fh.write(seed)
    atheris.Setup([sys.argv[0], *options, corpus], target)
    atheris.Fuzz()
    return 0


def _hypothesis(name: str, count: int) -> int:
    import targets
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=count, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=2048))
    def run(data: bytes) -> None:
        targets.TARGETS[name](data)

    run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
