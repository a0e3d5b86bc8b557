"""The one error hierarchy: each error carries a message a person can act on and an exit code.

Messages never contain patient data or key material: they name records by
their external id or row number only.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3


class CaseloadError(Exception):
    """Expected failure: the CLI prints ``message`` (and ``hint``) and exits with ``exit_code``."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class NotFound(CaseloadError):
    """A patient, follow-up or other record that does not exist."""


class Invalid(CaseloadError):
    """Input that breaks a rule of the data (a duplicate id, a bad transition)."""


class UsageError(CaseloadError):
    """The command was called wrongly (a bad date, a bad option value)."""

    exit_code = EXIT_USAGE


class StoreLocked(CaseloadError):
    """The store could not be unlocked: no key, a wrong key, a refused key file."""

    exit_code = EXIT_LOCKED


class StoreMissing(CaseloadError):
    """No store at the path given."""


class Interrupted(CaseloadError):
    """Ctrl-C, with a message saying what state things were left in."""

    exit_code = 130


class StoreBusy(CaseloadError):
    """Another process held the write lock past the busy timeout."""
