"""`python -m nsecguard_detect_secrets audit ...`: detect-secrets' own CLI, with two changes.

1. A fix for Yelp/detect-secrets#611 (open in 1.5.0): `detect-secrets audit` builds its table of
   plugins before it reads the baseline, so it cannot find any custom plugin and crashes with
   `KeyError: '<secret type>'`. Here the table is rebuilt once the baseline is loaded.
2. Nostr secrets are shown by what they are and whose they are, never by their value:
   - the interactive screen gets a `Nostr:` line (kind, owner's npub, confidence, advice), and
     the key in the code snippet is replaced by a label such as
     `<Nostr private key (nsec) of npub1...>`;
   - `--report` gives that label instead of the raw secret, and masks it in the lines.
   Other plugins' secrets are shown as detect-secrets shows them.

Every other argument and behaviour is detect-secrets' (`scan`, `audit --stats`, ...). The
changes are made to this process only, and each steps aside if detect-secrets' internals do not
look as expected (a test pins them against the installed version).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from nsecguard_detect_secrets import notes
from nsecguard_detect_secrets.detectors import LineSecret, secrets_on_line


def _hash(value: object) -> str:
    from detect_secrets.core.potential_secret import PotentialSecret

    return str(PotentialSecret.hash_secret(value)) if isinstance(value, str) else ""


def _masked(filename: str, line: str, line_number: int) -> tuple[str, list[LineSecret]]:
    """The line with every Nostr secret on it replaced by its label."""
    found = secrets_on_line(filename, line, line_number)
    for item in sorted(found, key=lambda i: -len(i.raw)):
        line = line.replace(item.raw, notes.describe(item.finding).label)
    return line, found


def _overlapping(raw: object, nostr: list[LineSecret]) -> notes.Note | None:
    """Another plugin's match that is (part of) a Nostr secret is described as that secret."""
    if not isinstance(raw, str) or not raw:
        return None
    for item in nostr:
        if raw in item.raw or item.raw in raw:
            return notes.describe(item.finding)
    return None


def _rebuild_plugin_table_after_load() -> None:
    """Yelp/detect-secrets#611: clear the cached secret-type -> class table after a baseline
    has configured the settings, so the custom plugins it names are loaded from their paths."""
    from detect_secrets.core import baseline
    from detect_secrets.core.plugins import util

    load: Callable[..., Any] = baseline.load
    if getattr(load, "_nsecguard", False):
        return

    def load_and_rebuild(*args: Any, **kwargs: Any) -> Any:
        result = load(*args, **kwargs)
        util.get_mapping_from_secret_type_to_class.cache_clear()
        return result

    load_and_rebuild._nsecguard = True  # type: ignore[attr-defined]
    baseline.load = load_and_rebuild


def _describe_on_screen() -> None:
    """The interactive audit: a `Nostr:` header line, and the key replaced by its label."""
    from detect_secrets.audit import io

    original: Callable[[Any], Any] = io.print_context
    if getattr(original, "_nsecguard", False):
        return

    def print_context(context: Any) -> Any:
        secret = getattr(context, "secret", None)
        raw = getattr(secret, "secret_value", None)
        snippet = getattr(context, "snippet", None)
        if secret is None or not isinstance(raw, str) or snippet is None or context.header:
            return original(context)
        first = int(getattr(snippet, "start_line", 0)) + 1
        target = int(getattr(snippet, "target_index", 0))
        lines: list[str] = []
        on_target: list[LineSecret] = []
        for i, line in enumerate(snippet.lines):
            masked, found = _masked(secret.filename, line, first + i)
            lines.append(masked)
            if i == target:
                on_target = found
        note = notes.note_for(_hash(raw)) or _overlapping(raw, on_target)
        if note is None and lines == list(snippet.lines):
            return original(context)
        shown = copy.copy(secret)
        shown.secret_value = note.label if note is not None else raw
        masked_snippet = copy.copy(snippet)
        masked_snippet.lines = lines
        header = f"Nostr:        {note.text}\n" + "-" * 10 if note is not None else None
        return original(context._replace(secret=shown, snippet=masked_snippet, header=header))

    print_context._nsecguard = True  # type: ignore[attr-defined]
    io.print_context = print_context


def _redact_report() -> None:
    """`audit --report`: a Nostr secret's value and lines become its label."""
    from detect_secrets.audit import report

    original: Callable[..., Any] = report.generate_report
    if getattr(original, "_nsecguard", False):
        return

    def generate_report(*args: Any, **kwargs: Any) -> Any:
        output = original(*args, **kwargs)
        for entry in output.get("results", []):
            raw = entry.get("secrets")
            lines: dict[Any, str] = {}
            nostr: list[LineSecret] = []
            for number, text in entry.get("lines", {}).items():
                lines[number], found = _masked(entry.get("filename", ""), text, int(number))
                nostr.extend(found)
            entry["lines"] = lines
            note = notes.note_for(_hash(raw)) or _overlapping(raw, nostr)
            if note is not None:
                entry["secrets"] = note.label
                entry["nostr"] = note.text
        return output

    generate_report._nsecguard = True  # type: ignore[attr-defined]
    report.generate_report = generate_report


def install() -> None:
    _rebuild_plugin_table_after_load()
    _describe_on_screen()
    _redact_report()


def main(argv: Sequence[str] | None = None) -> int:
    from detect_secrets.main import main as detect_secrets_main

    install()
    return int(detect_secrets_main(list(argv) if argv is not None else None))
