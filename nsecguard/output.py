"""The output boundary: every byte nsecguard writes passes `scrub` first.

A run remembers every secret it has seen (`remember`: from argv, the environment, config,
baselines and every engine hit), in every spelling (nsec and hex, any case, `0x`), and `scrub`
removes each of them, and any 16-character piece of one, from what is written; then it swaps
anything the engine detects for its owner's npub. Front-ends never write around it:

- `install()` (called by `cli.main`) replaces sys.stdout and sys.stderr with scrubbing streams
  (line-buffered: a key split over two `write` calls is still seen whole) and makes every log
  record's message scrubbed; `sys.stdout.buffer` is a scrubbing byte stream that passes
  everything else through unchanged (for `sanitize`'s data, and protocol streams);
- `open_report(path)` writes report files and baselines atomically, through the scrubber;
- `scrub_bytes` is for front-ends that write to a file descriptor themselves;
- `checked_id(value, kind)` lets a protocol identifier (event id, pubkey, commit id) out only
  when it is what it claims and not a secret the run has seen; `public(value)` marks a derived
  public key as safe to print.

See docs/output.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    import logging
    from importlib.machinery import ModuleSpec
    from types import ModuleType

# Start-up cost: `logging` (with traceback, tokenize, threading: 5 ms), `bech32` and `keys` are
# imported only when needed; `install` still makes every log record scrubbed from the moment
# `logging` exists (`_LoggingHook`), and every remembered key is still spelled both ways.

REMOVED = "[secret removed]"
INVALID_ID = "<invalid id>"
HEX_REMOVED = "[hex value removed]"
FRAGMENT = 16  # pieces of a remembered secret this long or longer are removed too
_PROBE = FRAGMENT // 2
MIN_SECRET = 12  # shorter values are never remembered (they would blank ordinary words)
# identifiers checked (`checked_id`) that are kept as public: the newest this many. A relay
# plugin checks every event's id for as long as it runs; an unbounded set grew by ~150 bytes
# an event (gigabytes a day on a busy relay). Only the log line about an event needs its id.
MAX_CHECKED_IDS = 4096
_PENDING_MAX = 1 << 20  # a text stream flushes a line this long even without a newline

_RUN = re.compile(r"[0-9A-Za-z]{16,}")
# a bare 64-hex value, also right after a percent-escape (`%3D<hex>` in an encoded URI)
_HEX64 = re.compile(r"(?:(?<=%[0-9A-Fa-f]{2})|(?<![0-9A-Za-z]))(?:0[xX])?([0-9a-fA-F]{64})(?![0-9A-Za-z])")
_HEX64_ANY = re.compile(r"[0-9a-fA-F]{64}")
_HEX_PROBE_RUN = re.compile(r"[0-9a-f]{8,}")
# the lengths of each kind of identifier (lower-case hex)
_ID_SIZES = {"event": (64,), "pubkey": (64,), "commit": (40, 64)}
# `repr()` writes invisible characters as escapes: an nsec split by them must still be seen
_ESCAPED_INVISIBLE = re.compile(r"\\u200[bcd]|\\u2060|\\ufeff|\\xad|\\N\{[A-Z -]+\}")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Registry:
    """The secrets of one run, as lower-case forms and their 16-character pieces."""

    def __init__(self) -> None:
        self.forms: set[str] = set()
        self.grams: set[str] = set()
        self.probes: set[str] = set()  # the 8-character windows of the same runs
        self.hex_probes: set[int] = set()  # those that are lower-case hex, as 32-bit numbers
        self.odd: list[str] = []  # forms with characters outside [0-9A-Za-z]: searched whole
        self.public: set[str] = set()
        # checked identifiers, oldest first, at most MAX_CHECKED_IDS (an OrderedDict: a dict's
        # first item is found in O(n) after many deletions at its front)
        # each with the `generation` it was checked at: until a secret is added, it holds none
        self.ids: OrderedDict[str, int] = OrderedDict()
        self.generation = 0  # how many forms have been added

    def is_public(self, value: str) -> bool:
        return value in self.public or value in self.ids

    def checked(self, value: str) -> None:
        """`value` (an identifier) was checked now: public, and holding no remembered secret."""
        ids = self.ids
        ids[value] = self.generation
        if len(ids) > MAX_CHECKED_IDS:
            ids.popitem(last=False)

    def add(self, form: str) -> None:
        form = form.lower()
        if len(form) < MIN_SECRET or form in self.forms or self.is_public(form):
            return
        self.forms.add(form)
        self.generation += 1
        self._index(form)
        if not form.isalnum() or not form.isascii():
            self.odd.append(form)

    def _index(self, form: str) -> None:
        for run in _RUN.findall(form):
            self.grams.update(run[i : i + FRAGMENT] for i in range(len(run) - FRAGMENT + 1))
            self.probes.update(run[i : i + _PROBE] for i in range(len(run) - _PROBE + 1))
            for digits in _HEX_PROBE_RUN.findall(run):  # each window of 8 hex digits, as a number
                n, last = int(digits, 16), 4 * (len(digits) - _PROBE)
                self.hex_probes.update((n >> (last - 4 * i)) & 0xFFFFFFFF for i in range(len(digits) - 7))

    def discard(self, form: str) -> None:
        self.forms.discard(form)
        self.grams.clear()
        self.probes.clear()
        self.hex_probes.clear()
        for kept in self.forms:
            self._index(kept)

    def clear(self) -> None:
        self.forms.clear()
        self.grams.clear()
        self.probes.clear()
        self.hex_probes.clear()
        self.odd.clear()
        self.public.clear()
        self.ids.clear()


_REG = _Registry()


def _key_forms(secret: bytes) -> list[str]:
    from nsecguard import bech32

    return [secret.hex(), bech32.encode("nsec", secret)]


def remember_key(secret: bytes) -> None:
    """Never let this private key (its 32 bytes) out, as nsec or as hex, in any case."""
    for form in _key_forms(secret):
        _REG.add(form)


def remember(secret: str | bytes) -> None:
    """Never let this secret out, in any spelling. A key written as hex, `0x` hex or nsec is
    remembered as both nsec and hex; anything else as it is (if 12 characters or more).
    Bytes are text (UTF-8), not a raw key: for that, `remember_key`."""
    if isinstance(secret, bytes | bytearray):
        secret = bytes(secret).decode("utf-8", "replace")
    value = _INVISIBLE.sub("", secret).strip().strip("\"'`")
    low = value.lower().removeprefix("nostr:")
    hexpart = low.removeprefix("0x")
    if len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart):
        for form in _key_forms(bytes.fromhex(hexpart)):
            _REG.add(form)
        return
    if low.startswith("nsec1"):
        from nsecguard import bech32

        decoded = bech32.decode(low[:63], hrp="nsec", repair=True)
        if decoded is not None and len(decoded.data) == 32:
            for form in _key_forms(decoded.data):
                _REG.add(form)
    _REG.add(value)


def remember_in(text: str | bytes) -> None:
    """Remember every secret in a text (an argument, an environment value, a config or
    baseline file): what the engine finds at any confidence, and every 64-hex run that is a
    valid private key (a bare hex key has no context to prove it; here caution wins)."""
    from nsecguard.candidates import gate, python_prefilter

    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if not data:
        return
    bufs = {data}
    if not data.isascii():
        bufs.add(_INVISIBLE.sub("", data.decode("utf-8", "replace")).encode("utf-8", "surrogatepass"))
    bufs = {buf for buf in bufs if gate(buf, python_prefilter)}  # most arguments: nothing key-shaped
    if not bufs:
        return  # and no engine (nor pattern database) loaded at start-up
    from nsecguard import keys
    from nsecguard.engine import Options, find_hits
    from nsecguard.model import Confidence

    for buf in bufs:
        for hit in find_hits(buf, options=Options(min_confidence=Confidence.LOW, inline_allow=False)):
            remember(buf[hit.start : hit.end])
        for m in _HEX64_ANY.finditer(buf.decode("ascii", "replace")):
            secret = bytes.fromhex(m.group())
            if keys.is_valid_secret(secret) and not _REG.is_public(m.group().lower()):
                remember_key(secret)


def remember_hits(data: bytes, hits: Iterable[Any]) -> None:
    """The engine's hook: the raw span of each hit is a secret; its public key is public."""
    for hit in hits:
        remember(data[hit.start : hit.end])
        if hit.pubkey is not None:
            public(hit.pubkey.hex())


def public(value: str) -> None:
    """A value derived as public (a public key computed from a found key): printable."""
    low = value.lower()
    _REG.public.add(low)
    caution = {low}
    if len(low) == 64 and all(c in "0123456789abcdef" for c in low):
        from nsecguard import bech32

        caution.add(bech32.encode("nsec", bytes.fromhex(low)))  # its nsec-shaped twin, too
    for form in caution & _REG.forms:  # remembered from argv by caution (a pubkey filter)
        _REG.discard(form)


def secrets() -> frozenset[str]:
    """What this process remembers (for a scanning process to hand to its parent). Never
    printed, never written."""
    return frozenset(_REG.forms)


def is_remembered(value: str) -> bool:
    """Does `value` hold a remembered secret, or a 16-character piece of one?"""
    return value.lower() in _REG.forms or bool(_cover(value))


def _remembered_id(value: str, raw: bytes) -> bool:
    """`is_remembered` for a checked identifier: `value` lower-case hex, `raw` its bytes. A form
    with characters other than letters and digits cannot be in it, so only the whole and its
    pieces are looked up, as `_run_pieces` does for each run of a text; but its 8-character
    windows are first looked up as the 32-bit numbers they spell (`hex_probes`: no string is
    made, and a number's hash costs nothing), which answers for almost every id."""
    if value in _REG.forms:
        return True
    if not _REG.grams or _REG.hex_probes.isdisjoint(_ID_WINDOWS[len(raw)](raw)):
        return False
    pieces: list[tuple[int, int]] = []
    _run_pieces(0, value, pieces)
    return bool(pieces)


@lru_cache(maxsize=256)
def _windows(size: int) -> tuple[slice, ...]:
    """The 8-character windows at multiples of 8 of a run this long that some 16-character
    piece needs (as slices: taken by one C-level `map`, they cost a third of a loop over them).
    A piece starting at a multiple of 8 holds two such windows, any other piece one: the window
    at 0 is never the only one (its piece holds the one at 8 too), nor is any window past the
    first at or after the last piece's start (for 64 characters: 6 windows of 8)."""
    last = -(-(size - FRAGMENT) // _PROBE) * _PROBE  # the first multiple of 8 at or past it
    return tuple(slice(p, p + _PROBE) for p in range(_PROBE, max(_PROBE, last) + 1, _PROBE))


# the same windows of an identifier (40 or 64 hex digits), from its bytes, as the numbers they
# spell (8 hex digits: one 32-bit number), keyed by its length in bytes
_ID_WINDOWS = {
    size // 2: partial(
        struct.Struct(f">{len(_windows(size))}I").unpack_from, offset=_windows(size)[0].start // 2
    )
    for size in (40, 64)
}


def checked_id(value: object, kind: str) -> str:
    """`value` if it is a well-formed identifier of `kind` ("event", "pubkey", "commit": lower-case
    hex of the right length) and not a secret this run has seen; else `<invalid id>`."""
    sizes = _ID_SIZES.get(kind)
    if sizes is None:
        raise ValueError(f"unknown identifier kind: {kind}")
    if not isinstance(value, str) or len(value) not in sizes:
        return INVALID_ID
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return INVALID_ID
    # (the bytes spelled back must be the value: no upper case, no spaces, which fromhex takes)
    if raw.hex() != value or _remembered_id(value, raw):
        return INVALID_ID
    _REG.checked(value)
    return value


_ALNUM_MAP = bytes(1 if chr(i).isascii() and chr(i).isalnum() else 0 for i in range(256))
_RUN16 = b"\x01" * FRAGMENT


def _runs(text: str) -> Iterator[tuple[int, str]]:
    """(offset, lower-cased run) for every run of 16 or more ASCII letters and digits. ASCII
    text is mapped to 0/1 bytes and searched by `bytes.find` (a regex costs 40 ns a byte)."""
    if not text.isascii():
        for m in _RUN.finditer(text):
            yield m.start(), m.group().lower()
        return
    mapped = text.encode("ascii").translate(_ALNUM_MAP)
    pos = mapped.find(_RUN16)
    while pos >= 0:
        end = mapped.find(b"\0", pos + FRAGMENT)
        if end < 0:
            end = len(mapped)
        yield pos, text[pos:end].lower()
        pos = mapped.find(_RUN16, end)


def _cover(text: str, id_spans: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Spans of `text` that hold a remembered secret or a 16-character piece of one. With
    `id_spans`, the span of each run that is a checked 64-hex id as written is added to it on
    the way (for `_without_checked_ids`, which then need not look for them again)."""
    spans: list[tuple[int, int]] = []
    if _REG.grams:
        ids, generation = _REG.ids, _REG.generation
        for base, run in _runs(text):
            seen = ids.get(run)
            if seen is not None and id_spans is not None and len(run) == 64 and text.startswith(run, base):
                id_spans.append((base, base + 64))
            if seen != generation:  # else an id checked since the last secret was added: none
                _run_pieces(base, run, spans)
    if _REG.odd:
        low = text.lower()
        for form in _REG.odd:
            pos = low.find(form)
            while pos >= 0:
                spans.append((pos, pos + len(form)))
                pos = low.find(form, pos + 1)
    return spans


def _run_pieces(base: int, run: str, spans: list[tuple[int, int]]) -> None:
    """Add to `spans` the 16-character pieces of remembered secrets in one lower-case run that
    starts at `base`. Every 16-character window of a run holds an 8-character window that starts
    at a multiple of 8: those are looked up first, all at once (most runs hold none), and only
    around a hit are the 16-character windows checked."""
    if _REG.ids.get(run) == _REG.generation:
        return  # an id checked since the last secret was added: it holds none
    probes, grams = _REG.probes, _REG.grams
    if probes.isdisjoint(map(run.__getitem__, _windows(len(run)))):
        return
    last = len(run) - FRAGMENT
    for p in range(0, len(run) - _PROBE + 1, _PROBE):
        if run[p : p + _PROBE] not in probes:
            continue
        for i in range(max(0, p - _PROBE), min(p, last) + 1):
            if run[i : i + FRAGMENT] in grams:
                spans.append((base + i, base + i + FRAGMENT))


def _remove_remembered(text: str, id_spans: list[tuple[int, int]] | None = None) -> str:
    spans = _cover(text, id_spans)
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if end <= pos:
            continue
        if start >= pos:
            out.append(text[pos:start])
            out.append(REMOVED)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _mask_hex(text: str) -> str:
    """Bare 64-hex values the run has not verified as public: a report line (an author name, an
    event id) must not carry a key nobody proved to be one."""

    def repl(m: re.Match[str]) -> str:
        value = m.group(1)
        return m.group() if _REG.is_public(value) else HEX_REMOVED

    return _HEX64.sub(repl, text)


def _detect(text: str, id_spans: list[tuple[int, int]] | None = None) -> str:
    """`text` with what the engine finds in it swapped for npubs. `id_spans`: where the checked
    ids of `text` (ASCII) stand, when `_cover` has found them already (else they are looked for)."""
    from nsecguard import candidates

    data = text.encode("utf-8", "surrogatepass")
    # the pattern database once a scan has loaded it; before that, for a short line, the
    # pure-Python prefilter (same answers) spares `--help` loading it
    loaded = candidates.get_prefilter.cache_info().currsize
    prefilter = candidates.get_prefilter() if loaded or len(data) >= 4096 else candidates.python_prefilter
    stripped = _without_checked_ids(data, id_spans) if id_spans is not None or _REG.ids else data
    mask = prefilter(stripped)
    if stripped is not data:
        if not mask & candidates.secret_bits():
            return text  # answers naming checked ids (relay-policy), and nothing else key-shaped
        mask = prefilter(data)  # judge the whole text (a run around an id may still be a key)
    secret = mask & candidates.secret_bits()
    if not secret:
        return text  # nothing, or only public keys (an npub): nothing to judge
    if secret == candidates.HEX and _only_public_hex(text):
        return text  # a log line or answers naming checked ids (relay-policy): nothing to judge
    from nsecguard.sanitizer import sanitize_report

    safe, findings = sanitize_report(text)
    if not findings:
        return text
    for f in findings:
        remember(text[f.start : f.end])
        if f.pubkey:
            public(f.pubkey)
    return _remove_remembered(safe)  # a key's other spellings, elsewhere in the same text


_HEX_RUN = re.compile(r"[0-9a-fA-F]{64,}")


def _without_checked_ids(data: bytes, spans: list[tuple[int, int]] | None = None) -> bytes:
    """`data` with each run of exactly 64 hex digits that is a checked id (`checked_id`) made a
    space (so nothing around it joins): what is left is what could still hold a key. `spans`:
    where those ids stand, when known; else runs are found at C speed (`pubkeys.hex_runs`: a
    regex search costs microseconds on every answer)."""
    if spans is None:
        from nsecguard.rules.pubkeys import hex_runs

        ids = _REG.ids
        spans = [(p, e) for p, e in hex_runs(data) if e - p == 64 and data[p:e].decode("ascii") in ids]
    if not spans:
        return data
    out: list[bytes] = []
    done = 0
    for pos, end in spans:
        out += (data[done:pos], b" ")
        done = end
    out.append(data[done:])
    return b"".join(out)


def _only_public_hex(text: str) -> bool:
    is_public = _REG.is_public
    return all(is_public(m.group()) for m in _HEX_RUN.finditer(text))


def scrub(text: str, *, mask_hex: bool = False) -> str:
    """`text` safe to write: remembered secrets (and pieces) removed, detected keys swapped
    for their owner's npub; with `mask_hex`, unverified 64-hex values masked too."""
    if not text:
        return text
    # a key split by invisible characters, raw or as `repr()` escapes: judged without them
    for pattern in (_ESCAPED_INVISIBLE, _INVISIBLE):
        joined = pattern.sub("", text) if ("\\" in text or not text.isascii()) else text
        if joined != text and (_cover(joined) or _detect(joined) != joined):
            text = joined
    id_spans: list[tuple[int, int]] | None = None
    if _REG.grams or _REG.odd:
        # (ASCII: a span in the text is the same span in its bytes)
        id_spans = [] if _REG.grams and _REG.ids and text.isascii() else None
        safe = _remove_remembered(text, id_spans)
        if safe is not text:  # something was removed: the ids' offsets have moved
            text, id_spans = safe, None
    text = _detect(text, id_spans)
    if mask_hex:
        text = _mask_hex(text)
    return text


def scrub_all(texts: list[str], *, mask_hex: bool = False) -> list[str]:
    """`scrub` over many short texts in one pass, joined by NUL (which no path or message holds)."""
    joined = "\0".join(texts)
    if len(texts) < 2 or joined.count("\0") != len(texts) - 1:
        return [scrub(t, mask_hex=mask_hex) for t in texts]
    out = scrub(joined, mask_hex=mask_hex).split("\0")
    if len(out) != len(texts):  # a replaced span took a separator with it: one at a time
        return [scrub(t, mask_hex=mask_hex) for t in texts]
    return out


def scrub_bytes(data: bytes, *, mask_hex: bool = False) -> bytes:
    """`scrub` for bytes: everything that is not a secret passes through unchanged."""
    text = data.decode("utf-8", "surrogateescape")
    safe = scrub(text, mask_hex=mask_hex)
    return data if safe == text else safe.encode("utf-8", "surrogateescape")


def quote(value: object, mark: str = "'") -> str:
    """A user value for a message: scrubbed, quoted, with control characters escaped (never
    `repr()`: its escapes hide a split key from the scrubber)."""
    return mark + shown(value) + mark


def shown(value: object) -> str:
    """A user value (a path) for a message, unquoted: scrubbed, control characters escaped."""
    return printable_path(scrub(str(value), mask_hex=True))


def escape_controls(text: str) -> str:
    """Terminal escapes and control characters made visible (`\\x1b`), for names in reports."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def printable_path(path: str) -> str:
    """A file name as a report can always write it: control characters escaped, bytes that
    are not UTF-8 (surrogate escapes) written as `\\xNN`."""
    path = escape_controls(path)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        path = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


class ScrubbingBytes(io.RawIOBase):
    """A byte stream over another: complete lines are scrubbed (remembered and detected keys
    only) and passed on; everything else byte-identical."""

    def __init__(self, raw: IO[bytes], before: ScrubbingText | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._pending = b""
        self._before = before

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def isatty(self) -> bool:
        return self._raw.isatty()

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if self._before is not None:
            self._before.flush_pending()
        self._pending += chunk
        cut = self._pending.rfind(b"\n") + 1
        if not cut and len(self._pending) > _PENDING_MAX:
            cut = len(self._pending) - 4096
        if cut:
            ready, self._pending = self._pending[:cut], self._pending[cut:]
            self._raw.write(scrub_bytes(ready))
        return len(chunk)

    def flush_pending(self) -> None:
        if self._pending:
            ready, self._pending = self._pending, b""
            self._raw.write(scrub_bytes(ready))

    def flush(self) -> None:
        self.flush_pending()
        self._raw.flush()


class ScrubbingText(io.TextIOBase):
    """A text stream over another (sys.stdout, sys.stderr): every line scrubbed before it is
    written. Lines are held until complete, so a key printed in pieces is still seen whole;
    `flush` (a progress line) writes what is held."""

    def __init__(self, raw: TextIO, *, mask_hex: bool = False) -> None:
        super().__init__()
        self._raw = raw
        self._pending = ""
        self.mask_hex = mask_hex
        self._buffer = ScrubbingBytes(raw.buffer, self) if hasattr(raw, "buffer") else None

    @property
    def buffer(self) -> ScrubbingBytes:
        if self._buffer is None:
            raise AttributeError("buffer")
        return self._buffer

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self._raw, "encoding", "utf-8"))

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._raw, "errors", None)

    @property
    def line_buffering(self) -> bool:
        return bool(getattr(self._raw, "line_buffering", False))

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def isatty(self) -> bool:
        return self._raw.isatty()

    def write(self, text: str) -> int:
        if self._buffer is not None:
            self._buffer.flush_pending()
        self._pending += text
        if "\n" in text or len(self._pending) > _PENDING_MAX:
            cut = self._pending.rfind("\n") + 1 or len(self._pending)
            ready, self._pending = self._pending[:cut], self._pending[cut:]
            self._raw.write(scrub(ready, mask_hex=self.mask_hex))
            if self.line_buffering:
                self._raw.flush()
        return len(text)

    def flush_pending(self) -> None:
        if self._pending:
            ready, self._pending = self._pending, ""
            self._raw.write(scrub(ready, mask_hex=self.mask_hex))

    def discard(self) -> None:
        """After a failed write (a full disk): drop what is held, and point the descriptor at
        /dev/null so the interpreter's last flush of the real stream cannot fail again."""
        self._pending = ""
        if self._buffer is not None:
            self._buffer._pending = b""
        with contextlib.suppress(Exception):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._raw.fileno())
            os.close(devnull)

    def flush(self) -> None:
        self.flush_pending()
        if self._buffer is not None:
            self._buffer.flush_pending()
        self._raw.flush()


def _scrubbed_record_factory(base: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: say so, without the arguments
            message = f"(unformattable log message: {record.msg!s})"
        record.msg = scrub(message)
        record.args = None
        return record

    factory.nsecguard_scrubbing = True  # type: ignore[attr-defined]
    return factory


def install(argv: Iterable[str] = (), environ: dict[str, str] | None = None) -> None:
    """Make this process's output safe: remember the secrets in `argv` and the environment,
    put scrubbing streams in place of sys.stdout and sys.stderr, scrub every log record, and
    let the engine report every hit's raw span here. Idempotent."""
    for arg in argv:
        remember_in(arg)
    env = os.environ if environ is None else environ
    values = [f"{k}={v}" for k, v in env.items() if len(v) >= MIN_SECRET or len(k) >= MIN_SECRET]
    if values:
        remember_in("\n".join(values))
    if sys.stdout is not None and not isinstance(sys.stdout, ScrubbingText):
        sys.stdout = ScrubbingText(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, ScrubbingText):
        sys.stderr = ScrubbingText(sys.stderr)
    if "logging" in sys.modules:
        _scrub_log_records(sys.modules["logging"])
    elif not any(isinstance(f, _LoggingHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _LoggingHook())
    global _INSTALLED
    _INSTALLED = True
    if "nsecguard.engine" in sys.modules:  # else the engine asks `hit_hook()` when imported
        sys.modules["nsecguard.engine"].set_hit_hook(remember_hits)


_INSTALLED = False


def _scrub_log_records(logging_module: ModuleType) -> None:
    base = logging_module.getLogRecordFactory()
    if not getattr(base, "nsecguard_scrubbing", False):
        logging_module.setLogRecordFactory(_scrubbed_record_factory(base))


class _LoggingHook:
    """Until something imports `logging`, nothing can log: this import hook lets the import
    run, then puts the scrubbing record factory in place before the importer gets the module
    (so no record is ever made without it). It removes itself once done."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name != "logging":
            return None
        _remove_logging_hook()
        import importlib.util

        spec = importlib.util.find_spec(name)  # as the import system would have found it
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec  # (no such module, or an odd loader: `install` sees it next time)
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            if _INSTALLED:
                _scrub_log_records(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _remove_logging_hook() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _LoggingHook)]


def hit_hook() -> Callable[[bytes, list[Any]], None] | None:
    """The function the engine tells of every hit, once `install()` has run (else None)."""
    return remember_hits if _INSTALLED else None


def uninstall() -> None:
    """Flush and put the real streams back (tests, and the end of `cli.main`)."""
    global _INSTALLED
    _INSTALLED = False
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, ScrubbingText):
            with contextlib.suppress(Exception):
                stream.flush()
            setattr(sys, name, stream._raw)
    _remove_logging_hook()
    logging_module = sys.modules.get("logging")
    if logging_module is not None and getattr(
        logging_module.getLogRecordFactory(), "nsecguard_scrubbing", False
    ):
        logging_module.setLogRecordFactory(logging_module.LogRecord)
    if "nsecguard.engine" in sys.modules:
        sys.modules["nsecguard.engine"].set_hit_hook(None)


def set_mask_hex(on: bool = True) -> None:
    """Make sys.stdout and sys.stderr mask unverified 64-hex values too (a command whose output
    holds no bare protocol identifier, such as `scan`, turns this on)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, ScrubbingText):
            stream.mask_hex = on


@contextlib.contextmanager
def open_report(path: str, *, mask_hex: bool = True) -> Iterator[TextIO]:
    """A report file or baseline, written atomically through the scrubber. A missing
    directory, a full disk or a read-only place is a `FatalError` (exit 2), naming the path
    scrubbed."""
    import tempfile

    from nsecguard.errors import FatalError

    where = shown(path)
    parent = os.path.dirname(path) or "."
    if path in (os.devnull, "/dev/stdout", "/dev/stderr") or path.startswith("/dev/") or is_special(path):
        try:
            fh = open(path, "w", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
        except OSError as exc:
            raise FatalError(f"{where}: cannot write ({exc.strerror or type(exc).__name__})") from None
        stream = ScrubbingText(fh, mask_hex=mask_hex)
        try:
            yield cast(TextIO, stream)
            stream.flush()
            fh.close()
        except OSError as exc:
            with contextlib.suppress(OSError):
                fh.close()
            raise FatalError(f"{where}: cannot write ({exc.strerror or type(exc).__name__})") from None
        return
    if not os.path.isdir(parent):
        raise FatalError(f"{where}: cannot write: the directory {quote(parent)} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".nsecguard-")
    except OSError as exc:
        raise FatalError(f"{where}: cannot write ({exc.strerror or type(exc).__name__})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
            stream = ScrubbingText(fh, mask_hex=mask_hex)
            yield cast(TextIO, stream)
            stream.flush()
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise FatalError(f"{where}: cannot write ({exc.strerror or type(exc).__name__})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def is_special(path: str) -> bool:
    """Is `path` there and neither a regular file nor a directory (a device, a pipe)? Such a
    place is written into, never replaced by a file."""
    import stat

    try:
        return not stat.S_ISREG(os.stat(path).st_mode) and not stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def reset() -> None:
    """Forget everything (tests)."""
    _REG.clear()
