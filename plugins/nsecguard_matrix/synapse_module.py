"""A Synapse module that refuses a Nostr secret before Synapse stores or shows it anywhere.

    modules:
      - module: nsecguard_matrix.synapse_module.NsecGuardModule
        config:
          min_confidence: medium     # low, medium (default), high, certain

What it checks, and through which of Synapse's module callbacks (docs/matrix.md lists them):
- every event a local user sends, of any type, state events included (topic, name, custom
  state, `m.room.member` display names, invite/kick/ban `reason`): `check_event_allowed`
  (third-party rules), which sees membership events too, and `check_event_for_spam`, which
  also sees events arriving over federation;
- `createRoom` (name, topic, initial state, creation content): `user_may_create_room`;
- media uploads (the file's first MiB, read as text): `check_media_file_for_spam`;
- `PUT /profile/<user>/displayname`: no module callback runs before Synapse stores a
  profile, so the module wraps the profile handler's `set_displayname` (an internal API: if a
  Synapse version lacks it, the module logs a warning at start and the displayname is only
  kept out of room membership events, by the first callback).
A refusal is M_FORBIDDEN with a reason naming the secret's kind and its owner's npub, never
the secret. Encrypted events cannot be read here; the room bot covers those.

Synapse passes event content as immutable mappings: it is walked, never `json.dumps`ed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from nsecguard import Confidence, Options
from nsecguard.chat.texts import what_leaked
from nsecguard_matrix.guard import scan_content

log = logging.getLogger("nsecguard.synapse")

SKIPPED_TYPES = frozenset({"m.room.encrypted"})  # ciphertext: nothing to read
MEDIA_BYTES = 1024 * 1024  # how much of an uploaded file is read


def _errors() -> Any:
    import synapse.api.errors  # type: ignore[import-not-found, import-untyped, unused-ignore]

    return synapse.api.errors


class NsecGuardModule:
    def __init__(self, config: Options, api: Any) -> None:
        self.options = config
        self.api = api
        api.register_spam_checker_callbacks(
            check_event_for_spam=self.check_event_for_spam,
            user_may_create_room=self.user_may_create_room,
            check_media_file_for_spam=self.check_media_file_for_spam,
        )
        api.register_third_party_rules_callbacks(check_event_allowed=self.check_event_allowed)
        self._guard_displaynames()

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

    def refusal(self, event_type: str, content: Any) -> tuple[str, dict[str, Any]] | None:
        """The reason to refuse this content, or None to let it through."""
        if event_type in SKIPPED_TYPES or not isinstance(content, Mapping):
            return None
        findings, _secrets = scan_content(content, self.options)
        if not findings:
            return None
        npubs = list(dict.fromkeys(f.npub for f in findings if f.npub))
        owner = f" of {', '.join(npubs)}" if npubs else ""
        what = what_leaked(f.kind for f in findings)
        reason = (
            f"Not sent: it holds {what}{owner}. Never share it. If you pasted it anywhere else, "
            "treat it as compromised and replace it."
        )
        return reason, {"npubs": npubs, "kinds": sorted({str(f.kind) for f in findings})}

    def _refused(self, what: str, where: str, details: dict[str, Any]) -> None:
        log.info(
            "nsecguard: refused %s %s: %s",
            what,
            where,
            ", ".join(details["npubs"]) or ", ".join(details["kinds"]),
        )

    # ---- events -------------------------------------------------------------------------

    def _event_verdict(self, event: Any) -> tuple[str, dict[str, Any]] | None:
        try:
            content = dict(event.content)
            state_key = getattr(event, "state_key", None)
            if isinstance(state_key, str) and state_key and str(event.type) != "m.room.member":
                content = {**content, "org.nsecguard.state_key": state_key}
            return self.refusal(str(event.type), content)
        except Exception as exc:  # never break the server over one odd event
            log.warning(
                "nsecguard: could not check %s: %s", getattr(event, "event_id", "?"), type(exc).__name__
            )
            return None

    async def check_event_for_spam(self, event: Any) -> Any:
        verdict = self._event_verdict(event)
        if verdict is None:
            return "NOT_SPAM"
        reason, details = verdict
        self._refused(str(event.type), f"from {event.sender} in {event.room_id}", details)
        # Synapse answers 403 with this errcode; "error" replaces its generic spam message
        return _errors().Codes.FORBIDDEN, {"error": reason, "org.nsecguard.npubs": details["npubs"]}

    async def check_event_allowed(self, event: Any, state_events: Any) -> tuple[bool, dict[str, Any] | None]:
        """Membership events (display names, invite/kick reasons) reach only this callback."""
        verdict = self._event_verdict(event)
        if verdict is None:
            return True, None
        reason, details = verdict
        self._refused(str(event.type), f"from {event.sender} in {event.room_id}", details)
        errors = _errors()
        raise errors.SynapseError(
            403, reason, errors.Codes.FORBIDDEN, {"org.nsecguard.npubs": details["npubs"]}
        )

    # ---- rooms, media, profiles ---------------------------------------------------------

    async def user_may_create_room(self, user_id: str, request_content: Any = None) -> Any:
        verdict = (
            self.refusal("createRoom", request_content) if isinstance(request_content, Mapping) else None
        )
        if verdict is None:
            return "NOT_SPAM"
        reason, details = verdict
        self._refused("createRoom", f"from {user_id}", details)
        return _errors().Codes.FORBIDDEN, {"error": reason, "org.nsecguard.npubs": details["npubs"]}

    async def check_media_file_for_spam(self, file_wrapper: Any, file_info: Any) -> Any:
        try:
            with open(file_wrapper.path, "rb") as f:
                data = f.read(MEDIA_BYTES)
        except Exception as exc:
            log.warning("nsecguard: could not read an upload: %s", type(exc).__name__)
            return "NOT_SPAM"
        verdict = self.refusal("media", {"text": data.decode("utf-8", "replace")})
        if verdict is None:
            return "NOT_SPAM"
        reason, details = verdict
        self._refused("an upload", f"({getattr(file_info, 'file_id', '?')})", details)
        return _errors().Codes.FORBIDDEN, {"error": reason, "org.nsecguard.npubs": details["npubs"]}

    def _guard_displaynames(self) -> None:
        hs = getattr(self.api, "_hs", None)
        handler = hs.get_profile_handler() if hs is not None and hasattr(hs, "get_profile_handler") else None
        original = getattr(handler, "set_displayname", None)
        if handler is None or original is None:
            log.warning("nsecguard: cannot guard profile display names in this Synapse version")
            return
        module = self

        async def set_displayname(*args: Any, **kwargs: Any) -> Any:
            new = kwargs.get("new_displayname", args[2] if len(args) > 2 else None)
            verdict = module.refusal("m.room.member", {"displayname": new}) if isinstance(new, str) else None
            if verdict is not None:
                reason, details = verdict
                module._refused("a display name", f"for {kwargs.get('target_user', '?')}", details)
                errors = _errors()
                raise errors.SynapseError(
                    403, reason, errors.Codes.FORBIDDEN, {"org.nsecguard.npubs": details["npubs"]}
                )
            return await original(*args, **kwargs)

        handler.set_displayname = set_displayname
