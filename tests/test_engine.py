"""True and false positives for every category the engine knows."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from nsecguard import Confidence, Kind, Options, engine, keys, scan_text
from nsecguard.engine import scan_bytes

from keygen import TestKey, assert_no_key, new_key
from vectors import (
    D1_NPUB,
    D1_NSEC,
    NIP06_NPUB,
    NIP06_NSEC,
    NIP19_NPUB,
    NIP19_NSEC,
    NIP19_PUB_HEX,
    NIP19_SK_HEX,
    NIP49_NCRYPTSEC,
)

Case = Callable[[TestKey, TestKey], str]

# text holding exactly one private key (the first key), in the places people paste them
POSITIVES: dict[str, Case] = {
    "nsec plain": lambda k, o: f"my key {k.nsec}",
    "nsec uppercase": lambda k, o: k.nsec.upper(),
    "nsec mixed case": lambda k, o: k.nsec[:20].upper() + k.nsec[20:],
    "nsec glued to word characters": lambda k, o: f"xx{k.nsec}yy",
    "nsec in a query string": lambda k, o: f"https://example.com/login?key={k.nsec}&x=1",
    "nsec with nostr: prefix": lambda k, o: f"nostr:{k.nsec}",
    "nsec with @ prefix": lambda k, o: f"hi @{k.nsec}!",
    "nsec in an html attribute": lambda k, o: f'<input value="{k.nsec}">',
    "nsec in a markdown link": lambda k, o: f"[click](https://x.y/{k.nsec})",
    "nsec between emoji": lambda k, o: f"🔑{k.nsec}🔑",
    "nsec in a CRLF file": lambda k, o: f"a\r\nKEY={k.nsec}\r\nb\r\n",
    "nsec without final newline": lambda k, o: f"line\nNSEC={k.nsec}",
    "nsec in JSON": lambda k, o: json.dumps({"nsec": k.nsec, "npub": o.npub}),
    "nsec in a CLI line": lambda k, o: f"nak event --sec {k.nsec} -c hi wss://relay.damus.io",
    "nsec in a notebook": lambda k, o: json.dumps({"cells": [{"source": [f'KEY = "{k.nsec}"\n']}]}),
    "nsec with a zero-width space inside": lambda k, o: f"copy this: {k.nsec[:31]}\u200b{k.nsec[31:]}",
    "nsec with soft hyphens (a page that let it wrap)": lambda k, o: "\u00ad".join(
        k.nsec[i : i + 12] for i in range(0, 63, 12)
    ),
    "nsec on a minified line": lambda k, o: "var a=1;" * 40000 + f'k="{k.nsec}";' + "b=2;" * 1000,
    "hex .env": lambda k, o: f"NOSTR_SECRET_KEY={k.hex}\n",
    "hex .env quoted": lambda k, o: f'NOSTR_PRIVATE_KEY="{k.hex}"\n',
    "hex shell export": lambda k, o: f'export NOSTR_SK="{k.hex}"\n',
    "hex json": lambda k, o: json.dumps({"pubkey": o.pubhex, "sk": k.hex}),
    "hex yaml": lambda k, o: f"nostr:\n  private_key: {k.hex}\n",
    "hex toml": lambda k, o: f'[nostr]\nsecret_key = "{k.hex}"\n',
    "hex python": lambda k, o: f'PRIVKEY = bytes.fromhex("{k.hex}")\n',
    "hex python call": lambda k, o: f"signer = PrivateKey(bytes.fromhex('{k.hex}'))\n",
    "hex js": lambda k, o: f"const sk = hexToBytes('{k.hex}')\n",
    "hex ts": lambda k, o: f"export const secretKey: string = '{k.hex}';\n",
    "hex rust keys parse": lambda k, o: f'use nostr_sdk::prelude::*;\nlet keys = Keys::parse("{k.hex}")?;\n',
    "hex rust secretkey": lambda k, o: f'let sk = SecretKey::from_hex("{k.hex}").unwrap();\n',
    "hex getPublicKey argument": lambda k, o: f"const pk = getPublicKey(hexToBytes('{k.hex}'))\n",
    "hex finalizeEvent argument": lambda k, o: f"finalizeEvent({{kind: 1}}, hexToBytes('{k.hex}'))\n",
    "hex log line": lambda k, o: f"2024-05-01 DEBUG nostr: signing with key {k.hex}\n",
    "hex in a url query": lambda k, o: f"https://nostr.example/login?sk={k.hex}\n",
    "hex in a markdown table": lambda k, o: f"| field | value |\n|---|---|\n| private key | {k.hex} |\n",
    "hex in escaped json": lambda k, o: '{"content": "{\\"sk\\":\\"' + k.hex + '\\"}"}',
    "hex rust &str const": lambda k, o: f'    const SECRET_KEY_HEX: &str = "{k.hex}";\n',
    "hex url query after &": lambda k, o: f"https://x.example/?relay=wss://r&sk={k.hex}\n",
    "hex expected in a test": lambda k, o: f"expect(privateKey).toEqual(hexToBytes('{k.hex}'))\n",
    "hex rust assert_eq": lambda k, o: f'assert_eq!(keys.secret_key().to_secret_hex(), "{k.hex}");\n',
    "hex go": lambda k, o: f'sk := "{k.hex}"\npk, _ := nostr.GetPublicKey(sk)\n',
    "hex java": lambda k, o: f'private static final String PRIVATE_KEY = "{k.hex}";\n',
    "hex --sec flag": lambda k, o: f"nak event --sec {k.hex} -c hello\n",
    "hex given to nak key public": lambda k, o: f"$ nak key public {k.hex}\n",
    "hex given to noscl setprivate": lambda k, o: f"noscl setprivate '{k.hex}'\n",
    "hex 0x prefix": lambda k, o: f"tool --sec 0x{k.hex}\n",
    "hex uppercase": lambda k, o: f"NOSTR_SK={k.hex.upper()}\n",
    "hex label on the line before": lambda k, o: f"# Nostr private key\n{k.hex}\n",
    "hex markdown label and fence": lambda k, o: f"**Private key:**\n\n```\n{k.hex}\n```\n",
    "hex free text": lambda k, o: f"Here is my secret key {k.hex} please keep it\n",
    "hex proven by hex pubkey": lambda k, o: f"a: {k.hex}\nb: {k.pubhex}\n",
    "hex proven by npub": lambda k, o: f"{k.hex}\n\nsee {k.npub}\n",
    "hex proven despite a hash-like name": lambda k, o: json.dumps(
        {"conversation_key": k.hex, "tags": [["p", k.pubhex]]}
    ),
    "hex proven despite a pubkey name": lambda k, o: f'pubkey = "{k.hex}"\nnpub = "{k.npub}"\n',
    "hex in a notebook": lambda k, o: json.dumps({"cells": [{"source": [f'sk = "{k.hex}"\n']}]}, indent=1),
    "hex in a trailing comment": lambda k, o: f'X = "{k.hex}"  # my nostr private key\n',
    "base64 hex in a Kubernetes secret": lambda k, o: (
        f"kind: Secret\ndata:\n  NOSTR_PRIVATE_KEY: {base64.b64encode(k.hex.encode()).decode()}\n"
    ),
    "base64 nsec": lambda k, o: f"data:\n  KEY: {base64.b64encode(k.nsec.encode()).decode()}\n",
    "base64 .env line": lambda k, o: (
        f"ENV_B64={base64.b64encode(('NOSTR_SECRET_KEY=' + k.hex).encode()).decode()}\n"
    ),
    "base64 wrapped at 76 columns": lambda k, o: "\n".join(
        (lambda s: [s[i : i + 76] for i in range(0, len(s), 76)])(
            base64.b64encode(f"# nostr\nBOT_NSEC={k.nsec}\nRELAY=wss://relay.example.com\n".encode()).decode()
        )
    ),
    "hex dart keys constructor": lambda k, o: f"final keys = Keys('{k.hex}');\n",
    "hex swift keypair constructor": lambda k, o: f'let keypair = Keypair(hex: "{k.hex}")\n',
    "hex under a comment naming it": lambda k, o: f"# the bot's nostr private key\nKEY={k.hex}\n",
    "hex in a csv column": lambda k, o: f"name,private_key\nalice,{k.hex}\n",
    "bytes as Node prints a Uint8Array": lambda k, o: (
        "{\n  sk: Uint8Array(32) [\n"
        + ",\n".join("    " + ", ".join(f"{b:3d}" for b in k.secret[i : i + 12]) for i in range(0, 32, 12))
        + f"\n  ],\n  pk: '{o.pubhex}'\n}}\n"
    ),
    "bytes in a rust array": lambda k, o: (
        "let sk: [u8; 32] = [" + ", ".join(f"0x{b:02x}" for b in k.secret) + "];\n"
    ),
    "bytes in a go slice": lambda k, o: (
        "seckey := []byte{" + ", ".join(f"0x{b:02X}" for b in k.secret) + "}\n"
    ),
    "bytes in a python list": lambda k, o: "SECRET_KEY = bytes([" + ", ".join(map(str, k.secret)) + "])\n",
    "bytes proven by the public key": lambda k, o: (
        "Uint8Array(32) [" + ", ".join(map(str, k.secret)) + f"]\n{k.pubhex}\n"
    ),
    "wallet connect uri": lambda k, o: (
        f"nostr+walletconnect://{o.pubhex}?relay=wss%3A%2F%2Frelay.example.com%2Fv1&secret={k.hex}&lud16=a@b.c"
    ),
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_true_positive(name: str) -> None:
    k, other = new_key(), new_key()
    text = POSITIVES[name](k, other)
    found = scan_text(text)
    assert [f.npub for f in found] == [k.npub], name
    f = found[0]
    assert f.confidence >= Confidence.MEDIUM
    assert f.fingerprint and k.hex not in f.fingerprint
    assert_no_key(repr(f.to_dict()), k)


# text holding no private key: what scanners confuse with keys
NEGATIVES: dict[str, Case] = {
    "pubkey assignment": lambda k, o: f'pubkey = "{k.pubhex}"\n',
    "nostr event json": lambda k, o: json.dumps(
        {
            "id": new_key().hex,
            "pubkey": o.pubhex,
            "created_at": 1700000000,
            "kind": 1,
            "tags": [["p", k.pubhex], ["e", new_key().hex, "wss://r.example"]],
            "content": f"hello nostr:{k.npub}",
            "sig": new_key().hex + new_key().hex,
        }
    ),
    "relay message": lambda k, o: json.dumps(["EVENT", "sub1", {"id": k.hex, "pubkey": o.pubhex}]),
    "cargo.lock checksum": lambda k, o: f'[[package]]\nname = "x"\nchecksum = "{k.hex}"\n',
    "pip hash": lambda k, o: f"requests==2.31.0 --hash=sha256:{k.hex}\n",
    "docker digest": lambda k, o: f"image: nginx@sha256:{k.hex}\n",
    "git sha256 commit": lambda k, o: f"commit {k.hex}\nAuthor: someone\n",
    "signature (128 hex)": lambda k, o: f"sig: {k.hex}{o.hex}\n",
    "compressed pubkey (66 hex)": lambda k, o: f"02{k.hex}\n",
    "placeholders": lambda k, o: (
        "NOSTR_NSEC=nsec1...\nnsec1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n<nsec1 here>"
    ),
    "npubs and notes": lambda k, o: f"follow {k.npub} and nostr:{o.npub}\nnote1{k.nsec[5:]}\n",
    "bare hex line": lambda k, o: f"{k.hex}\n",
    "sha256sum output": lambda k, o: f"{k.hex}  release.tar.gz\n",
    "sha label": lambda k, o: f"SHA256 (file) = {k.hex}\n",
    "jwt secret": lambda k, o: f"JWT_SECRET={k.hex}\n",
    "api key": lambda k, o: f"API_KEY={k.hex}\n",
    "hash field": lambda k, o: f'{{"hash": "{k.hex}"}}',
    "event id label": lambda k, o: f"event id: {k.hex}\n",
    "blossom url": lambda k, o: f"https://blossom.example.com/{k.hex}.jpg\n",
    "txid": lambda k, o: f"txid {k.hex}\n",
    "payment hash": lambda k, o: f"payment_hash: {k.hex}\n",
    "random nsec-shaped string": lambda k, o: (
        "nsec1" + "".join("qpzry9x8gf2tvdw0s3jn54khce6mua7l"[b % 32] for b in k.secret + o.secret)[:58]
    ),
    "bunker uri without secret": lambda k, o: f"bunker://{k.pubhex}?relay=wss://relay.example.com",
    "bunker uri in docs": lambda k, o: "`amy login bunker://PUBKEY?relay=…&secret=…` logs in\n",
    "bunker uri with a dummy secret": lambda k, o: (
        f'validate("bunker://{k.pubhex}?relay=wss://r.com&secret=abc123")'
    ),
    "another app's wallet-connect scheme": lambda k, o: (
        f'"amethyst+walletconnect://{k.pubhex}?relay=wss://r&secret=abc"'
    ),
    "kotlin private val of a public key": lambda k, o: f'    private val internalKey = "{k.hex}"\n',
    "nip-05 json": lambda k, o: json.dumps({"names": {"bob": k.pubhex}, "relays": {k.pubhex: ["wss://r"]}}),
    "hex in a url path": lambda k, o: f"https://example.com/e/{k.hex}\n",
    "uuid-ish": lambda k, o: f"{k.hex[:8]}-{k.hex[8:12]}-{k.hex[12:16]}\n",
    "long hex run": lambda k, o: (k.hex * 3) + "\n",
    "generic key name outside nostr": lambda k, o: f'key = "{k.hex}"\n',
    "hex given to nak encode npub": lambda k, o: f"nak encode npub {k.hex}\n",
    "a yaml list of pubkeys": lambda k, o: f"pubkeys:\n  - {k.hex}\n  - {o.hex}\n",
    "a list of hashes on one line": lambda k, o: f'{{"hashes": ["{k.hex}", "{o.hex}"]}}',
    "a csv column of pubkeys": lambda k, o: f"name,pubkey\nalice,{k.hex}\nbob,{o.hex}\n",
    "a markdown table of event ids": lambda k, o: f"| event id | kind |\n|---|---|\n| {k.hex} | 1 |\n",
    "a key pair built from the public key": lambda k, o: (
        f'val kp = KeyPair(pubKey = "{k.hex}".hexToByteArray())\n'
    ),
    "an ethereum key in a .env": lambda k, o: f"ETH_PRIVATE_KEY=0x{k.hex}\nINFURA_URL=https://x\n",
    "a bitcoin key, in prose": lambda k, o: f"my bitcoin private key: {k.hex}\n",
    "nsec1 then invisible characters and junk": lambda k, o: "nsec1\u200b" + "q\u200b" * 70 + k.npub,
    "bytes named as a hash": lambda k, o: "const hash = [" + ", ".join(map(str, k.secret)) + "]\n",
    "bytes with no name and no public key": lambda k, o: (
        "Uint8Array(32) [" + ", ".join(map(str, k.secret)) + "]"
    ),
    "33 bytes": lambda k, o: "sk = [" + ", ".join(map(str, [*k.secret, 7])) + "]\n",
    "numbers over 255": lambda k, o: "sk = [" + ", ".join(str(b + 256) for b in k.secret) + "]\n",
    "32 numbers without brackets": lambda k, o: "sk," + ",".join(map(str, k.secret)) + "\n",
    "a hash of the key, in prose": lambda k, o: f"The sha256 of my nostr private key: {k.hex}\n",
    "a comment above a hash": lambda k, o: f"# private key derivation test\nsha = {k.hex}\n",
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_false_positive(name: str) -> None:
    k, other = new_key(), new_key()
    text = NEGATIVES[name](k, other)
    assert scan_text(text) == [], name


def test_nip19_vectors() -> None:
    text = f"{NIP19_NSEC}\n{NIP06_NSEC}\n{D1_NSEC}\n"
    assert [f.npub for f in scan_text(text)] == [NIP19_NPUB, NIP06_NPUB, D1_NPUB]


def test_line_and_column_are_one_based_characters() -> None:
    found = scan_text(f"first\n  é→ {NIP19_NSEC}\n")
    assert (found[0].line, found[0].column) == (2, 6)


def test_typo_is_repaired_at_its_own_confidence(key: TestKey) -> None:
    pos = 40
    wrong = "q" if key.nsec[pos] != "q" else "p"
    typo = key.nsec[:pos] + wrong + key.nsec[pos + 1 :]
    (f,) = scan_text(f"oops {typo}")
    assert f.npub == key.npub and f.repaired and f.confidence is Confidence.MEDIUM
    assert scan_text(f"oops {typo}", options=Options(repair_typos=False)) == []


def test_typo_outside_the_charset_is_repaired(key: TestKey) -> None:
    typo = key.nsec[:20] + "b" + key.nsec[21:]
    assert [f.npub for f in scan_text(typo)] == [key.npub]


def test_ncryptsec_is_reported_at_lower_severity() -> None:
    (f,) = scan_text(f"backup: {NIP49_NCRYPTSEC}")
    assert f.kind is Kind.NCRYPTSEC and str(f.severity) == "medium" and f.npub is None


def test_bunker_and_nostrconnect_secrets(key: TestKey) -> None:
    text = (
        f"bunker://{key.pubhex}?relay=wss://relay.example.com&secret=0b2a5d9e77\n"  # nsecguard: allow
        f"nostrconnect://{key.pubhex}?relay=wss%3A%2F%2Fr.example&secret=q7x1zf2k9m3w&perms=sign_event\n"  # nsecguard: allow
    )
    kinds = [f.kind for f in scan_text(text)]
    assert kinds == [Kind.BUNKER, Kind.NOSTRCONNECT]


def test_uris_percent_encoded_inside_a_link(key: TestKey, key2: TestKey) -> None:
    """Deep links and QR-code URLs carry the whole connection URI percent-encoded; it holds the
    same secret, found with the same fingerprint, and the link around it is kept."""
    from urllib.parse import quote

    from nsecguard import sanitize

    nwc = f"nostr+walletconnect://{key2.pubhex}?relay=wss://r.example&secret={key.hex}"
    bunker = f"bunker://{key2.pubhex}?relay=wss://r.example&secret=0b2a5d9e77"  # nsecguard: allow
    for uri, kind in ((nwc, Kind.NWC), (bunker, Kind.BUNKER)):
        plain = scan_text(uri)
        link = f"https://app.example/connect?uri={quote(uri, safe='')}&theme=dark"
        encoded = scan_text(link)
        assert [(f.kind, f.fingerprint) for f in encoded] == [(kind, plain[0].fingerprint)]
        assert encoded[0].npub == (key.npub if kind is Kind.NWC else None)
        clean = sanitize(link)
        assert clean.startswith("https://app.example/connect?uri=") and clean.endswith("&theme=dark")
        assert key.hex not in clean and "0b2a5d9e77" not in clean
    placeholder = quote(f"bunker://{key2.pubhex}?relay=wss://r.example&secret=<secret>", safe="")
    assert scan_text(f"https://x.example/?b={placeholder}") == []


def test_wallet_connect_secret_names_the_spending_key(key: TestKey, key2: TestKey) -> None:
    text = f"NWC=nostr+walletconnect://{key2.pubhex}?secret={key.hex}&relay=wss://r.example"
    (f,) = scan_text(text)
    assert f.kind is Kind.NWC and f.npub == key.npub and str(f.severity) == "critical"


def test_known_pubkeys_prove_a_bare_hex_key(key: TestKey) -> None:
    assert scan_text(key.hex) == []
    (f,) = scan_text(key.hex, known_pubkeys=[key.pubkey])
    assert f.confidence is Confidence.CERTAIN


def test_min_confidence_and_low_findings(key: TestKey) -> None:
    text = f"private = '{key.hex}'\n"
    assert scan_text(text) == []
    low = scan_text(text, options=Options(min_confidence=Confidence.LOW))
    assert [f.npub for f in low] == [key.npub]


def test_allowlist_by_npub_and_by_fingerprint(key: TestKey, key2: TestKey) -> None:
    text = f"{key.nsec}\n{key2.nsec}\n"
    fp = scan_text(text)[1].fingerprint
    assert [f.npub for f in scan_text(text, options=Options(allow=frozenset({key.npub})))] == [key2.npub]
    assert [f.npub for f in scan_text(text, options=Options(allow=frozenset({fp})))] == [key.npub]


def test_inline_allow_comment(key: TestKey, key2: TestKey) -> None:
    text = f"a = '{key.nsec}'  # nsecguard: allow\nb = '{key2.nsec}'\n"
    assert [f.npub for f in scan_text(text)] == [key2.npub]
    assert len(scan_text(text, options=Options(inline_allow=False))) == 2


def test_same_key_twice_is_reported_twice(key: TestKey) -> None:
    found = scan_text(f"{key.nsec}\n{key.hex} is {key.npub}\n")
    assert [(f.line, f.kind) for f in found] == [(1, Kind.NSEC), (2, Kind.HEX)]
    assert len({f.fingerprint for f in found}) == 1


def test_bytes_with_invalid_utf8(key: TestKey) -> None:
    data = b"\xff\xfe\xfa garbage \xc3(" + key.nsec.encode() + b"\x80\n"
    assert [f.npub for f in scan_bytes(data)] == [key.npub]


def test_pathological_inputs_finish() -> None:
    assert scan_text("nsec1" * 200_000) == []
    assert scan_text("a" * 1_000_000) == []
    assert scan_text(("0123456789abcdef" * 4 + " ") * 20_000) == []
    assert scan_text("NOSTR_SK=" + "f" * 1_000_000) == []


def test_many_findings_on_one_line_and_on_many_lines() -> None:
    """The shapes that were once quadratic: thousands of values on one minified line, and a
    finding on every line. Positions must stay exact."""
    ks = [new_key() for _ in range(300)]
    one_line = " ".join(f"{k.hex} {k.pubhex}" for k in ks)
    found = scan_text(one_line)
    assert [f.npub for f in found] == [k.npub for k in ks]
    assert [f.column for f in found] == [one_line.index(k.hex) + 1 for k in ks]
    lines = "".join(f"NOSTR_SK={k.hex}\n" for k in ks)
    assert [(f.line, f.column) for f in scan_text(lines)] == [(i + 1, 10) for i in range(len(ks))]


@pytest.mark.parametrize(
    "layout",
    [
        "private_keys:\n{items}",  # YAML
        '{{"private_keys": [\n{items}]}}',  # JSON over lines
        "TEST_PRIVKEYS = [{inline}]",  # one line
        "name,private_key\n{rows}",  # CSV
        "| name | private key |\n|---|---|\n{table}",  # markdown
    ],
)
def test_every_element_of_a_list_or_column_named_as_keys(layout: str) -> None:
    """Only the first element has the name next to it; the others are named by their list's
    name or their column's header."""
    ks = [new_key() for _ in range(40)]
    text = layout.format(
        items="".join(f'  - "{k.hex}",\n' if "[" in layout else f"  - {k.hex}\n" for k in ks),
        inline=", ".join(f"'{k.hex}'" for k in ks),
        rows="".join(f"user{i},{k.hex}\n" for i, k in enumerate(ks)),
        table="".join(f"| user{i} | {k.hex} |\n" for i, k in enumerate(ks)),
    )
    assert [f.npub for f in scan_text(text)] == [k.npub for k in ks]


def test_walking_back_over_lists_and_tables_stays_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each unnamed value walks back to its list's name or its column's header; the walk must
    stop at the value or row judged before it, or long lists would scan in quadratic time.
    Counted, not timed: rows looked at stay within a few per value."""
    from nsecguard import context

    looked = [0]
    real = context._LONG_HEX

    class Counting:
        def search(self, *args: object) -> object:
            looked[0] += 1
            return real.search(*args)  # type: ignore[call-overload]

        def finditer(self, *args: object) -> object:
            looked[0] += 1
            return real.finditer(*args)  # type: ignore[call-overload]

    monkeypatch.setattr(context, "_LONG_HEX", Counting())
    values = [new_key().hex for _ in range(3000)]
    for text in (
        "values:\n" + "".join(f"  - {v}\n" for v in values),
        "name,value\n" + "".join(f"x,{v}\n" for v in values),
        "TEST = [" + ", ".join(f'"{v}"' for v in values) + "]",
    ):
        looked[0] = 0
        assert scan_text(text) == []
        assert looked[0] < 4 * len(values), text[:20]


def test_pubkey_vector_hex_is_not_a_secret_by_itself() -> None:
    assert scan_text(f"pubkey: {NIP19_PUB_HEX}\n") == []
    assert [f.npub for f in scan_text(f"sk: {NIP19_SK_HEX}\n")] == [NIP19_NPUB]


def test_threads_scanning_at_once_name_the_right_owner() -> None:
    """The engine is used from threads (Dask's threads scheduler, a Matrix bot's executor):
    each finding must name the npub of the key in its own text, never another thread's."""
    from concurrent.futures import ThreadPoolExecutor

    batch = [new_key() for _ in range(400)]
    texts = [f"deploy --sec {k.nsec}\nNOSTR_PRIVATE_KEY={new_key().hex}\n" for k in batch]

    def first_npub(text: str) -> str | None:
        return scan_text(text)[0].npub

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(first_npub, texts, chunksize=4)) == [k.npub for k in batch]


def test_only_reported_secrets_are_fingerprinted(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs ~9 ms: placeholders below the level asked for cost none, and one secret
    written many times costs one."""
    calls: list[bytes] = []
    real = keys.fingerprint_secret

    def counting(label: str, secret: bytes) -> str:
        calls.append(secret)
        return real(label, secret)

    monkeypatch.setattr(keys, "fingerprint_secret", counting)
    text = "bunker://x?relay=wss://r" + "&secret=a" * 5000
    assert scan_text(text) == [] and calls == []
    low = Options(min_confidence=Confidence.LOW)
    assert len(scan_text(text, options=low)) == 5000 and len(calls) == 1


def test_fingerprint_work_per_input_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = keys.fingerprint_secret
    monkeypatch.setattr(keys, "fingerprint_secret", lambda label, s: calls.append(s) or real(label, s))
    text = "bunker://x?relay=wss://r" + "".join(f"&secret=k2m9x7q{i:06d}" for i in range(300))
    found = scan_text(text)
    assert len(found) == 300 and len(calls) == engine.MAX_SCRYPT_PER_INPUT
    assert len({f.fingerprint for f in found}) == 300  # still one identity each
    assert scan_text(text)[0].fingerprint == found[0].fingerprint  # the first ones are stable


def test_overlap_resolution_is_not_quadratic(monkeypatch: pytest.MonkeyPatch, key: TestKey) -> None:
    """`bunker://x?secret=` then nsecs repeated: one hit holds thousands; deciding them costs a
    few comparisons each (counted as bisect calls), not one per kept hit."""
    counted = [0]
    real = engine.bisect.bisect_left

    def counting(*args: Any, **kwargs: Any) -> int:
        counted[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.bisect, "bisect_left", counting)
    n = 2000
    found = scan_text("bunker://x?secret=" + key.nsec * n)
    assert len(found) == n and all(f.npub == key.npub for f in found)
    assert found[0].start == len("bunker://x?secret=")  # the first reaches back over the token
    assert counted[0] <= n + 1


def test_columns_of_many_findings_in_non_ascii_text(key: TestKey) -> None:
    text = "".join(f"é{i}👋 {key.nsec} " for i in range(300))
    found = scan_text(text)
    assert len(found) == 300
    assert all(text[f.start : f.end] == key.nsec for f in found)
    assert [f.column for f in found[:2]] == [5, 5 + len(key.nsec) + 1 + 4]


def test_holds_base64_text_says_yes_only_for_a_token_that_decodes_to_text() -> None:
    k = new_key()
    text = base64.b64encode(b"a note that is long enough to be read as a base64 token, once encoded")
    assert engine.holds_base64_text(b"config: " + text + b"\n")
    assert not engine.holds_base64_text(b"config: " + base64.b64encode(os.urandom(120)) + b"\n")
    assert not engine.holds_base64_text(text[:60])  # too short to hold a key
    assert not engine.holds_base64_text(k.hex.encode() * 2)  # base64-shaped, decodes to bytes
    assert engine.holds_base64_text(base64.b64encode(f"key: {k.nsec}".encode()) * 2)
