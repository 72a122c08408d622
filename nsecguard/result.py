"""The outcome of a scan, as reporters and exit codes see it."""

from __future__ import annotations

from nsecguard.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from nsecguard.model import Finding


class ScanResult:
    __slots__ = ("errors", "findings", "notes", "scanned", "scanned_bytes", "suppressed")

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.errors: list[str] = []  # inputs that could not be read
        self.notes: list[str] = []  # things skipped on purpose (verbose output)
        self.scanned = 0  # files (or other units) scanned
        self.scanned_bytes = 0
        self.suppressed = 0  # findings hidden by a baseline

    def merge(self, other: ScanResult) -> None:
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self.scanned += other.scanned
        self.scanned_bytes += other.scanned_bytes
        self.suppressed += other.suppressed

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.path, f.line, f.column, f.kind.value))

    @property
    def exit_code(self) -> int:
        """1 when anything leaked (even if some input failed), else 2 on errors, else 0."""
        if self.findings:
            return EXIT_FINDINGS
        return EXIT_ERROR if self.errors else EXIT_CLEAN
