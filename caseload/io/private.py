"""Files that hold patient data in plaintext, because the user asked: created with mode 0600."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from caseload.errors import CaseloadError


def open_private(path: Path) -> TextIO:
    """``path`` truncated and opened for text, mode 0600 even if it existed with another."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise CaseloadError(f"cannot write {path}: {exc.strerror}") from None
    return os.fdopen(fd, "w", encoding="utf-8", newline="")
