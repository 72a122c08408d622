"""The `secret=` of a `bunker://` URI (NIP-46): a token that opens a remote-signer connection."""

from __future__ import annotations

from nsecguard.model import Confidence
from nsecguard.rules import connect
from nsecguard.rules.base import Sample

KIND = connect.BUNKER

RULE = connect.signer_rule(
    KIND,
    "bunker",
    (
        Sample("bunker://{pubhex}?relay=wss://r.example&secret={token}", True, Confidence.HIGH),
        Sample("bunker%3A%2F%2F{pubhex}%3Frelay%3Dwss%3A%2F%2Fr%26secret%3D{token}", True, Confidence.HIGH),
        Sample("bunker://{pubhex}?relay=wss://r.example&secret=<your-secret>", False, note="a template"),
        Sample("bunker://{pubhex}?relay=wss://r.example&secret=abc123", False, note="a dummy value"),
        Sample("bunker://{pubhex}?relay=wss://r.example", False, note="no secret"),
    ),
)
