"""Matrix event content, read the way a client shows it: no client, no network.

`strings_of` walks an event's content (immutable mappings too: the Synapse module gets
those), `scan_content` finds the keys in it, `displayed_text` is what a reader sees. The
workflow and its texts live in the chat core (`nsecguard.chat`); `admin_content` is the one
Matrix-only notice (the bot lacks the power to redact).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from nsecguard import Finding, Options
from nsecguard.chat.guard import find_secrets, scrub_secrets

# Event types whose content people write. State events (topic, name) are left to the
# Synapse module, which refuses them before they exist.
_TAG = re.compile(r"<[^>]*>")
_MAX_DEPTH = 8


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
    findings, secrets = find_secrets(_texts(content), options)
    return list(findings.values()), secrets


def scrub(text: str, secrets: frozenset[tuple[str, str]] | set[tuple[str, str]]) -> str:
    """A last guard: any secret still in `text` (in any letter case) becomes its replacement."""
    return scrub_secrets(text, secrets)


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


def matrix_to(user_id: str) -> str:
    return f"https://matrix.to/#/{user_id}"


def _pill(user_id: str, name: str | None) -> str:
    return f'<a href="{html.escape(matrix_to(user_id))}">{html.escape(name or user_id)}</a>'


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
