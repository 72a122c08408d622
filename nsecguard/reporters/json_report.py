"""JSON: `{"findings": [...], "errors": [...], "summary": {...}}`. Findings hold no key."""

from __future__ import annotations

import json
from typing import TextIO

from nsecguard import __version__
from nsecguard.result import ScanResult


def write(result: ScanResult, stream: TextIO) -> None:
    doc = {
        "tool": "nsecguard",
        "version": __version__,
        "findings": [f.to_dict() for f in result.findings],
        "errors": result.errors,
        "warnings": result.warnings,
        "summary": {
            "findings": len(result.findings),
            "scanned": result.scanned,
            "scanned_bytes": result.scanned_bytes,
            "errors": len(result.errors),
            "suppressed": result.suppressed,
        },
    }
    json.dump(doc, stream, indent=2, sort_keys=False)
    stream.write("\n")
