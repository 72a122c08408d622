"""The workflow, the same on every platform.

For a message that holds a secret: journal the follow-ups durably, remove the message, post
the safe copy (the message without the secret, its owner named by npub), then warn the sender
privately. When the removal is refused: tell the moderators and warn the sender that it is
still there. In a direct chat: warn only. Another bot's notice: remove it, no conversation.
`resume()` after a restart finishes every journaled follow-up exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nsecguard import output, rules
from nsecguard.chat import texts
from nsecguard.chat.journal import Entry, Journal, steps_of
from nsecguard.chat.message import Message
from nsecguard.chat.retry import RetryPolicy
from nsecguard.chat.transport import Refused, Transport, Unavailable
from nsecguard.engine import DEFAULT_OPTIONS, Options, scan_text
from nsecguard.model import Finding, Kind
from nsecguard.sanitizer import replacement_for, sanitize_report

log = logging.getLogger("nsecguard.chat")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Leak:
    """A message that holds at least one secret. `message` and `secrets` (each secret with its
    replacement) are internal: never log or post them (the repr leaves them out)."""

    message: Message = field(repr=False)
    findings: tuple[Finding, ...]
    safe_text: str
    secrets: frozenset[tuple[str, str]] = field(default=frozenset(), repr=False)

    @property
    def npubs(self) -> list[str]:
        return list(dict.fromkeys(f.npub for f in self.findings if f.npub is not None))

    @property
    def kinds(self) -> list[Kind]:
        return list(dict.fromkeys(f.kind for f in self.findings))

    def describe(self) -> str:
        """For logs: kinds and npubs, never the secret."""
        parts = [f"{f.kind}" + (f" of {f.npub}" if f.npub else f" [{f.fingerprint}]") for f in self.findings]
        return ", ".join(dict.fromkeys(parts))


def html_to_text(value: str) -> str:
    """What a client shows for HTML: tags gone, entities decoded (a key split by markup or
    written with entities is still seen)."""
    return html.unescape(_TAG.sub("", value))


def texts_of(msg: Message) -> list[str]:
    """Every text of a message a reader can see or fetch."""
    found: dict[str, None] = {msg.text: None}
    if msg.formatted:
        found.setdefault(msg.formatted)
        found.setdefault(html_to_text(msg.formatted))
    for other in msg.other_texts:
        found.setdefault(other)
        if "<" in other or "&" in other:
            found.setdefault(html_to_text(other))
    for att in msg.attachments:
        found.setdefault(att.name)
        if att.text:
            found.setdefault(att.text)
    return [t for t in found if t]


def scrub_secrets(text: str, secrets: Iterable[tuple[str, str]]) -> str:
    """A last guard: any secret still in `text` (any letter case) becomes its replacement."""
    for secret, replacement in secrets:
        if secret and secret.lower() in text.lower():
            text = re.sub(re.escape(secret), replacement, text, flags=re.IGNORECASE)
    return text


def _out(text: str, secrets: Iterable[tuple[str, str]]) -> str:
    """The one way out for text holding user input (the output boundary, issue 13)."""
    from nsecguard.cli import scrub

    return scrub(scrub_secrets(text, secrets))


def find_secrets(
    texts: Iterable[str], options: Options = DEFAULT_OPTIONS
) -> tuple[dict[str, Finding], set[tuple[str, str]]]:
    """The findings in some texts, by fingerprint, and each secret as written with its
    replacement (internal: never logged or posted). Shared by every platform's guard."""
    findings: dict[str, Finding] = {}
    secrets: set[tuple[str, str]] = set()
    key_kinds = rules.key_kinds()
    for text in texts:
        for f in scan_text(text, options=options):
            findings.setdefault(f.fingerprint, f)
            secret = text[f.start : f.end]
            if f.kind in key_kinds and len(secret) >= 66 and secret[:2].lower() == "0x":
                secret = secret[2:]
            secrets.add((secret, replacement_for(f)))
    return findings, secrets


def inspect(msg: Message, options: Options = DEFAULT_OPTIONS) -> Leak | None:
    """The leak in a message, or None. Pure."""
    findings, secrets = find_secrets(texts_of(msg), options)
    if not findings:
        return None
    frozen = frozenset(secrets)
    safe = scrub_secrets(sanitize_report(msg.text, options=options).text, frozen)
    return Leak(msg, tuple(findings.values()), safe, frozen)


def entry_id(msg: Message) -> str:
    return hashlib.sha256(f"{msg.platform}\0{msg.room}\0{msg.id}".encode()).hexdigest()[:24]


Observer = Callable[[str, str, Mapping[str, Any]], None]


class Guard:
    """The workflow over one transport. `options`: the engine's; `follow_up_delay`: seconds
    between a removal and its follow-ups (the server spreads the removal first); `warn`:
    send private warnings at all; `observer(step, result, plan)` is told of each step's
    outcome ("journaled", then "remove", "copy", "warn", "notify", "warn_unremoved"), e.g. to
    know when a removal is done, or to print a demo's progress."""

    def __init__(
        self,
        transport: Transport,
        journal: Journal,
        options: Options = DEFAULT_OPTIONS,
        retry: RetryPolicy | None = None,
        advice: str | None = None,
        *,
        follow_up_delay: float = 0.0,
        warn: bool = True,
        observer: Observer | None = None,
    ) -> None:
        self.transport = transport
        self.journal = journal
        self.options = options
        self.retry = retry or RetryPolicy()
        self.advice = advice
        self.follow_up_delay = follow_up_delay
        self.warn = warn
        self.observer = observer
        self._active: set[str] = set()

    def inspect(self, msg: Message) -> Leak | None:
        return inspect(msg, self.options)

    async def handle(self, msg: Message, leak: Leak | None = None) -> Leak | None:
        """The whole workflow for one message; None when it holds no secret (or was handled).
        `leak`: `inspect(msg)` when the caller already has it."""
        leak = leak if leak is not None else self.inspect(msg)
        if leak is None:
            return None
        eid = entry_id(msg)
        if self.journal.known(eid) or eid in self._active:
            return None
        self._active.add(eid)
        try:
            entry = await self.journal.aopen(eid, await self._plan(leak))
            self._tell("journaled", "done", entry)
            log.info("%s in %s from %s: %s", msg.id, msg.room, msg.sender, leak.describe())
            await self._run(entry)
        finally:
            self._active.discard(eid)
        return leak

    async def resume(self) -> None:
        """Finish every journaled follow-up (after a restart): each step exactly once."""
        for entry in self.journal.pending():
            if entry.id in self._active:
                continue
            self._active.add(entry.id)
            try:
                log.info("resuming the follow-ups of %s", entry.plan.get("msg", {}).get("id"))
                await self._run(entry)
            finally:
                self._active.discard(entry.id)

    # ---- the plan: every text, made before anything is done ------------------------------

    async def _plan(self, leak: Leak) -> dict[str, Any]:
        msg, t = leak.message, self.transport
        try:
            name = await t.display_name(msg.room, msg.sender)
        except Exception:
            name = None
        if isinstance(name, str):
            # a name is an input like any other (on every platform): what it holds never leaves
            output.remember_in(name)
        who = texts.Mentions(t.mention_user(msg.sender, name), [(n, t.mention_npub(n)) for n in leak.npubs])
        kinds = leak.kinds
        s = leak.secrets
        plan: dict[str, Any] = {
            "msg": {"platform": msg.platform, "room": msg.room, "sender": msg.sender, "id": msg.id},
            "direct": msg.direct,
            "reason": texts.removal_reason(kinds),
            "npubs": leak.npubs,
        }
        warn = self.warn and not msg.from_bot
        if msg.direct:
            if not warn:
                return plan  # another bot in a direct chat, or warnings off: nothing to say
            text, rich = texts.warning(
                kinds, room=msg.room, removed=False, direct=True, who=who, advice=self.advice
            )
            plan["warn"] = {"text": _out(text, s), "html": _out(rich, s)}
            return plan
        safe_text, safe_html = self._mention_npubs(leak)
        text, rich = texts.safe_copy(
            kinds, edit=msg.edit_of is not None, safe_text=safe_text, safe_html=safe_html, who=who
        )
        plan["copy"] = {"text": _out(text, s), "html": _out(rich, s), "mentions": [msg.sender]}
        text, rich = texts.moderators(kinds, room=msg.room, who=who)
        plan["notify"] = {"text": _out(text, s), "html": _out(rich, s)}
        if warn:
            for step, removed in (("warn", True), ("warn_unremoved", False)):
                text, rich = texts.warning(
                    kinds, room=msg.room, removed=removed, direct=False, who=who, advice=self.advice
                )
                plan[step] = {"text": _out(text, s), "html": _out(rich, s)}
        return plan

    def _mention_npubs(self, leak: Leak) -> tuple[str, str]:
        """The safe text with each `nostr:npub1...` in the platform's mention form."""
        plain, rich = leak.safe_text, html_lines(leak.safe_text)
        for npub in leak.npubs:
            text_form, html_form = self.transport.mention_npub(npub)
            plain = plain.replace(f"nostr:{npub}", text_form)
            rich = rich.replace(html.escape(f"nostr:{npub}"), html_form or html.escape(text_form))
        return plain, rich

    # ---- running the plan --------------------------------------------------------------

    async def _run(self, entry: Entry) -> None:
        while steps := [s for s in steps_of(entry) if s not in entry.results]:
            step = steps[0]
            if step == "remove":
                await self._remove(entry)
                if entry.results.get("remove") == "done" and self.follow_up_delay > 0:
                    await asyncio.sleep(self.follow_up_delay)
            else:
                await self._send(entry, step)

    async def _mark(self, entry: Entry, step: str, result: str) -> None:
        await self.journal.amark(entry, step, result)
        self._tell(step, result, entry)

    def _tell(self, step: str, result: str, entry: Entry) -> None:
        if self.observer is not None:
            try:
                self.observer(step, result, entry.plan)
            except Exception as exc:
                log.warning("observer failed on %s: %s", step, type(exc).__name__)

    def _message(self, entry: Entry) -> Message:
        m = entry.plan["msg"]
        return Message(platform=m["platform"], room=m["room"], sender=m["sender"], id=m["id"], text="")

    async def _remove(self, entry: Entry) -> None:
        msg = self._message(entry)
        t = self.transport
        try:
            await self.retry.run(f"remove {msg.id}", lambda: t.remove(msg, entry.plan["reason"]))
        except Refused as exc:
            log.warning("cannot remove %s in %s: refused (%s)", msg.id, msg.room, _reason(exc))
            await self._mark(entry, "remove", "refused")
            return
        except Unavailable:
            log.error("gave up removing %s in %s", msg.id, msg.room)
            await self._mark(entry, "remove", "failed")
            return
        log.info("removed %s in %s", msg.id, msg.room)
        await self._mark(entry, "remove", "done")

    async def _send(self, entry: Entry, step: str) -> None:
        plan, t = entry.plan, self.transport
        payload = plan[step]
        room, sender = plan["msg"]["room"], plan["msg"]["sender"]
        key = entry.key_for(step)
        if step == "copy":
            await self.retry.pace(room)
            job = lambda: t.post(room, payload["text"], payload["html"], payload["mentions"], key=key)  # noqa: E731
        elif step == "notify":
            job = lambda: t.notify_moderators(room, payload["text"], payload["html"], key=key)  # noqa: E731
        else:
            job = lambda: t.warn_privately(sender, payload["text"], payload["html"], key=key)  # noqa: E731
        what = f"{step} for {plan['msg']['id']}"
        try:
            await self.retry.run(what, job)
        except Refused as exc:
            log.warning("%s: refused (%s)", what, _reason(exc))
            await self._mark(entry, step, "refused")
            return
        except Unavailable:
            log.error("%s: gave up for now", what)
            await self._mark(entry, step, "failed")
            return
        log.info("sent %s (%s)", what, ", ".join(plan.get("npubs", [])))
        await self._mark(entry, step, "done")


def html_lines(text: str) -> str:
    return texts.html_lines(text)


def _reason(exc: BaseException) -> str:
    """An exception's own words, scrubbed (a server's error text may quote the message)."""
    from nsecguard.cli import scrub

    return scrub(str(exc))[:200] or type(exc).__name__
