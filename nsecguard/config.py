"""Configuration: `[tool.nsecguard]` in pyproject.toml, or `.nsecguard.toml`.

    exclude = ["tests/fixtures/**", "*.min.js"]   # globs, matched against paths and names
    min-confidence = "medium"                     # low | medium | high | certain
    allow = ["npub1..."]                          # keys to ignore, by npub or fingerprint

Found by walking up from the scan root (stopping at the repository root); `--config FILE`
names one explicitly. An unknown key is an error that names it.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from nsecguard import keys
from nsecguard.engine import Options
from nsecguard.errors import FatalError
from nsecguard.model import DEFAULT_MIN_CONFIDENCE, Confidence

CONFIG_FILE = ".nsecguard.toml"


class Config(NamedTuple):
    exclude: tuple[str, ...] = ()
    min_confidence: Confidence = DEFAULT_MIN_CONFIDENCE
    allow: frozenset[str] = frozenset()
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
    from nsecguard.output import quote
    from nsecguard.output import shown as _shown

    cfg = Config(source=where)
    where = _shown(where)
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in _KEYS:
            import difflib

            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise FatalError(
                f"{where}: unknown setting {quote(raw_key, '`')}{hint}; known: {', '.join(_KEYS)}"
            )
        if key == "exclude":
            cfg = cfg._replace(exclude=_str_list(value, key, where))
        elif key == "min-confidence":
            if not isinstance(value, str):
                raise FatalError(f"{where}: `{key}` must be a string")
            try:
                cfg = cfg._replace(min_confidence=Confidence.parse(value))
            except ValueError:
                raise FatalError(f"{where}: `{key}`: unknown confidence {quote(value)}") from None
        elif key == "allow":
            entries = _str_list(value, key, where)
            for entry in entries:
                if entry.startswith("npub1") and keys.npub_to_pubkey(entry) is None:
                    raise FatalError(
                        f"{where}: `allow` entry #{entries.index(entry) + 1} is not a valid npub"
                    )
                if not entry.startswith("npub1") and not _is_fingerprint(entry):
                    # never echo the entry: it may be a private key put there by mistake
                    raise FatalError(
                        f"{where}: `allow` entry #{entries.index(entry) + 1} is neither an npub nor a "
                        "finding fingerprint (if it is a private key, remove it from the file: "
                        "allow keys by npub)"
                    )
            cfg = cfg._replace(allow=frozenset(entries))
        elif key == "baseline":
            if not isinstance(value, str):
                raise FatalError(f"{where}: `{key}` must be a path")
            cfg = cfg._replace(baseline=value)
    return cfg


def _is_fingerprint(entry: str) -> bool:
    return len(entry) == 24 and all(c in "0123456789abcdef" for c in entry)


def _read_toml(path: str) -> dict[str, Any]:
    import tomllib

    from nsecguard.output import remember_in
    from nsecguard.output import shown as _shown

    shown = _shown(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise FatalError(f"{shown}: configuration file not found") from None
    except IsADirectoryError:
        raise FatalError(f"{shown}: is a directory, not a configuration file") from None
    except OSError as exc:
        raise FatalError(f"{shown}: cannot read configuration ({exc.strerror})") from None
    remember_in(raw)  # a key written into the config (a value, a key name) never comes back out
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise FatalError(f"{shown}: configuration is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise FatalError(f"{shown}: invalid TOML ({exc})") from None
    except RecursionError:
        raise FatalError(f"{shown}: invalid TOML (nested too deeply)") from None


def load_file(path: str | os.PathLike[str]) -> Config:
    """Settings from a `.nsecguard.toml` (top-level keys, or a [tool.nsecguard] table) or from
    the [tool.nsecguard] table of a pyproject.toml."""
    from nsecguard.output import quote
    from nsecguard.output import shown as _shown

    where = os.fspath(path)
    data = _read_toml(where)
    is_pyproject = os.path.basename(where) == "pyproject.toml"
    if is_pyproject or "tool" in data:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise FatalError(f"{_shown(where)}: `tool` must be a table ([tool.nsecguard])")
        table = tool.get("nsecguard", {} if is_pyproject else None)
        if table is None:
            table = {}
        if not isinstance(table, dict):
            raise FatalError(f"{_shown(where)}: [tool.nsecguard] must be a table")
        if not is_pyproject:
            extra = [k for k in data if k != "tool"]
            if extra:
                raise FatalError(
                    f"{_shown(where)}: unknown setting {quote(extra[0], '`')} outside [tool.nsecguard]"
                )
        return parse(table, where)
    return parse(data, where)


def discover(start: str | os.PathLike[str]) -> Config:
    """The nearest `.nsecguard.toml`, or pyproject.toml with a [tool.nsecguard] table, from
    `start` up to the repository root."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        candidate = os.path.join(here, CONFIG_FILE)
        if os.path.isfile(candidate):
            return load_file(candidate)
        pyproject = os.path.join(here, "pyproject.toml")
        if os.path.isfile(pyproject):
            data = _read_toml(pyproject)
            if isinstance(data.get("tool"), dict) and "nsecguard" in data["tool"]:
                return load_file(pyproject)
        parent = os.path.dirname(here)
        if parent == here or os.path.exists(os.path.join(here, ".git")):
            return Config()
        here = parent
