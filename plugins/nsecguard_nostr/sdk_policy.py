"""A write policy for nostr-sdk's `LocalRelay`: events that leak a key are refused with `OK false`.

    policy = LeakWritePolicy()
    relay = policy.attach(LocalRelayBuilder().addr("127.0.0.1").port(7777)).build()
    await relay.run()
    ...
    relay.shutdown()
    policy.detach()

The relay calls `admit_event` for every event a client publishes; the verdict is the one strfry's
plugin gives (`nsecguard_nostr.event.scan_event`, the same filter and options). nostr-sdk's relay
puts NIP-01's machine-readable prefix `blocked: ` in front of every rejection message itself, so
the message handed to it carries none (`blocked: blocked: ...` otherwise).

The relay calls the policy from its own threads: `attach` binds the policy to the running asyncio
loop (nostr-sdk's `uniffi_set_event_loop`, which is process-wide), so call it inside that loop,
and `detach` after the relay is shut down.
A failure while judging an event never escapes (nostr-sdk would print its traceback): the event
is accepted or rejected as `PolicyConfig.on_error` says, and the log names the error's type only.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import nostr_sdk.nostr_sdk
from nostr_sdk import Event, LocalRelayBuilder, WritePolicy, WritePolicyResult, uniffi_set_event_loop

from nsecguard_nostr.event import Leak, describe, scan_event
from nsecguard_nostr.policy import PolicyConfig, reject_message

try:  # optional, three times faster than json
    import orjson

    _loads: Callable[[str], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

# what nostr-sdk's LocalRelay writes before every rejection message (NIP-01 `blocked:` prefix)
HOST_PREFIX = "blocked: "
ERROR_MESSAGE = "error: could not check this event for leaked keys"

log = logging.getLogger("nsecguard.sdk_policy")


def _scrub(text: str) -> str:
    """Every log line with data from a client goes out through here (the output boundary)."""
    from nsecguard.cli import scrub

    return scrub(text)


def relay_message(leaks: list[Leak]) -> str:
    """The rejection message without the prefix the host relay adds itself."""
    text = reject_message(leaks)
    return text[len(HOST_PREFIX) :] if text.startswith(HOST_PREFIX) else text


class LeakWritePolicy(WritePolicy):  # type: ignore[misc]  # nostr-sdk ships no type information
    """Admits an event unless it leaks a key; keeps counts."""

    def __init__(self, config: PolicyConfig | None = None) -> None:
        config = config or PolicyConfig()
        if config.shadow:
            raise ValueError("nostr-sdk's LocalRelay has no shadow rejection: use reject")
        self.config = config
        self.accepted = self.rejected = self.errors = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: asyncio.AbstractEventLoop | None = None

    def attach(self, builder: LocalRelayBuilder) -> LocalRelayBuilder:
        """`builder` with this policy, bound to the running asyncio loop (call it inside it)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("attach the policy inside the asyncio loop that runs the relay") from None
        self._previous = getattr(nostr_sdk.nostr_sdk, "_UNIFFI_GLOBAL_EVENT_LOOP", None)
        self._loop = loop
        uniffi_set_event_loop(loop)
        return builder.write_policy(self)

    def detach(self) -> None:
        """After the relay is shut down: give nostr-sdk back the loop it had before `attach`
        (else its later async calls, from another loop, would await futures of this one)."""
        current = getattr(nostr_sdk.nostr_sdk, "_UNIFFI_GLOBAL_EVENT_LOOP", None)
        if self._loop is not None and current is self._loop:
            uniffi_set_event_loop(self._previous)
        self._loop = self._previous = None

    async def admit_event(self, event: Event, socket_addr: str) -> WritePolicyResult:
        try:
            return self.judge(event.as_json(), socket_addr)
        except Exception as exc:  # never escapes: nostr-sdk would print the traceback
            self.errors += 1
            log.warning("error judging an event (%s): %s", type(exc).__name__, self.config.on_error)
            if self.config.on_error == "reject":
                return WritePolicyResult.REJECT(ERROR_MESSAGE)
            return WritePolicyResult.ACCEPT()

    def judge(self, event_json: str, origin: str = "") -> WritePolicyResult:
        """The verdict on one event given as NIP-01 JSON."""
        event = _loads(event_json)
        leaks = scan_event(event, filt=self.config.filt, options=self.config.options)
        if not leaks:
            self.accepted += 1
            return WritePolicyResult.ACCEPT()
        self.rejected += 1
        if self.config.log_rejects:
            event_id = event.get("id")
            log.warning(
                "%s",
                _scrub(
                    f"rejected event {event_id!s:.64} (kind {event.get('kind')!s:.10} from {origin:.100}): "
                    f"{describe(leaks)}"
                ),
            )
        return WritePolicyResult.REJECT(relay_message(leaks))
