"""SARIF 2.1.0 as GitHub code scanning accepts it, validated against the official OASIS schema
(vendored beside this file: SARIF-SCHEMA.md says where it came from), plus the few things code
scanning needs beyond it."""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nsecguard.engine import scan_text
from nsecguard.model import Kind
from nsecguard.reporters import sarif_report
from nsecguard.result import ScanResult
from tests.conftest import Repo, assert_no_secret, new_key, run_cli

SCHEMA_FILE = Path(__file__).with_name("sarif-schema-2.1.0.json")


@functools.cache
def official_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _validate(doc: dict[str, Any]) -> None:
    """The official schema, then what GitHub code scanning needs beyond it."""
    official_validator().validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"\d+(\.\d+)?", rule["properties"]["security-severity"])
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"] and result["locations"]


def test_the_official_schema_rejects_what_code_scanning_would() -> None:
    """The validator can fail: a wrong level, a missing message, a region starting at line 0."""
    out = io.StringIO()
    key = new_key()
    sarif_report.write(ScanResult(findings=scan_text(f"{key.nsec}\n", path="a.txt"), scanned=1), out)
    good = json.loads(out.getvalue())
    _validate(good)
    for damage in (
        lambda d: d["runs"][0]["results"][0].update(level="fatal"),
        lambda d: d["runs"][0]["results"][0].pop("message"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(
            startLine=0
        ),
        lambda d: d.update(version="2.0.0"),
        lambda d: d["runs"][0]["tool"]["driver"].update(unknownProperty=1),
    ):
        doc = json.loads(out.getvalue())
        damage(doc)
        with pytest.raises(jsonschema.ValidationError):
            official_validator().validate(doc)


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
    assert result["properties"]["commits"] == 1  # a number, not a string
    assert_no_secret(out + err, key)


def test_empty_sarif_validates(tmp_path: Any) -> None:
    out = io.StringIO()
    sarif_report.write(ScanResult(), out)
    _validate(json.loads(out.getvalue()))


def test_sarif_of_a_directory_scan_with_a_finding_in_an_ignored_file(repo: Repo) -> None:
    key = new_key()
    repo.write(".gitignore", ".env\n")
    repo.write(".env", f"NOSTR_NSEC={key.nsec}\n")
    repo.write("app.py", f"{key.nsec}\n")
    code, out, err = run_cli("scan", "--format", "sarif", ".", cwd=repo.path)
    assert code == 1
    doc = json.loads(out)
    _validate(doc)
    by_uri = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in doc["runs"][0]["results"]
    }
    assert by_uri[".env"]["properties"]["ignored"] == "ignored by git: not committed"
    assert "not committed" in by_uri[".env"]["message"]["text"]
    assert "ignored" not in by_uri["app.py"]["properties"]
    assert_no_secret(out + err, key)
