"""The outcome of a scan, as reporters and exit codes see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nsecguard.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from nsecguard.model import Finding

if TYPE_CHECKING:
    from nsecguard.crossproof import Clues


class ScanResult:
    __slots__ = (
        "clues",
        "commits",
        "errors",
        "findings",
        "notes",
        "scanned",
        "scanned_bytes",
        "secrets",
        "suppressed",
        "unstaged",
        "warnings",
    )

    def __init__(
        self,
        *,
        findings: list[Finding] | None = None,
        errors: list[str] | None = None,
        notes: list[str] | None = None,
        warnings: list[str] | None = None,
        scanned: int = 0,
        scanned_bytes: int = 0,
        suppressed: int = 0,
        commits: int = 0,
    ) -> None:
        self.findings: list[Finding] = findings if findings is not None else []
        self.errors: list[str] = errors if errors is not None else []  # inputs that could not be read
        self.notes: list[str] = notes if notes is not None else []  # skipped on purpose (verbose)
        # worth saying even without -v, but nothing was lost (a broken link has no content)
        self.warnings: list[str] = warnings if warnings is not None else []
        self.scanned = scanned  # files (or other units) scanned
        self.scanned_bytes = scanned_bytes
        self.suppressed = suppressed  # findings hidden by a baseline
        self.commits = commits  # commits walked (history scans)
        self.unstaged: list[str] = []  # files a hook scanned whole, having nothing staged
        # the raw secrets a scanning process saw, for the parent's output boundary; never output
        self.secrets: set[str] = set()
        self.clues: Clues | None = None  # public keys for proof across files (nsecguard.crossproof)

    def merge(self, other: ScanResult) -> None:
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self.warnings.extend(other.warnings)
        self.scanned += other.scanned
        self.scanned_bytes += other.scanned_bytes
        self.suppressed += other.suppressed
        self.commits += other.commits
        self.unstaged.extend(other.unstaged)
        self.secrets |= other.secrets
        if other.clues is not None:
            if self.clues is None:
                self.clues = other.clues
            else:
                self.clues.merge(other.clues)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.path, f.line, f.column, f.kind.value))

    @property
    def exit_code(self) -> int:
        """1 when anything leaked (even if some input failed), else 2 on errors, else 0."""
        if self.findings:
            return EXIT_FINDINGS
        return EXIT_ERROR if self.errors else EXIT_CLEAN
