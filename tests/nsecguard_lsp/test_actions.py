"""The quick fixes' text logic, without a session."""

from __future__ import annotations

from nsecguard import scan_text
from nsecguard_lsp import actions
from tests.conftest import assert_no_secret, new_key


def _apply(text: str, edit: actions.Edit) -> str:
    out = text[: edit.start] + edit.text + text[edit.end :]
    if edit.import_at is not None:
        out = out[: edit.import_at] + "import os\n" + out[edit.import_at :]
    return out


def _fixes(text: str, language: str) -> list[actions.Edit]:
    (finding,) = scan_text(text)
    return actions.edits_for(finding, text, language)


def test_string_prefixes_go_with_the_literal() -> None:
    key = new_key()
    text = f'SK = b"{key.nsec}"\n'
    env = _fixes(text, "python")[1]
    assert _apply(text, env) == 'import os\nSK = os.environ["NOSTR_SECRET_KEY"]\n'
    name_end = f'xb"{key.nsec}"'  # `xb` is a name, not a prefix
    assert actions.literal_span(name_end, 3, 3 + len(key.nsec)) == (2, len(name_end))


def test_import_os_goes_after_shebang_and_future_imports_and_only_once() -> None:
    assert actions.python_import_at("#!/usr/bin/env python\nx = 1\n") == len("#!/usr/bin/env python\n")
    head = '"""doc"""\nfrom __future__ import annotations\n'
    assert actions.python_import_at(head + "x = 1\n") == len(head)
    assert actions.python_import_at("import os\nx = 1\n") is None
    assert actions.python_import_at("x = 1\n") == 0


def test_a_secret_inside_a_uri_gets_no_code_reference_and_no_npub() -> None:
    key = new_key()
    text = f'WALLET = "nostr+walletconnect://{key.pubhex}?relay=wss://r.example&secret={key.hex}"\n'
    (finding,) = scan_text(text)
    assert actions.edits_for(finding, text, "python") == []  # the edit would break the URI
    yaml = actions.edits_for(finding, text, "yaml")
    assert yaml == []  # inside a longer string: no `${...}` either


def test_shell_single_quotes_become_double_so_the_variable_expands() -> None:
    key = new_key()
    text = f"NSEC='{key.nsec}' ./bot\n"
    env = _fixes(text, "shellscript")[1]
    assert _apply(text, env) == 'NSEC="$NOSTR_SECRET_KEY" ./bot\n'


def test_unknown_languages_get_a_placeholder_inside_the_quotes() -> None:
    key = new_key()
    text = f'{{"nsec": "{key.nsec}"}}\n'
    fixes = _fixes(text, "json")
    assert [f.text for f in fixes] == [f"nostr:{key.npub}", "${NOSTR_SECRET_KEY}"]
    for fix in fixes:
        assert_no_secret(fix.title + fix.text, key)


def test_the_variable_is_named_by_the_finding_s_rule() -> None:
    import os

    from mnemonic import Mnemonic

    from nsecguard import bech32

    phrase = Mnemonic("english").to_mnemonic(os.urandom(16))
    ncryptsec = bech32.encode("ncryptsec", b"\x02" + os.urandom(90))
    for secret, name in ((phrase, "NOSTR_SEED_PHRASE"), (ncryptsec, "NOSTR_NCRYPTSEC")):
        text = f'SEED = "{secret}"  # nostr seed phrase\n'
        env = _fixes(text, "python")[-1]
        assert _apply(text, env) == f'import os\nSEED = os.environ["{name}"]  # nostr seed phrase\n'
