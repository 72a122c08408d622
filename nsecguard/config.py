"""Configuration: `[tool.nsecguard]` in pyproject.toml, or `.nsecguard.toml`.

    exclude = ["tests/fixtures/**", "*.min.js"]   # globs, matched against paths and names
    min-confidence = "medium"                     # low | medium | high | certain
    allow = ["npub1..."]                          # keys to ignore, by npub or fingerprint

Found by walking up from the scan root (stopping at the repository root); `--config FILE`
names one explicitly. An unknown key is an error that names it.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nsecguard import keys
from nsecguard.engine import Options
from nsecguard.errors import FatalError
from nsecguard.model import DEFAULT_MIN_CONFIDENCE, Confidence

CONFIG_FILE = ".nsecguard.toml"


@dataclass(frozen=True)
class Config:
    exclude: tuple[str, ...] = ()
    min_confidence: Confidence = DEFAULT_MIN_CONFIDENCE
    allow: frozenset[str] = field(default_factory=frozenset)
    baseline: str | None = None
    source: str | None = None  # the file it came from

    def options(self) -> Options:
        return Options(min_confidence=self.min_confidence, allow=self.allow)


_KEYS = {
    "exclude": "exclude",
    "min-confidence": "min_confidence",
    "allow": "allow",
    "baseline": "baseline",
}


def _str_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FatalError(f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def parse(table: dict[str, Any], where: str) -> Config:
    cfg = Config(source=where)
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in _KEYS:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise FatalError(f"{where}: unknown setting `{raw_key}`{hint}; known: {', '.join(_KEYS)}")
        if key == "exclude":
            cfg = replace(cfg, exclude=_str_list(value, key, where))
        elif key == "min-confidence":
            if not isinstance(value, str):
                raise FatalError(f"{where}: `{key}` must be a string")
            try:
                cfg = replace(cfg, min_confidence=Confidence.parse(value))
            except ValueError as exc:
                raise FatalError(f"{where}: `{key}`: {exc}") from None
        elif key == "allow":
            entries = _str_list(value, key, where)
            for entry in entries:
                if entry.startswith("npub1") and keys.npub_to_pubkey(entry) is None:
                    raise FatalError(f"{where}: `allow`: {entry!r} is not a valid npub")
                if not entry.startswith("npub1") and not _is_fingerprint(entry):
                    # never echo the entry: it may be a private key put there by mistake
                    raise FatalError(
                        f"{where}: `allow` entry #{entries.index(entry) + 1} is neither an npub nor a "
                        "finding fingerprint (if it is a private key, remove it from the file: allow keys by npub)"
                    )
            cfg = replace(cfg, allow=frozenset(entries))
        elif key == "baseline":
            if not isinstance(value, str):
                raise FatalError(f"{where}: `{key}` must be a path")
            cfg = replace(cfg, baseline=value)
    return cfg


def _is_fingerprint(entry: str) -> bool:
    return len(entry) == 24 and all(c in "0123456789abcdef" for c in entry)


def load_file(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FatalError(f"{p}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FatalError(f"{p}: cannot read configuration ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise FatalError(f"{p}: invalid TOML ({exc})") from None
    if p.name == "pyproject.toml" or "tool" in data:
        table = data.get("tool", {}).get("nsecguard")
        if table is None:
            if p.name == "pyproject.toml":
                return Config(source=str(p))
            table = {}
        elif not isinstance(table, dict):
            raise FatalError(f"{p}: [tool.nsecguard] must be a table")
        extra = [k for k in data if k != "tool"] if p.name != "pyproject.toml" else []
        if extra:
            raise FatalError(f"{p}: unknown setting `{extra[0]}` outside [tool.nsecguard]")
        return parse(table, str(p))
    return parse(data, str(p))


def discover(start: str | os.PathLike[str]) -> Config:
    """The nearest `.nsecguard.toml`, or pyproject.toml with a [tool.nsecguard] table, from
    `start` up to the repository root."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return load_file(candidate)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            cfg = load_file(pyproject)
            if cfg.source and _has_table(pyproject):
                return cfg
        if (directory / ".git").exists():
            break
    return Config()


def _has_table(pyproject: Path) -> bool:
    try:
        return "nsecguard" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
