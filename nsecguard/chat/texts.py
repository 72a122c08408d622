"""What the guard says: the safe copy, the stern warning, the note to moderators.

Every text names the kind of secret that leaked (a bunker secret is not "a Nostr private
key") and its owner by npub; none holds a key (the guard scrubs each one before it goes out).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from nsecguard import rules
from nsecguard.model import Kind


def what_leaked(kinds: Iterable[Kind]) -> str:
    """`a Nostr private key (nsec) and a remote-signer secret (bunker://)`."""
    words = dict.fromkeys(_said(k, "chat_words", str(k)) for k in sorted(set(kinds), key=str))
    return " and ".join(words) or "a secret"


def removal_reason(kinds: Iterable[Kind]) -> str:
    return f"nsecguard: removed a message holding {what_leaked(kinds)}"


def advice_for(kinds: Iterable[Kind]) -> str:
    """What to do now, once per piece of advice (an nsec and a hex key get one), in the
    rules' order."""
    default = rules.rule(Kind.NSEC).chat_advice
    return " ".join(dict.fromkeys(_said(k, "chat_advice", default) for k in _in_order(kinds)))


def _in_order(kinds: Iterable[Kind]) -> list[Kind]:
    """The kinds in the rules' order (unknown kinds last)."""
    order = {r.kind: i for i, r in enumerate(rules.all_rules())}
    return sorted(set(kinds), key=lambda k: (order.get(k, len(order)), str(k)))


def _said(kind: Kind, words: str, default: str) -> str:
    """The rule's `words` field for `kind` (`default` for a kind no rule defines)."""
    found = rules.get(kind)
    return str(getattr(found, words)) if found is not None else default


def html_lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


class Mentions:
    """The forms a transport gave for the people and npubs a text names."""

    def __init__(self, sender: tuple[str, str | None], npubs: Sequence[tuple[str, tuple[str, str | None]]]):
        self.sender = sender
        self.npubs = list(npubs)  # (npub, (plain, html))

    def owner(self, as_html: bool) -> str:
        if not self.npubs:
            return "an unknown account (the secret has no public key)"
        return ", ".join(_form(form, as_html) for _npub, form in self.npubs)

    def sender_form(self, as_html: bool) -> str:
        return _form(self.sender, as_html)


def _form(form: tuple[str, str | None], as_html: bool) -> str:
    plain, rich = form
    if as_html:
        return rich if rich is not None else html.escape(plain)
    return plain


def safe_copy(
    kinds: Iterable[Kind], *, edit: bool, safe_text: str, safe_html: str, who: Mentions
) -> tuple[str, str]:
    """Takes the removed message's place: who wrote it, and what, without the secret."""
    what = what_leaked(kinds)
    if edit:
        what = f"an edit holding {what}"
    head = "{who} posted {what}; the message was removed. Its owner: {owner}. What they wrote, without it:"
    text = head.format(who=who.sender_form(False), what=what, owner=who.owner(False))
    quoted = "\n".join("> " + line for line in safe_text.split("\n"))
    rich = head.format(who=who.sender_form(True), what=html.escape(what), owner=who.owner(True))
    return f"{text}\n{quoted}", f"<p>{rich}</p><blockquote>{safe_html}</blockquote>"


def warning(
    kinds: Iterable[Kind], *, room: str, removed: bool, direct: bool, who: Mentions, advice: str | None
) -> tuple[str, str]:
    """The private warning to whoever posted a secret."""
    kinds = set(kinds)
    what = what_leaked(kinds)
    if direct:
        first = f"You sent me {what}. Treat it as exposed: it has left your device."
    elif removed:
        first = f"You posted {what} in {room}; I removed the message."
    else:
        first = (
            f"You posted {what} in {room}, and I could not remove it. "
            "Delete it yourself now, or ask a room moderator to."
        )
    last = advice or advice_for(kinds)
    text = "\n\n".join([first, f"It belongs to: {who.owner(False)}.", last])
    rich = f"<p>{html.escape(first)}</p><p>It belongs to: {who.owner(True)}.</p><p>{html.escape(last)}</p>"
    return text, rich


def moderators(kinds: Iterable[Kind], *, room: str, who: Mentions) -> tuple[str, str]:
    """Said to the moderators when the guard could not remove a message (no quote)."""
    head = (
        "{who}'s message in {room} holds {what} of {owner}, and nsecguard cannot remove it. "
        "Moderators: delete it now. Its owner should treat the secret as compromised."
    )
    what = what_leaked(kinds)
    text = head.format(who=who.sender_form(False), room=room, what=what, owner=who.owner(False))
    rich = head.format(
        who=who.sender_form(True), room=html.escape(room), what=html.escape(what), owner=who.owner(True)
    )
    return text, rich
