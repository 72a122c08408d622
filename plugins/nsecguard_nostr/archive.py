"""Event archives: a pure function over a partition of lines, and a merge for its results.

`scan_partition(lines)` turns any iterable of newline-delimited events (one machine's file, a
chunk of it, a Dask partition) into an `Aggregate`: per leaked key, which events exposed it and
when. `merge` is associative and commutative, so partitions can be scanned anywhere, in any
order, and combined in any tree. Neither ever holds a private key: keys are named by npub and
fingerprint.

A line is an event object, a relay message `["EVENT", <sub id>, <event>]`, or a write-policy
request `{"event": <event>}`. Duplicate events (the same id from several relays) count once.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nsecguard import rules
from nsecguard.engine import Options
from nsecguard.model import Kind
from nsecguard_nostr.event import EVERYTHING, RELAY_OPTIONS, EventFilter, checked_id, scan_event

try:
    import orjson

    _loads: Callable[[bytes | str], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

MAX_TRACKED_EVENTS = 100_000  # per key; beyond that, events are counted without de-duplication
MAX_SEEN = 2_000_000  # event ids remembered (8 bytes of a hash each) to count copies once
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2}


@dataclass
class KeyRecord:
    """Everything known about one leaked secret."""

    fingerprint: str
    npub: str | None
    pubkey: str | None
    kinds: set[str] = field(default_factory=set)
    events: dict[str, int] = field(default_factory=dict)  # exposing event id -> created_at
    own_events: set[str] = field(default_factory=set)  # ids of those the key's owner wrote
    authors: set[str] = field(default_factory=set)
    where: set[str] = field(default_factory=set)  # content, tag p, embedded event content...
    untracked: int = 0  # events beyond MAX_TRACKED_EVENTS (counted, not de-duplicated)
    first_seen: int | None = None
    last_seen: int | None = None

    def add(self, event_id: str, created_at: int | None, author: str | None, own: bool) -> None:
        if event_id in self.events:
            return
        if len(self.events) >= MAX_TRACKED_EVENTS:
            self.untracked += 1
        else:
            self.events[event_id] = created_at if created_at is not None else -1
            if own:
                self.own_events.add(event_id)
        if author:
            self.authors.add(author)
        if created_at is not None:
            self.first_seen = created_at if self.first_seen is None else min(self.first_seen, created_at)
            self.last_seen = created_at if self.last_seen is None else max(self.last_seen, created_at)

    def merge(self, other: KeyRecord) -> None:
        self.kinds |= other.kinds
        self.where |= other.where
        self.authors |= other.authors
        self.own_events |= other.own_events
        self.untracked += other.untracked
        for event_id, created_at in other.events.items():
            if event_id in self.events:
                continue
            if len(self.events) >= MAX_TRACKED_EVENTS:
                self.untracked += 1
            else:
                self.events[event_id] = created_at
        for seen in (other.first_seen, other.last_seen):
            if seen is not None:
                self.first_seen = seen if self.first_seen is None else min(self.first_seen, seen)
                self.last_seen = seen if self.last_seen is None else max(self.last_seen, seen)

    @property
    def event_count(self) -> int:
        return len(self.events) + self.untracked

    @property
    def severity(self) -> str:
        return min((rules.rule(Kind(k)).severity.value for k in self.kinds), key=_SEVERITY_ORDER.__getitem__)

    def to_dict(self, max_ids: int = 20) -> dict[str, Any]:
        ids = sorted(self.events.items(), key=lambda item: (item[1], item[0]))
        return {
            "npub": self.npub,
            "pubkey": self.pubkey,
            "fingerprint": self.fingerprint,
            "kinds": sorted(self.kinds),
            "severity": self.severity,
            "own_key": bool(self.own_events),
            "own_events": len(self.own_events),
            "events": self.event_count,
            "event_ids": [event_id for event_id, _ in ids[:max_ids]],
            "event_ids_omitted": max(0, len(ids) - max_ids) + self.untracked,
            "authors": len(self.authors),
            "where": sorted(self.where),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "first_seen_utc": _utc(self.first_seen),
            "last_seen_utc": _utc(self.last_seen),
        }


def _utc(stamp: int | None) -> str | None:
    if stamp is None or stamp < 0:
        return None
    try:
        return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def event_key(event_id: str) -> int:
    """What an aggregate remembers of an event id: 8 bytes of a hash (the same in every
    process, unlike `hash`), enough to tell copies of one event from others."""
    return int.from_bytes(hashlib.blake2b(event_id.encode("utf-8", "surrogatepass"), digest_size=8).digest())


@dataclass
class Aggregate:
    """The result of scanning some events; `merge` combines two. An event seen twice (the same
    id from several relays or files) counts once, up to MAX_SEEN distinct events; beyond, new
    events are counted without de-duplication (`uncounted`: memory stays bounded)."""

    keys: dict[str, KeyRecord] = field(default_factory=dict)  # by fingerprint
    lines: int = 0
    malformed: int = 0  # lines that are no event
    unjudged: int = 0  # events that could not be checked (reported, not fatal)
    seen: set[int] = field(default_factory=set)  # event_key of every event counted
    leaky: set[int] = field(default_factory=set)  # ... of every leaky one
    untracked: int = 0  # events beyond MAX_SEEN
    untracked_leaky: int = 0

    @property
    def events(self) -> int:
        return len(self.seen) + self.untracked

    @property
    def leaky_events(self) -> int:
        return len(self.leaky) + self.untracked_leaky

    def first_sight(self, key: int) -> bool:
        """Count an event; False when it was counted already."""
        if key in self.seen:
            return False
        if len(self.seen) >= MAX_SEEN:
            self.untracked += 1
        else:
            self.seen.add(key)
        return True

    def leaked(self, key: int) -> None:
        if len(self.leaky) >= MAX_SEEN:
            self.untracked_leaky += 1
        else:
            self.leaky.add(key)

    def merge(self, other: Aggregate) -> Aggregate:
        """Fold `other` into this one (and return it)."""
        self.lines += other.lines
        self.malformed += other.malformed
        self.unjudged += other.unjudged
        self.untracked += other.untracked
        self.untracked_leaky += other.untracked_leaky
        for key in other.seen:
            self.first_sight(key)
        for key in other.leaky - self.leaky:
            self.leaked(key)
        for fp, record in other.keys.items():
            mine = self.keys.get(fp)
            if mine is None:
                self.keys[fp] = record
            else:
                mine.merge(record)
        return self

    def sorted_keys(self) -> list[KeyRecord]:
        return sorted(
            self.keys.values(),
            key=lambda r: (_SEVERITY_ORDER[r.severity], -r.event_count, r.first_seen or 0, r.fingerprint),
        )

    def to_dict(self, max_ids: int = 20) -> dict[str, Any]:
        records = self.sorted_keys()
        return {
            "version": 1,
            "lines": self.lines,
            "events": self.events,
            "malformed_lines": self.malformed,
            "unjudged_events": self.unjudged,
            "leaky_events": self.leaky_events,
            "leaked_keys": len(records),
            "own_keys": sum(1 for r in records if r.own_events),
            "keys": [r.to_dict(max_ids) for r in records],
        }


def merge(a: Aggregate, b: Aggregate) -> Aggregate:
    """A new aggregate holding both (the inputs are left alone)."""
    return merge_all((a, b))


def merge_all(parts: Iterable[Aggregate]) -> Aggregate:
    """A new aggregate holding them all (the inputs are left alone)."""
    total = Aggregate()
    for part in parts:
        total.merge(copy.deepcopy(part))
    return total


def event_of(value: Any) -> dict[str, Any] | None:
    """The event in one parsed line, if it holds one."""
    if isinstance(value, dict):
        inner = value.get("event")
        if isinstance(inner, dict) and "id" in inner:
            value = inner
        return value if isinstance(value.get("id"), str) else None
    if isinstance(value, list) and len(value) >= 2 and value[0] == "EVENT" and isinstance(value[-1], dict):
        return event_of(value[-1])
    return None


def scan_partition(
    lines: Iterable[bytes | str],
    *,
    filt: EventFilter = EVERYTHING,
    options: Options = RELAY_OPTIONS,
) -> Aggregate:
    """Scan newline-delimited events. Pure: same lines in, same aggregate out."""
    agg = Aggregate()
    keys = agg.keys
    for line in lines:
        if not line or line.isspace():
            continue
        agg.lines += 1
        try:
            event = event_of(_loads(line))
        except ValueError:
            event = None
        if event is None:
            agg.malformed += 1
            continue
        raw_id = event["id"]
        key = event_key(raw_id)
        if not agg.first_sight(key):
            continue  # a copy of an event already counted (and scanned)
        try:
            leaks = scan_event(event, filt=filt, options=options)
        except Exception:  # one malformed event is reported, and the scan goes on
            agg.unjudged += 1
            continue
        if not leaks:
            continue
        agg.leaked(key)
        event_id = checked_id(raw_id.lower(), leaks)
        created = event.get("created_at")
        created_at = created if isinstance(created, int) and not isinstance(created, bool) else None
        author = event.get("pubkey")
        author_hex = author.lower() if isinstance(author, str) else None
        for leak in leaks:
            f = leak.finding
            record = keys.get(f.fingerprint)
            if record is None:
                record = keys[f.fingerprint] = KeyRecord(f.fingerprint, f.npub, f.pubkey)
            record.kinds.add(str(f.kind))
            record.where.add(leak.where)
            record.add(event_id, created_at, author_hex, leak.own)
    return agg


def scan_blob(blob: bytes, filt: EventFilter = EVERYTHING, options: Options = RELAY_OPTIONS) -> Aggregate:
    """`scan_partition` over a block of whole lines (what worker processes are sent)."""
    return scan_partition(blob.split(b"\n"), filt=filt, options=options)
