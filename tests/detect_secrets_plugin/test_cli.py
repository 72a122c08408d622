"""The real detect-secrets CLIs with the plugin file: scan, hook, portable baselines, audit."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import DETECT_SECRETS, HOOK, SHIM, Key, Repo, new_key, nostr_results, run

from nsecguard import scan_text
from nsecguard.model import Kind
from nsecguard_detect_secrets import SECRET_TYPES

# NIP-49 test vector (public): an encrypted key.
NCRYPTSEC = (
    "ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623"
    "nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p"
)
NSEC, HEX = SECRET_TYPES[Kind.NSEC], SECRET_TYPES[Kind.HEX]


def plant(repo: Repo) -> tuple[dict[str, Key], set[tuple[str, int, str]]]:
    """Files holding one secret of each kind; returns the keys and the expected results."""
    k = {name: new_key() for name in ("env", "hex", "proof", "label", "nwc", "bot", "bytes")}
    repo.write(
        "config/.env", f"RELAY=wss://relay.example\nNOSTR_NSEC={k['env'].nsec}\nNOSTR_SK={k['hex'].hex}\n"
    )
    setup = ["# Setup", "", "Your signing key:", "", f"    {k['label'].hex}", "", "Some text in between."]
    setup += [""] * 12 + [f"The account {k['proof'].npub} uses", ""] + ["filler line"] * 10
    setup += ["", k["proof"].hex]  # line 33: proven by its npub, 13 lines up (beyond the context lines)
    repo.write("docs/setup.md", "\n".join(setup) + "\n")
    connect = new_key()
    repo.write(
        "app/settings.py",
        f'BUNKER = "bunker://{connect.pubhex}?relay=wss://r.example&secret=a1b2c3d4e5f6"\n'  # nsecguard: allow
        f'CONNECT = "nostrconnect://{connect.pubhex}?relay=wss%3A%2F%2Fr.example&secret=0f1e2d3c4b5a&perms=sign"\n'  # nsecguard: allow
        f'NWC = "nostr+walletconnect://{connect.pubhex}?relay=wss://w.example&secret={k["nwc"].hex}"\n'
        f'ENCRYPTED = "{NCRYPTSEC}"\n',
    )
    # detect-secrets rewrites YAML before plugins see it: the plugin falls back to context lines
    repo.write(
        "deploy/bot.yaml", f"nostr:\n  relay: wss://relay.example\n  bot:\n    nsec: {k['bot'].nsec}\n"
    )
    # a key as Node prints a Uint8Array: numbers only, which detect-secrets would filter out
    rows = [", ".join(f"{b:3d}" for b in k["bytes"].secret[i : i + 12]) for i in range(0, 32, 12)]
    repo.write("logs/run.log", "{\n  sk: Uint8Array(32) [\n    " + ",\n    ".join(rows) + "\n  ]\n}\n")
    expected = {
        ("logs/run.log", 3, HEX),
        ("config/.env", 2, NSEC),
        ("config/.env", 3, HEX),
        ("docs/setup.md", 5, HEX),
        ("docs/setup.md", 33, HEX),
        ("app/settings.py", 1, SECRET_TYPES[Kind.BUNKER]),
        ("app/settings.py", 2, SECRET_TYPES[Kind.NOSTRCONNECT]),
        ("app/settings.py", 3, SECRET_TYPES[Kind.NWC]),
        ("app/settings.py", 4, SECRET_TYPES[Kind.NCRYPTSEC]),
        ("deploy/bot.yaml", 4, NSEC),
    }
    return k, expected


def lookalikes(repo: Repo) -> None:
    """Public values and hashes that look like keys."""
    pub, other = new_key(), new_key()
    ids = [os.urandom(32).hex() for _ in range(6)]
    event = {
        "id": ids[0],
        "pubkey": pub.pubhex,
        "created_at": 1700000000,
        "kind": 1,
        "tags": [["e", ids[1]], ["p", other.pubhex], ["x", ids[2]]],
        "content": f"hello nostr:{other.npub}",
        "sig": os.urandom(64).hex(),
    }
    repo.write("data/event.json", json.dumps(event, indent=2) + "\n")
    repo.write(
        "data/hashes.txt",
        f"sha256: {ids[3]}\n"
        f'checksum = "{ids[4]}"\n'
        f"requests==2.32.0 --hash=sha256:{ids[5]}\n"
        f"image@sha256:{os.urandom(32).hex()}\n"
        f"compressed 02{os.urandom(32).hex()}\n"
        f"txid {os.urandom(32).hex()}\n",
    )
    repo.write(
        "data/people.md",
        f"- alice: {pub.npub}\n- bob: nostr:{other.npub}\n- pubkey hex: {pub.pubhex}\n"
        f'- nip05: {{"names": {{"bob": "{other.pubhex}"}}}}\n',
    )


def test_secret_types_are_pinned() -> None:
    """Baselines store these names: renaming one breaks users' baselines."""
    from nsecguard_detect_secrets import PLUGINS

    assert {kind.value: name for kind, name in SECRET_TYPES.items()} == {
        "nsec": "Nostr Private Key (nsec)",
        "hex-key": "Nostr Private Key (hex)",
        "ncryptsec": "Nostr Encrypted Private Key (ncryptsec)",
        "bunker-secret": "Nostr Remote Signer Secret (bunker)",
        "nostrconnect-secret": "Nostr Remote Signer Secret (nostrconnect)",
        "nwc-secret": "Nostr Wallet Connect Secret",
        "mnemonic": "Nostr Mnemonic (BIP-39 seed phrase)",
    }
    assert [(p.__name__, p.secret_type) for p in PLUGINS] == [
        ("NostrNsecDetector", "Nostr Private Key (nsec)"),
        ("NostrHexKeyDetector", "Nostr Private Key (hex)"),
        ("NostrNcryptsecDetector", "Nostr Encrypted Private Key (ncryptsec)"),
        ("NostrBunkerSecretDetector", "Nostr Remote Signer Secret (bunker)"),
        ("NostrConnectSecretDetector", "Nostr Remote Signer Secret (nostrconnect)"),
        ("NostrWalletConnectDetector", "Nostr Wallet Connect Secret"),
        ("NostrMnemonicDetector", "Nostr Mnemonic (BIP-39 seed phrase)"),  # generated from its rule
    ]
    assert set(SECRET_TYPES) == set(Kind)


def test_scan_finds_planted_secrets_and_nothing_on_lookalikes(repo: Repo) -> None:
    planted, expected = plant(repo)
    lookalikes(repo)
    baseline = repo.scan()
    found = nostr_results(baseline)
    assert found == expected  # the wallet's public key in the NWC URI is not a finding
    plugins = {p["name"]: p.get("path") for p in baseline["plugins_used"]}  # type: ignore[union-attr]
    assert plugins["NostrNsecDetector"] == f"file://{SHIM}"  # relative: the baseline is portable
    text = json.dumps(baseline)
    for key in planted.values():
        assert key.hex not in text and key.nsec not in text


def test_scan_matches_the_engine(repo: Repo) -> None:
    """At the default confidence, the plugin reports what the engine finds in each file."""
    plant(repo)
    lookalikes(repo)
    baseline = repo.scan()
    engine = {
        (name, f.line, SECRET_TYPES[f.kind])
        for name in (
            "config/.env",
            "docs/setup.md",
            "app/settings.py",
            "deploy/bot.yaml",
            "logs/run.log",
            "data/event.json",
            "data/hashes.txt",
            "data/people.md",
        )
        for f in scan_text((repo.root / name).read_text(), path=name)
    }
    assert nostr_results(baseline) == engine


def test_hook_blocks_a_new_key_and_passes_a_baselined_one(repo: Repo) -> None:
    planted, _ = plant(repo)
    repo.make_baseline()
    clean = repo.hook("config/.env", "docs/setup.md", "app/settings.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    fresh = new_key()
    repo.write("bot.py", f'import os\nBOT_NSEC = "{fresh.nsec}"\nSK = "{fresh.hex}"\n')
    blocked = repo.hook("config/.env", "bot.py")
    assert blocked.returncode == 1
    out = blocked.stdout + blocked.stderr
    assert "Nostr Private Key (nsec)" in out and "Location:    bot.py:2" in out
    assert "Nostr Private Key (hex)" in out and "Location:    bot.py:3" in out
    assert fresh.npub in out  # whose key it is
    for key in [fresh, *planted.values()]:
        assert key.nsec not in out and key.hex not in out

    as_json = run(repo.root, *blocked.args[:1], "--json", "--baseline", ".secrets.baseline", "bot.py")
    assert as_json.returncode == 1
    assert fresh.nsec not in as_json.stdout and fresh.hex not in as_json.stdout


def test_baseline_made_in_one_directory_works_from_a_copy(tmp_path: Path) -> None:
    first = Repo(tmp_path / "a")
    plant(first)
    first.make_baseline()
    copy = tmp_path / "elsewhere" / "b"
    shutil.copytree(first.root, copy)
    shutil.rmtree(first.root)  # nothing may still point at the first directory
    second = Repo.__new__(Repo)
    second.root = copy

    ok = second.hook("config/.env", "docs/setup.md", "app/settings.py")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    fresh = new_key()
    second.write("leak.txt", f"nsec: {fresh.nsec}\n")
    blocked = second.hook("config/.env", "leak.txt")
    assert blocked.returncode == 1
    assert "Nostr Private Key (nsec)" in blocked.stdout and fresh.nsec not in blocked.stdout


def test_scan_and_hook_log_no_key_even_verbose(repo: Repo) -> None:
    planted, _ = plant(repo)
    scan = run(repo.root, DETECT_SECRETS, "-vv", "scan", "--plugin", SHIM)
    assert scan.returncode == 0
    repo.make_baseline()
    fresh = new_key()
    repo.write("new.env", f"NOSTR_SK={fresh.hex}\n")
    hook = run(repo.root, HOOK, "-vv", "--baseline", ".secrets.baseline", "new.env", "config/.env")
    assert hook.returncode == 1
    everything = scan.stdout + scan.stderr + hook.stdout + hook.stderr
    for key in [fresh, *planted.values()]:
        assert key.nsec not in everything and key.hex not in everything


def test_indirect_reference_filter_hides_calls_unless_disabled(repo: Repo) -> None:
    """detect-secrets drops every line shaped like `x = f(...)` before plugins see it
    (heuristic.is_indirect_reference). Documented, with the flag that turns it off."""
    key = new_key()
    repo.write("bot.py", f"signer = Keypair.from_nsec({key.nsec!r})\n")
    assert nostr_results(repo.scan()) == set()
    flag = "detect_secrets.filters.heuristic.is_indirect_reference"
    baseline = repo.scan("--disable-filter", flag)
    assert nostr_results(baseline) == {("bot.py", 1, NSEC)}
