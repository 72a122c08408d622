"""`nsecguard inspect`: whose key is this? Reads one key from stdin, never from argv (argv
lands in shell history and process lists), and prints its kind and npub, never the key."""

from __future__ import annotations

import argparse
import getpass
import sys

from nsecguard import bech32, keys
from nsecguard.engine import Options, scan_text
from nsecguard.errors import EXIT_CLEAN, EXIT_FINDINGS, FatalError
from nsecguard.frontends import FrontEnd
from nsecguard.model import Confidence


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def _read_key() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Paste the key (hidden): ")
    return sys.stdin.read(1 << 20)


def describe(text: str) -> dict[str, str]:
    """What a pasted value is, without the value itself."""
    value = text.strip()
    if value.startswith("0x") or value.startswith("0X"):
        value = value[2:]
    if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
        secret = bytes.fromhex(value)
        if not keys.is_valid_secret(secret):
            raise FatalError(
                "64 hex digits, but not a valid secp256k1 private key (zero or >= the curve order)"
            )
        from nsecguard import output

        output.remember_key(secret)  # never echoed, in any spelling
        pub = keys.xonly_pubkey(secret)
        output.public(pub.hex())
        return {
            "kind": "hex-key",
            "npub": keys.npub(pub),
            "pubkey": pub.hex(),
            "fingerprint": keys.fingerprint_pubkey(pub),
        }
    lowered = value.lower()
    for hrp in ("npub", "nprofile"):
        if lowered.startswith(hrp + "1") and bech32.decode(lowered, hrp=hrp):
            return {"kind": hrp, "note": "a public identifier, not a secret: safe to share"}
    findings = scan_text(value, options=Options(min_confidence=Confidence.LOW, inline_allow=False))
    if not findings:
        raise FatalError("no Nostr private key or secret recognised in the input")
    f = findings[0]
    out = {"kind": str(f.kind), "fingerprint": f.fingerprint}
    if f.npub:
        out["npub"] = f.npub
        out["pubkey"] = f.pubkey or ""
    if f.repaired:
        out["note"] = "one character was mistyped; repaired by the checksum"
    return out


def run(args: argparse.Namespace) -> int:
    info = describe(_read_key())
    if args.json:
        import json

        print(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            print(f"{key + ':':<13}{value}")
    return EXIT_CLEAN if info["kind"] in ("npub", "nprofile") else EXIT_FINDINGS


FRONTEND = FrontEnd(
    name="inspect", help="read one key from stdin and say whose it is", configure=configure, run=run
)
