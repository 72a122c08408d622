"""The XMPP adapter: slixmpp events in, core `Message`s out, `Guard.handle` for each.

Group chats (MUC, XEP-0045): every message with a body (also corrections, XEP-0308, and
out-of-band attachments, XEP-0066) and every subject change is inspected; a room's recent
history is inspected on join, so a leak sent while the bot was away is caught too. 1:1 chats
and private messages through a room are `direct`: the guard only warns. The bot never logs a
message body (the core's log scrubber is installed on slixmpp's loggers too).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse
from xml.etree import ElementTree as ET

import slixmpp

from nsecguard.chat.guard import Guard
from nsecguard.chat.journal import Journal
from nsecguard.chat.message import Attachment, Message
from nsecguard.chat.scrub import install_key_scrubber
from nsecguard.engine import Options
from nsecguard_xmpp.attachments import allowed, fetch_text
from nsecguard_xmpp.client import is_retraction, make_client, on_every_message, stanza_id
from nsecguard_xmpp.config import Config
from nsecguard_xmpp.transport import PLATFORM, XmppTransport

log = logging.getLogger("nsecguard.xmpp")
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_OOB = "jabber:x:oob"
NS_REPLACE = "urn:xmpp:message-correct:0"
NS_DELAY = "urn:xmpp:delay"
NS_XHTML_IM = "http://jabber.org/protocol/xhtml-im"
NS_XHTML = "http://www.w3.org/1999/xhtml"


def _ts_ms(stanza: Any) -> int:
    delay = stanza.xml.find(f"{{{NS_DELAY}}}delay")
    if delay is not None and delay.get("stamp"):
        try:
            return int(
                datetime.fromisoformat(str(delay.get("stamp")).replace("Z", "+00:00")).timestamp() * 1000
            )
        except ValueError:
            pass
    return int(time.time() * 1000)


def oob_urls(stanza: Any) -> list[str]:
    return [u for x in stanza.xml.findall(f"{{{NS_OOB}}}x") if (u := x.findtext(f"{{{NS_OOB}}}url"))]


def _attachments(stanza: Any) -> tuple[tuple[Attachment, ...], tuple[str, ...]]:
    found: list[Attachment] = []
    texts: list[str] = []
    for x in stanza.xml.findall(f"{{{NS_OOB}}}x"):
        url = x.findtext(f"{{{NS_OOB}}}url") or ""
        desc = x.findtext(f"{{{NS_OOB}}}desc") or ""
        if url:
            name = PurePosixPath(urlparse(url).path).name or url
            found.append(Attachment(name=name))
            texts.append(url)
        if desc:
            texts.append(desc)
    return tuple(found), tuple(texts)


def _formatted(stanza: Any) -> str | None:
    """The XHTML-IM (XEP-0071) body, as markup, when there is one."""
    wrapper = stanza.xml.find(f"{{{NS_XHTML_IM}}}html")
    body = wrapper.find(f"{{{NS_XHTML}}}body") if wrapper is not None else None
    if body is None:
        return None
    inner = "".join(ET.tostring(child, encoding="unicode") for child in body)
    return ((body.text or "") + inner).replace(f' xmlns="{NS_XHTML}"', "").replace("html:", "") or None


def to_message(
    stanza: Any,
    *,
    our_jid: str,
    our_nick: str | None,
    real_jid: str | None,
    bots: frozenset[str] = frozenset(),
) -> Message | None:
    """The core `Message` for one message stanza, or None (ours, an error, a notice of the
    room, a bodiless receipt). `real_jid`: the sender's bare JID when the room shows it;
    `bots`: JIDs or nicks of other bots (their leaks are removed, no conversation)."""
    mtype = stanza["type"]
    if mtype == "error":
        return None
    frm = stanza["from"]
    body = stanza["body"] or ""
    subject = stanza.xml.findtext(f"{{{stanza.namespace}}}subject")
    replace = stanza.xml.find(f"{{{NS_REPLACE}}}replace")
    attachments, extra = _attachments(stanza)
    if not body and not subject and not extra:
        return None
    if is_retraction(stanza) is not None:
        return None
    edit_of = replace.get("id") if replace is not None else None
    formatted = _formatted(stanza)
    if mtype == "groupchat":
        room = frm.bare
        if not frm.resource or frm.resource == our_nick:
            return None  # the room's own notices, or our own message
        sid = stanza_id(stanza, room)
        if sid is None:
            if not subject:
                return None  # not archived: nothing for moderation to point at
            # a subject is not archived, so not retractable: the transport clears it instead
            sid = f"subject:{stanza['id'] or _ts_ms(stanza)}"
        return Message(
            platform=PLATFORM,
            room=room,
            sender=real_jid or str(frm),
            id=sid,
            text=body,
            formatted=formatted,
            edit_of=edit_of,
            attachments=attachments,
            other_texts=tuple(t for t in (subject, *extra) if t),
            from_bot=bool({frm.resource, real_jid, str(frm)} & bots),
            ts_ms=_ts_ms(stanza),
        )
    if frm.bare == slixmpp.JID(our_jid).bare:
        return None
    is_muc_pm = stanza.xml.find(f"{{{NS_MUC_USER}}}x") is not None
    sender = str(frm) if is_muc_pm else frm.bare
    sid = stanza_id(stanza, slixmpp.JID(our_jid).bare) or stanza["id"] or f"{frm}-{_ts_ms(stanza)}"
    return Message(
        platform=PLATFORM,
        room=sender,
        sender=sender,
        id=str(sid),
        text=body,
        formatted=formatted,
        edit_of=edit_of,
        attachments=attachments,
        other_texts=tuple(t for t in (subject, *extra) if t),
        direct=True,
        from_bot=bool({frm.bare, str(frm)} & bots),
        ts_ms=_ts_ms(stanza),
    )


class XmppGuardBot:
    """One slixmpp client, its transport and the guard; `run()` until stopped."""

    def __init__(self, cfg: Config, *, on_ready: Callable[[], None] | None = None) -> None:
        self.cfg = cfg
        self.client = make_client(cfg.jid, cfg.password, tls=cfg.tls)
        self.transport = XmppTransport(self.client)
        self.guard = Guard(
            self.transport,
            Journal(cfg.state_dir),
            options=Options(min_confidence=cfg.min_confidence),
            advice=cfg.warning_text,
            follow_up_delay=cfg.follow_up_delay,
        )
        # only what an earlier run left unfinished can have been sent already (see transport)
        self.transport.inherited = {entry.id for entry in self.guard.journal.pending()}
        self.on_ready = on_ready
        self.ready = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = asyncio.Event()
        self.client.add_event_handler("session_start", self._on_start)
        self.client.add_event_handler("failed_auth", self._on_failed_auth)
        self.client.add_event_handler("disconnected", self._on_disconnected)
        self.client.add_event_handler("groupchat_invite", self._on_invite)
        on_every_message(self.client, self._on_message)
        self.auth_failed = False

    # ---- life cycle --------------------------------------------------------------------

    async def run(self) -> None:
        if self.cfg.host is not None and self.cfg.port is not None:
            self.client.connect(self.cfg.host, self.cfg.port)
        else:
            self.client.connect()
        await self._stopped.wait()

    def stop(self) -> None:
        self.client.disconnect(wait=1.0)
        self._stopped.set()

    def _on_failed_auth(self, _: Any) -> None:
        log.error("the server refused the bot's login (check jid and password)")
        self.auth_failed = True
        self.stop()

    def _on_disconnected(self, _: Any) -> None:
        if self._stopped.is_set():
            return
        log.warning("disconnected; reconnecting")
        self.ready.clear()
        self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        await asyncio.sleep(1.0)
        if self._stopped.is_set():
            return
        if self.cfg.host is not None and self.cfg.port is not None:
            self.client.connect(self.cfg.host, self.cfg.port)
        else:
            self.client.connect()

    async def _on_start(self, _: Any) -> None:
        self.client.send_presence()
        for room in self.cfg.rooms:
            await self.join(room)
        await self.guard.resume()
        self.ready.set()
        log.info("ready in %d room(s)", len(self.cfg.rooms))
        if self.on_ready is not None:
            self.on_ready()

    async def join(self, room: str) -> None:
        try:
            await self.client.plugin["xep_0045"].join_muc_wait(
                slixmpp.JID(room), self.cfg.nick, maxstanzas=self.cfg.history, timeout=30
            )
        except Exception as exc:  # a presence error or a timeout: the others still work
            log.error("could not join %s (%s)", room, type(exc).__name__)
            return
        log.info("joined %s as %s", room, self.transport.our_role(room) or "participant")

    def _on_invite(self, inv: Any) -> None:
        if self.cfg.auto_join:
            room = str(inv["from"].bare)
            log.info("invited to %s", room)
            self._spawn(self.join(room))

    # ---- messages ----------------------------------------------------------------------

    def _on_message(self, stanza: Any) -> None:
        real = None
        if stanza["type"] == "groupchat" and stanza["from"].resource:
            muc = self.client.plugin["xep_0045"]
            jid = muc.get_jid_property(stanza["from"].bare, stanza["from"].resource, "jid")
            real = slixmpp.JID(str(jid)).bare if jid else None
        nick = self.client.plugin["xep_0045"].our_nicks[None].get(stanza["from"].bare)
        msg = to_message(stanza, our_jid=self.cfg.jid, our_nick=nick, real_jid=real, bots=self.cfg.bots)
        if msg is None or (msg.direct and not self.cfg.direct_messages):
            return
        domain = slixmpp.JID(self.cfg.jid).domain
        urls = [u for u in oob_urls(stanza) if allowed(u, domain, self.cfg.attachment_hosts)]
        if self.cfg.attachments and urls:
            self._spawn(self._handle_with_files(msg, urls))
        else:
            self._spawn(self._handle(msg))

    async def _handle_with_files(self, msg: Message, urls: list[str]) -> None:
        """A message with small text files: their content is read before the guard decides."""
        found = list(msg.attachments)
        for url in urls:
            text, mimetype, size = await fetch_text(url)
            name = PurePosixPath(urlparse(url).path).name or url
            found = [a for a in found if a.name != name]
            found.append(Attachment(name=name, mimetype=mimetype, size=size, text=text))
        await self._handle(dataclasses.replace(msg, attachments=tuple(found)))

    async def _handle(self, msg: Message) -> None:
        try:
            await self.guard.handle(msg)
        except Exception as exc:  # one message must not stop the bot; never log the body
            log.error("handling %s in %s failed: %s", msg.id, msg.room, type(exc).__name__)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def run_bot(cfg: Config) -> int:
    install_key_scrubber(["slixmpp"])
    bot = XmppGuardBot(cfg)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every OS
            loop.add_signal_handler(sig, bot.stop)
    await bot.run()
    return 2 if bot.auth_failed else 0
