"""SARIF 2.1.0 as GitHub code scanning accepts it, checked against a schema.

No package on PyPI ships the official sarif-schema-2.1.0.json and tests have no internet, so
`SARIF_SUBSET` below is written here by hand from the SARIF 2.1.0 specification (OASIS) and
GitHub's list of the properties code scanning reads: it checks every object nsecguard emits,
with the spec's types, enums and required properties, and forbids unknown top-level properties.
"""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema

from nsecguard.engine import scan_text
from nsecguard.model import Kind
from nsecguard.reporters import sarif_report
from nsecguard.result import ScanResult
from tests.conftest import Repo, assert_no_secret, new_key, run_cli

_MESSAGE = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1}},
}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
SARIF_SUBSET: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "version": {"type": "string"},
                                    "semanticVersion": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "uniqueItems": True,
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription", "fullDescription", "help"],
                                            "properties": {
                                                "id": {"type": "string", "minLength": 1},
                                                "name": {"type": "string"},
                                                "shortDescription": _MESSAGE,
                                                "fullDescription": _MESSAGE,
                                                "help": {
                                                    "type": "object",
                                                    "required": ["text"],
                                                    "properties": {
                                                        "text": {"type": "string", "minLength": 1},
                                                        "markdown": {"type": "string"},
                                                    },
                                                },
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {"level": _LEVEL},
                                                },
                                                "properties": {
                                                    "type": "object",
                                                    "properties": {
                                                        "tags": {
                                                            "type": "array",
                                                            "items": {"type": "string"},
                                                        },
                                                        "security-severity": {
                                                            "type": "string",
                                                            "pattern": r"^\d+(\.\d+)?$",
                                                        },
                                                        "precision": {
                                                            "enum": ["very-high", "high", "medium", "low"]
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "invocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["executionSuccessful"],
                            "properties": {
                                "executionSuccessful": {"type": "boolean"},
                                "toolExecutionNotifications": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["message"],
                                        "properties": {"message": _MESSAGE, "level": _LEVEL},
                                    },
                                },
                            },
                        },
                    },
                    "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "ruleId",
                                "ruleIndex",
                                "message",
                                "locations",
                                "partialFingerprints",
                            ],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": _LEVEL,
                                "message": _MESSAGE,
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {
                                                                "type": "string",
                                                                "format": "uri-reference",
                                                            },
                                                            "uriBaseId": {"type": "string"},
                                                        },
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {"type": "integer", "minimum": 1},
                                                            "startColumn": {"type": "integer", "minimum": 1},
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                                "partialFingerprints": {
                                    "type": "object",
                                    "minProperties": 1,
                                    "additionalProperties": {"type": "string"},
                                },
                                "properties": {"type": "object"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _validate(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, SARIF_SUBSET, format_checker=jsonschema.FormatChecker())
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_document_for_every_kind_validates() -> None:
    key = new_key()
    text = (
        f"nsec = '{key.nsec}'\nbunker://" + "ab" * 32 + "?relay=wss://r.example&secret=9f8e7d6c5b4a\n"
    )  # nsecguard: allow
    result = ScanResult(findings=scan_text(text, path="dir/ünïcode file.py"), scanned=1)
    result.errors.append("other.txt: cannot read (Permission denied)")
    out = io.StringIO()
    sarif_report.write(result, out)
    doc = json.loads(out.getvalue())
    _validate(doc)
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"nsecguard/nsec", "nsecguard/bunker-secret"}
    nsec = next(r for r in results if r["ruleId"] == "nsecguard/nsec")
    assert nsec["partialFingerprints"] == {sarif_report.FINGERPRINT_KEY: key.fingerprint}
    loc = nsec["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "dir/%C3%BCn%C3%AFcode%20file.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 1, "startColumn": 9}
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]} == {
        f"nsecguard/{k.value}" for k in Kind
    }
    assert_no_secret(out.getvalue(), key)


def test_sarif_from_a_history_scan(repo: Repo) -> None:
    key = new_key()
    sha = repo.commit_file("src/bot.py", f"KEY = '{key.nsec}'\n")
    code, out, err = run_cli("scan", "--history", "--format", "sarif", cwd=repo.path)
    assert code == 1
    doc = json.loads(out)
    _validate(doc)
    [result] = doc["runs"][0]["results"]
    assert result["properties"]["commit"] == sha and result["properties"]["npub"] == key.npub
    assert_no_secret(out + err, key)


def test_empty_sarif_validates(tmp_path: Any) -> None:
    out = io.StringIO()
    sarif_report.write(ScanResult(), out)
    _validate(json.loads(out.getvalue()))
