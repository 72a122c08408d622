"""Which keys an event leaks, as the sentinel sees it.

`leaks_in` reuses `nsecguard_nostr.event.scan_event` and adds the kind-0 rule: a profile's
content is JSON, and each field (name, about, nip05, lud16, website...) is scanned on its own,
so a key pasted into `about` is reported as "profile field about" and a key whose JSON escaping
(`\\u006e`...) hides it from a raw scan is still found.

`own_secret` is the one place the sentinel handles a private key: the author's own key, taken
back out of the event text so a deletion request can be signed with it. It returns the key as
bytes to its caller (the deletion code path), which must sign and drop it; nothing here logs,
stores or formats it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from nsecguard import bech32, keys
from nsecguard.engine import Options
from nsecguard_nostr.event import RELAY_OPTIONS, EventFilter, Leak, scan_event

# NIP-01 kinds a sentinel watches by default: profiles, notes, reposts (6, 16), channel
# messages (42), group chat (9), comments (1111), long-form (30023)
DEFAULT_KINDS = frozenset({0, 1, 6, 16, 42, 9, 1111, 30023})
PROFILE_PREFIX = "profile field "
# each profile field rides in a tag of its own, named by its index (tag names are printed only
# when they are short plain words: the output boundary's rule), and is relabelled after
_PROFILE_TAG = "nsgprofile"

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\u00ad\ufeff]")
_NSEC = re.compile(r"(?i)nsec1[0-9a-z\u200b\u200c\u200d\u2060\u00ad\ufeff]{58,80}")
_HEX = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


def _profile_fields(content: str) -> list[tuple[str, str]] | None:
    """(field, value) of a kind-0 profile's JSON, nested values flattened; None when it is not
    a JSON object."""
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields: list[tuple[str, str]] = []

    def walk(name: str, value: Any) -> None:
        if isinstance(value, str):
            fields.append((name, value))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{name}.{k}", v)
        elif isinstance(value, list):
            for v in value:
                walk(name, v)

    for key, value in data.items():
        walk(str(key), value)
    return fields


def _profile_view(event: Mapping[str, Any], fields: list[tuple[str, str]]) -> dict[str, Any]:
    """The profile as an event whose content is empty and whose tags carry the fields."""
    tags = event.get("tags")
    view = dict(event)
    view["content"] = ""
    view["tags"] = [
        *(tags if isinstance(tags, list) else []),
        *([f"{_PROFILE_TAG}{i}", v] for i, (_, v) in enumerate(fields)),
    ]
    return view


def leaks_in(
    event: Mapping[str, Any], *, filt: EventFilter | None = None, options: Options = RELAY_OPTIONS
) -> list[Leak]:
    """The secrets one event leaks (content, tags, and for kind 0 each profile field)."""
    kw = {"filt": filt} if filt is not None else {}
    content = event.get("content")
    if event.get("kind") == 0 and isinstance(content, str) and content:
        fields = _profile_fields(content)
        if fields is not None:
            leaks = scan_event(_profile_view(event, fields), options=options, **kw)
            return [_relabel(leak, [k for k, _ in fields]) for leak in leaks]
    return scan_event(event, options=options, **kw)


def _relabel(leak: Leak, names: list[str]) -> Leak:
    where = leak.where
    head, found, index = where.partition("tag " + _PROFILE_TAG)
    if found and index.isdigit() and int(index) < len(names):
        where = head + PROFILE_PREFIX + names[int(index)]
    return leak._replace(where=where)


def _texts(event: Mapping[str, Any]) -> Iterator[str]:
    content = event.get("content")
    if isinstance(content, str):
        yield content
        if event.get("kind") == 0:
            yield from (v for _, v in _profile_fields(content) or ())
    tags = event.get("tags")
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, list):
                yield from (v for v in tag if isinstance(v, str))


def own_secret(event: Mapping[str, Any]) -> bytes | None:
    """The author's own private key, when the event's text holds it as an nsec or 64-hex value
    (the forms a deletion can be signed from); None otherwise. For the deletion path only."""
    author = event.get("pubkey")
    if not isinstance(author, str):
        return None
    try:
        target = bytes.fromhex(author)
    except ValueError:
        return None
    for text in _texts(event):
        for m in _NSEC.finditer(text):
            token = _INVISIBLE.sub("", m.group())[:63]
            decoded = bech32.decode(token, repair=True, hrp="nsec")
            if decoded is not None and _matches(decoded.data, target):
                return decoded.data
        for m in _HEX.finditer(text):
            value = bytes.fromhex(m.group())
            if _matches(value, target):
                return value
    return None


def _matches(secret: bytes, pubkey: bytes) -> bool:
    return keys.is_valid_secret(secret) and keys.xonly_pubkey(secret) == pubkey
