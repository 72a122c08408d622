"""SARIF 2.1.0, as GitHub code scanning accepts it.

One rule per kind of secret (with help text), one result per finding with a physical location
and `partialFingerprints` holding the key's fingerprint, so an alert follows the key rather
than its line. Nothing in the log holds a key: findings name keys by npub and fingerprint.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any, TextIO

from nsecguard import __version__, rules
from nsecguard.model import Finding, Kind, Severity
from nsecguard.result import ScanResult

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "nsecguardKeyFingerprint/v1"

_NUMBERS = frozenset({"commits"})  # front-end data that is a count: a JSON number in the log

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning"}
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.8", Severity.HIGH: "8.1", Severity.MEDIUM: "5.9"}


def rule_id(kind: Kind) -> str:
    return f"nsecguard/{kind.value}"


def _rule(kind: Kind) -> dict[str, Any]:
    rule = rules.rule(kind)
    severity = rule.severity
    return {
        "id": rule_id(kind),
        "name": "".join(part.capitalize() for part in kind.value.split("-")) + "Leak",
        "shortDescription": {"text": f"Leaked {rule.title}"},
        "fullDescription": {"text": rule.help.split(". ")[0] + "."},
        "help": {"text": rule.help, "markdown": rule.help},
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {
            "tags": ["security", "secret", "nostr"],
            "precision": rule.precision,
            "problem.severity": "error" if _LEVEL[severity] == "error" else "warning",
            "security-severity": _SECURITY_SEVERITY[severity],
        },
    }


def artifact_uri(path: str) -> tuple[str, bool]:
    """(URI, relative?) for a reported path: relative paths stay relative to the checkout."""
    posix = path.replace(os.sep, "/") if os.sep != "/" else path
    # a name that is not UTF-8 (surrogate escapes) is percent-encoded byte for byte
    if posix.startswith("/"):
        return "file://" + urllib.parse.quote(posix, safe="/", errors="surrogateescape"), False
    return urllib.parse.quote(posix.removeprefix("./"), safe="/", errors="surrogateescape"), True


def _result(f: Finding, index: int) -> dict[str, Any]:
    uri, relative = artifact_uri(f.path if f.path != "-" else "stdin")
    location: dict[str, Any] = {"uri": uri}
    if relative:
        location["uriBaseId"] = "%SRCROOT%"
    properties: dict[str, Any] = {
        "confidence": str(f.confidence),
        "severity": str(f.severity),
        "reason": f.reason,
    }
    if f.npub:
        properties["npub"] = f.npub
    properties.update((k, int(v) if k in _NUMBERS and v.isdigit() else v) for k, v in f.extra)
    return {
        "ruleId": rule_id(f.kind),
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": properties,
    }


def document(result: ScanResult) -> dict[str, Any]:
    kinds = [r.kind for r in rules.all_rules()]
    notifications = [{"level": "error", "message": {"text": e}} for e in result.errors]
    invocation: dict[str, Any] = {"executionSuccessful": not result.errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nsecguard",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(k) for k in kinds],
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, kinds.index(f.kind)) for f in result.findings],
            }
        ],
    }


def write(result: ScanResult, stream: TextIO) -> None:
    json.dump(document(result), stream, indent=2)
    stream.write("\n")
