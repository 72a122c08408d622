"""One Nostr event in, leaked secrets out. Pure: no I/O, no global state.

What is scanned: the content and the tag values (both filterable). What is not: the event's own
`id`, `pubkey` and `sig`, and the 64-hex values of tags that hold ids, public keys or hashes by
protocol (`e`, `p`, `a`, `q`, `x`...): deriving a public key from each of them would cost ~25 µs
apiece on every reply and contact list, for nothing. Those tags are still scanned for anything
else (an nsec pasted into a `p` tag is found). Their public keys, with the author's, are passed
to the engine as known public keys: a hex value deriving to one of them is proven a private key.

Most events hold nothing: the candidate prefilter runs once over everything to be scanned, and
the engine runs only when it fires.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from nsecguard import candidates, output
from nsecguard.engine import Options, holds_base64_text, scan_bytes
from nsecguard.model import Confidence, Finding, Kind

# tags whose 64-hex values are ids, public keys or hashes by protocol (NIP-01, 10, 18, 22, 26,
# 57, 92, 94): not scanned as hex (still scanned for nsec, URIs, and the rest of the value)
ID_TAGS = frozenset({"e", "p", "a", "q", "E", "P", "A", "Q", "x", "ox", "preimage", "delegation", "imeta"})
# tags whose 64-hex values are public keys (passed to the engine as known public keys)
PUBKEY_TAGS = frozenset({"p", "P", "delegation"})
# tags whose value may be a whole event (a zap receipt's zap request)
EMBEDDED_TAGS = frozenset({"description"})
# kinds whose content may be a whole event (NIP-18 reposts)
EMBEDDED_KINDS = frozenset({6, 16})
MAX_DEPTH = 2

_HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_HEX_BYTES = b"0123456789abcdefABCDEF"
_NAME, _VALUE = itemgetter(0), itemgetter(1)
_MANY_TAGS = 16  # a tag list this long is first asked whether it is all ID pairs (a contact list)
_SEP = b"\n\n"
_STR_OR_NONE = (str, type(None))  # (a tuple: `str | None` is built anew at each isinstance)
_LIST_OR_NONE = (list, type(None))

try:  # optional, three times faster than json
    import orjson

    _loads: Callable[[str], Any] = orjson.loads
    _dumps: Callable[[Any], bytes] | None = orjson.dumps
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads
    _dumps = None

# what an event must never get away with: no inline allow comments, no allowlist
RELAY_OPTIONS = Options(inline_allow=False)


@dataclass(frozen=True)
class EventFilter:
    """Which parts of which events to inspect."""

    kinds: frozenset[int] | None = None  # only these kinds (None: every kind)
    skip_kinds: frozenset[int] = frozenset()  # never these
    tags: frozenset[str] | None = None  # only these tag names (None: every tag)
    content: bool = True

    def inspects_kind(self, kind: object) -> bool:
        if not isinstance(kind, int) or isinstance(kind, bool):
            return True  # not a kind (a list, a dict, a string): looked at, whatever the filter
        if kind in self.skip_kinds:
            return False
        return self.kinds is None or kind in self.kinds

    def inspects_tag(self, name: str) -> bool:
        return self.tags is None or name in self.tags


EVERYTHING = EventFilter()


class Leak(NamedTuple):
    """A secret found in an event. `finding` names the key by its npub, never the key."""

    finding: Finding
    own: bool  # the leaked key is the event author's own
    where: str  # "content", "tag <name>", or "embedded event" + either


class _Parts:
    """The bytes to scan, with where each piece came from and the known public keys."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.labels: list[tuple[int, str]] = []  # (start offset, label)
        self.size = 0
        self.known: set[bytes] = set()

    def add(self, text: str, label: str) -> None:
        if not text:
            return
        data = text.encode("utf-8", "surrogatepass")
        if self.chunks:
            self.chunks.append(_SEP)
            self.size += len(_SEP)
        self.labels.append((self.size, label))
        self.chunks.append(data)
        self.size += len(data)

    def label_at(self, offset: int) -> str:
        label = self.labels[0][1] if self.labels else "content"
        for start, name in self.labels:
            if start > offset:
                break
            label = name
        return label


def _is_hex64(value: str) -> bool:
    """64 hex digits, either case. (`bytes.fromhex` skips spaces: then it gives fewer bytes.)"""
    if len(value) != 64:
        return False
    try:
        return len(bytes.fromhex(value)) == 32
    except ValueError:
        return False


def _add_pubkey(parts: _Parts, value: str) -> None:
    if _is_hex64(value):
        parts.known.add(bytes.fromhex(value))


def _collect(event: Mapping[str, Any], filt: EventFilter, parts: _Parts, depth: int, prefix: str) -> None:
    author = event.get("pubkey")
    if isinstance(author, str):
        _add_pubkey(parts, author)
    content = event.get("content")
    if filt.content and isinstance(content, str) and content:
        kind = event.get("kind")
        if not (_embeds(kind) and _embedded(content, filt, parts, depth, prefix)):
            parts.add(content, prefix + "content")
    elif filt.content and content is not None:  # not a string: every string inside it
        parts.add("\n".join(_strings(content)), prefix + "content")
    tags = event.get("tags")
    if tags is not None and not isinstance(tags, list):
        parts.add("\n".join(_strings(tags)), f"{prefix}tag {tag_label('')}")
        return
    for tag in tags or ():
        if not isinstance(tag, list) or not tag or not isinstance(tag[0], str):
            strings = _strings(tag)  # malformed (a dict, a number for a name): looked at whole
            if strings and filt.tags is None:
                parts.add("\n".join(strings), f"{prefix}tag {tag_label('')}")
            continue
        name = tag[0]
        values = [v if isinstance(v, str) else "\n".join(_strings(v)) for v in tag[1:]]
        if name in PUBKEY_TAGS and values:
            _add_pubkey(parts, values[0])
        elif name in ("a", "A") and values:  # kind:pubkey:d-tag
            _add_pubkey(parts, values[0].split(":", 2)[1] if values[0].count(":") >= 2 else "")
        if not filt.inspects_tag(name):
            continue
        label = f"{prefix}tag {tag_label(name)}"
        if name in ID_TAGS:
            values = [_HEX64.sub("", v) if len(v) >= 64 else v for v in values if not _is_hex64(v)]
        elif name in EMBEDDED_TAGS and values and _embedded(values[0], filt, parts, depth, prefix):
            values = values[1:]
        values = [v for v in values if v]
        if values:
            parts.add(name + "\t" + "\t".join(values), label)


MAX_STRINGS = 100_000  # strings gathered from one malformed value, at most


def _strings(value: object) -> list[str]:
    """Every string (and dict key) inside a JSON value, however deep, without recursion."""
    out: list[str] = []
    stack = [value]
    while stack and len(out) < MAX_STRINGS:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return out


def _embedded(text: str, filt: EventFilter, parts: _Parts, depth: int, prefix: str) -> bool:
    """Scan `text` as an event of its own, when it is one (a repost, a zap request)."""
    if depth >= MAX_DEPTH or not text.startswith("{") or '"pubkey"' not in text:
        return False
    try:
        inner = _loads(text)
    except (ValueError, RecursionError):  # orjson refuses a huge int, a lone surrogate: json may not
        try:
            inner = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested too deep: scanned as text
            return False
    if not isinstance(inner, dict) or not isinstance(inner.get("pubkey"), str):
        return False
    _collect(inner, filt, parts, depth + 1, prefix or "embedded event ")
    return True


def _gate(event: Mapping[str, Any], filt: EventFilter, out: list[str], depth: int) -> None:
    """The strings `_collect` would scan, gathered as cheaply as Python allows (no labels, no
    encoding, no public keys): the prefilter decides on them whether `_collect` runs at all.
    May keep more than `_collect` (never less): what it drops, `_collect` drops too."""
    content = event.get("content")
    tags = event.get("tags")
    if not isinstance(content, _STR_OR_NONE) or not isinstance(tags, _LIST_OR_NONE):
        raise TypeError("not a well-formed event")
    if filt.content and isinstance(content, str) and content:
        if _embeds(event.get("kind")) and content.startswith("{") and depth < MAX_DEPTH:
            _gate_embedded(content, filt, out, depth)
        else:
            out.append(content)
    if not tags or (len(tags) >= _MANY_TAGS and _only_id_pairs(tags)):
        return
    everything = filt.tags is None
    for tag in tags:
        name = tag[0]
        if not (everything or name in filt.tags):  # type: ignore[operator]
            continue
        if name not in ID_TAGS:
            if name in EMBEDDED_TAGS and depth < MAX_DEPTH and len(tag) > 1 and tag[1][:1] == "{":
                _gate_embedded(tag[1], filt, out, depth)
                out.extend(tag[2:])
            else:
                out.extend(tag)
            continue
        for value in tag[1:]:
            if len(value) == 64 and _is_hex64(value):
                continue  # an id, a pubkey, a hash, as `_collect` drops it
            if ":" in value and name in ("a", "A", "q"):  # kind:pubkey:d-tag
                head, _, rest = value.partition(":")
                out.append(head)
                pubkey, _, rest = rest.partition(":")
                if not _is_hex64(pubkey):  # (64 characters that are no hex: scanned)
                    out.append(pubkey)
                out.append(rest)
            elif name == "imeta" and (value[:2] == "x " or value[:3] == "ox "):  # a file's sha256
                field, _, digest = value.partition(" ")
                out.append(field)
                if not _is_hex64(digest):
                    out.append(digest)
            else:
                out.append(value)


def _only_id_pairs(tags: list[Any]) -> bool:
    """Is every tag a pair of an ID tag's name and 64 hex digits (a contact list's hundreds of
    `p` tags, a mute list's)? `_collect` drops every such value, so nothing in the tags is left
    to gate. Asked by C-speed maps over the whole list: the loop of `_gate` over a contact
    list's tags cost ~70 µs, these maps ~25."""
    try:
        if set(map(type, tags)) != {list}:  # a dict or a string of two items is no pair
            return False
        if set(map(len, tags)) != {2} or not ID_TAGS.issuperset(map(_NAME, tags)):
            return False
        values = list(map(_VALUE, tags))
        if set(map(len, values)) != {64}:
            return False
        joined = "".join(values)
    except (TypeError, KeyError, IndexError):  # not lists of strings: the loop looks closer
        return False
    return joined.isascii() and not joined.encode("ascii").translate(None, _HEX_BYTES)


def _gate_embedded(text: str, filt: EventFilter, out: list[str], depth: int) -> None:
    try:
        inner = _loads(text)
    except (ValueError, RecursionError):
        inner = None
    if isinstance(inner, dict):
        _gate(inner, filt, out, depth + 1)
    else:
        out.append(text)


def scan_event(
    event: Mapping[str, Any],
    *,
    filt: EventFilter = EVERYTHING,
    options: Options = RELAY_OPTIONS,
) -> list[Leak]:
    """The secrets in one event (a parsed NIP-01 event object), most severe first."""
    if filt is not EVERYTHING and not filt.inspects_kind(event.get("kind")):
        return []
    gate: list[str] = []
    try:
        _gate(event, filt, gate, 0)
        quick = "\n".join(gate).encode("utf-8", "surrogatepass")
    except (TypeError, IndexError, KeyError, AttributeError, ValueError):  # not well-formed: look closely
        quick = None
    if quick is not None and not candidates.gate(quick) & candidates.secret_bits():
        return []  # most events; an npub mention alone holds no secret (tags give the known keys)
    parts = _Parts()
    _collect(event, filt, parts, 0, "")
    if not parts.chunks:
        return []
    data = b"".join(parts.chunks)
    secret = candidates.gate(data) & candidates.secret_bits()
    if not secret or (secret == candidates.BASE64 and not holds_base64_text(data)):
        return []
    findings = scan_bytes(data, path="event", options=options, known_pubkeys=parts.known)
    author = event.get("pubkey")
    author_hex = author.lower() if isinstance(author, str) else None
    leaks = [
        Leak(f, f.pubkey is not None and f.pubkey == author_hex, parts.label_at(f.start))
        for f in findings
        if not _uri_host(data, f)
    ]
    leaks.sort(key=lambda leak: (-leak.finding.confidence, not leak.own, leak.finding.start))
    return leaks


def _embeds(kind: object) -> bool:
    """Is `kind` one whose content may be a whole event? (False for a kind that is no int.)"""
    return isinstance(kind, int) and kind in EMBEDDED_KINDS


_TAG_NAME = re.compile(r"[A-Za-z0-9_-]{1,15}")


def tag_label(name: str) -> str:
    """A tag's name as it may be printed: a short plain word, as every NIP's tag names are.
    Anything else (a key pasted as a tag name, control characters) is not repeated."""
    return name if _TAG_NAME.fullmatch(name) else "(unusual name)"


def checked_id(event_id: object, leaks: Iterable[Leak] = ()) -> str:
    """An event id as it may be printed: 64 lowercase hex, not a secret this run has seen
    (the output boundary's check), and not one of the leaked private keys themselves (an id
    is public; a key sent as an id is not); else a placeholder."""
    checked = output.checked_id(event_id, "event")
    if checked == output.INVALID_ID or not isinstance(event_id, str):
        return INVALID_ID
    pubkeys = {leak.finding.pubkey for leak in leaks if leak.finding.pubkey is not None} if leaks else None
    if pubkeys:
        from nsecguard import keys

        value = bytes.fromhex(event_id)
        if keys.is_valid_secret(value) and keys.xonly_pubkey(value).hex() in pubkeys:
            output.remember(event_id)
            return INVALID_ID
    return event_id


def event_hash(event: Mapping[str, Any]) -> str | None:
    """The NIP-01 id of an event (sha256 of its canonical serialization), or None when its
    fields are not of the types that serialization needs."""
    body = _serialized(event)
    return None if body is None else hashlib.sha256(body).hexdigest()


def has_its_own_id(event: Mapping[str, Any], event_id: str) -> bool:
    """Is `event_id` the NIP-01 hash of `event`? (Then it is no key anyone chose.) orjson writes
    the canonical serialization for almost every event at a third of json's cost; where it
    writes it otherwise (or cannot), json decides, as `event_hash` does."""
    if _dumps is not None:
        try:
            fields = _fields(event)
            if fields is not None and hashlib.sha256(_dumps(fields)).hexdigest() == event_id:
                return True
        except (TypeError, ValueError):  # orjson.JSONEncodeError: a huge int, a lone surrogate
            pass
    return event_hash(event) == event_id


def _fields(event: Mapping[str, Any]) -> list[Any] | None:
    pubkey, created_at, kind = event.get("pubkey"), event.get("created_at"), event.get("kind")
    tags, content = event.get("tags"), event.get("content")
    if not (isinstance(pubkey, str) and isinstance(created_at, int) and isinstance(kind, int)):
        return None
    if not (isinstance(tags, list) and isinstance(content, str)):
        return None
    return [0, pubkey, created_at, kind, tags, content]


def _serialized(event: Mapping[str, Any]) -> bytes | None:
    fields = _fields(event)
    if fields is None:
        return None
    try:
        body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return body.encode("utf-8", "surrogatepass")


INVALID_ID = "<invalid id>"


def _uri_host(data: bytes, f: Finding) -> bool:
    """A hex value right after `scheme://` is the public key of a signer or wallet service
    (NIP-46, NIP-47), never a private key: the engine judges it by the scheme name alone."""
    if f.kind is not Kind.HEX or f.confidence >= Confidence.CERTAIN:
        return False
    return data[max(0, f.start - 3) : f.start] == b"://"


def parse_kinds(text: str) -> frozenset[int]:
    """`1,0,30000-30100` as a set of kinds; raises ValueError with a readable message."""
    out: set[int] = set()
    for item in text.replace(" ", "").split(","):
        if not item:
            continue
        low, sep, high = item.partition("-")
        try:
            if sep:
                out.update(range(int(low), int(high) + 1))
            else:
                out.add(int(item))
        except ValueError:
            raise ValueError(f"not a kind or range of kinds: {item!r}") from None
    return frozenset(out)


def parse_tags(text: str) -> frozenset[str]:
    return frozenset(t for t in text.replace(" ", "").split(",") if t and t != "none")


def describe(leaks: Iterable[Leak]) -> str:
    """One line for a log: kinds and npubs, never a key."""
    return "; ".join(
        f"{leak.finding.kind} of {leak.finding.npub or 'no public key'}"
        + (" (the author's own)" if leak.own else "")
        + f" in {leak.where}"
        for leak in leaks
    )
