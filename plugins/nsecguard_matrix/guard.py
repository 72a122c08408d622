"""What the bot does with one event, as plain functions: no client, no network.

`inspect` turns an event (its JSON) into a `Leak` or None; the `*_content` functions build
what the bot posts. Nothing here ever puts a key into a message: each secret found is
swapped for its owner's `nostr:npub1...` mention, and a last pass checks the output
against the secrets themselves.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nsecguard import Finding, Options, scan_text
from nsecguard.model import Kind
from nsecguard.sanitize import replacement_for, sanitize_report

# Event types whose content people write. State events (topic, name) are left to the
# Synapse module, which refuses them before they exist.
SCANNED_TYPES = frozenset(
    {
        "m.room.message",
        "m.sticker",
        "m.reaction",
        "m.poll.start",
        "org.matrix.msc3381.poll.start",
    }
)
REDACTION_REASON = "nsecguard: removed a message holding a Nostr private key"
_TAG = re.compile(r"<[^>]*>")
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Leak:
    """An event that holds at least one key. `secrets` is internal: never log or post it."""

    room_id: str
    event_id: str
    sender: str
    msgtype: str | None
    findings: tuple[Finding, ...]
    safe_text: str
    is_edit: bool = False
    origin_ts: int = 0  # origin_server_ts, milliseconds
    secrets: frozenset[tuple[str, str]] = field(default=frozenset(), repr=False)  # (secret, replacement)

    @property
    def npubs(self) -> list[str]:
        seen: dict[str, None] = {}
        for f in self.findings:
            if f.npub is not None:
                seen.setdefault(f.npub)
        return list(seen)

    @property
    def is_notice(self) -> bool:
        """Another bot's output: redact it, but start no conversation (no loops)."""
        return self.msgtype == "m.notice"

    def describe(self) -> str:
        """For logs: kinds and npubs, never the key."""
        parts = [f"{f.kind}" + (f" of {f.npub}" if f.npub else f" [{f.fingerprint}]") for f in self.findings]
        return ", ".join(dict.fromkeys(parts))


def strings_of(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string in an event's content: bodies, formatted bodies, captions, file names,
    edits (`m.new_content`), poll answers, reaction keys. Works on immutable mappings too."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings_of(item, depth + 1)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        for item in value:
            yield from strings_of(item, depth + 1)


def html_to_text(value: str) -> str:
    """What a client shows for a formatted body: tags gone, entities decoded (so a key split
    by markup, or written with entities, is still seen)."""
    return html.unescape(_TAG.sub("", value))


def _texts(content: Mapping[str, Any]) -> list[str]:
    texts: dict[str, None] = {}
    for s in strings_of(content):
        texts.setdefault(s)
        if "<" in s or "&" in s:
            texts.setdefault(html_to_text(s))
    return list(texts)


def scan_content(content: Mapping[str, Any], options: Options) -> tuple[list[Finding], set[tuple[str, str]]]:
    """The findings in a content, and each secret with its replacement (internal use only)."""
    findings: dict[str, Finding] = {}
    secrets: set[tuple[str, str]] = set()
    for text in _texts(content):
        for f in scan_text(text, options=options):
            findings.setdefault(f.fingerprint, f)
            secret = text[f.start : f.end]
            if f.kind in (Kind.NSEC, Kind.HEX) and len(secret) >= 66 and secret[:2].lower() == "0x":
                secret = secret[2:]
            secrets.add((secret, replacement_for(f)))
    return list(findings.values()), secrets


def scrub(text: str, secrets: frozenset[tuple[str, str]] | set[tuple[str, str]]) -> str:
    """A last guard: any secret still in `text` (in any letter case) becomes its replacement."""
    for secret, replacement in secrets:
        if secret and secret.lower() in text.lower():
            text = re.sub(re.escape(secret), replacement, text, flags=re.IGNORECASE)
    return text


def displayed_text(content: Mapping[str, Any]) -> str:
    """What a reader sees: the edit's new body for an edit, the caption or body otherwise."""
    new = content.get("m.new_content")
    if isinstance(new, Mapping) and isinstance(new.get("body"), str):
        return str(new["body"])
    body = content.get("body")
    if isinstance(body, str):
        return body
    relates = content.get("m.relates_to")
    if isinstance(relates, Mapping) and isinstance(relates.get("key"), str):
        return str(relates["key"])  # a reaction
    return "\n".join(s for s in strings_of(content) if " " in s)


def inspect(room_id: str, event: Mapping[str, Any], options: Options) -> Leak | None:
    """The leak in one event's JSON, or None. Malformed events give None, never an error."""
    if not isinstance(event, Mapping) or event.get("type") not in SCANNED_TYPES:
        return None
    content = event.get("content")
    event_id = event.get("event_id")
    sender = event.get("sender")
    if not isinstance(content, Mapping) or not isinstance(event_id, str) or not isinstance(sender, str):
        return None
    findings, secrets = scan_content(content, options)
    if not findings:
        return None
    frozen = frozenset(secrets)
    safe = scrub(sanitize_report(displayed_text(content), options=options).text, frozen)
    msgtype = content.get("msgtype")
    new = content.get("m.new_content")
    if isinstance(new, Mapping) and isinstance(new.get("msgtype"), str):
        msgtype = new.get("msgtype")
    return Leak(
        room_id=room_id,
        event_id=event_id,
        sender=sender,
        msgtype=msgtype if isinstance(msgtype, str) else None,
        findings=tuple(findings),
        safe_text=safe,
        is_edit=isinstance(new, Mapping),
        origin_ts=ts if isinstance(ts := event.get("origin_server_ts"), int) else 0,
        secrets=frozen,
    )


def matrix_to(user_id: str) -> str:
    return f"https://matrix.to/#/{user_id}"


def _pill(user_id: str, name: str | None) -> str:
    return f'<a href="{html.escape(matrix_to(user_id))}">{html.escape(name or user_id)}</a>'


def _html_lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.split("\n"))


def safe_copy_content(leaks: Sequence[Leak], names: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """The m.notice that takes the removed messages' place (one, or several removed within a
    moment of each other): who wrote each, and what, with every key replaced by its owner's
    npub mention."""
    names = names or {}
    lines: list[str] = []
    parts: list[str] = []
    for leak in leaks:
        name = names.get(leak.sender) or leak.sender
        what = "an edit holding a Nostr private key" if leak.is_edit else "a Nostr private key"
        lines.append(
            f"{name} ({leak.sender}) posted {what}; the message was removed. "
            "What they wrote, without the key:"
        )
        lines.append(_quote(leak.safe_text))
        parts.append(
            f"<p>{_pill(leak.sender, name)} posted {what}; the message was removed. "
            f"What they wrote, without the key:</p><blockquote>{_html_lines(leak.safe_text)}</blockquote>"
        )
    secrets = frozenset().union(*(leak.secrets for leak in leaks))
    return {
        "msgtype": "m.notice",
        "body": scrub("\n".join(lines), secrets),
        "format": "org.matrix.custom.html",
        "formatted_body": scrub("".join(parts), secrets),
        "m.mentions": {"user_ids": list(dict.fromkeys(leak.sender for leak in leaks))},
    }


DEFAULT_ADVICE = (
    "That key is compromised for good, even though the message is gone: servers, "
    "notifications, bridges and other people's devices may keep copies. "
    "Create a new key now, move your profile and follows to it, and tell your followers. "
    "Never paste a private key (nsec or hex) anywhere: no app, person or support chat needs it."
)


def warning_content(leaks: Sequence[Leak], *, redacted: bool, advice: str | None = None) -> dict[str, Any]:
    """The direct message to whoever posted a key (one sender's leaks, in one room)."""
    first_leak = leaks[0]
    npubs = list(dict.fromkeys(n for leak in leaks for n in leak.npubs))
    owner = ", ".join(npubs) if npubs else "an unknown account (the secret has no public key)"
    kinds = sorted({f.kind for leak in leaks for f in leak.findings}, key=str)
    what = " and ".join(_KIND_WORDS.get(k, str(k)) for k in kinds)
    count = "a message" if len(leaks) == 1 else f"{len(leaks)} messages"
    if redacted:
        first = f"You posted {what} in {first_leak.room_id}; I removed {'it' if len(leaks) == 1 else 'them'}."
    else:
        first = (
            f"You posted {count} holding {what} in {first_leak.room_id}, and I could not remove "
            f"{'it' if len(leaks) == 1 else 'them'}: I lack the power to redact there. "
            "Delete it yourself now, or ask a room admin to."
        )
    heading = "It belongs to" if len(npubs) <= 1 else "They belong to"
    lines = [first, f"{heading}: {owner}.", advice or DEFAULT_ADVICE]
    body = "\n\n".join(lines)
    formatted = "".join(f"<p>{_html_lines(line)}</p>" for line in lines)
    secrets = frozenset().union(*(leak.secrets for leak in leaks))
    return {
        "msgtype": "m.notice",
        "body": scrub(body, secrets),
        "format": "org.matrix.custom.html",
        "formatted_body": scrub(formatted, secrets),
    }


_KIND_WORDS = {
    Kind.NSEC: "a Nostr private key (nsec)",
    Kind.HEX: "a Nostr private key (hex)",
    Kind.NCRYPTSEC: "an encrypted Nostr private key (ncryptsec)",
    Kind.BUNKER: "a remote-signer secret (bunker://)",
    Kind.NOSTRCONNECT: "a remote-signer secret (nostrconnect://)",
    Kind.NWC: "a wallet-connect secret (nostr+walletconnect://)",
}


def no_power_content(leak: Leak, *, needed: int | None, have: int | None) -> dict[str, Any]:
    """Said in the room when a redaction was refused (no key, no quote)."""
    owner = ", ".join(leak.npubs) or "an account"
    level = f" (it needs power level {needed}, and has {have})" if needed is not None else ""
    body = (
        f"{leak.sender}'s message holds a Nostr private key of {owner}, and nsecguard cannot remove "
        f"it{level}. Room moderators: delete it now. Its owner should treat the key as compromised."
    )
    return {"msgtype": "m.notice", "body": body, "m.mentions": {"user_ids": [leak.sender]}}


def admin_content(bot: str, admins: Sequence[str], *, needed: int, have: int) -> dict[str, Any]:
    """Said once on joining a room where the bot cannot redact."""
    body = (
        f"nsecguard ({bot}) removes Nostr private keys posted here, but it has power level {have} "
        f"and redacting other people's messages needs {needed}. An admin, please give it power "
        f"level {needed} (it needs nothing more)."
    )
    people = ", ".join(_pill(a, None) for a in admins)
    formatted = html.escape(body) + (f"<br>Admins: {people}" if admins else "")
    if admins:
        body += " Admins: " + ", ".join(admins)
    return {
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        "m.mentions": {"user_ids": list(admins)},
    }
