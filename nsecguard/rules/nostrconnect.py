"""The `secret=` of a `nostrconnect://` URI (NIP-46): a client's one-time connection token."""

from __future__ import annotations

from nsecguard.model import Confidence
from nsecguard.rules import connect
from nsecguard.rules.base import Sample

KIND = connect.NOSTRCONNECT

RULE = connect.signer_rule(
    KIND,
    "nostrconnect",
    (
        Sample(
            "nostrconnect://{pubhex}?relay=wss%3A%2F%2Fr.example&secret={token}&name=app",
            True,
            Confidence.HIGH,
        ),
        Sample("nostrconnect://{pubhex}?relay=wss://r.example&secret=${{SECRET}}", False, note="a template"),
    ),
)
