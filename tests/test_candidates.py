from __future__ import annotations

import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nsecguard import candidates
from nsecguard.engine import Hit, find_hits

from keygen import new_key


@pytest.mark.parametrize("prefilter", [candidates.get_prefilter(), candidates.python_prefilter])
def test_prefilter_bits(prefilter: candidates.Prefilter) -> None:
    assert prefilter(b"plain source text, nothing here\n" * 100) == 0
    assert prefilter(b"x NSEC1abc") & candidates.NSEC
    assert prefilter(b"k=" + b"ab" * 32) & candidates.HEX
    assert not prefilter(b"k=" + b"ab" * 31) & candidates.HEX
    assert prefilter(b"ncryptsec1") & candidates.NCRYPTSEC
    assert prefilter(b"bunker://x") & candidates.URI
    assert prefilter(b"A" * 76) & candidates.BASE64


def test_backends_agree_on_random_text() -> None:
    fast = candidates.get_prefilter()
    for _ in range(200):
        data = os.urandom(2000).hex().encode()[: os.urandom(1)[0] * 8] + b" nsec1 " * (os.urandom(1)[0] % 2)
        assert fast(data) == candidates.python_prefilter(data)


def test_prefilter_is_thread_safe() -> None:
    """Hyperscan refuses a scratch space used by two threads at once: one per thread."""
    prefilter = candidates.get_prefilter()
    data = [os.urandom(20000).hex().encode() + b" nsec1" for _ in range(20)]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                for d in data:
                    assert prefilter(d) & candidates.NSEC
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- the prefilter never says "nothing here" where the engine would find something ------------

_ALL_BITS = (
    candidates.NSEC
    | candidates.HEX
    | candidates.NCRYPTSEC
    | candidates.URI
    | candidates.BASE64
    | candidates.BYTES
)


def _samples() -> list[str]:
    """Every true-positive text of the engine and corpus tests, built with fresh keys."""
    from tests.test_corpus import leak_files
    from tests.test_engine import POSITIVES

    k, other = new_key(), new_key()
    texts = [case(k, other) for case in POSITIVES.values()]
    texts += [text for text, _ in leak_files([new_key() for _ in range(10)], other).values()]
    return texts


def _hits_with(monkeypatch: pytest.MonkeyPatch, prefilter: candidates.Prefilter, text: str) -> list[Hit]:
    monkeypatch.setattr(candidates, "get_prefilter", lambda: prefilter)
    return find_hits(text.encode())


@pytest.mark.parametrize("backend", ["hyperscan", "python"])
def test_every_true_positive_passes_the_prefilter_with_the_bits_it_needs(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """With the real prefilter the engine finds exactly what it finds when every extractor runs
    on every buffer (nested base64 included): no bit the engine needs is ever missing."""
    prefilter = candidates.get_prefilter() if backend == "hyperscan" else candidates.python_prefilter
    samples = _samples()
    assert len(samples) > 40
    for text in samples:
        expected = _hits_with(monkeypatch, lambda _buf: _ALL_BITS, text)
        assert expected, "a true-positive sample the engine finds nothing in"
        assert _hits_with(monkeypatch, prefilter, text) == expected


def test_the_bits_check_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above is not vacuous: a prefilter that drops any one bit misses a sample."""
    real = candidates.python_prefilter
    samples = _samples()
    for bit in (candidates.NSEC, candidates.HEX, candidates.URI, candidates.BASE64, candidates.BYTES):
        missed = 0
        for text in samples:

            def dropped(buf: bytes, bit: int = bit) -> int:
                return real(buf) & ~bit

            expected = _hits_with(monkeypatch, lambda _buf: _ALL_BITS, text)
            missed += _hits_with(monkeypatch, dropped, text) != expected
        assert missed, f"no sample needs bit {bit}"


_PIECES = [
    b"nsec1",
    b"NSEC1",
    b"nSeC1",
    b"ncryptsec1",
    b"NCRYPTSEC1",
    b"bunker://",
    b"BUNKER%3A",
    b"nostrconnect://",
    b"nostrconnect%3a",
    b"walletconnect",
    b"0x",
    b"0X",
    b"ff",
    b"3b",
    b"A",
    b"z",
    b"0",
    b"255",
    b"9",
    b",",
    b", ",
    b" ",
    b"\n",
    b"\t",
    b"[",
    b"]",
    b"{",
    b"}",
    b"(",
    b")",
    b"+",
    b"/",
    b"-",
    b"_",
    b"=",
    b"\0",
    b"\xe2\x80\x8b",
    b"\xff",
]


@st.composite
def _pattern_soup(draw: st.DrawFn) -> bytes:
    """Random bytes made mostly of the patterns' own pieces, with long runs likely."""
    parts = draw(st.lists(st.sampled_from(_PIECES) | st.binary(max_size=8), max_size=60))
    repeat = draw(st.integers(min_value=1, max_value=80))
    run = draw(st.sampled_from([b"a", b"7", b"Q", b"1, ", b"0x1f,", b"+"]))
    at = draw(st.integers(min_value=0, max_value=len(parts)))
    return b"".join(parts[:at]) + run * repeat + b"".join(parts[at:])


@settings(max_examples=400, deadline=None)
@given(_pattern_soup())
def test_hyperscan_and_python_prefilters_agree(data: bytes) -> None:
    assert candidates.get_prefilter()(data) == candidates.python_prefilter(data)


def test_literal_finder_gives_every_occurrence_as_find_does(monkeypatch: pytest.MonkeyPatch) -> None:
    literals = (b"seed", b"1.", b"eded", b"a.b")
    find = candidates.literal_finder(literals)
    assert find is not None
    data = b"seeded 1.1. seededed a.b a-b 1x"
    expected = []
    for i, lit in enumerate(literals):
        at = data.find(lit)
        while at >= 0:
            expected.append((i, at))
            at = data.find(lit, at + 1)
    assert sorted(find(data)) == sorted(expected)
    assert find(b"") == []
    monkeypatch.setenv("NSECGUARD_NO_HYPERSCAN", "1")
    assert candidates.literal_finder(literals) is None
