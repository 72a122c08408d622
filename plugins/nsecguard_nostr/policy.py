"""strfry's write-policy plugin protocol: one JSON request per line in, one answer per line out.

strfry sends `{"type":"new","event":{...},"receivedAt":...,"sourceType":...,"sourceInfo":...}`
and waits for `{"id":"<event id>","action":"accept|reject|shadowReject","msg":"..."}`.

The loop is long-lived: a malformed line is logged (never echoed: it may hold a key) and skipped,
and a failure while judging one event answers that event (`--on-error`) and carries on. Every
answer is written before the plugin waits for more input, so strfry, which sends one request and
waits for its answer, always gets it at once; a client that pipes many requests at a time gets
their answers in one write.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from nsecguard import candidates, output, rules
from nsecguard.engine import Options
from nsecguard_nostr.event import (
    EVERYTHING,
    INVALID_ID,
    RELAY_OPTIONS,
    EventFilter,
    Leak,
    checked_id,
    describe,
    has_its_own_id,
    scan_event,
)

try:  # optional, three times faster than json for the small objects strfry sends
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

MAX_LINE = 64 << 20  # longer lines are dropped (strfry's own events are far smaller)
_HEX_ID = frozenset("0123456789abcdef")
_NEW_REQUEST = re.compile(rb'"type"\s*:\s*"new"')
UNJUDGED_MSG = "blocked: this event could not be checked for leaked keys, and it holds something key-shaped"


def _safe(text: str) -> str:
    """Text that may hold user input, made safe to write: through the output boundary."""
    return output.scrub(text)


def _source(value: object) -> str:
    """strfry's `sourceInfo` (the client's IP address) as it may be logged, or nothing."""
    import ipaddress

    if not isinstance(value, str) or len(value) > 64:
        return ""
    try:
        return f" from {ipaddress.ip_address(value.strip('[]'))}"
    except ValueError:
        return ""


def key_shaped(line: bytes, event: dict[str, Any] | None = None) -> bool:
    """Does a request hold anything that might be a key, apart from the event's own id,
    pubkey and sig? (Asked of an event that could not be judged: yes means reject.)"""
    if event is not None:
        for name in ("id", "pubkey", "sig"):
            value = event.get(name)
            if isinstance(value, str) and value and len(value) in (64, 128) and _HEX_ID.issuperset(value):
                line = line.replace(value.encode(), b"")
    return bool(candidates.gate(line))


@dataclass(frozen=True)
class PolicyConfig:
    filt: EventFilter = EVERYTHING
    options: Options = RELAY_OPTIONS
    shadow: bool = False  # shadowReject: the client is told OK, the event is dropped
    on_error: str = "accept"  # when judging an event fails: accept or reject
    log_rejects: bool = True


class Malformed(ValueError):
    """A line that is not a write-policy request. Its message never quotes the line."""


def _title(leak: Leak) -> str:
    rule = rules.rule(leak.finding.kind)
    npub = leak.finding.npub
    if rule.is_key:
        return f"your own private key ({npub})" if leak.own else f"the private key of {npub}"
    return rule.noun + (f" (key of {npub})" if npub else "")


def _advice(leak: Leak) -> str:
    return rules.rule(leak.finding.kind).action


def reject_message(leaks: list[Leak]) -> str:
    """What the client is told: the npub, that the key is compromised, and never the key."""
    first = leaks[0]
    text = f"blocked: this event contains {_title(first)} — {_advice(first)}"
    others = len({leak.finding.fingerprint for leak in leaks[1:]} - {first.finding.fingerprint})
    if others:
        text += f" (and {others} more secret{'s' if others > 1 else ''})"
    return text


def answer(event_id: str, action: str, msg: str = "") -> bytes:
    """One minified JSON answer line. `event_id` must be checked (`answer_id`)."""
    if not msg and event_id.isascii() and event_id.isalnum():  # a checked id: nothing to escape
        return f'{{"id":"{event_id}","action":"{action}"}}\n'.encode()  # as json.dumps writes it
    body = {"id": event_id, "action": action}
    if msg:
        body["msg"] = msg
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def answer_id(event: dict[str, Any], leaks: list[Leak] | None = None) -> str:
    """The id to answer with: the event's own, when it is what it claims (the hash of the event,
    as strfry has checked it already) and no secret; else a placeholder. A key sent as an id
    never goes back out."""
    event_id = event.get("id")
    checked = checked_id(event_id, leaks or ())
    if checked == INVALID_ID or not has_its_own_id(event, checked):
        return INVALID_ID
    return checked


def parse_request(line: bytes) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
    """(request type, event, request) of one line; raises Malformed."""
    try:
        request = _loads(line)
    except ValueError:
        raise Malformed("not JSON") from None
    if not isinstance(request, dict):
        raise Malformed("not a JSON object")
    event = request.get("event")
    if not isinstance(event, dict):
        raise Malformed("no event object")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise Malformed("the event has no id")
    rtype = request.get("type")
    return (rtype if isinstance(rtype, str) else None), event, request


class Policy:
    """Judges requests; keeps counts. One per process."""

    def __init__(self, config: PolicyConfig, log: TextIO) -> None:
        self.config = config
        self.log = log
        self.accepted = self.rejected = self.malformed = self.errors = 0

    def say(self, text: str) -> None:
        print(_safe(f"nsecguard relay-policy: {text}"), file=self.log, flush=True)

    def handle(self, line: bytes) -> bytes | None:
        """The answer to one line, or None when the line gets none (malformed, not `new`)."""
        try:
            rtype, event, request = parse_request(line)
        except Malformed as exc:
            self.malformed += 1
            self.say(f"skipped a malformed line ({exc}, {len(line)} bytes)")
            return self._unparsed(line) if str(exc) == "not JSON" else None
        if rtype not in (None, "new"):  # old strfry's `lookback` requests expect no answer
            return None
        try:
            leaks = scan_event(event, filt=self.config.filt, options=self.config.options)
        except Exception as exc:  # never fatal; the message is a type name, never data
            self.errors += 1
            event_id = answer_id(event)
            shaped = key_shaped(line, event)
            verdict = "reject" if self.config.on_error == "reject" or shaped else "accept"
            why = " (it holds something key-shaped)" if shaped and verdict != self.config.on_error else ""
            self.say(f"error judging event {event_id} ({type(exc).__name__}): {verdict}{why}")
            if verdict == "reject":
                self.rejected += 1
                return answer(
                    event_id, "reject", UNJUDGED_MSG if shaped else "error: could not check this event"
                )
            self.accepted += 1
            return answer(event_id, "accept")
        if not leaks:
            self.accepted += 1
            return answer(answer_id(event), "accept")
        self.rejected += 1
        shown_id = answer_id(event, leaks)  # a leaked key sent as the id is not echoed
        if self.config.log_rejects:
            kind = event.get("kind")
            kind_text = str(kind) if isinstance(kind, int) and -(10**9) < kind < 10**9 else "?"
            origin = _source(request.get("sourceInfo"))
            self.say(f"rejected event {shown_id} (kind {kind_text}{origin}): " + _safe(describe(leaks)))
        action = "shadowReject" if self.config.shadow else "reject"
        return answer(shown_id, action, reject_message(leaks))

    def _unparsed(self, line: bytes) -> bytes | None:
        """A `new` request that does not parse (nested too deep for the JSON parser, say; strfry
        never sends one) and holds anything key-shaped is answered `reject`, so that no crafted
        line slips a key past a client that pipes requests. Its id cannot be checked (it may be
        the key itself): the answer carries a placeholder, and the log names no id."""
        if _NEW_REQUEST.search(line) is None or not key_shaped(line):
            return None
        self.rejected += 1
        self.say("rejected an unparsable request: it holds something key-shaped")
        return answer(INVALID_ID, "reject", UNJUDGED_MSG)


def serve(config: PolicyConfig, stdin_fd: int = 0, stdout_fd: int = 1, log: TextIO = sys.stderr) -> Policy:
    """Answer requests from `stdin_fd` until end of input."""
    policy = Policy(config, log)
    handle = policy.handle
    pending: list[bytes] = []  # the start of a line, in pieces (joined once it is whole)
    pending_size = 0
    skipping = False  # inside a line too long to keep
    while True:
        chunk = os.read(stdin_fd, 1 << 16)
        if not chunk:
            break
        if skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            chunk, skipping = chunk[newline + 1 :], False
        if b"\n" not in chunk:
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size > MAX_LINE:
                policy.malformed += 1
                policy.say(f"skipped a line longer than {MAX_LINE} bytes")
                pending, pending_size, skipping = [], 0, True
            continue
        pending.append(chunk)
        lines = b"".join(pending).split(b"\n")
        last = lines.pop()
        pending, pending_size = ([last], len(last)) if last else ([], 0)
        out = [a for a in (handle(line) for line in lines if line and not line.isspace()) if a is not None]
        if out:
            _write_all(stdout_fd, b"".join(out))
    rest = b"".join(pending)
    if rest.strip() and not skipping:
        a = handle(rest)
        if a is not None:
            _write_all(stdout_fd, a)
    return policy


def _write_all(fd: int, data: bytes) -> None:
    """Write answers whole, through the output boundary."""
    view = memoryview(output.scrub_bytes(data))
    while view:
        written = os.write(fd, view)
        view = view[written:]
