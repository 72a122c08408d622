"""Fuzz targets: one function per parser, each taking arbitrary bytes and checking the
invariants that must hold for every input:

- no exception (a `FatalError`, the one expected error, is a clear answer, not a crash);
- no finding, message or error text holds a planted key (any spelling) or a 16-character
  piece of it;
- `scan_text(sanitize(x))` finds nothing at the default level, and a key that was found is
  gone from the sanitized text in every spelling.

The input decides where a generated key is planted and in which spelling (nsec, NSEC, hex,
HEX, 0x-hex, ncryptsec-shaped, bunker and wallet-connect secrets). Run by `fuzz/run.py`
(atheris, coverage-guided) and, for a few hundred inputs each, by the test suite.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nsecguard import bech32, keys
from nsecguard.engine import scan_bytes, scan_text
from nsecguard.errors import FatalError
from nsecguard.model import Finding


@dataclass(frozen=True)
class Planted:
    secret: bytes
    hex: str
    nsec: str
    npub: str
    forms: tuple[str, ...]
    pieces: tuple[str, ...]  # every 16-character window of the hex and of the nsec body


def new_planted() -> Planted:
    while True:
        secret = os.urandom(32)
        if keys.is_valid_secret(secret):
            break
    hexed, nsec = secret.hex(), bech32.encode("nsec", secret)
    pieces = {hexed[i : i + 16] for i in range(len(hexed) - 15)}
    pieces |= {nsec[i : i + 16] for i in range(5, len(nsec) - 15)}
    npub = keys.npub(keys.xonly_pubkey(secret))
    return Planted(secret, hexed, nsec, npub, (hexed, nsec), tuple(sorted(pieces)))


KEY = new_planted()  # one per process; never written anywhere
TOKEN = os.urandom(12).hex()  # a bunker / wallet-connect secret


def _spellings(k: Planted) -> list[str]:
    return [
        k.nsec,
        k.nsec.upper(),
        k.hex,
        k.hex.upper(),
        "0x" + k.hex,
        f"NOSTR_SECRET_KEY={k.hex}",
        f"bunker://{'ab' * 32}?relay=wss://r.example&secret={TOKEN}",
        f"nostr+walletconnect://{'cd' * 32}?relay=wss://r.example&secret={k.hex}",
        f"bunker://x?secret={TOKEN}{k.nsec}",
        f"nostr:{k.nsec}",
    ]


MARK = "KEY"


def plant(data: bytes) -> str:
    """A text from fuzz input: its first two bytes choose a spelling of the key and where it
    goes, the rest (as UTF-8, invalid bytes replaced) is the text around it. Where the text
    holds `KEY` (a seed's slot inside a JSON string), the key takes its place."""
    if len(data) < 2:
        return data.decode("utf-8", "replace")
    forms = _spellings(KEY)
    form = forms[data[0] % len(forms)]
    text = data[2:].decode("utf-8", "replace")
    if MARK in text:
        return text.replace(MARK, form, 1)
    at = (data[1] * max(len(text), 1)) // 256
    return text[:at] + form + text[at:]


def _leaky(text: str) -> str | None:
    low = text.lower()
    for form in (KEY.hex, KEY.nsec, TOKEN):
        if form in low:
            return "a whole key"
    for piece in KEY.pieces:
        if piece in low:
            return "a 16-character piece of a key"
    return None


def check_text(text: str, what: str) -> None:
    problem = _leaky(text)
    if problem is not None:
        raise AssertionError(f"{problem} in {what}")


def check_findings(findings: list[Finding], what: str) -> None:
    for f in findings:
        check_text(json.dumps(f.to_dict()), f"a finding of {what}")


def check_error(exc: FatalError, what: str) -> None:
    """An error's text as the CLI prints it (through its scrubber)."""
    from nsecguard.cli import scrub

    check_text(scrub(str(exc)), f"the error of {what}")


def engine(data: bytes) -> None:
    text = plant(data)
    check_findings(scan_text(text), "scan_text")
    check_findings(scan_bytes(text.encode("utf-8", "surrogatepass")), "scan_bytes")


def sanitize(data: bytes) -> None:
    from nsecguard.sanitizer import sanitize_report

    text = plant(data)
    safe, findings = sanitize_report(text)
    check_findings(findings, "sanitize")
    again = scan_text(safe)
    if again:
        raise AssertionError(f"scan_text(sanitize(x)) found {len(again)}: {again[0].kind}")
    if any(f.npub == KEY.npub for f in findings):  # found: no spelling of it may stay
        low = safe.lower()
        if KEY.hex in low or KEY.nsec in low:
            raise AssertionError("a found key stayed in the sanitized text")


def config(data: bytes) -> None:
    from nsecguard.config import load_file, parse

    text = plant(data)
    with tempfile.TemporaryDirectory() as tmp:
        for name in (".nsecguard.toml", "pyproject.toml"):
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
                fh.write(text)
            try:
                load_file(path)
            except FatalError as exc:
                check_error(exc, "load_file")
    try:
        value: Any = json.loads(data[2:].decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return
    if isinstance(value, dict):
        try:
            parse(value, "fuzz")
        except FatalError as exc:
            check_error(exc, "parse")


def git_patch(data: bytes) -> None:
    from nsecguard.sources import git

    text = plant(data).encode("utf-8", "surrogatepass")
    for record in git.records(io.BytesIO(text), block=64):
        if record.startswith(b"\x01"):
            git.parse_commit(record)
        elif record.startswith(b"diff --"):
            git.added_lines(git.parse_file(record))


def event(data: bytes) -> None:
    from nsecguard_nostr.archive import scan_partition
    from nsecguard_nostr.event import describe, scan_event
    from nsecguard_nostr.events_cmd import write_text

    text = plant(data)
    try:
        value: Any = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, dict):
        leaks = scan_event(value)
        check_text(describe(leaks), "describe(scan_event)")
        check_findings([leak.finding for leak in leaks], "scan_event")
    lines = [text.encode("utf-8", "surrogatepass"), *text.encode("utf-8", "surrogatepass").split(b"\n")]
    agg = scan_partition(lines)
    out = io.StringIO()
    write_text(agg, out, 20, None)
    check_text(out.getvalue(), "the events report")
    check_text(json.dumps(agg.to_dict()), "the events JSON report")


def relay_policy(data: bytes) -> None:
    from nsecguard_nostr.policy import Policy, PolicyConfig

    log = io.StringIO()
    answer = Policy(PolicyConfig(), log).handle(plant(data).encode("utf-8", "surrogatepass"))
    check_text(log.getvalue(), "the relay-policy log")
    if answer is not None:
        check_text(answer.decode(), "a relay-policy answer")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "engine": engine,
    "sanitize": sanitize,
    "config": config,
    "git": git_patch,
    "event": event,
    "relay-policy": relay_policy,
}

_EVENT = (
    b'{"id":"' + b"a" * 64 + b'","pubkey":"' + b"b" * 64 + b'","created_at":1700000000,"kind":1,"tags":[],'
    b'"content":"","sig":"' + b"e" * 128 + b'"}'
)
# inputs to start from: shapes each parser knows (the fuzzer mutates them)
SEEDS: dict[str, list[bytes]] = {
    "engine": [
        b"\x05\x00my NOSTR_SK=KEY\n",
        b"\x00\x80key: ",
        b"\x05\x10sk = [1, 2]\n",
        "\x02\x40é👋\u200b".encode(),
    ],
    "sanitize": [b"\x00\x80hello ", b"\x02\x00\n\n", b"\x08\x40see "],
    "config": [
        b'\x00\x00allow = ["',
        b'\x05\x00exclude = ["a"]\n[tool.nsecguard]\nx = "',
        b'\x00\x00{"allow": 5}',
    ],
    "git": [
        b"\x00\xf0\x01abc\x00name\x00mail\x00date\ndiff --git a/x b/x\n+++ b/x\n@@ -0,0 +1 @@\n+",
        b"\x02\xffdiff --cc x\n@@@ -1,1 -1,1 +1,2 @@@\n++a\n",
    ],
    "event": [
        b"\x00\x00" + _EVENT.replace(b'"content":""', b'"content":"my key KEY"'),
        b"\x03\x00" + _EVENT.replace(b'"tags":[]', b'"tags":[["KEY","x"],["p","' + b"c" * 64 + b'"]]'),
        b"\x06\x00"
        + _EVENT.replace(b'"kind":1', b'"kind":6').replace(
            b'"content":""', b'"content":"{\\"pubkey\\":\\"' + b"d" * 64 + b'\\",\\"content\\":\\"KEY\\"}"'
        ),
        b"\x01\x00"
        + _EVENT.replace(b'"kind":1', b'"kind":[]').replace(b'"tags":[]', b'"tags":[{},["t","KEY"]]'),
        b'\x00\x00["EVENT","s",' + _EVENT.replace(b'"id":"' + b"a" * 64, b'"id":"KEY') + b"]",
        b"\x02\x00" + _EVENT.replace(b'"tags":[]', b'"tags":[["description","{\\"pubkey\\":\\"KEY\\"}"]]'),
    ],
    "relay-policy": [
        b'\x00\x00{"type":"new","event":' + _EVENT.replace(b'"content":""', b'"content":"KEY"') + b"}",
        b'\x02\x00{"type":"new","sourceInfo":"KEY","event":' + _EVENT + b"}",
        b'\x00\x00{"type":"new","event":' + _EVENT.replace(b'"id":"' + b"a" * 64, b'"id":"KEY') + b"}",
        b'\x01\x00{"type":"new","event":' + _EVENT.replace(b'"tags":[]', b'"tags":[["KEY"],[{}]]') + b"}",
    ],
}


# inputs that once failed (found by fuzz/run.py), kept as regression cases (base64; no key in
# them: the key is planted at run time)
REGRESSIONS: dict[str, list[str]] = {
    # an unparsable request whose id field holds the key's hex: it was logged and echoed
    "relay-policy": [
        "egB7InR5cGUiOiJuZXciLCJldmUjdCI6eyJpZCI6IktFWSIsInB1YmtleSI6ImJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWU="
    ],
    # a quoted path with a backslash then "0" and two non-octal bytes: int(..., 8) raised
    "git": [
        "Av9kaWZmIC0g5ABkJXRlCgpkaWZmIC0tZ2kAAAAgYgAgYi8yeAorCisrKyAiL6ioqKioqKioqKioqKioqKioqKioqKioqKioqKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMAAAqKioqKioqKioqKioXDAAAKioqKioqKioqKioqFxXqCsrICIKZGlmZiAtLQ=="
    ],
}
