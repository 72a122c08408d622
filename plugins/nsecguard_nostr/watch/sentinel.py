"""What the sentinel does with each event: record the leaks, decide whom to warn and what to
delete. No network here (relays.py does the sending), so the decisions are tested directly.

At most one warning per leaked key and recipient, remembered in the store across restarts;
duplicates of an event (the same event from several relays, or again after a reconnect's
backfill) are dropped by id before any scanning.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

from nsecguard import bech32, keys, rules
from nsecguard.cli import scrub
from nsecguard.engine import Options
from nsecguard_nostr.event import RELAY_OPTIONS, EventFilter, Leak
from nsecguard_nostr.watch import messages, scan
from nsecguard_nostr.watch.store import Sighting, Store

log = logging.getLogger("nsecguard.watch")

# the kinds whose finding is the account key itself (an NWC or bunker secret is not an account)
ACCOUNT_KEY_KINDS = rules.key_kinds()  # the private key itself, in any form
SEEN_MAX = 200_000  # event ids remembered in memory for de-duplication


def safe(text: str) -> str:
    """Every text this package logs or sends goes through here (the output boundary)."""
    return scrub(text)


def nevent(event_id: str, relay: str | None, author: str | None, kind: int | None) -> str:
    """NIP-19 `nevent1...`: the event id with a relay hint, the author and the kind."""
    tlv = bytearray(b"\x00\x20" + bytes.fromhex(event_id))
    if relay:
        raw = relay.encode()
        if len(raw) < 256:
            tlv += bytes([1, len(raw)]) + raw
    if author:
        tlv += b"\x02\x20" + bytes.fromhex(author)
    if kind is not None:
        tlv += b"\x03\x04" + kind.to_bytes(4, "big")
    return bech32.encode("nevent", bytes(tlv))


def note(event_id: str) -> str:
    return bech32.encode("note", bytes.fromhex(event_id))


class Message(NamedTuple):
    recipient: str  # npub
    about: str  # npub of the leaked key
    text: str


class Plan(NamedTuple):
    """What to do about one leaking event: optionally a deletion request, then messages."""

    event: Mapping[str, Any]  # the event (the deletion path takes the key back out of it)
    event_id: str
    event_kind: int
    relay: str
    delete: bool  # publish a kind-5 deletion request signed with the author's own key
    warnings: list[tuple[messages.LeakFacts, str]]  # (facts, "owner" or "author")

    def messages(self, *, deleted: bool) -> list[Message]:
        out = []
        for facts, role in self.warnings:
            if role == "owner":
                out.append(
                    Message(facts.npub, facts.npub, safe(messages.owner_warning(facts, deleted=deleted)))
                )
            else:
                out.append(Message(facts.author, facts.npub, safe(messages.author_warning(facts))))
        return out


class Sentinel:
    def __init__(
        self,
        store: Store,
        *,
        request_deletion: bool = False,
        filt: EventFilter | None = None,
        options: Options = RELAY_OPTIONS,
    ) -> None:
        self.store = store
        self.request_deletion = request_deletion
        self.filt = filt
        self.options = options
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.events = 0  # distinct events scanned
        self.duplicates = 0
        self.leaking = 0

    def is_new(self, event_id: str) -> bool:
        """False for an event already seen (from another relay, or again after a backfill)."""
        if event_id in self.seen:
            self.duplicates += 1
            return False
        self.seen[event_id] = None
        if len(self.seen) > SEEN_MAX:
            self.seen.popitem(last=False)
        return True

    def process(self, event: Mapping[str, Any], relay: str) -> Plan | None:
        """Scan one event seen on `relay`; record its leaks; return what to do, if anything."""
        event_id = event.get("id")
        if not isinstance(event_id, str) or not self.is_new(event_id):
            return None
        self.events += 1
        leaks = [
            leak for leak in scan.leaks_in(event, filt=self.filt, options=self.options) if leak.finding.npub
        ]
        if not leaks:
            return None
        return self._plan(event, event_id, relay, leaks)

    def _plan(self, event: Mapping[str, Any], event_id: str, relay: str, leaks: list[Leak]) -> Plan | None:
        self.leaking += 1
        author_hex = str(event.get("pubkey", ""))
        try:
            author = keys.npub(bytes.fromhex(author_hex))
            ref = nevent(event_id, relay, author_hex, int(event.get("kind", 1)))
        except (ValueError, TypeError, OverflowError):
            return None  # not a valid event: nothing can be signed or sent about it
        event_kind = int(event.get("kind", 1))
        created_at = event.get("created_at")
        now = int(time.time())
        warnings: list[tuple[messages.LeakFacts, str]] = []
        delete = False
        for leak in leaks:
            f = leak.finding
            npub = f.npub or ""
            self.store.add_sighting(
                Sighting(
                    npub, f.fingerprint, str(f.kind), event_id, event_kind, author, leak.own, leak.where,
                    relay, created_at if isinstance(created_at, int) else 0, now,
                )
            )  # fmt: skip
            log.warning(safe(f"leak: {f.kind} of {npub} in the {leak.where} of {note(event_id)} on {relay}"))
            if f.kind not in ACCOUNT_KEY_KINDS:
                continue
            facts = messages.LeakFacts(npub, f.kind, ref, relay, leak.where, event_kind, author, now)
            planned = {(w.npub, role) for w, role in warnings}
            if (npub, "owner") not in planned and not self.store.warned(npub, npub):
                warnings.append((facts, "owner"))
            if not leak.own and (npub, "author") not in planned and not self.store.warned(npub, author):
                warnings.append((facts, "author"))
            if leak.own and self.request_deletion and not self.store.deletion_requested(event_id):
                delete = True
        if not warnings and not delete:
            return None
        return Plan(event, event_id, event_kind, relay, delete, warnings)
