"""The output boundary's pieces (nsecguard/output.py). The whole-program proof is
tests/test_every_input.py; these pin down each rule."""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nsecguard import engine, output
from nsecguard.errors import FatalError

from keygen import assert_no_key, new_key


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    output.reset()
    yield
    output.reset()
    engine.set_hit_hook(None)


def test_a_remembered_hex_key_is_removed_in_every_spelling_and_piece() -> None:
    k = new_key()
    output.remember(k.hex)
    for text in (k.hex, k.hex.upper(), "0x" + k.hex, k.nsec, k.nsec.upper(), f"id={k.hex[10:30]}!"):
        out = output.scrub(f"before {text} after")
        assert out.startswith("before ") and out.endswith(" after")
        assert_no_key(out, k)
    assert output.scrub(f"x {k.hex[:15]} y") == f"x {k.hex[:15]} y"  # 15 characters: too short to tell


def test_every_16_character_piece_is_found_at_any_offset() -> None:
    k = new_key()
    output.remember(k.hex)
    for form in (k.hex, k.nsec[5:]):
        for start in range(len(form) - 16 + 1):
            for pad in range(9):  # the piece inside a longer alphanumeric run, at any alignment
                piece = form[start : start + 16 + pad % 3]
                out = output.scrub("Z" * pad + piece + "q" * (8 - pad))
                assert piece[:16] not in out, (form is k.hex, start, pad)


def test_a_checked_id_skips_the_engine_but_not_the_registry() -> None:
    event_id = os.urandom(32).hex()
    line = f"rejected event {event_id} (kind 1)"
    assert output.checked_id(event_id, "event") == event_id
    assert output.scrub(line) == line


def test_checked_ids_are_kept_boundedly_for_a_process_that_checks_them_forever() -> None:
    ids = [os.urandom(32).hex() for _ in range(output.MAX_CHECKED_IDS + 500)]
    for event_id in ids:
        assert output.checked_id(event_id, "event") == event_id
    assert len(output._REG.ids) == output.MAX_CHECKED_IDS  # a relay plugin's memory stays flat
    newest, oldest = ids[-1], ids[0]
    assert output.scrub(f"rejected event {newest}", mask_hex=True) == f"rejected event {newest}"
    assert oldest not in output.scrub(f"event {oldest}", mask_hex=True)  # forgotten: masked in a report


def test_an_id_holding_a_piece_of_a_remembered_key_is_not_echoed() -> None:
    k = new_key()
    output.remember(k.hex)
    for start in (0, 5, 17, 48):
        piece = k.hex[start : start + 16]
        for at in (0, 3, 8, 48):
            forged = (os.urandom(32).hex()[:at] + piece + os.urandom(32).hex())[:64]
            assert output.checked_id(forged, "event") == output.INVALID_ID, (start, at)


def test_a_piece_is_found_at_every_offset_of_runs_of_every_length() -> None:
    k = new_key()
    output.remember(k.hex)
    for size in range(16, 90):
        for at in range(size - 15):
            piece = k.hex[at % 48 : at % 48 + 16]
            run = ("z" * at + piece + "q" * size)[:size]
            assert piece not in output.scrub(f"<{run}>"), (size, at)
            if size in (40, 64):
                forged = ("0" * at + piece + "0" * size)[:size]
                assert output.checked_id(forged, "commit") == output.INVALID_ID, (size, at)


def test_the_id_check_agrees_with_the_piece_test_of_any_text() -> None:
    # the checked-id test looks up windows as numbers; the text test as strings: same answers
    keys = [new_key() for _ in range(3)]
    for k in keys[:2]:
        output.remember(k.hex)
    output.remember("token-" + keys[2].hex[:20] + "-end")  # a form with other characters
    hex_pieces = [f[i : i + 16] for f in output.secrets() for i in range(len(f) - 15)]
    hex_pieces = [p for p in hex_pieces if all(c in "0123456789abcdef" for c in p)]
    assert len(hex_pieces) > 100
    for n, piece in enumerate(hex_pieces):
        for size, kind in ((64, "event"), (40, "commit")):
            at = n % (size - 15)
            forged = (os.urandom(32).hex()[:at] + piece + os.urandom(32).hex())[:size]
            assert output.checked_id(forged, kind) == output.INVALID_ID, (piece, at, kind)
            clean = os.urandom(size // 2).hex()
            assert (output.checked_id(clean, kind) == clean) is not output.is_remembered(clean)
    for bad in ("A" * 64, " " + "a" * 63, "ab" * 31 + " a", "é" * 64, "0" * 63, "0" * 65, 7):
        assert output.checked_id(bad, "event") == output.INVALID_ID, bad


def test_an_nsec_is_remembered_as_its_hex_too() -> None:
    k = new_key()
    output.remember(k.nsec)
    assert_no_key(output.scrub(f"bare hex {k.hex}"), k)


def test_a_detected_key_names_its_owner_and_takes_its_other_spellings_with_it() -> None:
    k = new_key()
    out = output.scrub(f"{k.nsec}\n\n{k.hex}")  # the npub would prove the bare hex
    assert k.npub in out
    assert_no_key(out, k)
    assert_no_key(output.scrub(k.hex.upper()), k)  # remembered for the rest of the run


def test_other_secrets_are_remembered_whole() -> None:
    token = os.urandom(16).hex()
    output.remember(f"pass:{token}/x")  # not alphanumeric: searched whole, any case
    assert token not in output.scrub(f"see PASS:{token.upper()}/X").lower()
    output.remember("short")
    assert output.scrub("a short word") == "a short word"


def test_remember_in_finds_keys_in_any_text_and_caution_wins_for_bare_hex() -> None:
    k, bare = new_key(), new_key()
    output.remember_in(f"a = {k.nsec}\nuser = {bare.hex}\n")
    assert_no_key(output.scrub(f"{k.hex} {bare.hex} {bare.nsec}"), k, bare)


def test_a_derived_public_key_stays_printable() -> None:
    k = new_key()
    output.remember_in(k.pubhex)  # argv cannot tell a pubkey filter from a key: remembered
    assert k.pubhex not in output.scrub(k.pubhex)
    output.public(k.pubhex)  # ... until the run derives it as a public key
    assert output.scrub(k.pubhex) == k.pubhex


def test_mask_hex_keeps_only_verified_values() -> None:
    k, unknown = new_key(), os.urandom(32).hex()
    output.public(k.pubhex)
    out = output.scrub(f"{k.pubhex} {unknown} %3D{unknown}", mask_hex=True)
    assert out == f"{k.pubhex} {output.HEX_REMOVED} %3D{output.HEX_REMOVED}"
    assert output.scrub(unknown) == unknown  # protocol streams: no masking


def test_zero_width_escapes_from_repr_do_not_hide_a_key() -> None:
    k = new_key()
    split = "\u200b".join(k.nsec[i : i + 8] for i in range(0, len(k.nsec), 8))
    assert_no_key(output.scrub(f"invalid choice: {split!r}"), k)


def test_a_remembered_hex_split_by_invisible_characters_is_removed() -> None:
    k = new_key()
    output.remember(k.hex)
    split = "\u200b".join(k.hex[i : i + 8] for i in range(0, 64, 8))
    for shown in (repr(split), split):
        out = output.scrub(f"bad value {shown}")
        assert_no_key(out.replace("\\u200b", "").replace("\u200b", ""), k)


def test_checked_id() -> None:
    k = new_key()
    event_id = os.urandom(32).hex()
    assert output.checked_id(event_id, "event") == event_id
    assert output.checked_id(event_id.upper(), "event") == output.INVALID_ID
    assert output.checked_id(k.nsec, "pubkey") == output.INVALID_ID
    assert output.checked_id(["x"], "event") == output.INVALID_ID
    assert output.checked_id("ab" * 20, "commit") == "ab" * 20
    output.remember(k.hex)
    assert output.checked_id(k.hex, "event") == output.INVALID_ID  # well-formed, but a key we saw
    with pytest.raises(ValueError):
        output.checked_id(event_id, "colour")


def test_quote_never_uses_repr_and_escapes_controls() -> None:
    assert output.quote("a\x1b[31mb") == "'a\\x1b[31mb'"
    assert output.printable_path("n\udcffx") == "n\\xffx"


def test_scrub_all_keeps_one_answer_per_text() -> None:
    k = new_key()
    uri = f"bunker://{k.pubhex}?relay=wss://r.example&secret={os.urandom(16).hex()}"
    out = output.scrub_all([uri, "b", k.nsec])
    assert len(out) == 3 and out[1] == "b" and k.npub in out[2]


def test_the_text_stream_holds_a_line_until_it_is_whole() -> None:
    k = new_key()
    raw = io.StringIO()
    stream = output.ScrubbingText(raw)
    stream.write(k.nsec[:30])
    stream.write(k.nsec[30:] + " tail\n")
    assert raw.getvalue() == f"nostr:{k.npub} tail\n"
    stream.write("progress")
    stream.flush()
    assert raw.getvalue().endswith("progress")


def test_the_byte_stream_passes_everything_else_unchanged() -> None:
    k = new_key()
    raw = io.BytesIO()
    stream = output.ScrubbingBytes(raw)
    data = b"\xff\xfe not utf-8 \x00\n" + f"key {k.nsec}\n".encode()
    stream.write(data)
    stream.flush()
    assert raw.getvalue().startswith(b"\xff\xfe not utf-8 \x00\n")
    assert_no_key(raw.getvalue(), k)


def test_install_covers_stdout_stderr_logging_and_engine_hits(capfd: pytest.CaptureFixture[str]) -> None:
    k, env_key, hit_key = new_key(), new_key(), new_key()
    output.install([k.hex], {"SOME_SECRET": env_key.hex})
    try:
        engine.find_hits(f"nsec = {hit_key.nsec}".encode())  # the engine tells the boundary
        print(f"argv {k.hex.upper()}")
        print(f"env {env_key.nsec}", file=sys.stderr)
        logging.getLogger("nsecguard.test").warning("hit %s", hit_key.hex)
        sys.stdout.buffer.write(f"bytes {k.nsec}\n".encode())
    finally:
        output.uninstall()
    out, err = capfd.readouterr()
    assert out.startswith("argv ") and "bytes " in out
    assert_no_key(out + err, k, env_key, hit_key)


_LATE_LOGGING = """
import sys
from nsecguard import output

output.install(["--version"])
assert "logging" not in sys.modules, "the boundary imports logging only when something logs"
assert "nsecguard.keys" not in sys.modules and "nsecguard.bech32" not in sys.modules
secret = sys.stdin.readline().strip()
output.remember(secret)
import logging.handlers  # the package first, by way of a submodule: still caught

# a file handler: not one of the boundary's streams, only the record factory scrubs it
logging.basicConfig(filename=sys.argv[1], format="%(message)s")
key = secret.upper()
logging.getLogger("nsecguard.late").warning("hex %s", key)
logging.getLogger("a.library").error("the nsec: " + output._key_forms(bytes.fromhex(secret))[1])
output.uninstall()
assert logging.getLogRecordFactory() is logging.LogRecord
assert not any(type(f).__name__ == "_LoggingHook" for f in sys.meta_path)
"""


def test_logging_imported_after_install_is_scrubbed_from_its_first_record(tmp_path: Path) -> None:
    import subprocess

    k = new_key()
    log = tmp_path / "log"
    proc = subprocess.run(
        [sys.executable, "-c", _LATE_LOGGING, str(log)],
        input=k.hex + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    written = log.read_text()
    removed = written.count(output.REMOVED)  # (a local: a failing assert must not print the log)
    assert removed == 2
    assert_no_key(proc.stdout + proc.stderr + written, k)


def test_open_report_is_atomic_and_fails_clearly(tmp_path: Path) -> None:
    k = new_key()
    target = tmp_path / "r.txt"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), output.open_report(str(target)) as fh:
        fh.write("half")
        raise RuntimeError
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["r.txt"]
    with output.open_report(str(target)) as fh:
        fh.write(f"key {k.nsec}\n")
    assert_no_key(target.read_text(), k)
    with pytest.raises(FatalError, match="does not exist") as missing:
        output.open_report(str(tmp_path / "no" / k.hex / "r.txt")).__enter__()
    assert_no_key(str(missing.value), k)
    if os.path.exists("/dev/full"):
        with pytest.raises(FatalError, match="No space left"), output.open_report("/dev/full") as fh:
            fh.write("x" * 10_000 + "\n")
