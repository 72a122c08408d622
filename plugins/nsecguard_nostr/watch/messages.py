"""The warnings the sentinel sends (as NIP-17 private messages). Plain functions of public
facts: npubs, event references, relay URLs, times. They never receive a key."""

from __future__ import annotations

import time
from typing import NamedTuple

from nsecguard import rules
from nsecguard.model import Kind


class LeakFacts(NamedTuple):
    npub: str  # whose key leaked
    kind: Kind
    reference: str  # nevent1... (with the relay hint) or note1...
    relay: str
    location: str  # "content", "profile field about"...
    event_kind: int
    author: str  # npub of the event's author
    seen_at: int


def _when(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


_WHAT_NOW = (
    "What to do now:\n"
    "1. Stop using this account for anything that matters. Make a new key, keep it in a signer "
    "(a bunker, a browser extension, Amber), and never paste it anywhere.\n"
    "2. From the old account, post once that it is compromised and name your new npub, so your "
    "followers can check it is you.\n"
    "3. Move your follows, your NIP-05 address, your lightning address and any zaps or wallet "
    "connections to the new key; revoke the old key's wallet (NWC) connections.\n"
    "4. Treat every private message ever sent to or from the old key as readable by others."
)


def owner_warning(facts: LeakFacts, *, deleted: bool) -> str:
    """To the leaked key's owner."""
    title = _title(facts.kind)
    lines = [
        "Security warning from an nsecguard sentinel.",
        "",
        f"The private key of your account {facts.npub} was published in a public Nostr event "
        f"({title}, in the {facts.location} of a kind-{facts.event_kind} event), "
        f"seen {_when(facts.seen_at)} on {facts.relay}:",
        f"nostr:{facts.reference}",
        "",
        "Anyone who read that event can sign as you, read your private messages and empty any "
        "wallet tied to the key. A Nostr key cannot be changed or revoked: this account is "
        "compromised for good, even if the event is deleted.",
        "",
        _WHAT_NOW,
    ]
    if deleted:
        lines += [
            "",
            "A deletion request (NIP-09, kind 5) for the leaking event was published, signed with "
            "the leaked key. Relays that honour deletions drop the event; copies already taken "
            "remain, so the steps above still apply.",
        ]
    lines += ["", "This message is sent once per key. Nothing here asks you for anything."]
    return "\n".join(lines)


def author_warning(facts: LeakFacts) -> str:
    """To the author of the event, when the key is someone else's."""
    title = _title(facts.kind)
    return "\n".join(
        [
            "Security warning from an nsecguard sentinel.",
            "",
            f"An event you published holds the private key of another account, {facts.npub} "
            f"({title}, in the {facts.location} of a kind-{facts.event_kind} event), "
            f"seen {_when(facts.seen_at)} on {facts.relay}:",
            f"nostr:{facts.reference}",
            "",
            "Please delete that event (a NIP-09 deletion request from your client) and do not "
            "repost the key. Its owner has been warned that the account is compromised for good.",
            "",
            "This message is sent once per key. Nothing here asks you for anything.",
        ]
    )


def _title(kind: Kind) -> str:
    found = rules.get(kind)
    return found.title if found is not None else str(kind)
