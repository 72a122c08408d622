"""The compose-time guard: a client calls it on a draft before signing. Pure: no I/O, no nostr-sdk.

`check_draft` finds every secret in a draft note (content and tags) or a kind-0 profile (field by
field), swaps each key for its owner's `nostr:npub1...` mention (as Damus and Amethyst do), says
whether the key is the logged-in user's own, and writes the stern warning to show. A client gets
the safe draft and the warning in one call; what it does with them (block, ask, or post the safe
draft) is its choice. `check_login_field` guards the fields where an npub belongs.

Nothing returned holds a private key: keys are named by npub, and every text built from user input
passes through `_scrub`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal, NamedTuple

from nsecguard import bech32, keys, rules
from nsecguard.engine import Options, scan_text
from nsecguard.model import Confidence, Finding, Kind, Severity
from nsecguard.sanitizer import replacement_for

# a draft never gets to keep a key: no inline `nsecguard: allow`, no allowlist
COMPOSE_OPTIONS = Options(inline_allow=False)
PROFILE_KIND = 0
# tags whose first value is a public key in hex (NIP-01, 26): a key pasted there becomes that hex
PUBKEY_TAGS = frozenset({"p", "P", "delegation"})
_ABSORBED_PREFIXES = ("nostr:", "@")  # `nostr:nsec1...` becomes `nostr:npub1...`, not `nostr:nostr:`
_HEX64 = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
_SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2}


def _scrub(text: str) -> str:
    """Every text this module builds from user input goes out through here (the output boundary)."""
    from nsecguard.cli import scrub

    return scrub(text)


class DraftFinding(NamedTuple):
    """One secret in a draft. `finding` names the key by its npub, never the key."""

    finding: Finding
    where: str  # "content", "tag <name>", or "profile field <name>"
    field: str | None  # the kind-0 profile field (`about`, `links[0]`...), else None
    own: bool  # the key is the logged-in user's own

    @property
    def is_private_key(self) -> bool:
        return self.finding.kind in rules.key_kinds()


class DraftCheck(NamedTuple):
    findings: list[DraftFinding]  # most serious first
    content: str  # the safe content: every key swapped for its `nostr:npub1...` mention
    tags: list[list[str]]  # the safe tags (same order, same shape)
    p_tags: list[list[str]]  # `["p", <hex>]` for each mentioned account not tagged yet (as Damus adds)
    warning: str | None  # the stern warning to show, None when clean

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def own_key(self) -> bool:
        """The draft holds the logged-in user's own private key."""
        return any(f.own and f.is_private_key for f in self.findings)

    @property
    def safe_tags(self) -> list[list[str]]:
        """The tags to sign: the safe tags and the suggested `p` tags."""
        return self.tags + self.p_tags


def parse_pubkey(value: str | bytes | None) -> bytes | None:
    """A public key given as 32 bytes, 64 hex or an npub; raises ValueError on anything else."""
    if value is None:
        return None
    if isinstance(value, bytes):
        if len(value) != 32:
            raise ValueError("a public key is 32 bytes")
        return value
    text = value.strip()
    if text.lower().startswith("npub1"):
        pub = keys.npub_to_pubkey(text.lower())
        if pub is None:
            raise ValueError("not a valid npub (bad checksum or length)")
        return pub
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    raise ValueError("a public key is an npub1... or 64 hex characters")


def _swap(text: str, findings: Sequence[Finding], *, pubkey_tag: bool = False) -> str:
    """`text` with each finding replaced: a key by its owner's mention (or, filling a whole `p` tag
    value, by its public key in hex), any other secret by a placeholder."""
    out: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        start = f.start
        if pubkey_tag and f.pubkey is not None and text[:start].strip() == "" and text[f.end :].strip() == "":
            return f.pubkey
        if f.kind in rules.key_kinds():
            for prefix in _ABSORBED_PREFIXES:
                if text[max(0, start - len(prefix)) : start].lower() == prefix:
                    start -= len(prefix)
                    break
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(replacement_for(f))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


class _Scanner:
    def __init__(self, user: bytes | None, known: set[bytes], options: Options) -> None:
        self.user_hex = user.hex() if user is not None else None
        self.known = known
        self.options = options
        self.found: list[DraftFinding] = []

    def text(self, value: str, where: str, field: str | None = None, *, pubkey_tag: bool = False) -> str:
        if not value:
            return value
        findings = scan_text(value, path="draft", options=self.options, known_pubkeys=self.known)
        if not findings:
            return value
        for f in findings:
            own = self.user_hex is not None and f.pubkey == self.user_hex
            self.found.append(DraftFinding(f, where, field, own))
        return _swap(value, findings, pubkey_tag=pubkey_tag)

    def profile(self, value: Any, path: str) -> Any:
        """The profile JSON with every string field checked, each finding naming its field."""
        if isinstance(value, str):
            label = _scrub(path)
            return self.text(value, f"profile field {label}", label)
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                safe_key = self.text(key, "profile field name", _scrub(path) or None)
                out[safe_key] = self.profile(item, f"{path}.{safe_key}" if path else safe_key)
            return out
        if isinstance(value, list):
            return [self.profile(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value


def _known_pubkeys(user: bytes | None, tags: Iterable[Sequence[str]]) -> set[bytes]:
    known = {user} if user is not None else set()
    for tag in tags:
        if len(tag) > 1 and tag[0] in PUBKEY_TAGS and len(tag[1]) == 64:
            with contextlib.suppress(ValueError):
                known.add(bytes.fromhex(tag[1]))
    return known


def _rank(f: DraftFinding) -> tuple[int, bool, bool, int]:
    return (
        _SEVERITY_RANK[f.finding.severity],
        not f.own,
        f.finding.confidence < Confidence.CERTAIN,
        f.finding.start,
    )


def check_draft(
    content: str,
    tags: Sequence[Sequence[str]] = (),
    kind: int = 1,
    user_pubkey: str | bytes | None = None,
    *,
    options: Options = COMPOSE_OPTIONS,
) -> DraftCheck:
    """Check a draft before it is signed. `user_pubkey` (npub, hex or bytes) is the logged-in
    account: a key of its own is told apart from someone else's. Raises ValueError on a bad
    `user_pubkey` (the message never quotes it)."""
    user = parse_pubkey(user_pubkey)
    tag_lists = [[str(v) for v in tag] for tag in tags]
    scanner = _Scanner(user, _known_pubkeys(user, tag_lists), options)
    safe_content = content
    if kind == PROFILE_KIND and content.lstrip().startswith("{"):
        try:
            profile = json.loads(content)
        except ValueError:
            profile = None
        if isinstance(profile, dict):
            safe_profile = scanner.profile(profile, "")
            if scanner.found:
                safe_content = json.dumps(safe_profile, ensure_ascii=False, separators=(",", ":"))
        else:
            safe_content = scanner.text(content, "content")
    else:
        safe_content = scanner.text(content, "content")
    safe_tags: list[list[str]] = []
    for tag in tag_lists:
        if not tag:
            safe_tags.append([])
            continue
        name = _scrub(tag[0])
        safe = [scanner.text(tag[0], "tag name")]
        for i, value in enumerate(tag[1:], start=1):
            safe.append(scanner.text(value, f"tag {name}", pubkey_tag=i == 1 and tag[0] in PUBKEY_TAGS))
        safe_tags.append(safe)
    findings = sorted(scanner.found, key=_rank)
    p_tags = [] if kind == PROFILE_KIND else _p_tags(findings, safe_tags)
    return DraftCheck(
        findings,
        safe_content,
        safe_tags,
        p_tags,
        warning(findings, user_known=user is not None) if findings else None,
    )


def _p_tags(findings: Iterable[DraftFinding], tags: Sequence[Sequence[str]]) -> list[list[str]]:
    tagged = {t[1].lower() for t in tags if len(t) > 1 and t[0] == "p"}
    out: list[list[str]] = []
    for f in findings:
        pub = f.finding.pubkey
        if pub is not None and f.is_private_key and pub not in tagged:
            tagged.add(pub)
            out.append(["p", pub])
    return out


# ---- the warning ---------------------------------------------------------------------------------

_PERMANENT = (
    "A Nostr key cannot be changed or revoked, and whatever reaches a relay is copied to other relays "
    "and archives that no one can make forget it."
)


def _place(f: DraftFinding) -> str:
    if f.field is not None:
        return f'Your profile field "{f.field}" contains'
    if f.where == "content":
        return "This draft contains"
    return f"This draft's {f.where} contains"


def _key_warning(f: DraftFinding, user_known: bool) -> str:
    npub = f.finding.npub
    place = _place(f)
    if f.own:
        return (
            f"STOP: {place} YOUR OWN PRIVATE KEY. Anyone who sees it can post as you, read your "
            f"private messages and take over your account for good. {_PERMANENT} It has been "
            f"replaced with your public key (nostr:{npub}), which is safe to share. If you have ever "
            "posted or pasted this key anywhere (a note, a profile, a chat, a screenshot), treat the "
            "account as compromised: create a new key, announce the move from both accounts, and "
            "stop using this one."
        )
    whose = f"the private key of another account ({npub})" if user_known else f"a private key (of {npub})"
    if_yours = "" if user_known else " If it is yours, your account is at stake."
    return (
        f"STOP: {place} {whose}. Publishing it hands that account to everyone who reads it, for "
        f"good: they can post as its owner and read the owner's private messages. {_PERMANENT} "
        f"It has been replaced with a mention of that account (nostr:{npub}).{if_yours} Do not post "
        "the key anywhere; tell the owner privately that it is exposed so they can move to a new key."
    )


def _secret_warning(f: DraftFinding) -> str:
    place = _place(f)
    kind = f.finding.kind
    if kind is Kind.NWC:
        return (
            f"STOP: {place} a wallet-connect secret (nostr+walletconnect://): anyone who reads it can "
            "spend from the connected wallet. It has been removed. If it was ever shared, revoke this "
            "connection in your wallet now."
        )
    if kind is Kind.NCRYPTSEC:
        return (
            f"STOP: {place} an encrypted private key (ncryptsec). Once published, anyone can try "
            "passwords against it offline, for as long as they like. It has been removed. If its "
            "password is not long and random, move to a new key."
        )
    if kind not in (Kind.BUNKER, Kind.NOSTRCONNECT):  # a kind added since: its rule's words
        rule = rules.rule(kind)
        return f"STOP: {place} {rule.chat_words}. It has been removed. {rule.chat_advice}"
    return (
        f"STOP: {place} a remote-signer connection secret (bunker:// or nostrconnect://): whoever "
        "reads it may connect to your signer and sign as you. It has been removed. Revoke this "
        "connection in your signer app."
    )


def warning(findings: Sequence[DraftFinding], *, user_known: bool) -> str:
    """The warning for the most serious finding, counting the others. Names keys by npub only.
    `user_known`: the logged-in account was given (a key not its own is someone else's)."""
    first = findings[0]
    text = _key_warning(first, user_known) if first.is_private_key else _secret_warning(first)
    others = len({f.finding.fingerprint for f in findings} - {first.finding.fingerprint})
    if others:
        text += f" The draft holds {others} more secret{'s' if others > 1 else ''}: each was replaced too."
    return text


# ---- the login field -----------------------------------------------------------------------------

Expects = Literal["npub", "nip05", "any"]


class LoginCheck(NamedTuple):
    leak: bool  # a secret was typed: never submit it, never show it
    ok: bool  # the text is what the field expects (an npub, a NIP-05 address...)
    kind: str  # what was typed: npub, nprofile, nip05, hex-pubkey, hex-ambiguous, nsec, hex-key, ...
    message: str | None  # what to tell the user (what it is, what to type instead)
    suggestion: str | None = None  # the npub to type instead, where it is known (public)


_NIP05 = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_EXPECTED = {"npub": "your public key (npub1...)", "nip05": "a NIP-05 address (name@domain)", "any": ""}


def _is_xonly_point(data: bytes) -> bool:
    """Whether 32 bytes can be a Nostr public key (the x coordinate of a curve point)."""
    p = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
    x = int.from_bytes(data, "big")
    if x >= p:
        return False
    y2 = (pow(x, 3, p) + 7) % p
    return pow(y2, (p - 1) // 2, p) in (0, 1)


def _login_secret(f: Finding, user_hex: str | None, expects: Expects) -> LoginCheck:
    instead = f" Type {_EXPECTED[expects]} instead" if _EXPECTED[expects] else " Do not type it here"
    if f.kind in (Kind.NSEC, Kind.HEX):
        what = "an nsec" if f.kind is Kind.NSEC else "a private key in hex"
        whose = "YOUR OWN PRIVATE KEY" if user_hex is not None and f.pubkey == user_hex else "a private key"
        npub_hint = f": {f.npub}" if expects == "npub" and f.npub else ""
        message = (
            f"This is {whose} ({what}), not a public key. Never type it into a field like this: it may "
            f"be sent to a server, logged or shown to others, and a leaked key is compromised for good."
            f"{instead}{npub_hint}."
        )
        return LoginCheck(True, False, str(f.kind), message, f.npub if expects == "npub" else None)
    title = {
        Kind.NCRYPTSEC: "an encrypted private key (ncryptsec)",
        Kind.NWC: "a wallet-connect secret that can spend from your wallet",
    }.get(f.kind, rules.rule(f.kind).noun)
    message = f"This is {title}, not a public key. Never type it into a field like this.{instead}."
    return LoginCheck(True, False, str(f.kind), message)


def check_login_field(
    text: str, expects: Expects = "npub", *, user_pubkey: str | bytes | None = None
) -> LoginCheck:
    """Check what was typed (or pasted) into a field where a public identity belongs: an npub
    field, a NIP-05 field, or any public field (`any`: a name, a search box). Warns on a private
    key or other secret and says what to type instead."""
    if expects not in _EXPECTED:
        raise ValueError(f"expects must be one of {', '.join(_EXPECTED)}")
    user = parse_pubkey(user_pubkey)
    user_hex = user.hex() if user is not None else None
    value = text.strip()
    if not value:
        return LoginCheck(False, expects == "any", "empty", None)
    options = COMPOSE_OPTIONS._replace(min_confidence=Confidence.LOW)
    findings = scan_text(value, path="field", options=options, known_pubkeys=[user] if user else [])
    if findings:
        return _login_secret(findings[0], user_hex, expects)
    hexmatch = _HEX64.fullmatch(value)
    if hexmatch is not None:
        return _login_hex(bytes.fromhex(hexmatch.group(1)), user_hex, expects)
    low = value.lower()
    nip05_hint = None if expects != "nip05" else f"This is a public key; type {_EXPECTED[expects]}."
    if low.startswith("npub1") and keys.npub_to_pubkey(low) is not None:
        return LoginCheck(False, expects != "nip05", "npub", nip05_hint)
    if low.startswith("nprofile1") and bech32.decode(low, hrp="nprofile") is not None:
        return LoginCheck(False, expects != "nip05", "nprofile", nip05_hint)
    if _NIP05.fullmatch(value):
        ok = expects in ("nip05", "any")
        return LoginCheck(
            False, ok, "nip05", None if ok else f"This is a NIP-05 address; type {_EXPECTED[expects]}."
        )
    if expects == "any":
        return LoginCheck(False, True, "text", None)
    return LoginCheck(False, False, "unknown", f"This does not look like {_EXPECTED[expects]}.")


def _login_hex(data: bytes, user_hex: str | None, expects: Expects) -> LoginCheck:
    if user_hex is not None and data.hex() == user_hex:
        npub = keys.npub(data)
        message = None if expects == "any" else f"This is your public key in hex; its npub is {npub}."
        return LoginCheck(False, expects != "nip05", "hex-pubkey", message, npub)
    instead = f" type {_EXPECTED[expects]} instead" if _EXPECTED[expects] else " do not type it here"
    if not _is_xonly_point(data):
        return LoginCheck(
            True,
            False,
            "hex-key",
            "These 64 hex characters cannot be a public key, so they are probably a private key. Never "
            f"type a private key into a field like this;{instead}.",
        )
    return LoginCheck(
        False,
        False,
        "hex-ambiguous",
        "64 hex characters may be a public key or a private key, and nothing tells which. If it is "
        f"a private key, never type it anywhere;{instead}.",
    )
