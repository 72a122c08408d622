"""What detect-secrets shows about a Nostr finding: the kind of secret and the owner's npub.

Built from the engine's finding, which never holds the key. Notes are remembered by
detect-secrets' own hash of the secret (the hash its baseline stores), so the audit front-end
can name a secret that the plugin has just found again on its line.
"""

from __future__ import annotations

from typing import NamedTuple

from nsecguard import Finding, rules


class Note(NamedTuple):
    text: str  # one line: what, whose, how sure, what to do
    label: str  # stands in for the secret where a line is shown: `<Nostr private key (nsec) of npub1...>`


_MAX_NOTES = 4096
_notes: dict[str, Note] = {}


def describe(finding: Finding) -> Note:
    text = (
        f"{finding.message} (confidence {finding.confidence}: {finding.reason}; "
        f"fingerprint {finding.fingerprint})"
    )
    owner = f"of {finding.npub}" if finding.npub else f"fingerprint {finding.fingerprint}"
    return Note(text, f"<{rules.rule(finding.kind).title} {owner}>")


def remember(secret_hash: str, note: Note) -> None:
    if len(_notes) >= _MAX_NOTES:
        _notes.clear()
    _notes[secret_hash] = note


def note_for(secret_hash: str) -> Note | None:
    return _notes.get(secret_hash)
