"""`nsecguard leaked NPUB --store FILE`: was this account's key seen leaked, and where.

Exit 1 when it was (with each event, relay and time), 0 when not, 2 on error."""

from __future__ import annotations

import json
import time
from typing import TextIO

from nsecguard import keys
from nsecguard.errors import EXIT_CLEAN, EXIT_FINDINGS, FatalError
from nsecguard_nostr.watch.sentinel import nevent, safe
from nsecguard_nostr.watch.store import Store


def parse_npub(value: str) -> str:
    """The npub of `value` (an npub, or a 64-hex public key); FatalError otherwise, without
    repeating the value (it may be a private key typed in the wrong place)."""
    text = value.strip()
    low = text.lower()
    if low.startswith("nsec1"):
        raise FatalError("that is a private key, not an npub: consider it leaked, and give the npub instead")
    if low.startswith("npub1"):
        pub = keys.npub_to_pubkey(text)
        if pub is not None:
            return keys.npub(pub)
    elif len(text) == 64:
        try:
            return keys.npub(bytes.fromhex(text))
        except ValueError:
            pass
    raise FatalError("not an npub (npub1... or a 64-hex public key)")


def _when(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def run(npub_arg: str, store_path: str, fmt: str, out: TextIO) -> int:
    npub = parse_npub(npub_arg)
    store = Store(store_path, create=False)
    try:
        sightings = store.sightings(npub)
        warnings = store.warnings_about(npub)
        deletions = store.deletions(npub)
        cursors = store.cursors()
    finally:
        store.close()
    if sightings:
        # a 64-hex given here is the public key of a key the store saw leaked: printable
        from nsecguard import output

        pub = keys.npub_to_pubkey(npub)
        if pub is not None:
            output.public(pub.hex())
    if fmt == "json":
        body = {
            "npub": npub,
            "leaked": bool(sightings),
            "sightings": [
                {
                    "event": nevent(s.event_id, s.relay, None, s.event_kind),
                    "event_id": s.event_id,
                    "event_kind": s.event_kind,
                    "kind": s.kind,
                    "fingerprint": s.fingerprint,
                    "author": s.author,
                    "own": s.own,
                    "where": s.location,
                    "relay": s.relay,
                    "created_at": s.created_at,
                    "seen_at": s.seen_at,
                }
                for s in sightings
            ],
            "warned": [{"recipient": r, "event_id": e, "sent_at": t} for r, e, t in warnings],
            "deletions": [{"event_id": e, "request_id": r, "sent_at": t} for e, r, t in deletions],
            "relays_watched": sorted(cursors),
        }
        out.write(safe(json.dumps(body, indent=2)) + "\n")
    elif sightings:
        lines = [
            f"{npub}: its private key was seen leaked in {len({s.event_id for s in sightings})} event(s)"
        ]
        for s in sightings:
            by = "by its owner" if s.own else f"by {s.author}"
            lines.append(
                f"  {nevent(s.event_id, s.relay, None, s.event_kind)}\n"
                f"    {s.kind} in the {s.location} of a kind-{s.event_kind} event {by}, "
                f"on {s.relay}, seen {_when(s.seen_at)}"
            )
        for recipient, _, sent in warnings:
            lines.append(f"  warned {recipient} at {_when(sent)}")
        for event_id, _, sent in deletions:
            lines.append(f"  deletion requested for {event_id} at {_when(sent)}")
        lines.append("This account is compromised for good: move to a new key.")
        out.write(safe("\n".join(lines)) + "\n")
    else:
        watched = ", ".join(sorted(cursors)) or "no relay yet"
        out.write(safe(f"{npub}: not seen leaked (relays watched: {watched})") + "\n")
    return EXIT_FINDINGS if sightings else EXIT_CLEAN
