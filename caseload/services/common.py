"""Small helpers and rules every service shares: the clock, the OS user, text limits, yes/no words, enum checks."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from caseload.errors import Invalid


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The local calendar date (follow-ups are due on the coordinator's days)."""
    return date.today()


def actor() -> str:
    """The OS user, for the audit log; works under cron's empty environment."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        if os.environ.get("USER"):
            return os.environ["USER"]
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


# The longest free text a field takes (notes, descriptions); longer is an error, not a cut.
MAX_TEXT = 20_000
# The longest short text (a care team member's name, role, organization, relationship).
MAX_SHORT_TEXT = 1_000
# Clocks on field laptops drift; a contact a few minutes "ahead" is not a mistake.
FUTURE_SLACK = timedelta(minutes=5)
# The words a yes/no value may be written as (options, imported cells), any case.
TRUE_WORDS = ("yes", "y", "true", "t", "1")
FALSE_WORDS = ("no", "n", "false", "f", "0")


def named(name: str, preferred: str | None) -> str:
    """A person's name as shown everywhere: ``name (preferred)`` when there is a preferred one."""
    return f"{name} ({preferred})" if preferred else name


def clean_text(
    value: str | None, what: str, *, required: bool = False, limit: int = MAX_TEXT
) -> str | None:
    """Stripped text or None; Invalid when required and blank, or longer than ``limit``."""
    v = "" if value is None else str(value).strip()
    if not v:
        if required:
            raise Invalid(f"{what} is required")
        return None
    if len(v) > limit:
        raise Invalid(f"{what} is longer than {limit} characters")
    return v


def check_choice(value: str, enum: type[StrEnum], what: str) -> str:
    """Normalise ``value`` to a member of ``enum`` or raise a clear Invalid."""
    from caseload.labels import normalize

    v = normalize(value or "")
    allowed = [m.value for m in enum]
    if v not in allowed:
        raise Invalid(f"{what} must be one of {', '.join(allowed)} (got {value!r})")
    return v


def split_tags(value: str | Iterable[str] | None) -> list[str]:
    """';'-separated text (or a list) → a clean list without blanks or repeats."""
    if value is None:
        return []
    items = value.split(";") if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        t = str(item).strip()
        if t and t not in out:
            out.append(t)
    return out


def join_tags(value: str | Iterable[str] | None) -> str:
    return ";".join(split_tags(value))
