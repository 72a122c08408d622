"""One expected-error type, mapped to exit code 2 by the CLI. Messages never hold a key."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class FatalError(Exception):
    """A problem the user can fix (bad usage, unreadable input, not a git repository)."""
