from __future__ import annotations

import os
import threading

import pytest

from nsecguard import candidates


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
