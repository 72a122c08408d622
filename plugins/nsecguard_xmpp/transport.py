"""`XmppTransport`: the chat core's `Transport` over one slixmpp client.

- remove: XEP-0425 moderation (the room retracts the message for every occupant and puts a
  tombstone in its archive); no moderator role -> `Refused`; no answer -> `Unavailable`.
- post / warn_privately / notify_moderators: a message whose `id` is the journal step's key.
  XMPP servers do not drop a repeated id, so before sending, the transport looks for that id
  in the archive (the room's MAM for a post, the bot's own MAM for a private message) and
  does not send it again: a step sent just before a crash is not sent twice after it.
- a user is a real bare JID when the room lets the bot see it (moderators do), else the
  occupant JID `room@service/nick` (a private message through the room).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any, Literal
from xml.etree import ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

from nsecguard.chat.message import Message
from nsecguard.chat.transport import Refused, Unavailable
from nsecguard_xmpp.client import ModerationError, moderate, moderation_version

log = logging.getLogger("nsecguard.xmpp")
PLATFORM = "xmpp"
ARCHIVE_LOOKBACK = 50  # messages of an archive searched for an id already sent
_REFUSED = {"forbidden", "not-allowed", "feature-not-implemented", "service-unavailable", "item-not-found"}


class XmppTransport:
    platform = PLATFORM

    def __init__(self, client: slixmpp.ClientXMPP, *, check_archive: bool = True) -> None:
        self.client = client
        self.check_archive = check_archive
        # entry ids of the journal left by an earlier run: only their keys may have been sent
        # already; None: look every key up (a test's in-process "restart" shares the transport)
        self.inherited: set[str] | None = None
        self._unconfirmed: set[str] = set()  # sent, but the server's receipt never came
        self._versions: dict[str, int] = {}  # room -> its XEP-0425 version (asked once)

    @property
    def _muc(self) -> Any:
        return self.client.plugin["xep_0045"]

    def _connected(self) -> None:
        if not self.client.is_connected():
            raise Unavailable("not connected")

    def our_role(self, room: str) -> str | None:
        try:
            nick = self._muc.our_nicks[None].get(slixmpp.JID(room))
        except (KeyError, AttributeError):
            nick = None
        if nick is None:
            return None
        role = self._muc.get_jid_property(slixmpp.JID(room), nick, "role")
        return str(role) if role else None

    def occupants(self, room: str) -> list[tuple[str, str | None, str | None, str | None]]:
        """(nick, real bare JID or None, role, affiliation) of each occupant but the bot."""
        jroom = slixmpp.JID(room)
        ours = self._muc.our_nicks[None].get(jroom)
        found = []
        for nick in self._muc.get_roster(jroom) or []:
            if nick == ours:
                continue
            real = self._muc.get_jid_property(jroom, nick, "jid")
            role = self._muc.get_jid_property(jroom, nick, "role")
            aff = self._muc.get_jid_property(jroom, nick, "affiliation")
            bare = slixmpp.JID(str(real)).bare if real else None
            found.append((str(nick), bare or None, str(role) if role else None, str(aff) if aff else None))
        return found

    # ---- Transport ---------------------------------------------------------------------

    async def can_remove(self, msg: Message) -> bool:
        return not msg.direct and self.our_role(msg.room) == "moderator"

    async def remove(self, msg: Message, reason: str) -> None:
        if msg.direct:
            raise Refused("a 1:1 message cannot be removed by the bot")
        self._connected()
        if msg.id.startswith("subject:"):
            await self._clear_subject(msg.room)
            return
        try:
            if msg.room not in self._versions:
                self._versions[msg.room] = await moderation_version(self.client, msg.room)
            await moderate(self.client, msg.room, msg.id, reason, version=self._versions[msg.room])
        except ModerationError as exc:
            if exc.condition in _REFUSED or exc.kind in ("auth", "cancel"):
                raise Refused(exc.condition) from None
            raise Unavailable(exc.condition) from None
        except IqTimeout:
            raise Unavailable("the room did not answer") from None
        except IqError:  # pragma: no cover - moderate() turns these into ModerationError
            raise Unavailable("the room answered with an error") from None

    async def _clear_subject(self, room: str) -> None:
        """A subject is not archived and cannot be retracted: a moderator replaces it."""
        if self.our_role(room) != "moderator":
            raise Refused("only a moderator can change the subject")
        msg: Any = self.client.make_message(mto=room, mtype="groupchat")
        msg.xml.append(ET.Element(f"{{{msg.namespace}}}subject"))
        msg.send()

    async def post(
        self, room: str, text: str, html: str | None, mentions: Sequence[str], *, key: str
    ) -> None:
        self._connected()
        if await self._sent(room, key, archive=room):
            log.info("post %s was already in the room; not sent again", key)
            return
        await self._send(room, text, "groupchat", key)

    async def warn_privately(self, user: str, text: str, html: str | None, *, key: str) -> None:
        self._connected()
        if await self._sent(user, key, archive=None):
            log.info("warning %s was already sent; not sent again", key)
            return
        await self._send(user, text, "chat", key)

    async def notify_moderators(self, room: str, text: str, html: str | None, *, key: str) -> None:
        """A private message to each moderator in the room (owners and admins are moderators
        while present); none present: the note goes to the room's owners by their JIDs."""
        self._connected()
        targets: dict[str, None] = {}
        for nick, real, role, aff in self.occupants(room):
            if (role == "moderator" or aff in ("owner", "admin")) and real != self.client.boundjid.bare:
                targets.setdefault(real or f"{room}/{nick}")
        if not targets:
            try:
                owners = await self._muc.get_affiliation_list(room, "owner", timeout=10)
                ours = self.client.boundjid.bare
                targets = {str(slixmpp.JID(j).bare): None for j in owners if slixmpp.JID(j).bare != ours}
            except (IqError, IqTimeout):
                pass  # only owners and admins may list affiliations
        if not targets:
            raise Refused("no moderator of the room is present or known")
        for to in targets:
            sub = f"{key}-{hashlib.sha256(to.encode()).hexdigest()[:8]}"
            if await self._sent(to, sub, archive=None):
                continue
            await self._send(to, text, "chat", sub)

    async def display_name(self, room: str, user: str) -> str | None:
        jid = slixmpp.JID(user)
        if jid.bare == slixmpp.JID(room).bare and jid.resource:
            return jid.resource  # an occupant JID: the nick
        for nick, real, _, _ in self.occupants(room):
            if real == jid.bare:
                return nick
        return None

    def mention_npub(self, npub: str) -> tuple[str, str | None]:
        return f"nostr:{npub}", None

    def mention_user(self, user: str, name: str | None) -> tuple[str, str | None]:
        return name or slixmpp.JID(user).resource or slixmpp.JID(user).bare, None

    # ---- sending, once -----------------------------------------------------------------

    async def _send(self, to: str, text: str, mtype: Literal["chat", "groupchat"], key: str) -> None:
        """Send, and return only once the server has it: slixmpp's `send()` only queues, and
        a step marked done while its stanza still sat in the queue would be lost by a crash.
        The stream is ordered, so the answer to a ping sent after the message means the server
        has taken the message (and a room on the same server has archived it)."""
        msg: Any = self.client.make_message(mto=to, mbody=text, mtype=mtype)
        msg["id"] = key
        self._unconfirmed.add(key)
        msg.send()
        try:
            await self.client.plugin["xep_0199"].ping(
                jid=slixmpp.JID(self.client.boundjid.domain), timeout=15
            )
        except IqError:
            pass  # an error answer is an answer: everything before it was read
        except IqTimeout:
            raise Unavailable("the server did not confirm the message") from None
        self._unconfirmed.discard(key)

    async def _sent(self, to: str, key: str, *, archive: str | None) -> bool:
        """Is a message with id `key` already in the archive (`archive`: a room; None: the
        bot's own archive, messages with `to`)? A failed lookup counts as not sent."""
        if not self.check_archive:
            return False
        entry = key.split("-")[1] if key.count("-") >= 2 else ""  # nsecguard-<entry>-<step>
        if self.inherited is not None and entry not in self.inherited and key not in self._unconfirmed:
            return False  # made by this run: not sent before, nothing to look up
        mam = self.client.plugin["xep_0313"]
        page = {"max": ARCHIVE_LOOKBACK}  # one round trip
        try:
            if archive is not None:
                pages = mam.iterate(jid=slixmpp.JID(archive), reverse=True, rsm=page, total=ARCHIVE_LOOKBACK)
            else:
                pages = mam.iterate(with_jid=slixmpp.JID(to), reverse=True, rsm=page, total=ARCHIVE_LOOKBACK)
            async for item in pages:
                if item["mam_result"]["forwarded"]["stanza"]["id"] == key:
                    return True
        except (IqError, IqTimeout):
            log.warning("archive lookup failed; sending %s", key)
        return False
