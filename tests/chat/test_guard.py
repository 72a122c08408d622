"""`inspect` (pure): every part of a message is read; the core imports no chat library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nsecguard.chat.guard import entry_id, inspect
from nsecguard.chat.message import Attachment, Message

from keygen import assert_no_key, new_key


def msg(text: str = "hello", **extra: object) -> Message:
    return Message(platform="t", room="r", sender="s", id="1", text=text, **extra)  # type: ignore[arg-type]


def test_every_part_is_read() -> None:
    key = new_key()
    split = key.nsec[:20] + "<b></b>" + key.nsec[20:]
    entity = key.nsec[:10] + "&#" + str(ord(key.nsec[10])) + ";" + key.nsec[11:]
    cases = [
        msg(key.nsec),
        msg(formatted=f"<p>{split}</p>"),
        msg(formatted=entity),
        msg(other_texts=(f"topic {key.nsec}",)),
        msg(attachments=(Attachment(name="notes.txt", mimetype="text/plain", size=70, text=key.nsec),)),
        msg(attachments=(Attachment(name=f"{key.nsec}.txt"),)),
    ]
    for case in cases:
        leak = inspect(case)
        assert leak is not None and leak.npubs == [key.npub], case
        assert_no_key(leak.safe_text + leak.describe() + repr(leak), key)
    assert inspect(msg(f"just my {key.npub}")) is None


def test_the_safe_text_keeps_the_words() -> None:
    key = new_key()
    leak = inspect(msg(f"before {key.nsec} after"))
    assert leak is not None and leak.safe_text == f"before nostr:{key.npub} after"


def test_entry_ids_are_per_message() -> None:
    assert entry_id(msg()) == entry_id(msg("other text"))
    assert entry_id(msg()) != entry_id(Message(platform="t", room="r2", sender="s", id="1", text=""))


def test_the_core_imports_no_chat_library() -> None:
    code = (
        "import sys, nsecguard.chat.guard, nsecguard.chat.scrub, nsecguard.chat.journal;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('nio', 'slixmpp', 'synapse', 'aiohttp', 'nsecguard_matrix', 'nsecguard_xmpp')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_a_name_holding_a_key_never_reaches_a_post(tmp_path: Path) -> None:
    """The sender's display name is an input: a bare hex key in it (no context proves it) is
    remembered by the output boundary, so no post or warning quoting the name carries it."""
    from nsecguard.chat.guard import Guard
    from nsecguard.chat.journal import JOURNAL_FILE, Journal
    from tests.chat.memory import MemoryServer, MemoryTransport

    named, leaked = new_key(), new_key()
    server = MemoryServer(names={"mallory": named.hex})
    msg = server.send("room", "mallory", f"here: {leaked.nsec}")
    leak = await Guard(MemoryTransport(server), Journal(tmp_path)).handle(msg)
    assert leak is not None
    posts = [p.text + (p.html or "") for p in server.posted]
    assert len(posts) == 2  # the safe copy and the warning
    for text in [*posts, (tmp_path / JOURNAL_FILE).read_text()]:
        assert_no_key(text, named, leaked)
