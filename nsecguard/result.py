"""The outcome of a scan, as reporters and exit codes see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from nsecguard.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from nsecguard.model import Finding


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # inputs that could not be read
    notes: list[str] = field(default_factory=list)  # things skipped on purpose (verbose output)
    scanned: int = 0  # files (or other units) scanned
    scanned_bytes: int = 0
    suppressed: int = 0  # findings hidden by a baseline
    commits: int = 0  # commits walked (history scans)

    def merge(self, other: ScanResult) -> None:
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self.scanned += other.scanned
        self.scanned_bytes += other.scanned_bytes
        self.suppressed += other.suppressed
        self.commits += other.commits

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.path, f.line, f.column, f.kind.value))

    @property
    def exit_code(self) -> int:
        """1 when anything leaked (even if some input failed), else 2 on errors, else 0."""
        if self.findings:
            return EXIT_FINDINGS
        return EXIT_ERROR if self.errors else EXIT_CLEAN
