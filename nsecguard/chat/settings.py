"""Reading a chat front-end's config table: typed values, and errors that name the key.

Every chat guard reads a TOML table (homeserver or JID, rooms, state directory, switches); the
checks and the wording of their errors are the same everywhere, so they live here once. An
error names the key and what is wrong, never the value (it may be a password or a key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nsecguard.errors import FatalError
from nsecguard.model import Confidence


class Reader:
    """The checks for one front-end's config (`Reader("xmpp-bot")`)."""

    def __init__(self, front_end: str) -> None:
        self.front_end = front_end

    def err(self, key: str, problem: str) -> FatalError:
        return FatalError(f"{self.front_end} config: `{key}` {problem}")

    def string(self, data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        """A non-empty string, stripped; None when absent (an error when `required`)."""
        if key not in data:
            if required:
                raise self.err(key, "is required")
            return None
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.err(key, "must be a non-empty string")
        return value.strip()

    def boolean(self, data: dict[str, Any], key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.err(key, "must be true or false")
        return value

    def directory(self, data: dict[str, Any], key: str, base: Path | None) -> Path:
        """A required directory path (it may not exist yet), relative to the config's folder."""
        value = self.string(data, key, required=True)
        assert value is not None
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if path.exists() and not path.is_dir():
            raise self.err(key, "must be a directory")
        return path

    def confidence(self, data: dict[str, Any], key: str = "min_confidence") -> Confidence:
        value = data.get(key, "medium")
        if not isinstance(value, str):
            raise self.err(key, "must be one of low, medium, high, certain")
        try:
            return Confidence.parse(value)
        except ValueError as exc:
            raise self.err(key, str(exc)) from None
