"""Hex keys named from afar (issue 14): by the parameter they are passed as, by what they are
compared with, by the map, sections or table row they are in; and the look-alikes that must stay
quiet. Every pattern was seen in real Nostr code; the keys here are generated."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nsecguard import Confidence, scan_text, structure

from keygen import TestKey, new_key

Case = Callable[[TestKey, TestKey], str]

POSITIVES: dict[str, Case] = {
    "go test helper parameter": lambda k, o: (
        "package nostr\n\nfunc checkShared(t *testing.T, priv string, pub string) {\n}\n\n"
        f'func TestShared(t *testing.T) {{\n\tcheckShared(t, "{k.hex}", "{o.pubhex}")\n}}\n'
    ),
    "python helper parameter": lambda k, o: (
        f'def sign_with(event, secret_key: str) -> None:\n    ...\n\nsign_with(ev, "{k.hex}")\n'
    ),
    "go assert named after": lambda k, o: f'assert.Equal(t, "{k.hex}", secretKey)\n',
    "jest expect named after": lambda k, o: f'expect("{k.hex}").toBe(sk)\n',
    "python assertEqual named after": lambda k, o: f'self.assertEqual("{k.hex}", keys.secret_key())\n',
    "record of people's keys": lambda k, o: f'const secretKeys = {{ carol: "{k.hex}" }}\n',
    "record over lines": lambda k, o: f'const privateKeys = {{\n  carol: "{k.hex}",\n}}\n',
    "go struct table": lambda k, o: (
        f'tests := []struct {{\n\tsecretkey string\n\tpubkey    string\n}}{{\n\t{{"{k.hex}", "x"}},\n}}\n'
    ),
    "rows under a header comment": lambda k, o: (
        "// nostr NIP-49 vectors\n// { password, secret, logn, ncryptsec }\nconst vectors = [\n"
        f'  ["nostr", "{k.hex}", 16, "ncryptsec1"],\n]\n'
    ),
    "yaml sections": lambda k, o: f"nostr:\n  signing:\n    secret: {k.hex}\n",
    "toml table": lambda k, o: f'[nostr.signing]\nsecret = "{k.hex}"\n',
    "json object path": lambda k, o: f'{{"nostr": {{"signing": {{"secret": "{k.hex}"}}}}}}\n',
    "another chain named earlier on the line": lambda k, o: (
        f"I run a bitcoin node. NOSTR_PRIVATE_KEY={k.hex}\n"
    ),
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_named_from_afar(name: str) -> None:
    k, other = new_key(), new_key()
    found = scan_text(POSITIVES[name](k, other))
    assert [f.npub for f in found] == [k.npub], name
    assert found[0].confidence >= Confidence.MEDIUM


NEGATIVES: dict[str, Case] = {
    "go helper parameter named pub": lambda k, o: (
        f'func checkPub(t *testing.T, pub string) {{\n}}\n\ncheckPub(t, "{k.hex}")\n'
    ),
    "assert compared with a public key": lambda k, o: f'assert.Equal(t, "{k.hex}", pubKey)\n',
    "expect compared with an id": lambda k, o: f'expect("{k.hex}").toBe(event.id)\n',
    "record of people's public keys": lambda k, o: f'const pubkeys = {{ carol: "{k.hex}" }}\n',
    "record of keys, entries named pubkey": lambda k, o: (
        f'const privateKeys = {{ carol: {{ pubkey: "{k.hex}" }} }}\n'
    ),
    "go struct table, pubkey column": lambda k, o: (
        f'tests := []struct {{\n\tsecretkey string\n\tpubkey    string\n}}{{\n\t{{"x", "{k.hex}"}},\n}}\n'
    ),
    "yaml sections, an id": lambda k, o: f"nostr:\n  signing:\n    event_id: {k.hex}\n",
    "authorized keys list": lambda k, o: f"nostr:\n  authorized_keys:\n    - {k.hex}\n",
    "trusted keys map": lambda k, o: f'trusted_keys = {{ "carol": "{k.hex}" }}\n',
    "another chain's section": lambda k, o: f"ethereum:\n  signing:\n    secret: {k.hex}\n",
    "tag rows under a private-looking name": lambda k, o: f'val private_items = [\n  ["p", "{k.hex}"],\n]\n',
    "call arguments are not a table row": lambda k, o: (
        f'// {{ password, secret }}\nrun(() => {{\n  send("x", "{k.hex}")\n}})\n'
    ),
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_look_alikes_stay_quiet(name: str) -> None:
    k, other = new_key(), new_key()
    assert scan_text(NEGATIVES[name](k, other)) == [], name


def test_reasons_name_where_the_name_came_from() -> None:
    k = new_key()
    (f,) = scan_text(f"nostr:\n  signing:\n    secret: {k.hex}\n")
    assert "nostr.signing.secret" in f.reason
    (f,) = scan_text(f'func use(priv string) {{}}\nuse("{k.hex}")  // nostr\n')
    assert "parameter `priv` of use" in f.reason


def test_structure_helpers() -> None:
    buf = b'{"a": {"b": [1, {"c": "X"}]}}'
    assert structure.enclosing_keys(buf, buf.index(b"X")) == []  # a list stops the path
    buf = b'{"a": {"b": {"c": "X"}}}'
    assert structure.enclosing_keys(buf, buf.index(b"X")) == [b"b", b"a"]
    text = b"a:\n  b:\n    # comment\n\n    c: X\n"
    assert structure.yaml_parents(text, text.index(b"    c")) == [b"b", b"a"]
    text = b'[tool.nsecguard]\nx = 1\n[nostr."bot"]\nsk = X\n'
    assert structure.toml_table(text, text.index(b"sk")) == b"nostr.bot"
    assert structure.toml_table(b"sk = X\n", 0) is None
    decl = structure.declarations(
        b"func (r *R) Sign(ctx context.Context, sk string) {}\ndef f(self, key): ..."
    )
    assert decl == {b"Sign": [b"ctx", b"sk"], b"f": [b"key"]}
    assert structure.argument_index(b"t, ") == 1
    assert structure.argument_index(b"f(x), ") is None
    assert list(structure.open_brackets(b"a(b]c", 4, 0)) == []  # unbalanced: no guess


def test_section_and_row_walks_stay_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of values in one table, map or YAML tree: each walk is bounded by a window,
    so the work per value stays constant. Counted, not timed."""
    calls = [0]
    real = structure._BRACKETS

    class Counting:
        def finditer(self, *args: object) -> object:
            calls[0] += 1
            return real.finditer(*args)  # type: ignore[call-overload]

    monkeypatch.setattr(structure, "_BRACKETS", Counting())
    values = [new_key().hex for _ in range(2000)]
    for text in (
        "const ids = {\n" + "".join(f'  e{i}: "{v}",\n' for i, v in enumerate(values)) + "}\n",
        "rows = [\n" + "".join(f'  ["x", "{v}"],\n' for v in values) + "]\n",
    ):
        calls[0] = 0
        assert scan_text(text) == []
        assert calls[0] <= 2 * len(values), text[:20]


def test_arguments_of_a_call_over_lines_are_named_by_their_own_parameters() -> None:
    # go-nostr's nip44 tests: `assertCryptPriv(t,\n "<sk1>",\n "<sk2>",\n "<conversation key>",`
    sk1, sk2, conv = new_key(), new_key(), new_key()
    text = (
        "func assertCryptPriv(t *testing.T, sk1 string, sk2 string, conversationKey string) {\n}\n\n"
        f'func TestCryptPriv001(t *testing.T) {{\n\tassertCryptPriv(t,\n\t\t"{sk1.hex}",\n'
        f'\t\t"{sk2.hex}",\n\t\t"{conv.hex}",\n\t)\n}}\n'
    )
    found = scan_text(text)
    assert [(f.npub, f.confidence) for f in found] == [
        (sk1.npub, Confidence.HIGH),
        (sk2.npub, Confidence.HIGH),
    ]
    assert "parameter `sk2` of assertCryptPriv" in found[1].reason
    # a call declared elsewhere names nothing, and a list over lines is still one list
    assert scan_text(text.split("\n\n", 1)[1]) == []
    listed = f'const privateKeys = [\n  "{sk1.hex}",\n  "{sk2.hex}",\n]\n'
    assert [f.npub for f in scan_text(listed)] == [sk1.npub, sk2.npub]
