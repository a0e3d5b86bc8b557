"""The TOML settings file, read once on demand; each field documented where it is defined.

Location: ``CASELOAD_CONFIG`` or ``<user config dir>/config.toml``. A missing
file means all defaults. An unreadable or malformed file is a clear error, not
a silent default, because reminders and quiet hours depend on it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from caseload.errors import CaseloadError


@dataclass(frozen=True)
class Config:
    # The coordinator's name, printed on the due list header and in reminders.
    coordinator_name: str = ""
    # The call-back number reminders give to patients.
    coordinator_phone: str = ""
    # Minutes of idleness before the TUI locks itself.
    idle_lock_minutes: int = 10
    # Seconds to wait for the OS keyring before moving on to the next key source.
    keyring_timeout: float = 5.0
    # Milliseconds SQLite waits for another writer before reporting the store busy.
    busy_timeout_ms: int = 10000
    # Holidays (ISO dates) skipped by business-day arithmetic (transition calls).
    holidays: tuple[str, ...] = ()
    # Follow-up windows per kind: days shown before due, days after due until missed.
    windows: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Raw sections for the features that own them ([reminders], [smtp], ...).
    raw: dict = field(default_factory=dict)


def load(path: Path | None = None) -> Config:
    from caseload import paths

    path = path or paths.config_file()
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CaseloadError(f"config file {path} could not be read: {exc}") from None
    general = data.get("caseload", {})
    windows = {
        kind: (int(v.get("before", 0)), int(v.get("after", 0)))
        for kind, v in data.get("windows", {}).items()
        if isinstance(v, dict)
    }
    try:
        return Config(
            coordinator_name=str(general.get("coordinator_name", "")),
            coordinator_phone=str(general.get("coordinator_phone", "")),
            idle_lock_minutes=int(general.get("idle_lock_minutes", 10)),
            keyring_timeout=float(general.get("keyring_timeout", 5.0)),
            busy_timeout_ms=int(general.get("busy_timeout_ms", 10000)),
            holidays=tuple(str(d) for d in general.get("holidays", ())),
            windows=windows,
            raw=data,
        )
    except (TypeError, ValueError) as exc:
        raise CaseloadError(f"config file {path} has a bad value: {exc}") from None
