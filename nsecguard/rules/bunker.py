"""The `secret=` of a `bunker://` URI (NIP-46): a token that opens a remote-signer connection."""

from __future__ import annotations

from nsecguard.model import Confidence, Severity
from nsecguard.rules import connect
from nsecguard.rules.base import Rule, Sample

KIND = connect.BUNKER

RULE = Rule(
    kind=KIND,
    severity=Severity.HIGH,
    title="Remote-signer connection secret (bunker://, NIP-46)",
    advice="remove it and revoke the connection in your signer",
    help="The `secret=` of a `bunker://` remote-signer URI (NIP-46) grants a signer "
    "connection: remove it and revoke the connection in your signer.",
    chat_words="a remote-signer secret (bunker://)",
    chat_advice=connect.SIGNER_CHAT_ADVICE,
    noun="a remote-signer connection secret",
    action="revoke this connection in your signer",
    detectors=(connect.DETECTOR,),
    secret_type="Nostr Remote Signer Secret (bunker)",
    samples=(
        Sample("bunker://{pubhex}?relay=wss://r.example&secret={token}", True, Confidence.HIGH),
        Sample("bunker%3A%2F%2F{pubhex}%3Frelay%3Dwss%3A%2F%2Fr%26secret%3D{token}", True, Confidence.HIGH),
        Sample("bunker://{pubhex}?relay=wss://r.example&secret=<your-secret>", False, note="a template"),
        Sample("bunker://{pubhex}?relay=wss://r.example&secret=abc123", False, note="a dummy value"),
        Sample("bunker://{pubhex}?relay=wss://r.example", False, note="no secret"),
    ),
)
