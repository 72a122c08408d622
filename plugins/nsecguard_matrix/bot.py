"""The room guard: a thin matrix-nio adapter on the chat core (`nsecguard.chat`).

One sync loop turns events into `Message`s (`messages.to_message`) and hands each one that
holds a key to the core `Guard`, whose workflow (journal, redact, safe copy, warning DM,
no-power escalation, retries, resume after a restart) runs on a `MatrixTransport`. The
redaction request goes out inside the sync callback (nothing else runs first). The sync
position and the ids of handled events persist in `store_path`; the journal there holds the
follow-ups still owed, so a crash at any moment neither loses nor repeats them.

Logs name rooms, events, senders and npubs; never a message body, never a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from nsecguard import Options
from nsecguard.chat.guard import Guard
from nsecguard.chat.journal import Journal
from nsecguard.chat.retry import RetryPolicy
from nsecguard.chat.scrub import KeyScrubber
from nsecguard.chat.scrub import install_key_scrubber as _install_key_scrubber
from nsecguard.errors import FatalError
from nsecguard_matrix import guard, messages
from nsecguard_matrix.config import Config

try:
    import nio
except ImportError as exc:  # pragma: no cover - depends on the install
    raise FatalError("matrix-bot needs matrix-nio: pip install 'nsecguard[matrix]'") from exc

from nsecguard_matrix.transport import MatrixTransport  # needs nio

log = logging.getLogger("nsecguard.matrix")


__all__ = ["GuardBot", "KeyScrubber", "install_key_scrubber", "run_bot"]


def install_key_scrubber() -> None:
    """matrix-nio logs a whole event when it fails validation: the core's scrubber goes on
    every nio logger (a filter on a logger covers only records made by that logger)."""
    _install_key_scrubber(["nio", "nsecguard.matrix"])


install_key_scrubber()

STATE_FILE = "nsecguard-state.json"
HANDLED_KEPT = 5000  # event ids remembered across restarts
OWN_ROOMS_KEPT = 10_000  # direct chats it opened, remembered across restarts
PENDING_KEPT = 1000  # undecryptable events waiting for their room key
SYNC_TIMEOUT_MS = 30_000
REDACTION_PRIORITY_S = 2.0  # housekeeping waits at most this long for a sync's redactions
MAX_BACKOFF_S = 30.0  # longest wait between two failed syncs (error responses)
MAX_RETRY_WAIT_S = 15.0  # longest wait between two tries of a request while the server is unreachable
STOP_GRACE_S = 10.0  # on SIGTERM, how long events in hand may take to finish before being cut off
ATTEMPTS = 5  # a redaction, safe copy or warning that fails is tried again after 0.5, 1, 2 and 4 s
POST_RETRY_S = 0.5
FOLLOW_UP_DELAY = 0.15  # seconds between a redaction and its safe copy and warning
FOLLOW_UP_INTERVAL = 0.5  # seconds between two safe copies in one room

# Only what the guard needs: timelines and room state. No presence, typing or receipts,
# which would wake the long poll for nothing.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": 100},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}

Hook = Callable[[str, dict[str, Any]], None]


class State:
    """What survives a restart, in one JSON file (mode 0600: it holds the access token)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.device_id: str | None = None
        self.access_token: str | None = None
        self.user_id: str | None = None
        self.next_batch: str | None = None
        self.dm_rooms: dict[str, str] = {}
        # every direct chat it ever opened (a user who left one gets a new one): its own rooms,
        # where it has all power (room version 12 lists no creator in the power levels)
        self.own_rooms: list[str] = []
        self.told: dict[str, list[int]] = {}  # room -> [have, need] last told to its admins
        self.handled: OrderedDict[str, None] = OrderedDict()

    def load(self) -> None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise FatalError(f"matrix-bot: cannot read {self.path}: {type(exc).__name__}") from None
        self.device_id = data.get("device_id")
        self.access_token = data.get("access_token")
        self.user_id = data.get("user_id")
        self.next_batch = data.get("next_batch")
        self.dm_rooms = dict(data.get("dm_rooms", {}))
        self.own_rooms = [r for r in data.get("own_rooms", []) if isinstance(r, str)]
        self.told = dict(data.get("told", {}))
        self.handled = OrderedDict.fromkeys(data.get("handled", []))

    def save(self) -> None:
        data = {
            "user_id": self.user_id,
            "device_id": self.device_id,
            "access_token": self.access_token,
            "next_batch": self.next_batch,
            "dm_rooms": self.dm_rooms,
            "own_rooms": self.own_rooms[-OWN_ROOMS_KEPT:],
            "told": self.told,
            "handled": list(self.handled),
        }
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.path)

    def remember(self, event_id: str) -> None:
        self.handled[event_id] = None
        while len(self.handled) > HANDLED_KEPT:
            self.handled.popitem(last=False)


def make_client(config: Config, *, max_retry_wait: float = MAX_RETRY_WAIT_S) -> Any:
    """The nio client. A request that cannot reach the server is tried again, forever, with
    waits growing from 0 to `max_retry_wait` seconds."""
    client_config = nio.AsyncClientConfig(
        encryption_enabled=config.encryption,
        store_sync_tokens=False,  # the bot persists its own, after handling each sync
        max_limit_exceeded=None,  # M_LIMIT_EXCEEDED: wait retry_after_ms, then retry, forever
        max_timeouts=None,  # connection lost: retry forever, with backoff
        backoff_factor=0.25,
        max_timeout_retry_wait_time=max_retry_wait,
        request_timeout=60,
    )
    config.store_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return nio.AsyncClient(
        config.homeserver,
        config.user_id,
        store_path=str(config.store_path),
        config=client_config,
    )


class GuardBot:
    def __init__(self, config: Config, client: Any | None = None, *, hook: Hook | None = None) -> None:
        self.config = config
        self.client = client if client is not None else make_client(config)
        self.state = State(config.store_path / STATE_FILE)
        self.options = Options(min_confidence=config.min_confidence)
        self.hook = hook  # told of each action (the demo prints them)
        self.allowed: set[str] | None = None
        self.filter_id: str | None = None
        self.pending: OrderedDict[str, tuple[str, Any]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._joining: set[str] = set()
        self._first_sync = True
        self._backoff = 1.0
        self._redacting: list[asyncio.Future[None]] = []  # redactions started during this sync
        self._removals: dict[str, asyncio.Future[None]] = {}  # journal entry -> its redaction is over
        self._acting: set[str] = set()
        self._commit: asyncio.Future[None] | None = None
        self.transport = MatrixTransport(self.client, self.state)
        self.guard = Guard(
            self.transport,
            Journal(config.store_path),
            self.options,
            RetryPolicy(
                attempts=ATTEMPTS,
                first_delay=POST_RETRY_S,
                max_delay=MAX_RETRY_WAIT_S,
                room_interval=FOLLOW_UP_INTERVAL,
            ),
            advice=config.warning_text,
            follow_up_delay=FOLLOW_UP_DELAY,
            warn=config.direct_messages,
            observer=self._observe,
        )
        self._resumed = False
        self._in_flight = False  # a sync response is being handled
        self._syncing: asyncio.Future[bool] | None = None
        self.stopped = asyncio.Event()
        self.synced = asyncio.Event()  # set after the first successful sync

    # ---- start-up -----------------------------------------------------------------------

    @property
    def user_id(self) -> str:
        return self.config.user_id

    @property
    def follow_up_delay(self) -> float:
        return self.guard.follow_up_delay

    @follow_up_delay.setter
    def follow_up_delay(self, value: float) -> None:
        self.guard.follow_up_delay = value

    async def start(self) -> None:
        self.config.store_path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.state.load()
        await self._login()
        self.client.add_event_callback(self.on_event, (nio.Event, nio.BadEvent, nio.UnknownBadEvent))
        self.client.add_event_callback(self.on_invite, (nio.InviteMemberEvent,))
        if self.client.olm is not None and self.client.should_upload_keys:
            await self.client.keys_upload()
        resp = await self.client.upload_filter(
            presence=SYNC_FILTER["presence"],
            account_data=SYNC_FILTER["account_data"],
            room=SYNC_FILTER["room"],
        )
        self.filter_id = resp.filter_id if isinstance(resp, nio.UploadFilterResponse) else None
        await self._resolve_allowlist()

    async def _login(self) -> None:
        cfg, st, client = self.config, self.state, self.client
        if st.device_id and st.access_token and st.user_id == cfg.user_id:
            client.restore_login(cfg.user_id, st.device_id, st.access_token)
            log.info("restored login of %s, device %s", cfg.user_id, st.device_id)
            return
        if cfg.access_token:
            client.access_token = cfg.access_token
            who = await client.whoami()
            if not isinstance(who, nio.WhoamiResponse) or not who.device_id:
                raise FatalError("matrix-bot: the homeserver refused `access_token` (or it has no device)")
            if who.user_id != cfg.user_id:
                raise FatalError(f"matrix-bot: `access_token` belongs to {who.user_id}, not `user_id`")
            client.restore_login(cfg.user_id, who.device_id, cfg.access_token)
            st.user_id, st.device_id, st.access_token = cfg.user_id, who.device_id, None
        else:
            await self._password_login()
        st.save()

    async def _password_login(self) -> None:
        resp = await self.client.login(self.config.password, device_name=self.config.device_name)
        if not isinstance(resp, nio.LoginResponse):
            raise FatalError(f"matrix-bot: login as `user_id` failed: {resp.status_code}")
        self.state.user_id = self.config.user_id
        self.state.device_id = resp.device_id
        self.state.access_token = resp.access_token
        log.info("logged in as %s, new device %s", self.config.user_id, resp.device_id)

    async def _resolve_allowlist(self) -> None:
        if not self.config.rooms:
            return
        allowed: set[str] = set()
        for room in self.config.rooms:
            if room.startswith("#"):
                resp = await self.client.room_resolve_alias(room)
                if not isinstance(resp, nio.RoomResolveAliasResponse):
                    log.warning("cannot resolve room alias %s: %s", room, resp.status_code)
                    continue
                room = resp.room_id
            allowed.add(room)
        self.allowed = allowed
        for room_id in allowed:
            resp = await self.client.join(room_id)
            if not isinstance(resp, nio.JoinResponse):
                log.warning("cannot join allowlisted room %s: %s", room_id, resp.status_code)

    def watches(self, room_id: str) -> bool:
        return self.allowed is None or room_id in self.allowed

    # ---- the sync loop ------------------------------------------------------------------

    async def run(self) -> None:
        """Sync until `stopped` is set. A stop cancels only the wait of the long poll: events
        being handled are finished first."""
        stop = asyncio.ensure_future(self.stopped.wait())
        try:
            await self.start()
            while not self.stopped.is_set():
                self._syncing = asyncio.ensure_future(self.sync_once())
                await asyncio.wait({self._syncing, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not self._syncing.done():
                    if self._in_flight:
                        await self._syncing
                    else:
                        self._syncing.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await self._syncing
            # A stop finishes what is in hand: one last sync takes in what the server already
            # holds for the bot (a leak sent just before the stop), and the follow-ups may need
            # more syncs (a new direct chat shows up there), in short polls, until they are done.
            if self.synced.is_set():
                await self.sync_once(timeout_ms=0)
            while self._acting:
                await self.sync_once(timeout_ms=200)
                await asyncio.sleep(0.05)
        finally:
            stop.cancel()
            await self.close()

    async def sync_once(self, timeout_ms: int = SYNC_TIMEOUT_MS) -> bool:
        """One sync and everything it triggers; False when it failed (after backing off)."""
        since = self.client.next_batch or self.state.next_batch
        try:
            resp = await self.client.sync(
                timeout=timeout_ms,
                sync_filter=self.filter_id,
                since=since,
                full_state=True if self._first_sync else None,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a malformed response, a dropped connection
            log.warning("sync failed (%s); retrying in %.0f s", type(exc).__name__, self._backoff)
            await self._sleep_backoff()
            return False
        if not isinstance(resp, nio.SyncResponse):
            await self._sync_failed(resp)
            return False
        self._backoff = 1.0
        self._first_sync = False
        self.synced.set()
        if not self._resumed:
            self._resumed = True  # the follow-ups a crash left owed, now that rooms are known
            self._spawn(self.guard.resume())
        self._in_flight = True
        try:
            await self._after_sync(resp, since)
        finally:
            self._in_flight = False
        return True

    async def _after_sync(self, resp: Any, since: str | None) -> None:
        if self._redacting:
            # Let this sync's redactions reach the server alone: the housekeeping requests
            # below (gap filling, key upload/query/claim) would compete with them for
            # the homeserver's time, and the exposure window is what matters.
            await asyncio.wait(list(self._redacting), timeout=REDACTION_PRIORITY_S)
        if since:
            await self._fill_gaps(resp, since)
        await self._retry_pending()
        await self._e2e_housekeeping()
        self._check_power_everywhere()
        # The sync position is saved once this sync's redactions are done (and every earlier
        # sync's): a crash before that replays the events, and `handled` skips repeats.
        redactions, self._redacting = self._redacting, []
        self._commit = asyncio.ensure_future(self._save_after(self._commit, redactions, resp.next_batch))
        self._spawn(self._commit)

    async def _save_after(
        self, previous: asyncio.Future[None] | None, redactions: list[asyncio.Future[None]], next_batch: str
    ) -> None:
        if previous is not None:
            with contextlib.suppress(BaseException):
                await previous
        if redactions:
            await asyncio.gather(*redactions, return_exceptions=True)
        self.state.next_batch = next_batch
        self.state.save()

    async def _sync_failed(self, resp: Any) -> None:
        code = getattr(resp, "status_code", None)
        if code == "M_UNKNOWN_TOKEN":
            if not self.config.password:
                raise FatalError("matrix-bot: the homeserver no longer accepts `access_token`")
            log.warning("access token refused; logging in again")
            await self._password_login()
            self.state.save()
            return
        log.warning("sync failed (%s); retrying in %.0f s", code, self._backoff)
        await self._sleep_backoff()

    async def _sleep_backoff(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stopped.wait(), self._backoff)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    async def _fill_gaps(self, resp: Any, since: str) -> None:
        """A limited timeline skipped events (many sent while the bot was away): fetch them."""
        for room_id, info in resp.rooms.join.items():
            if not info.timeline.limited or not self.watches(room_id):
                continue
            start = info.timeline.prev_batch
            room = self.client.rooms.get(room_id)
            for _ in range(100):  # at most 10,000 events
                page = await self.client.room_messages(
                    room_id, start=start, end=since, direction=nio.MessageDirection.back, limit=100
                )
                if not isinstance(page, nio.RoomMessagesResponse) or not page.chunk:
                    break
                for event in page.chunk:
                    await self.on_event(room, event, room_id=room_id)
                if not page.end or page.end == start:
                    break
                start = page.end

    async def _e2e_housekeeping(self) -> None:
        client = self.client
        if client.olm is None:
            return
        with contextlib.suppress(Exception):
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        with contextlib.suppress(Exception):
            self.state.save()
        await self.client.close()

    # ---- events -------------------------------------------------------------------------

    async def on_invite(self, room: Any, event: Any) -> None:
        try:
            if (
                not self.config.auto_join
                or event.state_key != self.user_id
                or event.membership != "invite"
                or room.room_id in self._joining
                or not self.watches(room.room_id)
            ):
                return
            self._joining.add(room.room_id)
            resp = await self.client.join(room.room_id)
            if isinstance(resp, nio.JoinResponse):
                log.info("joined %s (invited by %s)", room.room_id, event.sender)
            else:
                log.warning("cannot join %s: %s", room.room_id, resp.status_code)
                self._joining.discard(room.room_id)
        except Exception as exc:
            log.warning("invite to %s not handled: %s", getattr(room, "room_id", "?"), type(exc).__name__)

    async def on_event(self, room: Any, event: Any, *, room_id: str | None = None) -> None:
        """Every timeline event lands here. Never raises: a malformed event is skipped."""
        try:
            room_id = room_id or room.room_id
            if not self.watches(room_id):
                return
            if isinstance(event, nio.MegolmEvent):
                await self._undecryptable(room_id, event)
                return
            source = getattr(event, "source", None)
            if not isinstance(source, Mapping) or source.get("sender") == self.user_id:
                return
            event_id = source.get("event_id")
            if not isinstance(event_id, str) or event_id in self.state.handled or event_id in self._acting:
                return
            direct = room_id in self.state.own_rooms
            content = source.get("content")
            if isinstance(content, Mapping) and messages.text_attachment(content) is not None:
                # a text file: downloaded and scanned in the background (the sync goes on)
                self._start(event_id, self._attachment(room_id, source, direct))
                return
            msg = messages.to_message(room_id, source, direct=direct)
            if msg is None:
                return
            leak = self.guard.inspect(msg)
            if leak is None:
                return
            # Redactions run side by side (many leaks in one sync must not queue up); the
            # request goes out before nio handles the next event.
            self._start(event_id, self.guard.handle(msg, leak))
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            event_id = getattr(event, "event_id", "?")
            log.warning("skipped event %s in %s: %s", event_id, room_id, type(exc).__name__)

    async def _undecryptable(self, room_id: str, event: Any) -> None:
        """Never redact what could not be read; keep it until its room key arrives."""
        if event.event_id in self.pending or event.event_id in self.state.handled:
            return
        event.room_id = room_id
        self.pending[event.event_id] = (room_id, event)
        while len(self.pending) > PENDING_KEPT:
            self.pending.popitem(last=False)
        log.info("cannot decrypt %s in %s yet; asking for its key", event.event_id, room_id)
        with contextlib.suppress(Exception):
            await self.client.request_room_key(event)

    async def _retry_pending(self) -> None:
        for event_id, (room_id, event) in list(self.pending.items()):
            try:
                decrypted = self.client.decrypt_event(event)
            except Exception:
                continue
            del self.pending[event_id]
            await self.on_event(self.client.rooms.get(room_id), decrypted, room_id=room_id)

    # ---- what the bot does with a leak --------------------------------------------------

    def _start(self, event_id: str, job: Awaitable[Any]) -> None:
        """Run one event's workflow; `_redacting` learns when its redaction is over."""
        self._acting.add(event_id)
        removal: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._redacting.append(removal)

        async def run() -> None:
            try:
                await job
            finally:
                self._acting.discard(event_id)
                if not removal.done():
                    removal.set_result(None)

        self._removals[event_id] = removal
        self._spawn(run())

    async def _attachment(self, room_id: str, source: Mapping[str, Any], direct: bool) -> None:
        text = await self._download_text(source["content"])
        msg = messages.to_message(room_id, source, direct=direct, attachment_text=text)
        if msg is not None:
            await self.guard.handle(msg)

    async def _download_text(self, content: Mapping[str, Any]) -> str | None:
        """The text of a small text attachment, or None (too big, not there, not decryptable)."""
        found = messages.text_attachment(content)
        if found is None:
            return None
        _name, _mimetype, _size, source = found
        url = source if isinstance(source, str) else source.get("url")
        try:
            resp = await self.client.download(mxc=url)
        except Exception as exc:
            log.warning("cannot download an attachment: %s", type(exc).__name__)
            return None
        body = getattr(resp, "body", None)
        if not isinstance(body, bytes):
            log.warning("cannot download an attachment: %s", getattr(resp, "status_code", "?"))
            return None
        if isinstance(source, Mapping):
            try:
                from nio.crypto.attachments import decrypt_attachment

                body = decrypt_attachment(body, source["key"]["k"], source["hashes"]["sha256"], source["iv"])
            except Exception as exc:
                log.warning("cannot decrypt an attachment: %s", type(exc).__name__)
                return None
        return body[: messages.MAX_TEXT_ATTACHMENT].decode("utf-8", "replace")

    def _observe(self, step: str, result: str, plan: Mapping[str, Any]) -> None:
        """The core's progress: handled events, redactions over, the demo's hook."""
        msg = plan.get("msg", {})
        event_id, room_id = str(msg.get("id")), str(msg.get("room"))
        if step == "journaled":
            self.state.remember(event_id)
            return
        if step == "remove":
            removal = self._removals.pop(event_id, None)
            if removal is not None and not removal.done():
                removal.set_result(None)
        what = _HOOK_NAMES.get((step, result))
        if what is not None and self.hook is not None:
            info = {
                "room_id": room_id,
                "event_id": event_id,
                "sender": msg.get("sender"),
                "npubs": plan.get("npubs"),
            }
            if step in plan and isinstance(plan[step], Mapping):
                info["content"] = MatrixTransport.content(plan[step]["text"], plan[step]["html"])
            self.hook(what, info)

    # ---- power ----------------------------------------------------------------------------

    def _check_power_everywhere(self) -> None:
        if self.transport.creating:
            return  # a room the bot is creating may show up before its id is known
        own = {*self.state.dm_rooms.values(), *self.state.own_rooms}
        for room_id, room in list(self.client.rooms.items()):
            if room_id in own or not self.watches(room_id):
                continue
            levels = room.power_levels
            have = levels.get_user_level(self.user_id)
            need = levels.defaults.redact
            if have >= need:
                self.state.told.pop(room_id, None)
                continue
            if self.state.told.get(room_id) == [have, need]:
                continue
            self.state.told[room_id] = [have, need]
            self._spawn(self._tell_admins(room, have, need))

    async def _tell_admins(self, room: Any, have: int, need: int) -> None:
        levels = room.power_levels
        pl_level = levels.get_state_event_required_level("m.room.power_levels")
        admins = {u for u, level in levels.users.items() if level >= pl_level and u != self.user_id}
        with contextlib.suppress(Exception):  # room version 12: creators are admins too
            state = await self.client.room_get_state(room.room_id)
            for ev in getattr(state, "events", []):
                if ev.get("type") == "m.room.create":
                    admins.add(ev.get("sender"))
                    admins.update(ev.get("content", {}).get("additional_creators", []))
        admins.discard(self.user_id)
        content = guard.admin_content(
            self.user_id, sorted(a for a in admins if isinstance(a, str)), needed=need, have=have
        )
        log.warning("no power to redact in %s (has %d, needs %d); told its admins", room.room_id, have, need)
        try:
            await self.client.room_send(
                room.room_id, "m.room.message", content, ignore_unverified_devices=True
            )
        except Exception as exc:
            log.warning("cannot tell the admins of %s: %s", room.room_id, type(exc).__name__)
        self._emit_room("told-admins", room.room_id, content)

    # ---- plumbing -----------------------------------------------------------------------

    def _spawn(self, job: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the background posts (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def _emit_room(self, what: str, room_id: str, content: dict[str, Any]) -> None:
        if self.hook is not None:
            self.hook(what, {"room_id": room_id, "content": content})


_HOOK_NAMES = {
    ("remove", "done"): "redacted",
    ("remove", "refused"): "forbidden",
    ("remove", "failed"): "forbidden",
    ("copy", "done"): "safe-copy",
    ("notify", "done"): "no-power",
    ("warn", "done"): "dm",
    ("warn_unremoved", "done"): "dm",
}


async def run_bot(config: Config) -> None:
    bot = GuardBot(config)
    loop = asyncio.get_running_loop()
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, bot.stopped.set)
    runner = asyncio.ensure_future(bot.run())
    stop = asyncio.ensure_future(bot.stopped.wait())
    await asyncio.wait({runner, stop}, return_when=asyncio.FIRST_COMPLETED)
    if not runner.done():
        # `run` finishes the events in hand (redactions under way), then returns; while the
        # server is away that could be never, so it has a grace period. What is cut off is
        # handled again after a restart: the sync position is saved only once it is done.
        await asyncio.wait({runner}, timeout=STOP_GRACE_S)
    if not runner.done():
        log.warning("stopping: events still in hand after %.0f s are left for the next start", STOP_GRACE_S)
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    else:
        stop.cancel()
        runner.result()
