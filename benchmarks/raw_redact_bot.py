"""The floor for `matrix_exposure.py --reference raw`: the least any client bot can do.

Raw client-server API over one aiohttp session (the lean client `matrix_exposure.py` sends and
observes with: no client library, no schema checks, no objects): a long-poll `/sync` whose
filter lets through only `m.room.message` timeline events, and a redaction sent the moment a
message body holds "nsec1". No key check, no safe copy, no DM, no persistence, no end-to-end
encryption. What is left of its exposure window is the homeserver's: persisting the message,
waking the sync, persisting the redaction, waking the observer's sync.

    python benchmarks/raw_redact_bot.py HOMESERVER USER_ID PASSWORD
"""

from __future__ import annotations

import asyncio
import sys
import uuid

import aiohttp
from matrix_exposure import Api, login

FILTER = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": 100, "types": ["m.room.message"]},
        "state": {"types": []},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}
V3 = "/_matrix/client/v3"


async def redact(api: Api, room_id: str, event_id: str) -> None:
    path = f"{V3}/rooms/{room_id}/redact/{event_id}/{uuid.uuid4().hex}"
    await api.call("PUT", path, {"reason": "leaked key"})


async def run(homeserver: str, user_id: str, password: str) -> None:
    async with aiohttp.ClientSession() as session:
        api = await login(session, homeserver, user_id, password)
        filter_id = (await api.call("POST", f"{V3}/user/{user_id}/filter", FILTER))["filter_id"]
        since: str | None = None
        tasks: set[asyncio.Future[None]] = set()
        while True:
            params = {"filter": filter_id, "timeout": "30000" if since else "0"}
            if since:
                params["since"] = since
            data = await api.call("GET", f"{V3}/sync", **params)
            rooms = data.get("rooms", {})
            for room_id in rooms.get("invite", {}):
                await api.call("POST", f"{V3}/rooms/{room_id}/join", {})
            if since:  # the first sync only joins: older messages are not this bot's
                for room_id, room in rooms.get("join", {}).items():
                    for event in room.get("timeline", {}).get("events", []):
                        text = (event.get("content") or {}).get("body")
                        if isinstance(text, str) and "nsec1" in text:
                            task = asyncio.ensure_future(redact(api, room_id, event["event_id"]))
                            tasks.add(task)
                            task.add_done_callback(tasks.discard)
            since = data["next_batch"]


if __name__ == "__main__":
    asyncio.run(run(*sys.argv[1:4]))
