"""Baselines: the keys already known, so a scan reports only new ones.

A key is known by its fingerprint (derived from its public key): not by line, commit or path.
So a known key that moves (a rebase, an edit above it, a renamed file, a copy into a new file)
stays suppressed, and a new key on an already-known line is still caught. The file is JSON,
sorted, with no timestamps or line numbers: rewriting it changes nothing unless the set of
known keys (or the files holding them) changed. It holds no key, only what findings show:

    {
      "nsecguard-baseline": 1,
      "keys": [
        {"fingerprint": "...", "kind": "nsec", "npub": "npub1...", "paths": ["tests/keys.py"]}
      ]
    }

`npub`, `kind` and `paths` are for people reading the file; only `fingerprint` is matched.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from nsecguard.errors import FatalError
from nsecguard.model import Finding
from nsecguard.result import ScanResult

FORMAT_KEY = "nsecguard-baseline"
VERSION = 1


def _is_fingerprint(value: object) -> bool:
    return isinstance(value, str) and len(value) == 24 and all(c in "0123456789abcdef" for c in value)


def load(path: str | os.PathLike[str]) -> frozenset[str]:
    """The fingerprints a baseline file knows. Errors never echo the file's content."""
    from nsecguard.output import remember_in
    from nsecguard.output import shown as _shown

    p = Path(path)
    shown = _shown(os.fspath(p))
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FatalError(f"{shown}: baseline not found (create it with --write-baseline FILE)") from None
    except IsADirectoryError:
        raise FatalError(f"{shown}: is a directory, not a baseline file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FatalError(f"{shown}: cannot read baseline ({type(exc).__name__})") from None
    remember_in(text)  # a key pasted into the baseline must not come back out in a message
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FatalError(f"{shown}: baseline is not valid JSON (line {exc.lineno})") from None
    except RecursionError:
        raise FatalError(f"{shown}: baseline is nested too deeply to be one") from None
    except ValueError:  # an integer of thousands of digits
        raise FatalError(f"{shown}: baseline holds a value too large to read") from None
    if not isinstance(doc, dict) or doc.get(FORMAT_KEY) != VERSION or not isinstance(doc.get("keys"), list):
        raise FatalError(f"{shown}: not an nsecguard baseline (version {VERSION})")
    known: set[str] = set()
    for i, entry in enumerate(doc["keys"], 1):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not _is_fingerprint(fp):
            raise FatalError(f"{shown}: baseline entry #{i} has no valid fingerprint")
        assert isinstance(fp, str)
        known.add(fp)
    return frozenset(known)


def render(findings: Iterable[Finding]) -> str:
    """The baseline text for these findings: one entry per key, sorted, stable."""
    entries: dict[str, dict[str, object]] = {}
    paths: dict[str, set[str]] = {}
    for f in findings:
        entry = entries.setdefault(f.fingerprint, {"fingerprint": f.fingerprint, "kind": str(f.kind)})
        if f.npub:
            entry["npub"] = f.npub
        paths.setdefault(f.fingerprint, set()).add(f.path)
    from nsecguard.output import printable_path, scrub_all

    keys = []
    for fp in sorted(entries):
        entry = entries[fp]
        # the file is meant to be committed: a path named after a key must not store it
        entry["paths"] = sorted({printable_path(p) for p in scrub_all(sorted(paths[fp]), mask_hex=True)})
        keys.append(entry)
    return json.dumps({FORMAT_KEY: VERSION, "keys": keys}, indent=2, sort_keys=True) + "\n"


def write(path: str | os.PathLike[str], findings: Iterable[Finding]) -> bool:
    """Write the baseline (atomically). Returns False when the file already said exactly this,
    in which case it is left untouched."""
    from nsecguard.output import is_special
    from nsecguard.output import shown as _shown

    p = Path(path)
    shown = _shown(os.fspath(p))
    text = render(findings)
    if not p.parent.is_dir():
        raise FatalError(f"{shown}: cannot write baseline: its directory does not exist")
    if not is_special(os.fspath(p)):
        try:
            if p.read_text(encoding="utf-8") == text:
                return False
        except (OSError, UnicodeDecodeError):
            pass
    else:  # /dev/null, a pipe: write into it, never replace it with a file
        try:
            with open(p, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            raise FatalError(
                f"{shown}: cannot write baseline ({exc.strerror or type(exc).__name__})"
            ) from None
        return True
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".nsecguard-baseline.")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise FatalError(f"{shown}: cannot write baseline ({exc.strerror or type(exc).__name__})") from None
    return True


def apply(result: ScanResult, known: frozenset[str]) -> None:
    """Drop findings whose key the baseline knows; count them as suppressed."""
    kept = [f for f in result.findings if f.fingerprint not in known]
    result.suppressed += len(result.findings) - len(kept)
    result.findings[:] = kept
