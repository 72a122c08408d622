"""The XMPP entry of the core workflow suite (tests/chat/conftest.py): a real Prosody, the
bot's slixmpp client behind an `XmppTransport`, a user, a room owner (for rooms where the bot
has no power) and an onlooker who reads the room archive."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from nsecguard.chat.message import Message
from tests.nsecguard_xmpp.conftest import Account, Inbox, archive_items, connect, join, uid
from tests.nsecguard_xmpp.local_prosody import LocalProsody

BOT_NICK = "nsecguard"
_accounts: dict[int, dict[str, Account]] = {}


class XmppHarness:
    settle = 0.5  # seconds: a real server's messages arrive a moment later

    def __init__(self, server: LocalProsody, bot: Any, user: Any, owner: Any, onlooker: Any, other: Any):
        from nsecguard_xmpp.transport import XmppTransport

        self.server = server
        self.bot, self.user_client, self.owner, self.onlooker, self.other = bot, user, owner, onlooker, other
        self.transport = XmppTransport(bot)
        self.user = user.boundjid.bare
        self.bot_inbox, self.user_inbox, self.owner_inbox = Inbox(bot), Inbox(user), Inbox(owner)
        self._origin_ids: dict[str, str] = {}  # stanza-id -> the sender's own message id

    async def room(self, *, power: bool = True) -> str:
        room = f"{uid('room')}@{self.server.muc_domain}"
        if not power:
            await join(self.owner, room, "owner")
        await join(self.bot, room, BOT_NICK)
        await join(self.user_client, room, "alice")
        await join(self.other, room, "otherbot")
        await join(self.onlooker, room, "onlooker")
        return room

    async def direct_room(self) -> str:
        return str(self.user)

    async def send(
        self,
        room: str,
        text: str,
        *,
        formatted: str | None = None,
        edit_of: Message | None = None,
        from_bot: bool = False,
        direct: bool = False,
    ) -> Message:
        from nsecguard_xmpp.bot import NS_XHTML, NS_XHTML_IM, to_message

        client = self.other if from_bot else self.user_client
        to = self.bot.boundjid.bare if direct else room
        stanza: Any = client.make_message(mto=to, mbody=text, mtype="chat" if direct else "groupchat")
        if formatted is not None:
            wrapper = ET.SubElement(stanza.xml, f"{{{NS_XHTML_IM}}}html")
            wrapper.append(ET.fromstring(f'<body xmlns="{NS_XHTML}">{formatted}</body>'))
        if edit_of is not None:
            stanza["replace"]["id"] = self._origin_ids[edit_of.id]
        stanza.send()
        got = await self.bot_inbox.wait(
            lambda m: m["id"] == stanza["id"] and m["from"].bare != self.bot.boundjid
        )
        muc = self.bot.plugin["xep_0045"]
        real = None
        if not direct:
            jid = muc.get_jid_property(got["from"].bare, got["from"].resource, "jid")
            real = str(jid).split("/")[0] if jid else None
        bots = frozenset({"otherbot", self.other.boundjid.bare})
        msg = to_message(got, our_jid=self.bot.boundjid.bare, our_nick=BOT_NICK, real_jid=real, bots=bots)
        assert msg is not None, "the adapter dropped the message"
        assert msg.from_bot == from_bot and msg.direct == direct
        self._origin_ids[msg.id] = stanza["id"]
        return msg

    async def removed(self, msg: Message) -> bool:
        if msg.direct:
            return False
        from nsecguard_xmpp.client import is_tombstone

        return any(
            mam_id == msg.id and is_tombstone(item)
            for mam_id, item in await archive_items(self.onlooker, msg.room)
        )

    async def room_posts(self, room: str) -> list[str]:
        return [
            m["body"]
            for m in self.user_inbox.messages
            if m["type"] == "groupchat"
            and m["from"].bare == room
            and m["from"].resource == BOT_NICK
            and m["body"]
        ]

    async def moderator_notes(self, room: str) -> list[str]:
        return [
            m["body"]
            for m in self.owner_inbox.messages
            if m["type"] == "chat" and self._from_bot(m) and m["body"]
        ]

    async def warnings(self) -> list[str]:
        return [
            m["body"]
            for m in self.user_inbox.messages
            if m["type"] == "chat" and self._from_bot(m) and m["body"]
        ]

    def _from_bot(self, m: Any) -> bool:
        frm = m["from"]
        return bool(frm.bare == self.bot.boundjid.bare or frm.resource == BOT_NICK)


@contextlib.asynccontextmanager
async def xmpp(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[XmppHarness]:
    server: LocalProsody = request.getfixturevalue("prosody")
    # accounts are made once per server (prosodyctl is slow); every test gets fresh rooms
    # and fresh connections, and the journal keys differ per room, so nothing carries over
    accounts = _accounts.setdefault(id(server), {})
    clients = []
    for name in ("guard", "user", "owner", "look", "otherbot"):
        acct = accounts.get(name) or accounts.setdefault(name, Account(server, name))
        clients.append(await connect(server, acct.jid, acct.password))
    try:
        yield XmppHarness(server, *clients)
    finally:
        for client in clients:
            client.disconnect(wait=0.5)
        await asyncio.sleep(0.1)
