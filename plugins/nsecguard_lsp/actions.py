"""What the quick fixes put in place of a key: pure text logic, no protocol.

Two fixes per finding, as text edits in character offsets of the document:
- the key's public mention, `nostr:npub1...` (for a key itself: nsec or hex), inside its quotes;
- a reference to an environment variable in the file's language (by LSP languageId). Where the
  reference is code (Python, JS/TS, Rust, Go, ...), the string literal around the key goes with
  it; where it is text (shell, .env, YAML, ...), it stays inside the quotes. A key in the middle
  of a longer string (a URI's secret) gets no code reference: the edit would break the string.
"""

from __future__ import annotations

from typing import NamedTuple

from nsecguard import rules
from nsecguard.model import Finding


class EnvStyle(NamedTuple):
    template: str  # "{name}" is the variable's name
    code: bool  # an expression of the language: replaces the whole string literal


_JS = EnvStyle("process.env.{name}", True)
_SHELL = EnvStyle("${name}", False)
STYLES: dict[str, EnvStyle] = {
    "python": EnvStyle('os.environ["{name}"]', True),
    "javascript": _JS,
    "javascriptreact": _JS,
    "typescript": _JS,
    "typescriptreact": _JS,
    "rust": EnvStyle('std::env::var("{name}").expect("{name} is not set")', True),
    "go": EnvStyle('os.Getenv("{name}")', True),
    "ruby": EnvStyle('ENV["{name}"]', True),
    "java": EnvStyle('System.getenv("{name}")', True),
    "kotlin": EnvStyle('System.getenv("{name}")', True),
    "csharp": EnvStyle('Environment.GetEnvironmentVariable("{name}")', True),
    "php": EnvStyle("getenv('{name}')", True),
    "swift": EnvStyle('ProcessInfo.processInfo.environment["{name}"]', True),
    "shellscript": _SHELL,
    "sh": _SHELL,
    "bash": _SHELL,
    "zsh": _SHELL,
    "fish": _SHELL,
    "dotenv": EnvStyle("${{{name}}}", False),  # braces: what python-dotenv and compose expand
}
DEFAULT_STYLE = EnvStyle("${{{name}}}", False)  # YAML, TOML, JSON, Markdown...

QUOTES = "\"'`"
STRING_PREFIXES = "rRbBuUfF"  # Python's r"...", b"..."; Rust's r"..."


class Edit(NamedTuple):
    title: str
    start: int  # character offsets in the document
    end: int
    text: str
    import_at: int | None = None  # where `import os` must go (Python), if missing


def env_name(finding: Finding) -> str:
    """The environment variable the finding's rule names (`Rule.env_name`)."""
    rule = rules.get(finding.kind)
    return rule.env_name if rule else "NOSTR_SECRET_KEY"


def literal_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the string literal that is exactly the key (quotes and prefix included),
    or None when the key is not a whole quoted string."""
    if start == 0 or end >= len(text):
        return None
    quote = text[start - 1]
    if quote not in QUOTES or text[end] != quote:
        return None
    left = start - 1
    while left > 0 and text[left - 1] in STRING_PREFIXES and start - 1 - left < 2:
        left -= 1
    if left > 0 and (text[left - 1].isalnum() or text[left - 1] == "_"):
        left = start - 1  # a prefix letter that is the end of a name: not a prefix
    return left, end + 1


def _bare(text: str, start: int, end: int) -> bool:
    """The key stands alone (`KEY=nsec1...`, `key: nsec1...`): not part of a longer word, URI
    or string."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before in " \t\n=:([{," and after in " \t\r\n,;)]}#"


def python_import_at(text: str) -> int | None:
    """Where `import os` goes in a Python file that lacks it (after a shebang and any
    `from __future__` import), or None when it is already there."""
    lines = text.splitlines(keepends=True)
    offset = 0
    insert = 0
    for line in lines:
        stripped = line.strip()
        if stripped in ("import os",) or stripped.startswith(("import os ", "import os,", "import os.")):
            return None
        if (offset == 0 and stripped.startswith("#!")) or stripped.startswith("from __future__ import"):
            insert = offset + len(line)
        offset += len(line)
    return insert


def edits_for(finding: Finding, text: str, language: str) -> list[Edit]:
    """The quick fixes for one finding, best first."""
    out: list[Edit] = []
    start, end = finding.start, finding.end
    if finding.npub and finding.kind in rules.key_kinds():
        out.append(Edit(f"Replace the key with nostr:{finding.npub}", start, end, f"nostr:{finding.npub}"))
    style = STYLES.get(language, DEFAULT_STYLE)
    name = env_name(finding)
    reference = style.template.format(name=name)
    title = f"Replace the key with ${name} from the environment ({reference})"
    if style.code:
        span = literal_span(text, start, end)
        if span is None and _bare(text, start, end):
            span = (start, end)
        if span is not None:
            import_at = python_import_at(text) if language == "python" else None
            out.append(Edit(title, span[0], span[1], reference, import_at))
    elif literal_span(text, start, end) is not None or _bare(text, start, end):
        if language in ("shellscript", "sh", "bash", "zsh", "fish") and start and text[start - 1] == "'":
            out.append(Edit(title, start - 1, end + 1, f'"{reference}"'))  # no expansion in '...'
        else:
            out.append(Edit(title, start, end, reference))
    return out
