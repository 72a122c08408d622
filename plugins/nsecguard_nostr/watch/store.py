"""The sentinel's memory: an SQLite file holding npubs, fingerprints, event ids, relay URLs and
times. Never a key: the values written here come from findings (which name a key by its npub)
and from event metadata.

Tables: `sightings` (a key seen in an event on a relay), `warnings` (one row per message sent:
at most one per leaked key and recipient), `deletions` (kind-5 requests published), `cursors`
(per relay, the time up to which it was watched: the `since` of the next backfill).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from nsecguard.errors import FatalError

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sightings (
    npub TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_kind INTEGER NOT NULL,
    author TEXT NOT NULL,
    own INTEGER NOT NULL,
    location TEXT NOT NULL,
    relay TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (npub, event_id)
);
CREATE TABLE IF NOT EXISTS warnings (
    about TEXT NOT NULL,
    recipient TEXT NOT NULL,
    event_id TEXT NOT NULL,
    wrap_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (about, recipient)
);
CREATE TABLE IF NOT EXISTS deletions (
    event_id TEXT PRIMARY KEY,
    npub TEXT NOT NULL,
    request_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (relay TEXT PRIMARY KEY, watched_until INTEGER NOT NULL);
"""


class Sighting(NamedTuple):
    npub: str  # the leaked key's owner
    fingerprint: str
    kind: str  # the finding's kind: nsec, hex-key, nwc-secret...
    event_id: str  # hex
    event_kind: int
    author: str  # npub of the event's author
    own: bool  # the leaked key is the author's own
    location: str  # "content", "tag t", "profile field about"...
    relay: str
    created_at: int  # the event's created_at
    seen_at: int  # when the sentinel saw it


class Store:
    """One SQLite file; every write commits at once (a crash loses nothing already done)."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise FatalError(f"no store at {self.path}")
        if create and not self.path.exists():
            try:
                # the store names victims: readable by its owner only
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as exc:
                raise FatalError(f"cannot create the store {self.path}: {exc.strerror}") from None
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            if create:
                # a write-ahead log: a commit costs no fsync of the whole file (a crash may lose
                # the last commits before a checkpoint, never corrupt the store)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(_SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            row = self.db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise FatalError(f"{self.path} is not an nsecguard store ({exc})") from None
        if row is None or row[0] != str(SCHEMA_VERSION):
            raise FatalError(f"{self.path} is not an nsecguard store (schema {row})")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # sightings
    def add_sighting(self, s: Sighting) -> bool:
        """Record a sighting; True when this (key, event) pair is new."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO sightings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*s[:6], int(s.own), *s[7:]),
        )
        return cur.rowcount == 1

    def sightings(self, npub: str) -> list[Sighting]:
        rows = self.db.execute(
            "SELECT * FROM sightings WHERE npub = ? ORDER BY seen_at, event_id", (npub,)
        ).fetchall()
        return [Sighting._make((*r[:6], bool(r[6]), *r[7:])) for r in rows]

    def has_event(self, event_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM sightings WHERE event_id = ? LIMIT 1", (event_id,)).fetchone()
        return row is not None

    # warnings
    def warned(self, about: str, recipient: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM warnings WHERE about = ? AND recipient = ?", (about, recipient)
        ).fetchone()
        return row is not None

    def add_warning(self, about: str, recipient: str, event_id: str, wrap_id: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO warnings VALUES (?, ?, ?, ?, ?)",
            (about, recipient, event_id, wrap_id, int(time.time())),
        )

    def warnings_about(self, npub: str) -> list[tuple[str, str, int]]:
        """(recipient, event id, sent at) of each warning about `npub`'s key."""
        rows = self.db.execute(
            "SELECT recipient, event_id, sent_at FROM warnings WHERE about = ? ORDER BY sent_at", (npub,)
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # deletions
    def deletion_requested(self, event_id: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM deletions WHERE event_id = ?", (event_id,)).fetchone() is not None
        )

    def add_deletion(self, event_id: str, npub: str, request_id: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO deletions VALUES (?, ?, ?, ?)",
            (event_id, npub, request_id, int(time.time())),
        )

    def deletions(self, npub: str) -> list[tuple[str, str, int]]:
        rows = self.db.execute(
            "SELECT event_id, request_id, sent_at FROM deletions WHERE npub = ? ORDER BY sent_at", (npub,)
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # cursors
    def cursor(self, relay: str) -> int | None:
        row = self.db.execute("SELECT watched_until FROM cursors WHERE relay = ?", (relay,)).fetchone()
        return None if row is None else int(row[0])

    def set_cursor(self, relay: str, watched_until: int) -> None:
        self.db.execute(
            "INSERT INTO cursors VALUES (?, ?) ON CONFLICT(relay) DO UPDATE SET watched_until = "
            "max(watched_until, excluded.watched_until)",
            (relay, watched_until),
        )

    def cursors(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self.db.execute("SELECT relay, watched_until FROM cursors")}
