"""A Synapse module that refuses an event holding a Nostr private key before it is stored.

    modules:
      - module: nsecguard_matrix.synapse_module.NsecGuardModule
        config:
          min_confidence: medium     # low, medium (default), high, certain

The spam-checker callback `check_event_for_spam` sees every event a local user sends (and
every event arriving over federation) before it is persisted or sent anywhere. An event
with a key is refused: the sender's client gets M_FORBIDDEN with a reason naming the key's
npub, never the key. Encrypted events cannot be read here; the room bot covers those.

Synapse passes event content as immutable mappings: it is walked, never `json.dumps`ed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from nsecguard import Confidence, Options
from nsecguard_matrix.guard import scan_content

log = logging.getLogger("nsecguard.synapse")

SKIPPED_TYPES = frozenset({"m.room.encrypted"})  # ciphertext: nothing to read


def _codes() -> Any:
    from synapse.api.errors import Codes  # type: ignore[import-not-found, import-untyped, unused-ignore]

    return Codes


class NsecGuardModule:
    def __init__(self, config: Options, api: Any) -> None:
        self.options = config
        self.api = api
        api.register_spam_checker_callbacks(check_event_for_spam=self.check_event_for_spam)

    @staticmethod
    def parse_config(config: Mapping[str, Any] | None) -> Options:
        config = config or {}
        unknown = sorted(set(config) - {"min_confidence"})
        if unknown:
            raise ValueError(f"nsecguard module: unknown config key `{unknown[0]}` (known: min_confidence)")
        raw = config.get("min_confidence", "medium")
        try:
            confidence = Confidence.parse(str(raw))
        except ValueError as exc:
            raise ValueError(f"nsecguard module: `min_confidence`: {exc}") from None
        return Options(min_confidence=confidence, inline_allow=False)

    def refusal(self, event_type: str, content: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """The reason to refuse an event with this content, or None to let it through."""
        if event_type in SKIPPED_TYPES or not isinstance(content, Mapping):
            return None
        findings, _secrets = scan_content(content, self.options)
        if not findings:
            return None
        npubs = list(dict.fromkeys(f.npub for f in findings if f.npub))
        owner = f" of {', '.join(npubs)}" if npubs else ""
        reason = (
            f"Not sent: your message holds a Nostr private key{owner}. Never share a private key. "
            "If you pasted it anywhere else, it is compromised: create a new key and move to it."
        )
        return reason, {"npubs": npubs, "kinds": sorted({str(f.kind) for f in findings})}

    async def check_event_for_spam(self, event: Any) -> Any:
        try:
            verdict = self.refusal(str(event.type), event.content)
        except Exception as exc:  # never break the server over one odd event
            log.warning(
                "nsecguard: could not check %s: %s", getattr(event, "event_id", "?"), type(exc).__name__
            )
            return "NOT_SPAM"
        if verdict is None:
            return "NOT_SPAM"
        reason, details = verdict
        log.info(
            "nsecguard: refused %s from %s in %s: a Nostr private key of %s",
            event.type,
            event.sender,
            event.room_id,
            ", ".join(details["npubs"]) or "unknown",
        )
        # Synapse answers 403 with this errcode; "error" replaces its generic spam message
        return _codes().FORBIDDEN, {"error": reason, "org.nsecguard.npubs": details["npubs"]}
