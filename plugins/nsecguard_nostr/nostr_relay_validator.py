"""A validator for the `nostr-relay` package (PyPI): events that leak a key are refused.

In the relay's `config.yaml`, after its own checks:

    storage:
      validators:
        - nostr_relay.validators.is_signed
        - nsecguard_nostr.nostr_relay_validator.reject_leaks

nostr-relay calls each validator with the parsed event and its config, in a worker thread, and
answers a `StorageError` with `["OK", "", false, <message>]` (the message as given: nostr-relay adds
no prefix, so it keeps the strfry policy's `blocked: `; the id is empty, nostr-relay's way) and
throttles that connection. The verdict is the strfry policy's (`scan_event`, default filter).
"""

from __future__ import annotations

import logging
from typing import Any

from nsecguard_nostr.event import describe, scan_event
from nsecguard_nostr.policy import reject_message

log = logging.getLogger("nsecguard.nostr_relay_validator")
_FIELDS = ("id", "pubkey", "created_at", "kind", "tags", "content")


def _scrub(text: str) -> str:
    """Every log line with data from a client goes out through here (the output boundary)."""
    from nsecguard.cli import scrub

    return scrub(text)


def reject_leaks(event: Any, config: Any = None) -> None:
    """Raise nostr-relay's `StorageError` when `event` leaks a key; return None otherwise."""
    data = {name: getattr(event, name, None) for name in _FIELDS}
    leaks = scan_event(data)
    if not leaks:
        return
    from nostr_relay.errors import StorageError

    log.warning(
        "%s", _scrub(f"rejected event {data['id']!s:.64} (kind {data['kind']!s:.10}): {describe(leaks)}")
    )
    raise StorageError(reject_message(leaks))
