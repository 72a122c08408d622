"""The rules registry: one rule per kind, stable kinds, rules added from outside."""

from __future__ import annotations

import copy
import pickle

import pytest

from nsecguard import candidates, rules, sanitize, scan_text
from nsecguard.chat import texts
from nsecguard.model import Confidence, Kind
from nsecguard.rules import nsec
from nsecguard.rules.base import Detector, Hit, Rule, Sample, Scan


def test_the_kinds_of_0_1_keep_their_ids_and_order() -> None:
    assert [str(r.kind) for r in rules.all_rules()][:6] == [
        "nsec", "hex-key", "ncryptsec", "bunker-secret", "nostrconnect-secret", "nwc-secret",
    ]  # fmt: skip
    assert list(Kind)[:6] == [Kind.NSEC, Kind.HEX, Kind.NCRYPTSEC, Kind.BUNKER, Kind.NOSTRCONNECT, Kind.NWC]


def test_a_kind_is_one_object_and_a_string() -> None:
    assert Kind("nsec") is Kind.NSEC
    assert Kind.NSEC == "nsec" and Kind.NSEC.value == "nsec" and str(Kind.HEX) == "hex-key"
    assert pickle.loads(pickle.dumps(Kind.HEX)) is Kind.HEX
    assert copy.deepcopy(Kind.NWC) is Kind.NWC
    with pytest.raises(ValueError):
        Kind("no-such-kind")
    with pytest.raises(ValueError):
        Kind.define("Not A Kind")


def test_every_kind_has_one_rule_and_words() -> None:
    for r in rules.all_rules():
        assert rules.rule(r.kind) is r
        assert r.title and r.advice and r.help and r.chat_words and r.chat_advice and r.noun and r.action
        assert r.detectors
    with pytest.raises(KeyError):
        rules.rule("no-such-kind")


def test_detectors_run_once_each_in_order() -> None:
    found = rules.detectors()
    assert len({id(d) for d in found}) == len(found)
    assert [d.order for d in found] == sorted(d.order for d in found)
    # the URI finder comes before the hex finder: a URI's hex parts are judged with the URI
    names = [d.name for d in found]
    assert names.index("connection-uri") < names.index("hex")


def test_each_detector_has_its_own_prefilter_bit() -> None:
    bits = [candidates.bit(d) for d in rules.detectors()]
    assert len(set(bits)) == len(bits) and candidates.BASE64 not in bits
    assert candidates.bit(nsec.DETECTOR) == candidates.NSEC


def _demo_rule() -> Rule:
    kind = Kind.define("demo-token")

    def find(scan: Scan) -> list[Hit]:
        at = scan.buf.data.find(b"demo_tok_")
        return [Hit(kind, Confidence.HIGH, at, at + 12, None, "", "a demo token", secret=("demo", b"x"))]

    detector = Detector("demo", (rb"demo_tok_",), find, lambda data, low: b"demo_tok_" in data)
    return Rule(
        kind=kind,
        severity=nsec.RULE.severity,
        title="Demo token",
        advice="remove it",
        help="A demo.",
        chat_words="a demo token",
        chat_advice="Remove it.",
        noun="a demo token",
        action="remove it",
        detectors=(detector,),
        samples=(Sample("demo_tok_123", True), Sample("demo", False)),
    )


def test_a_rule_added_from_outside_is_used_by_every_reader() -> None:
    demo = _demo_rule()
    rules.register(demo)
    try:
        (found,) = scan_text("t = demo_tok_123\n")
        assert found.kind == demo.kind and found.message == "Demo token: remove it"
        assert sanitize("t = demo_tok_123\n") == "t = [secret removed]\n"
        assert "a demo token" in texts.what_leaked([demo.kind])
        with pytest.raises(ValueError):
            rules.register(demo)
    finally:
        rules.unregister(demo.kind)
        Kind._defined.pop(demo.kind.value)  # other tests iterate every kind
    assert scan_text("t = demo_tok_123\n") == []
    with pytest.raises(TypeError):
        rules.register(object())  # type: ignore[arg-type]
