"""The journal: durable, compacted, tolerant of a line cut short by a crash, never a key."""

from __future__ import annotations

from pathlib import Path

from nsecguard.chat.journal import JOURNAL_FILE, Journal, finished


def plan(**extra: object) -> dict[str, object]:
    return {"msg": {"id": "m1"}, "direct": False, "copy": {}, "notify": {}, "warn": {}, **extra}


def test_an_entry_survives_a_restart_until_every_step_is_done(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    entry = j.open("e1", plan())
    j.mark(entry, "remove")
    j.close()
    again = Journal(tmp_path)
    [pending] = again.pending()
    assert pending.results == {"remove": "done"} and not finished(pending)
    again.mark(pending, "copy")
    again.mark(pending, "warn")
    assert not again.pending() and again.known("e1")
    again.close()
    assert Journal(tmp_path).known("e1") and not Journal(tmp_path).pending()


def test_a_refused_removal_needs_the_moderator_steps(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    entry = j.open("e1", plan(warn_unremoved={}))
    j.mark(entry, "remove", "refused")
    j.mark(entry, "notify")
    assert j.pending()
    j.mark(entry, "warn_unremoved")
    assert not j.pending()


def test_a_line_cut_short_is_ignored(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    j.open("e1", plan())
    j.close()
    with (tmp_path / JOURNAL_FILE).open("a") as f:
        f.write('{"op": "step", "id": "e1", "st')
    [entry] = Journal(tmp_path).pending()
    assert entry.results == {}


def test_finished_entries_are_compacted_to_their_ids(tmp_path: Path) -> None:
    j = Journal(tmp_path, keep=3)
    for n in range(5):
        entry = j.open(f"e{n}", plan(direct=True))
        j.mark(entry, "warn")
    j.close()
    again = Journal(tmp_path, keep=3)
    assert [again.known(f"e{n}") for n in range(5)] == [False, False, True, True, True]
    assert len((tmp_path / JOURNAL_FILE).read_text().splitlines()) == 3


def test_idempotency_keys_differ_per_step_and_entry(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    a, b = j.open("e1", plan()), j.open("e2", plan())
    keys = {a.key_for("copy"), a.key_for("warn"), b.key_for("copy")}
    assert len(keys) == 3


def test_a_direct_entry_without_a_warning_is_finished_at_once(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    j.open("e1", {"msg": {"id": "m1"}, "direct": True})
    assert not j.pending() and j.known("e1")
