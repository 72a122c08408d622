"""The room guard: matrix-nio wiring around the plain behaviour in `guard`.

One sync loop. For each event that holds a key: redact it at once, inside the sync callback
(nothing else runs first), then post the safe copy and the warning DM as background tasks.
The sync position and the ids of handled events persist in `store_path`, written after each
sync's events are handled, so a restart neither misses nor repeats anything.

Logs name rooms, events, senders and npubs; never a message body, never a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from nsecguard import Confidence, Options, sanitize
from nsecguard.errors import FatalError
from nsecguard_matrix import guard
from nsecguard_matrix.config import Config

try:
    import nio
except ImportError as exc:  # pragma: no cover - depends on the install
    raise FatalError("matrix-bot needs matrix-nio: pip install 'nsecguard[matrix]'") from exc

log = logging.getLogger("nsecguard.matrix")


class KeyScrubber(logging.Filter):
    """matrix-nio logs a whole event when it fails validation: swap any key in a record for
    its owner's npub before any handler sees it."""

    options = Options(min_confidence=Confidence.LOW, inline_allow=False)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        safe = sanitize(message, options=self.options)
        if safe != message:
            record.msg, record.args = safe, None
        return True


def install_key_scrubber() -> None:
    """On every nio logger (a filter on a logger covers only records made by that logger)."""
    scrubber = KeyScrubber()
    names = [n for n in logging.Logger.manager.loggerDict if n == "nio" or n.startswith("nio.")]
    for name in [*names, "nsecguard", "nsecguard.matrix"]:
        logger = logging.getLogger(name)
        if not any(isinstance(f, KeyScrubber) for f in logger.filters):
            logger.addFilter(scrubber)


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
POST_ATTEMPTS = 4  # a safe copy or warning that fails is tried again after 0.5, 1 and 2 s
POST_RETRY_S = 0.5
FOLLOW_UP_DELAY = 0.15  # seconds between a redaction and its safe copy and warning
FOLLOW_UP_INTERVAL = 1.0  # seconds between two safe copies in one room (later leaks share one)

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

# error codes that another try will not change
_PERMANENT = {
    "M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_UNKNOWN_TOKEN",
    "M_MISSING_TOKEN", "M_UNSUPPORTED_ROOM_VERSION", "M_USER_DEACTIVATED",
}  # fmt: skip

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
        self._dm_locks: dict[str, asyncio.Lock] = {}
        self._joining: set[str] = set()
        self._first_sync = True
        self._backoff = 1.0
        self._queued: dict[str, list[guard.Leak]] = {}  # room -> redacted leaks awaiting their safe copy
        self.follow_up_delay = FOLLOW_UP_DELAY
        self._last_flush: dict[str, float] = {}
        self._redacting: list[asyncio.Future[None]] = []  # redactions started during this sync
        self._acting: set[str] = set()
        self._commit: asyncio.Future[None] | None = None
        self._creating = 0  # direct chats being created: their power is not for checking
        self._in_flight = False  # a sync response is being handled
        self._syncing: asyncio.Future[bool] | None = None
        self.stopped = asyncio.Event()
        self.synced = asyncio.Event()  # set after the first successful sync

    # ---- start-up -----------------------------------------------------------------------

    @property
    def user_id(self) -> str:
        return self.config.user_id

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
            if not isinstance(event_id, str) or event_id in self.state.handled:
                return
            leak = guard.inspect(room_id, source, self.options)
            if leak is None or event_id in self._acting:
                return
            # Redactions run side by side (many leaks in one sync must not queue up); the
            # request goes out before nio handles the next event.
            self._acting.add(event_id)
            task = asyncio.ensure_future(self.act(leak))
            task.add_done_callback(lambda _t: self._acting.discard(event_id))
            self._redacting.append(task)
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

    async def act(self, leak: guard.Leak) -> None:
        """Redact first (awaited here, before anything else), then the rest in the background."""
        started = time.perf_counter()
        lag = time.time() * 1000 - leak.origin_ts if leak.origin_ts else -1.0
        resp = await self.client.room_redact(leak.room_id, leak.event_id, reason=guard.REDACTION_REASON)
        took = (time.perf_counter() - started) * 1000
        self.state.remember(leak.event_id)
        if isinstance(resp, nio.RoomRedactResponse):
            log.info(
                "redacted %s in %s from %s (seen %.0f ms after it was sent, redacted in %.0f ms): %s",
                leak.event_id,
                leak.room_id,
                leak.sender,
                lag,
                took,
                leak.describe(),
            )
            self._emit("redacted", leak)
            self._after_redaction(leak)
            return
        code = getattr(resp, "status_code", None)
        log.warning(
            "cannot redact %s in %s from %s (%s): %s",
            leak.event_id,
            leak.room_id,
            leak.sender,
            code,
            leak.describe(),
        )
        if code == "M_FORBIDDEN":
            self._emit("forbidden", leak)
            self._spawn(self._no_power(leak))
        else:
            self._spawn(self._retry_redaction(leak))

    async def _retry_redaction(self, leak: guard.Leak) -> None:
        for attempt in range(5):
            await asyncio.sleep(0.5 * 2**attempt)
            resp = await self.client.room_redact(leak.room_id, leak.event_id, reason=guard.REDACTION_REASON)
            if isinstance(resp, nio.RoomRedactResponse):
                log.info("redacted %s in %s on retry %d", leak.event_id, leak.room_id, attempt + 1)
                self._emit("redacted", leak)
                self._after_redaction(leak)
                return
        log.error("gave up redacting %s in %s", leak.event_id, leak.room_id)
        await self._no_power(leak)

    def _after_redaction(self, leak: guard.Leak) -> None:
        """Queue the safe copy and the warning. They go out FOLLOW_UP_DELAY later, so the server
        first spreads the redaction, and leaks removed within that moment share one notice."""
        batch = self._queued.setdefault(leak.room_id, [])
        batch.append(leak)
        if len(batch) == 1:
            self._spawn(self._flush(leak.room_id))

    async def _flush(self, room_id: str) -> None:
        # at most one safe copy a second per room: under a flood, the server's time goes to
        # redactions, and the notices come in batches
        now = time.monotonic()
        at = max(now + self.follow_up_delay, self._last_flush.get(room_id, 0.0) + FOLLOW_UP_INTERVAL)
        await asyncio.sleep(at - now)
        self._last_flush[room_id] = time.monotonic()
        leaks = self._queued.pop(room_id, [])
        if not leaks:
            return
        room = self.client.rooms.get(room_id)
        names = {leak.sender: room.user_name(leak.sender) if room is not None else None for leak in leaks}
        jobs: list[Awaitable[None]] = [
            self._post(room_id, guard.safe_copy_content(leaks, names), "safe-copy", leaks)
        ]
        if self.config.direct_messages:
            jobs.extend(self._warn(group, redacted=True) for group in _by_sender(leaks))
        await asyncio.gather(*jobs)

    async def _no_power(self, leak: guard.Leak) -> None:
        room = self.client.rooms.get(leak.room_id)
        needed = have = None
        if room is not None:
            needed = room.power_levels.defaults.redact
            have = room.power_levels.get_user_level(self.user_id)
        content = guard.no_power_content(leak, needed=needed, have=have)
        jobs: list[Awaitable[None]] = [self._post(leak.room_id, content, "no-power", [leak])]
        if self.config.direct_messages and not leak.is_notice:
            jobs.append(self._warn([leak], redacted=False))
        await asyncio.gather(*jobs)

    async def _warn(self, leaks: list[guard.Leak], *, redacted: bool) -> None:
        room_id = await self._dm_room(leaks[0].sender)
        if room_id is None:
            return
        content = guard.warning_content(leaks, redacted=redacted, advice=self.config.warning_text)
        await self._post(room_id, content, "dm", leaks)

    async def _post(self, room_id: str, content: dict[str, Any], what: str, leaks: list[guard.Leak]) -> None:
        """Send a safe copy, a warning or a notice; an error that may pass (a server error, a
        room not synced yet) is tried again a few times: a lost warning is a user not told."""
        ids = ", ".join(leak.event_id for leak in leaks)
        npubs = ", ".join(dict.fromkeys(n for leak in leaks for n in leak.npubs))
        for attempt in range(POST_ATTEMPTS):
            if attempt:
                await asyncio.sleep(POST_RETRY_S * 2 ** (attempt - 1))
            try:
                resp = await self.client.room_send(
                    room_id, "m.room.message", content, ignore_unverified_devices=True
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                problem = type(exc).__name__
                log.warning("cannot post %s for %s in %s: %s", what, ids, room_id, problem)
                continue
            if isinstance(resp, nio.RoomSendResponse):
                log.info("posted %s for %s in %s (%s)", what, ids, room_id, npubs)
                for leak in leaks:
                    self._emit(what, leak, room_id=room_id, content=content)
                return
            log.warning("cannot post %s for %s in %s: %s", what, ids, room_id, resp.status_code)
            if resp.status_code in _PERMANENT:
                return
        log.error("gave up posting %s for %s in %s", what, ids, room_id)

    async def _dm_room(self, user_id: str) -> str | None:
        lock = self._dm_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            room_id = self.state.dm_rooms.get(user_id)
            if room_id is not None and self._in_dm(room_id, user_id):
                return room_id
            self._creating += 1
            try:
                resp = await self.client.room_create(
                    is_direct=True,
                    invite=[user_id],
                    name="nsecguard warnings",
                    preset=nio.RoomPreset.trusted_private_chat,
                )
                if isinstance(resp, nio.RoomCreateResponse):
                    self.state.dm_rooms[user_id] = resp.room_id
                    self.state.own_rooms.append(resp.room_id)
            finally:
                self._creating -= 1
            if not isinstance(resp, nio.RoomCreateResponse):
                log.warning("cannot open a direct chat with %s: %s", user_id, resp.status_code)
                return None
            self.state.save()
            log.info("opened direct chat %s with %s", resp.room_id, user_id)
            # nio sends only to rooms it has synced: wait for the sync loop to see it, with the
            # invite (the first sync to show the room may come before it; meanwhile, under the
            # lock, another warning would take the room for one the user has left)
            for _ in range(200):
                if self._in_dm(resp.room_id, user_id):
                    break
                await asyncio.sleep(0.05)
            return str(resp.room_id)

    def _in_dm(self, room_id: str, user_id: str) -> bool:
        """The bot has synced `room_id` with `user_id` in it or invited to it."""
        room = self.client.rooms.get(room_id)
        return room is not None and (user_id in room.users or user_id in room.invited_users)

    # ---- power ----------------------------------------------------------------------------

    def _check_power_everywhere(self) -> None:
        if self._creating:
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

    def _emit(self, what: str, leak: guard.Leak, **extra: Any) -> None:
        if self.hook is not None:
            self.hook(
                what,
                {
                    "room_id": leak.room_id,
                    "event_id": leak.event_id,
                    "sender": leak.sender,
                    "npubs": leak.npubs,
                    **extra,
                },
            )

    def _emit_room(self, what: str, room_id: str, content: dict[str, Any]) -> None:
        if self.hook is not None:
            self.hook(what, {"room_id": room_id, "content": content})


def _by_sender(leaks: list[guard.Leak]) -> list[list[guard.Leak]]:
    """One warning per person; other bots' notices get none (no conversations between bots)."""
    groups: dict[str, list[guard.Leak]] = {}
    for leak in leaks:
        if not leak.is_notice:
            groups.setdefault(leak.sender, []).append(leak)
    return list(groups.values())


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
