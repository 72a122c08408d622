"""The `secret=` of a `nostr+walletconnect://` URI (NIP-47): a key that spends from a wallet."""

from __future__ import annotations

from nsecguard.model import Confidence, Severity
from nsecguard.rules import connect
from nsecguard.rules.base import Rule, Sample

KIND = connect.NWC

RULE = Rule(
    kind=KIND,
    severity=Severity.CRITICAL,
    title="Wallet-connect spending key (nostr+walletconnect://, NIP-47)",
    advice="remove it and revoke this connection in your wallet now",
    help="The `secret=` of a `nostr+walletconnect://` URI (NIP-47) is a key that can spend "
    "from the wallet: remove it and revoke the connection in your wallet now.",
    chat_words="a wallet-connect secret (nostr+walletconnect://)",
    chat_advice=(
        "Anyone holding that string can spend from the connected wallet. "
        "Revoke that wallet connection in your wallet now and make a new one."
    ),
    noun="a wallet-connect spending secret",
    action="revoke this connection in your wallet now",
    detectors=(connect.DETECTOR,),
    secret_type="Nostr Wallet Connect Secret",
    env_name="NOSTR_WALLET_SECRET",
    samples=(
        Sample("nostr+walletconnect://{pubhex}?relay=wss://r.example&secret={hex}", True, Confidence.CERTAIN),
        Sample(
            "NWC_URL=nostr%2Bwalletconnect%3A%2F%2F{pubhex}%3Frelay%3Dwss%3A%2F%2Fr%26secret%3D{hex}", True
        ),
        Sample(
            "nostr+walletconnect://{pubhex}?relay=wss://r.example&secret=<secret>", False, note="a template"
        ),
    ),
)
