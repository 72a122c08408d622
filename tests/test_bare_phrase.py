"""A bare seed phrase (no word naming it) in a short text: every source reads such a text whole.

The first pass has no pattern for "12 list words in a row" (docs/detection.md), so a note, a
commit message or a small file with nothing but a phrase gives it no hit; the engine reads a
text of at most 1 KB whole anyway. Each source asks `candidates.gate` before it calls the
engine, and so must let such a text through: this test runs each of them on one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mnemonic import Mnemonic

from nsecguard import candidates, keys, output
from nsecguard.rules import mnemonic
from tests.conftest import Repo, run_cli

_M = Mnemonic("english")


def bare_phrase() -> tuple[str, str]:
    """(a fresh 12-word phrase, the npub of its NIP-06 key)."""
    from nsecguard.rules import bip32

    phrase = _M.to_mnemonic(os.urandom(16))
    return phrase, keys.npub(keys.xonly_pubkey(bip32.nip06_key(phrase)))


def findings(out: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(out)["findings"]
    return found


def test_gate_lets_a_short_text_of_twelve_words_through_and_nothing_else() -> None:
    phrase, _ = bare_phrase()
    bit = candidates.bit(next(d for d in candidates.rules.detectors() if d.name == "mnemonic"))
    assert candidates.get_prefilter()(phrase.encode()) == 0  # what the sources used to ask
    for first in (None, candidates.python_prefilter):
        assert candidates.gate(phrase.encode(), first) == bit
        assert candidates.gate(b"gm nostr, coffee time", first) == 0
        assert candidates.gate(phrase.encode() + b" ." * 600, first) == 0  # longer: not whole


def test_a_small_file_and_stdin(tmp_path: Path) -> None:
    phrase, npub = bare_phrase()
    (tmp_path / "notes.txt").write_text(phrase + "\n")
    code, out, _ = run_cli("scan", "--format", "json", "notes.txt", cwd=tmp_path)
    assert code == 1 and [f["npub"] for f in findings(out)] == [npub]
    code, out, _ = run_cli("scan", "--format", "json", "-", cwd=tmp_path, stdin=phrase.encode())
    assert code == 1 and [f["npub"] for f in findings(out)] == [npub]
    assert phrase not in out


def test_staged_history_commit_and_tag_messages(repo: Repo) -> None:
    in_file, file_npub = bare_phrase()
    in_message, message_npub = bare_phrase()
    in_tag, tag_npub = bare_phrase()
    repo.write("wallet.txt", in_file + "\n")
    repo.add("wallet.txt")
    code, out, _ = run_cli("scan", "--staged", "--format", "json", cwd=repo.path)
    assert code == 1 and [f["npub"] for f in findings(out)] == [file_npub]
    repo.commit(in_message)
    repo.git("tag", "-a", "v1", "-m", in_tag)
    code, out, _ = run_cli("scan", "--history", "--format", "json", cwd=repo.path)
    found = {(f["path"], f["npub"]) for f in findings(out)}
    assert code == 1
    assert ("wallet.txt", file_npub) in found
    assert ("(commit message)", message_npub) in found
    assert tag_npub in {npub for _, npub in found}
    for phrase in (in_file, in_message, in_tag):
        assert phrase not in out


def test_an_argument_holding_a_phrase_is_never_echoed(tmp_path: Path) -> None:
    phrase, _ = bare_phrase()
    code, out, err = run_cli("scan", phrase, cwd=tmp_path)  # not a path: the error names it
    assert code == 2 and "no such file" in err
    for word_run in (phrase, " ".join(phrase.split()[:6])):
        assert word_run not in out + err


def test_a_note_through_the_relay_policy(tmp_path: Path) -> None:
    from tests.nsecguard_nostr.nostr_helpers import event, request

    phrase, npub = bare_phrase()
    leak, clean = event(phrase), event("gm nostr, coffee time, the sun is out and so are we")
    lines = (request(leak) + "\n" + request(clean) + "\n").encode()
    code, out, err = run_cli("relay-policy", cwd=tmp_path, stdin=lines)
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [a["action"] for a in answers] == ["reject", "accept"]
    assert npub in answers[0]["msg"] and npub in err
    assert phrase not in out + err


def test_the_engine_and_the_gate_agree_on_what_is_read_whole() -> None:
    from nsecguard.engine import find_hits

    phrase, _ = bare_phrase()
    for text in (phrase, f"gm\n{phrase}\n", phrase.upper()):
        data = text.encode()
        assert candidates.gate(data) and [h.kind for h in find_hits(data)] == [mnemonic.KIND]


def test_the_boundary_remembers_a_phrase_given_as_an_argument() -> None:
    phrase, _ = bare_phrase()
    output.remember_in(phrase)  # what the boundary does with argv and the environment
    assert phrase not in output.scrub(f"reading {phrase}: no such file")
