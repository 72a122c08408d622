"""detect-secrets plugins for Nostr secrets, one class per kind, all backed by the nsecguard engine.

detect-secrets calls `analyze_line(filename, line, line_number, context)` once per line and per
plugin. The six classes share one lookup (`secrets_on_line`), so the engine runs once per file
(or once per line where the file cannot be used), not six times per line:

- When `filename` is a readable file whose line `line_number` is `line`, the engine scans the
  whole file, exactly as `nsecguard scan` does: names, labels and public-key proofs anywhere in
  the file count.
- Otherwise (a YAML file that detect-secrets rewrote, a diff, `scan --string`, `audit` on
  transformed lines) it scans the context lines detect-secrets passes (five either side).

Only findings on the target line are reported. The "secret" handed to detect-secrets is the raw
text of the finding on that line: detect-secrets hashes it (SHA-1) for the baseline and needs it
on the line to highlight it in `audit`. Nothing here logs, and no message holds the key.

The `secret_type` strings and the class names are stored in users' baselines: never rename them.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.settings import get_settings

from nsecguard import Finding, Kind, rules, scan_text
from nsecguard_detect_secrets import notes

# Stable names (baselines store them; a test pins them): each rule's `secret_type`.
SECRET_TYPES: dict[Kind, str] = {r.kind: r.secret_type or f"Nostr {r.title}" for r in rules.all_rules()}


@dataclass(frozen=True)
class LineSecret:
    """A finding on one line, with the raw text detect-secrets will hash (never logged)."""

    finding: Finding
    raw: str


# ---------------------------------------------------------------------------------------------
# Scanning: whole file when possible, context lines otherwise. One-entry caches: detect-secrets
# asks the six plugins about the same line one after another, and reads files one at a time.


@dataclass(frozen=True)
class _FileScan:
    key: tuple[str, int, int]  # path, mtime_ns, size
    lines: list[str]
    by_line: dict[int, list[LineSecret]]


_file_cache: _FileScan | None = None
_line_cache: tuple[Any, list[LineSecret]] | None = None


def _read_file(filename: str) -> _FileScan | None:
    global _file_cache
    try:
        st = os.stat(filename)
    except (OSError, ValueError):
        return None
    key = (filename, st.st_mtime_ns, st.st_size)
    if _file_cache is not None and _file_cache.key == key:
        return _file_cache
    try:
        # As detect-secrets reads it: text mode, universal newlines.
        with open(filename, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except (OSError, ValueError):
        return None
    _file_cache = _FileScan(key, text.split("\n"), _by_line(text, scan_text(text, path=filename)))
    return _file_cache


def _by_line(text: str, findings: Sequence[Finding]) -> dict[int, list[LineSecret]]:
    out: dict[int, list[LineSecret]] = {}
    for f in findings:
        # A base64 token may run over several lines: keep the part on the finding's line.
        raw = text[f.start : f.end].split("\n", 1)[0].rstrip("\r")
        if raw and f.encoding == "bytes":
            # a key written as numbers: detect-secrets drops any secret without a letter in it
            # (its is_not_alphanumeric_string filter), so the value is labelled
            raw = "bytes: " + raw
        if raw:
            out.setdefault(f.line, []).append(LineSecret(f, raw))
    return out


def _same(a: str, b: str) -> bool:
    return a.rstrip() == b.rstrip()


def secrets_on_line(filename: str, line: str, line_number: int = 0, context: Any = None) -> list[LineSecret]:
    """Findings of every kind on `line`, at nsecguard's default confidence."""
    global _line_cache
    lines: Sequence[str] = getattr(context, "lines", None) or ()
    target = getattr(context, "target_index", 0)
    cache_key = (filename, line_number, line, tuple(lines), target)
    if _line_cache is not None and _line_cache[0] == cache_key:
        return _line_cache[1]
    found: list[LineSecret] | None = None
    scanned = _read_file(filename) if line_number > 0 else None
    lines_read = scanned.lines if scanned is not None else []
    if scanned is not None and line_number <= len(lines_read) and _same(lines_read[line_number - 1], line):
        found = scanned.by_line.get(line_number, [])
    if found is None:
        found = _scan_context(line, lines, target)
    _line_cache = (cache_key, found)
    return found


def _scan_context(line: str, lines: Sequence[str], target: int) -> list[LineSecret]:
    """Scan the context lines detect-secrets passes, with `line` in its place."""
    around = [item.rstrip("\r\n") for item in lines]
    if 0 <= target < len(around):
        around[target] = line
    else:
        around, target = [line], 0
    text = "\n".join(around)
    return _by_line(text, scan_text(text)).get(target + 1, [])


# ---------------------------------------------------------------------------------------------
# The plugins


class _NostrSecret(PotentialSecret):
    """A PotentialSecret that names the key's owner when detect-secrets prints it (the hook)."""

    def __init__(self, *args: Any, note: notes.Note | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.note = note

    def __str__(self) -> str:
        return str(super().__str__()) + (f"Nostr:       {self.note.text}\n" if self.note else "")


class _NostrDetector(BasePlugin):
    """Shared by the six plugins; has no `secret_type`, so detect-secrets does not load it."""

    kind: ClassVar[Kind]

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for item in _scan_context(string, (), 0):
            if item.finding.kind is self.kind:
                yield item.raw

    def analyze_line(
        self,
        filename: str,
        line: str,
        line_number: int = 0,
        context: Any = None,
        **kwargs: Any,
    ) -> set[PotentialSecret]:
        output: set[PotentialSecret] = set()
        for item in secrets_on_line(filename, line, line_number, context):
            if item.finding.kind is not self.kind:
                continue
            note = notes.describe(item.finding)
            secret = _NostrSecret(
                type=self.secret_type, filename=filename, secret=item.raw, line_number=line_number, note=note
            )
            notes.remember(secret.secret_hash, note)
            output.add(secret)
        return output

    def json(self) -> dict[str, Any]:
        """As detect-secrets writes it into the baseline, with the plugin file's path made
        relative to the working directory (the repository root), so the baseline is portable."""
        out: dict[str, Any] = dict(super().json())
        path = portable_path(get_settings().plugins.get(type(self).__name__, {}).get("path"))
        if path is not None:
            out["path"] = path
        return out


def portable_path(path: object) -> str | None:
    """`file:///abs/repo/x.py` -> `file://x.py` when the file lies under the working directory."""
    if not isinstance(path, str) or not path.startswith("file://"):
        return None
    filename = path[len("file://") :]
    if not os.path.isabs(filename):
        return None
    try:
        relative = os.path.relpath(filename, os.getcwd())
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return "file://" + relative.replace(os.sep, "/")


class NostrNsecDetector(_NostrDetector):
    """NIP-19 `nsec1...` private keys (checksum-verified; one typo repaired)."""

    kind = Kind.NSEC
    secret_type = SECRET_TYPES[Kind.NSEC]


class NostrHexKeyDetector(_NostrDetector):
    """64-hex private keys, told from hashes by their names or by their public key nearby."""

    kind = Kind.HEX
    secret_type = SECRET_TYPES[Kind.HEX]


class NostrNcryptsecDetector(_NostrDetector):
    """NIP-49 password-encrypted private keys (`ncryptsec1...`)."""

    kind = Kind.NCRYPTSEC
    secret_type = SECRET_TYPES[Kind.NCRYPTSEC]


class NostrBunkerSecretDetector(_NostrDetector):
    """The `secret=` of a NIP-46 `bunker://` URI."""

    kind = Kind.BUNKER
    secret_type = SECRET_TYPES[Kind.BUNKER]


class NostrConnectSecretDetector(_NostrDetector):
    """The `secret=` of a NIP-46 `nostrconnect://` URI."""

    kind = Kind.NOSTRCONNECT
    secret_type = SECRET_TYPES[Kind.NOSTRCONNECT]


class NostrWalletConnectDetector(_NostrDetector):
    """The `secret=` of a NIP-47 `nostr+walletconnect://` URI: a key that spends."""

    kind = Kind.NWC
    secret_type = SECRET_TYPES[Kind.NWC]


_NAMED = (
    NostrNsecDetector,
    NostrHexKeyDetector,
    NostrNcryptsecDetector,
    NostrBunkerSecretDetector,
    NostrConnectSecretDetector,
    NostrWalletConnectDetector,
)


def _class_for(rule: rules.Rule) -> type[_NostrDetector]:
    """A plugin class for a rule that has no hand-named one (a kind added after 0.1):
    `mnemonic` -> `NostrMnemonicDetector`."""
    name = "Nostr" + "".join(part.capitalize() for part in rule.kind.value.split("-")) + "Detector"
    attrs = {
        "__doc__": rule.title,
        "__module__": __name__,
        "kind": rule.kind,
        "secret_type": SECRET_TYPES[rule.kind],
    }
    return type(name, (_NostrDetector,), attrs)


_GENERATED = tuple(_class_for(r) for r in rules.all_rules() if r.kind not in {c.kind for c in _NAMED})
globals().update({c.__name__: c for c in _GENERATED})

# one plugin per rule, in the rules' order
PLUGINS: tuple[type[_NostrDetector], ...] = (*_NAMED, *_GENERATED)
__all__ = [
    "PLUGINS",
    "SECRET_TYPES",
    "LineSecret",
    "portable_path",
    "secrets_on_line",
    *(c.__name__ for c in PLUGINS),
]
