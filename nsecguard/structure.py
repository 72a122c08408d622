"""Where a value stands in its document, for the names that describe it from afar.

`context` reads the words right before a value. Real code often names a key somewhere else:
the map it is an entry of (`const secretKeys = { carol: "<hex>" }`), the sections above it
(YAML parents, a TOML table, the JSON objects around it), the field of a table row it fills
(a Go `[]struct{ secretkey string }` table, a header comment `// { password, secret }`), or
the parameter of the function it is passed to (`checkShared(t, "<hex>")` where
`func checkShared(t *testing.T, priv string)`). Each function here returns the names it finds,
nearest first, or nothing; `context` judges them.

Every walk is bounded: at most `LOOKBACK` bytes back from the value, at most `MAX_LEVELS`
levels, and the function declarations of a buffer are indexed once (one pass), so a scan stays
linear however many values a file holds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

LOOKBACK = 4096
MAX_LEVELS = 6

_BRACKETS = re.compile(rb"[\[\]{}()]")
_OPENERS = {ord("{"): ord("}"), ord("["): ord("]"), ord("("): ord(")")}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
# the key right before a container or value: `"signing": {`, `signing = {`, `signing: {`,
# `const secretKeys = {`, `secret_keys := map[string]string{`
_KEY_BEFORE = re.compile(
    rb"([A-Za-z_$][\w$.-]*)[\"'`]?\s*(?::=|=|:)\s*(?:[A-Za-z_][\w.\[\]]*\s*)?(?:\*?&?)?$"
)


def open_brackets(buf: bytes, start: int, floor: int) -> Iterator[int]:
    """Offsets of the brackets still open at `start`, innermost first, no further back than
    `floor`. Brackets inside strings are counted too: good enough for names, never for parsing.
    The first few questions about a buffer walk back through its last `start - floor` bytes;
    from then on its brackets are matched once (`_Brackets`, one pass) and each question costs a
    binary search and one step per level: thousands of values in a file cost one pass, and one
    value in a 10 MB file costs 4 KB."""
    tree = _brackets_of(buf)
    if tree is None:
        yield from _walk_back(buf, start, floor)
        return
    i = bisect.bisect_left(tree.positions, start) - 1
    at = tree.open_after[i] if i >= 0 else -1
    while at >= 0 and tree.positions[at] >= floor:
        yield tree.positions[at]
        at = tree.parent[at]


def _walk_back(buf: bytes, start: int, floor: int) -> Iterator[int]:
    depth: list[int] = []  # closers seen, waiting for their opener
    tokens = [m.start() for m in _BRACKETS.finditer(buf, floor, start)]
    for pos in reversed(tokens):
        c = buf[pos]
        if c in _CLOSERS:
            depth.append(c)
        elif depth:
            if _OPENERS[c] != depth[-1]:
                return  # unbalanced: stop rather than guess
            depth.pop()
        else:
            yield pos


class _Brackets:
    """Every bracket of a buffer, matched: for each, the innermost bracket still open after
    it (`open_after`), and for each opener, the one it was opened inside (`parent`); -1 for
    none. A closer that does not match cuts the chain (rather than guess, say nothing)."""

    def __init__(self, buf: bytes) -> None:
        self.positions = [m.start() for m in _BRACKETS.finditer(buf)]
        self.open_after: list[int] = []
        self.parent: list[int] = []
        stack: list[int] = []
        for i, pos in enumerate(self.positions):
            c = buf[pos]
            if c in _OPENERS:
                self.parent.append(stack[-1] if stack else -1)
                stack.append(i)
            else:
                self.parent.append(-1)
                if stack and _OPENERS[buf[self.positions[stack[-1]]]] == c:
                    stack.pop()
                else:
                    stack.clear()  # unbalanced: nothing before it counts as open
            self.open_after.append(stack[-1] if stack else -1)


WALKS_BEFORE_MATCHING = 16  # questions about one buffer answered by walking back, before matching all


_last: tuple[bytes, list[int], _Brackets | None] | None = None  # the buffer under judgement


def _brackets_of(buf: bytes) -> _Brackets | None:
    """The buffer's matched brackets, once it has been asked about often enough."""
    global _last
    last = _last  # one read: another thread may replace it
    if last is None or last[0] is not buf:
        _last = (buf, [1], None)
        return None
    _, asked, tree = last
    if tree is None:
        asked[0] += 1
        if asked[0] <= WALKS_BEFORE_MATCHING:
            return None
        tree = _Brackets(buf)
        _last = (buf, asked, tree)
    return tree


def key_before(buf: bytes, pos: int) -> bytes | None:
    """The name assigned at `pos` on its line (`"signing": ` before `{`), if any."""
    line_start = buf.rfind(b"\n", max(0, pos - 200), pos) + 1
    m = _KEY_BEFORE.search(buf, line_start, pos)
    if m is None:
        return None
    return m.group(1)


def enclosing_keys(buf: bytes, start: int) -> list[bytes]:
    """The names of the objects and maps (`{`) a value is inside, nearest first (JSON, JS,
    Python dicts, Go map literals). Stops at a list (`[`): a list of objects is not one object."""
    floor = max(0, start - LOOKBACK)
    out: list[bytes] = []
    for pos in open_brackets(buf, start, floor):
        if buf[pos] != ord("{"):
            break
        name = key_before(buf, pos)
        if name is None:
            break
        out.append(name)
        if len(out) >= MAX_LEVELS:
            break
    return out


_YAML_KEY = re.compile(rb"^([ \t]*)(?:-[ \t]+)?[\"']?([A-Za-z_][\w.-]*)[\"']?[ \t]*:[ \t]*(?:#.*)?$")
_TOML_TABLE = re.compile(rb"^[ \t]*\[\[?[ \t]*([A-Za-z0-9_.\"' -]+?)[ \t]*\]\]?[ \t]*(?:#.*)?$")


def yaml_parents(buf: bytes, line_start: int) -> list[bytes]:
    """The keys of the YAML mappings above a line (less indented, ending in `:`), nearest first."""
    indent = _indent(buf, line_start)
    if indent == 0:
        return []
    out: list[bytes] = []
    pos = line_start - 1
    floor = max(0, line_start - LOOKBACK)
    while pos > floor and indent > 0 and len(out) < MAX_LEVELS:
        prev = buf.rfind(b"\n", floor, pos) + 1
        if prev == 0 and floor:
            break
        line = buf[prev:pos].rstrip(b"\r")
        pos = prev - 1
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        level = len(line) - len(line.lstrip(b" \t"))
        if level >= indent:
            continue
        m = _YAML_KEY.match(line)
        if m is None:
            break  # not a mapping parent: the value is not in a YAML tree
        out.append(m.group(2))
        indent = level
    return out


def _indent(buf: bytes, line_start: int) -> int:
    i = line_start
    while i < len(buf) and buf[i] in (0x20, 0x09):
        i += 1
    return i - line_start


def toml_table(buf: bytes, line_start: int) -> bytes | None:
    """The `[table]` a TOML line belongs to: the nearest header above it."""
    floor = max(0, line_start - LOOKBACK)
    pos = line_start
    while pos > floor:
        at = buf.rfind(b"\n[", floor, pos)
        if at < 0:
            if floor == 0 and buf.startswith(b"["):
                at = -1
            else:
                return None
        end = buf.find(b"\n", at + 1)
        line = buf[at + 1 : end if end >= 0 else len(buf)]
        m = _TOML_TABLE.match(line)
        if m is not None:
            return m.group(1).replace(b'"', b"").replace(b"'", b"")
        if at < 0:
            return None
        pos = at
    return None


# -- table rows ------------------------------------------------------------------------------

_GO_STRUCT = re.compile(rb"struct\s*\{([^{}]*)\}\s*$")
_GO_FIELD = re.compile(rb"([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+[\w\[\]*.]+")
_HEADER_COMMENT = re.compile(
    rb"^[ \t]*(?://|#|--|\*|/\*)[ \t]*[\[{(]?[ \t]*([A-Za-z_]\w*(?:[ \t]*,[ \t]*[A-Za-z_]\w*){1,15})"
    rb"[ \t]*[\]})]?[ \t]*(?:\*/)?[ \t]*\r?$"
)


def row_field(buf: bytes, start: int) -> bytes | None:
    """The field a value fills in a table of rows (`{"<hex>", "abc"}` under a Go
    `[]struct{ secretkey string; pubkey string }`, or rows under a header comment listing
    the fields), by its position in the row."""
    floor = max(0, start - LOOKBACK)
    opened = open_brackets(buf, start, floor)
    row = next(opened, None)
    table = next(opened, None)
    if row is None or table is None or buf[table] not in b"[{(":
        return None
    if buf[row] == ord("(") and row and (chr(buf[row - 1]).isalnum() or buf[row - 1] in b"_$"):
        return None  # a call's arguments, not a row
    index = _position(buf, row + 1, start)
    if index is None:
        return None
    fields = _struct_fields(buf, table) or _comment_fields(buf, table)
    if fields is None or index >= len(fields):
        return None
    return fields[index]


def _position(buf: bytes, begin: int, start: int) -> int | None:
    """Which element of a row the value is: commas at the row's own depth before it."""
    segment = buf[begin:start]
    if any(c in segment for c in b"[{("):
        return None  # nested values in the row: keep it simple and say nothing
    return segment.count(b",")


def _struct_fields(buf: bytes, table: int) -> list[bytes] | None:
    head = buf[max(0, table - 600) : table]
    m = _GO_STRUCT.search(head)
    if m is None:
        return None
    fields: list[bytes] = []
    for part in re.split(rb"[;\n]", m.group(1)):
        f = _GO_FIELD.search(part)
        if f is not None:
            fields.extend(name.strip() for name in f.group(1).split(b","))
    return fields or None


def _comment_fields(buf: bytes, table: int) -> list[bytes] | None:
    """Field names from a comment on the line of the table's opening, or the line before."""
    line_start = buf.rfind(b"\n", max(0, table - LOOKBACK), table) + 1
    for _ in range(2):
        if line_start <= 0:
            return None
        prev = buf.rfind(b"\n", max(0, line_start - 400), line_start - 1) + 1
        m = _HEADER_COMMENT.match(buf[prev : line_start - 1])
        if m is not None:
            return [f.strip() for f in m.group(1).split(b",")]
        line_start = prev
    return None


# -- function parameters ---------------------------------------------------------------------

_DECLARATION = re.compile(
    rb"(?:\bfunc[ \t]+(?:\([^)]*\)[ \t]*)?|\bdef[ \t]+|\bfunction[ \t]+|\bfn[ \t]+|\bfun[ \t]+)"
    rb"([A-Za-z_$][\w$]*)[ \t]*(?:<[^>()]*>)?[ \t]*\(([^()]*)\)"
)
_PARAM = re.compile(rb"^\s*(?:mut\s+|&\s*)?\*?([A-Za-z_$][\w$]*)")


def declarations(buf: bytes) -> dict[bytes, list[bytes]]:
    """Every function declared in the buffer with its parameter names, in one pass."""
    out: dict[bytes, list[bytes]] = {}
    if not any(word in buf for word in (b"func", b"def", b"fn", b"fun")):
        return out
    for m in _DECLARATION.finditer(buf):
        params: list[bytes] = []
        for part in m.group(2).split(b","):
            p = _PARAM.match(part)
            if p is not None and p.group(1) not in (b"self", b"cls"):
                params.append(p.group(1))
        out.setdefault(m.group(1), params)
    return out


def argument_index(args: bytes) -> int | None:
    """Which argument the value is, from the text between the call's `(` and the value."""
    if any(c in args for c in b"[{("):
        return None
    return args.count(b",")
