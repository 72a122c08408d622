"""docs/plugins.md's example chat adapter, run as written against a real line-chat server."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from keygen import assert_no_key, new_key

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def example(tmp_path: Path) -> tuple[ModuleType, str]:
    text = DOC.read_text()
    found = re.search(r"<!-- linechat-example -->\n```python\n(.*?)```", text, re.S)
    assert found, "the example is gone from docs/plugins.md"
    code = found.group(1)
    path = tmp_path / "linechat_example.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("linechat_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, code


class LineChat:
    """The toy server: relays MSG as EVENT to everyone, obeys DEL/SAY/TELL, keeps a log of
    what each user can see (idempotent by the SAY/TELL key, like a real server)."""

    def __init__(self) -> None:
        self.clients: dict[str, asyncio.StreamWriter] = {}
        self.deleted: list[str] = []
        self.room: list[str] = []  # bot posts in rooms
        self.private: dict[str, list[str]] = {}
        self.keys: set[str] = set()
        self.ids = 0
        self.raw: list[str] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nick = "?"
        while line := await reader.readline():
            text = line.decode().rstrip("\n")
            self.raw.append(text)
            verb, _, rest = text.partition(" ")
            if verb == "NICK":
                nick = rest
                self.clients[nick] = writer
            elif verb == "MSG":  # MSG <room> <text>
                room, body = rest.split(" ", 1)
                self.ids += 1
                for w in self.clients.values():
                    w.write(f"EVENT e{self.ids} {room} {nick} {body}\n".encode())
            elif verb == "DEL":
                self.deleted.append(rest.split(" ")[1])
            elif verb in ("SAY", "TELL"):
                key, target, body = rest.split(" ", 2)
                if key not in self.keys:
                    self.keys.add(key)
                    (self.room if verb == "SAY" else self.private.setdefault(target, [])).append(body)


async def test_the_documented_adapter_guards_a_line_chat(tmp_path: Path) -> None:
    module, code = example(tmp_path)
    assert len(code.splitlines()) < 100
    chat = LineChat()
    server = await asyncio.start_server(chat.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bot = asyncio.ensure_future(module.guard_chat("127.0.0.1", port, tmp_path / "state"))
    try:
        _reader, alice = await asyncio.open_connection("127.0.0.1", port)
        alice.write(b"NICK alice\n")
        while "guard" not in chat.clients or "alice" not in chat.clients:
            await asyncio.sleep(0.01)
        key = new_key()
        alice.write(f"MSG #nostr hello, my key is {key.nsec}\nMSG #nostr all fine\n".encode())
        await alice.drain()
        while not chat.private.get("alice"):
            await asyncio.sleep(0.01)
            assert not bot.done(), bot
        await asyncio.sleep(0.2)
        assert chat.deleted == ["e1"]
        assert len(chat.room) == 1 and f"nostr:{key.npub}" in chat.room[0] and "hello" in chat.room[0]
        assert len(chat.private["alice"]) == 1 and "compromised for good" in chat.private["alice"][0]
        for line in [line for line in chat.raw if not line.startswith("MSG")]:
            assert_no_key(line, key)
        alice.close()
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await bot
        server.close()
        await server.wait_closed()
