"""The `secret=` of a `nostrconnect://` URI (NIP-46): a client's one-time connection token."""

from __future__ import annotations

from nsecguard.model import Confidence, Severity
from nsecguard.rules import connect
from nsecguard.rules.base import Rule, Sample

KIND = connect.NOSTRCONNECT

RULE = Rule(
    kind=KIND,
    severity=Severity.HIGH,
    title="Remote-signer connection secret (nostrconnect://, NIP-46)",
    advice="remove it and revoke the connection in your signer",
    help="The `secret=` of a `nostrconnect://` URI (NIP-46) grants a signer "
    "connection: remove it and revoke the connection in your signer.",
    chat_words="a remote-signer secret (nostrconnect://)",
    chat_advice=connect.SIGNER_CHAT_ADVICE,
    noun="a remote-signer connection secret",
    action="revoke this connection in your signer",
    detectors=(connect.DETECTOR,),
    secret_type="Nostr Remote Signer Secret (nostrconnect)",
    samples=(
        Sample(
            "nostrconnect://{pubhex}?relay=wss%3A%2F%2Fr.example&secret={token}&name=app",
            True,
            Confidence.HIGH,
        ),
        Sample("nostrconnect://{pubhex}?relay=wss://r.example&secret=${{SECRET}}", False, note="a template"),
    ),
)
