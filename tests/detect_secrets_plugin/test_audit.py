"""`python -m nsecguard_detect_secrets audit`: detect-secrets' audit, working with the plugin
(Yelp/detect-secrets#611) and showing kind and npub, never the key."""

from __future__ import annotations

import json
import sys

from conftest import DETECT_SECRETS, Key, Repo, new_key, run


def _audit(repo: Repo, *args: str, stdin: str | None = None) -> str:
    proc = run(repo.root, sys.executable, "-m", "nsecguard_detect_secrets", "audit", *args, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def _planted(repo: Repo) -> tuple[Key, Key]:
    nsec_key, hex_key = new_key(), new_key()
    repo.write("keys.env", f"NOSTR_NSEC={nsec_key.nsec}\nNOSTR_SK={hex_key.hex}\n")
    repo.make_baseline()
    return nsec_key, hex_key


def test_plain_detect_secrets_audit_cannot_load_the_plugin(repo: Repo) -> None:
    """Pins the upstream bug the front-end works around: when this fails, detect-secrets has
    fixed #611 and the docs can say plain `detect-secrets audit` works."""
    _planted(repo)
    proc = run(repo.root, DETECT_SECRETS, "audit", "--stats", ".secrets.baseline")
    assert proc.returncode != 0 and "KeyError: 'Nostr Private Key" in proc.stderr


def test_interactive_audit_names_kind_and_owner_and_hides_the_key(repo: Repo) -> None:
    nsec_key, hex_key = _planted(repo)
    out = _audit(repo, ".secrets.baseline", stdin="s\ns\nq\n")
    assert "Secret Type: Nostr Private Key (nsec)" in out
    assert "Secret Type: Nostr Private Key (hex)" in out
    assert f"Nostr:        Nostr private key (nsec) of {nsec_key.npub}" in out
    assert f"NOSTR_SK=<Nostr private key (hex) of {hex_key.npub}>" in out
    for key in (nsec_key, hex_key):
        assert key.nsec not in out and key.hex not in out


def test_audit_labels_are_saved(repo: Repo) -> None:
    _planted(repo)
    _audit(repo, ".secrets.baseline", stdin="n\ny\n")
    results = json.loads((repo.root / ".secrets.baseline").read_text())["results"]["keys.env"]
    labels = {r["type"]: r.get("is_secret") for r in results if r["type"].startswith("Nostr")}
    assert labels == {"Nostr Private Key (nsec)": True, "Nostr Private Key (hex)": False}


def test_report_and_stats(repo: Repo) -> None:
    nsec_key, hex_key = _planted(repo)
    report = json.loads(_audit(repo, "--report", ".secrets.baseline"))
    by_type = {t: entry for entry in report["results"] for t in entry["types"]}
    nsec_entry = by_type["Nostr Private Key (nsec)"]
    assert nsec_entry["secrets"] == f"<Nostr private key (nsec) of {nsec_key.npub}>"
    assert nsec_entry["nostr"].startswith(f"Nostr private key (nsec) of {nsec_key.npub}: remove it")
    assert by_type["Nostr Private Key (hex)"]["lines"] == {
        "2": f"NOSTR_SK=<Nostr private key (hex) of {hex_key.npub}>"
    }
    text = json.dumps(report)
    for key in (nsec_key, hex_key):
        assert key.nsec not in text and key.hex not in text

    stats = _audit(repo, "--stats", ".secrets.baseline")
    assert "Plugin: NostrNsecDetector" in stats and "Plugin: NostrHexKeyDetector" in stats
