"""The Matrix inputs of the every-input test (tests/test_every_input.py): display names, room
names and room topics, on a real Synapse.

`bot_run` registers one user per planted secret; each creates a room with the bot in it, sets
the room's name and topic to its secret, sets its own display name to it, then posts a message
holding another key (so the bot's safe copy and warning name the user by that display name).
One real `nsecguard matrix-bot` process guards every room; when it has answered every message,
it is stopped with SIGTERM. Everything it wrote (stdout, stderr, every file in its store: the
state file, the journal, matrix-nio's store) and every event it sent (room and direct chats,
read back from the server) is returned for the caller to grep.

`module_run` does the same against a Synapse running the nsecguard module: each user tries to
set the display name, to create a room with the name and topic, and to set them on a clean
room; it returns what the server answered and the server's log (the module logs each refusal).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSWORD = "a-test-password"
SETTLE_S = 1.5  # late follow-ups (copies of the redacted state events) show up within this
DEADLINE_S = 60.0


@dataclass
class Outputs:
    """Every byte a run wrote or sent, by where it went."""

    parts: dict[str, bytes] = field(default_factory=dict)

    def add(self, where: str, data: bytes) -> None:
        self.parts[where] = self.parts.get(where, b"") + data


def uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@contextlib.asynccontextmanager
async def _peer(hs: Any, name: str) -> AsyncIterator[Any]:
    from nsecguard_matrix.demo import Peer

    hs.register(name, PASSWORD)
    user = Peer(hs.url, f"@{name}:{hs.server_name}", PASSWORD)
    await user.start()
    try:
        yield user
    finally:
        await user.stop()


async def _all_events(user: Any) -> list[dict[str, Any]]:
    """Every event of every room `user` is in, read back from the server (not only what its
    sync happened to deliver)."""
    import nio

    events: list[dict[str, Any]] = []
    for room_id in list(user.client.rooms):
        start = user.client.next_batch
        for _ in range(20):
            page = await user.client.room_messages(room_id, start=start, limit=100)
            if not isinstance(page, nio.RoomMessagesResponse) or not page.chunk:
                break
            events += [{"room_id": room_id, **e.source} for e in page.chunk]
            if not page.end or page.end == start:
                break
            start = page.end
    return events


class BotProcess:
    """`nsecguard matrix-bot`, its stdout and stderr in files (read back as bytes)."""

    def __init__(self, hs: Any, base: Path) -> None:
        name = uid("guard")
        hs.register(name, PASSWORD)
        self.user_id = f"@{name}:{hs.server_name}"
        self.base = base
        self.store = base / "store"
        self.config = base / "bot.toml"
        self.config.write_text(
            f'homeserver = "{hs.url}"\nuser_id = "{self.user_id}"\npassword = "{PASSWORD}"\n'
            f'store_path = "{self.store}"\n'
        )
        self.stdout, self.stderr = base / "bot.stdout", base / "bot.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "nsecguard", "matrix-bot", "--config", str(self.config)]
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.proc = subprocess.Popen([*cmd, "--log-level", "debug"], stdout=out, stderr=err)

    def log(self) -> str:
        return self.stderr.read_bytes().decode("utf-8", "replace")

    async def wait_log(self, needle: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE_S
        while needle not in self.log():
            assert self.proc is not None and self.proc.poll() is None, "the bot died:\n" + self.log()[-2000:]
            assert loop.time() < deadline, f"the bot never logged {needle!r}:\n" + self.log()[-2000:]
            await asyncio.sleep(0.05)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _from(sender: str, room: str | None = None, *, other_than: str | None = None) -> Any:
    def match(s: Any) -> bool:
        if s.source.get("sender") != sender or s.type != "m.room.message":
            return False
        return (room is None or s.room_id == room) and (other_than is None or s.room_id != other_than)

    return match


async def _guard_one(user: Any, bot: BotProcess, planted: str, posted_nsec: str, npub: str) -> None:
    """One user's room: created with `planted` as its name, then name, topic and display name
    set to it, then a leak to answer."""
    import nio

    room = await user.create_room([bot.user_id], bot_level=50, name=planted)  # (and at creation)
    await user.wait_for(
        lambda s: (
            s.room_id == room and s.type == "m.room.member" and s.source.get("state_key") == bot.user_id
        ),
        DEADLINE_S,
    )
    for event_type, content in (("m.room.name", {"name": planted}), ("m.room.topic", {"topic": planted})):
        resp = await user.client.room_put_state(room, event_type, content)
        assert isinstance(resp, nio.RoomPutStateResponse), resp
    resp = await user.client.set_displayname(planted)
    assert isinstance(resp, nio.ProfileSetDisplayNameResponse), resp
    await user.wait_for(
        lambda s: s.room_id == room and s.type == "m.room.member" and s.content.get("displayname") == planted,
        DEADLINE_S,
    )
    event_id = await user.text(room, f"my new account, key {posted_nsec} :)")
    await user.wait_for(user.redacted(event_id), DEADLINE_S)
    copy = await user.wait_for(
        lambda s: _from(bot.user_id, room)(s) and npub in str(s.content.get("body")), DEADLINE_S
    )
    assert user.user_id in str(copy.content), "the safe copy must name the sender"
    await user.wait_for(
        lambda s: _from(bot.user_id, other_than=room)(s) and npub in str(s.content.get("body")), DEADLINE_S
    )


async def bot_run(hs: Any, base: Path, planted: Sequence[tuple[str, str, str]]) -> Outputs:
    """`planted`: (value for the name, topic and display name; an nsec to post; its npub)."""
    out = Outputs()
    bot = BotProcess(hs, base)
    bot.start()
    try:
        await bot.wait_log("logged in as")
        async with contextlib.AsyncExitStack() as stack:
            users = [await stack.enter_async_context(_peer(hs, uid("user"))) for _ in planted]
            await asyncio.gather(
                *(_guard_one(u, bot, *p) for u, p in zip(users, planted, strict=True)),
            )
            await asyncio.sleep(SETTLE_S)
            code = bot.stop()
            assert code == 0, f"the bot exited with {code}:\n" + bot.log()[-2000:]
            for user in users:
                for event in await _all_events(user):
                    # an invite's content is the server's: Synapse copies the invitee's profile
                    # (display name) into it (`include_profile_data_on_invite`), not the bot
                    invite = event.get("type") == "m.room.member" and event.get("state_key") != bot.user_id
                    if event.get("sender") == bot.user_id and not invite:
                        out.add(f"an event the bot sent ({event.get('type')})", json.dumps(event).encode())
    finally:
        bot.kill()
    out.add("the bot's stdout", bot.stdout.read_bytes())
    out.add("the bot's stderr (its log)", bot.stderr.read_bytes())
    for written in sorted(bot.store.rglob("*")):
        if written.is_file():
            out.add(f"the file it wrote ({written.name})", written.read_bytes())
    return out


def guarded_log_config(base: Path, log_path: Path) -> Path:
    """A Synapse log config that keeps INFO lines (the module logs each refusal at INFO)."""
    base.mkdir(parents=True, exist_ok=True)
    path = base / "log-info.yaml"
    config = {
        "version": 1,
        "formatters": {"f": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "formatter": "f", "filename": str(log_path)}},
        "root": {"level": "INFO", "handlers": ["file"]},
        "loggers": {"nsecguard": {"level": "DEBUG"}},
        "disable_existing_loggers": False,
    }
    path.write_text(json.dumps(config))
    return path


async def module_run(hs: Any, planted: Sequence[str]) -> tuple[Outputs, list[int]]:
    """Each planted value as a display name, a new room's name and topic, and a clean room's
    name and topic, on a guarded Synapse. Returns the answers and the log, and how many of
    the 4 attempts the server refused, for each value."""
    import nio

    out = Outputs()
    refusals: list[int] = []
    for value in planted:
        refused = 0
        async with _peer(hs, uid("user")) as user:
            answers: list[Any] = [await user.client.set_displayname(value)]
            answers.append(await user.client.room_create(name=value, topic=value))
            clean = await user.create_room([], bot_level=None, name="clean")
            for event_type, content in (("m.room.name", {"name": value}), ("m.room.topic", {"topic": value})):
                answers.append(await user.client.room_put_state(clean, event_type, content))
            for answer in answers:
                if isinstance(answer, nio.ErrorResponse):
                    refused += answer.status_code == "M_FORBIDDEN"
                    out.add("the server's answer", f"{answer.status_code} {answer.message}".encode())
        refusals.append(refused)
    out.add("Synapse's log", hs.log_path.read_bytes())
    return out, refusals
