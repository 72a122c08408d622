"""The guard's journal: what it still owes, written durably before it acts.

An append-only file of JSON lines, each fsynced: an entry (`open`) is written before the
removal, with every follow-up it plans (safe copy, warning, note to moderators); each step's
outcome is a `step` line. After a crash, `pending()` gives what is left, so nothing is lost;
each step carries an idempotency key (`key_for`), so a step sent just before the crash is not
sent twice. It holds ids, npubs and the safe texts: never a key.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nsecguard.errors import FatalError

log = logging.getLogger("nsecguard.chat")

JOURNAL_FILE = "chat-journal.jsonl"
KEEP_SEEN = 5000  # finished entries remembered (a message seen again is not handled again)


@dataclass
class Entry:
    """One message's follow-ups. `plan`: step name -> its payload; `results`: step -> outcome
    ("done", "refused", "failed")."""

    id: str
    plan: dict[str, Any]
    results: dict[str, str] = field(default_factory=dict)

    def key_for(self, step: str) -> str:
        """The idempotency key of one step (a transaction or message id on the platform)."""
        return f"nsecguard-{self.id}-{step}"


class Journal:
    def __init__(self, state_dir: Path, *, keep: int = KEEP_SEEN) -> None:
        self.path = Path(state_dir) / JOURNAL_FILE
        self.keep = keep
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._seen: OrderedDict[str, None] = OrderedDict()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._load()
            self._compact()
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise FatalError(f"cannot use the journal {self.path}: {exc.strerror or exc}") from None

    # ---- reading -----------------------------------------------------------------------

    def _load(self) -> None:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if isinstance(record, dict):
                    self._apply(record)

    def _apply(self, record: dict[str, Any]) -> None:
        op, eid = record.get("op"), record.get("id")
        if not isinstance(eid, str):
            return
        if op == "open" and isinstance(record.get("plan"), dict):
            self._entries[eid] = Entry(eid, record["plan"], dict(record.get("results") or {}))
        elif op == "step" and eid in self._entries:
            self._entries[eid].results[str(record.get("step"))] = str(record.get("result"))
        elif op == "seen":
            self._seen[eid] = None
        self._retire()

    def _retire(self) -> None:
        for eid in [e for e, entry in self._entries.items() if finished(entry)]:
            del self._entries[eid]
            self._seen[eid] = None
            self._seen.move_to_end(eid)
        while len(self._seen) > self.keep:
            self._seen.popitem(last=False)

    def _compact(self) -> None:
        """Rewrite the file with what is still needed (atomically)."""
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for eid in self._seen:
                f.write(json.dumps({"op": "seen", "id": eid}) + "\n")
            for entry in self._entries.values():
                record = {"op": "open", "id": entry.id, "plan": entry.plan, "results": entry.results}
                f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    # ---- the API -----------------------------------------------------------------------

    def known(self, eid: str) -> bool:
        """An entry for this id exists, pending or finished."""
        return eid in self._entries or eid in self._seen

    def open(self, eid: str, plan: dict[str, Any]) -> Entry:
        entry = Entry(eid, plan)
        self._write({"op": "open", "id": eid, "plan": plan})
        self._entries[eid] = entry
        self._retire()  # an entry with nothing to do is finished at once
        return entry

    def mark(self, entry: Entry, step: str, result: str = "done") -> None:
        self._write({"op": "step", "id": entry.id, "step": step, "result": result})
        entry.results[step] = result
        self._retire()

    def pending(self) -> list[Entry]:
        return list(self._entries.values())

    def close(self) -> None:
        self._file.close()

    def _write(self, record: dict[str, Any]) -> None:
        try:
            self._file.write(json.dumps(record) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise FatalError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from None


def finished(entry: Entry) -> bool:
    """Every step the plan needs has an outcome (which steps depends on the removal's)."""
    return all(step in entry.results for step in steps_of(entry))


def steps_of(entry: Entry) -> list[str]:
    """The steps still to decide for an entry, in order."""
    plan = entry.plan
    if plan.get("direct"):
        return ["warn"] if "warn" in plan else []
    removal = entry.results.get("remove")
    if removal is None:
        return ["remove"]
    if removal == "done":
        steps = ["copy"]
        return [*steps, "warn"] if "warn" in plan else steps
    steps = ["notify"]
    return [*steps, "warn_unremoved"] if "warn_unremoved" in plan else steps


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
