"""The reference for `matrix_exposure.py`: a minimal matrix-nio bot that only redacts.

It joins rooms it is invited to and redacts every text message holding "nsec1": no key
check, no safe copy, no DM, no persistence. The issue's reference (~80 ms median on a local
Synapse) was a bot like this one; running it beside nsecguard's bot gives a ratio measured
on the same machine at the same moment.

    python benchmarks/minimal_redact_bot.py HOMESERVER USER_ID PASSWORD
"""

from __future__ import annotations

import asyncio
import sys

from nio import AsyncClient, InviteMemberEvent, MatrixRoom, RoomMessageText


async def run(homeserver: str, user_id: str, password: str) -> None:
    client = AsyncClient(homeserver, user_id)
    await client.login(password)

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if "nsec1" in event.body:
            await client.room_redact(room.room_id, event.event_id, reason="leaked key")

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            await client.join(room.room_id)

    client.add_event_callback(on_invite, InviteMemberEvent)
    await client.sync(timeout=0)  # joins rooms it was invited to; skips older messages
    client.add_event_callback(on_message, RoomMessageText)
    await client.sync_forever(timeout=30000)


if __name__ == "__main__":
    asyncio.run(run(*sys.argv[1:4]))
