"""The TOML settings file, read once on demand; each field documented where it is defined.

Location: ``CASELOAD_CONFIG`` or ``<user config dir>/config.toml``. A missing
file means all defaults. An unreadable or malformed file is a clear error, not
a silent default, because reminders and quiet hours depend on it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from caseload.errors import CaseloadError


class Reminders(NamedTuple):
    """``[reminders]``."""

    # "21:00-08:00": patient reminders wait for the next run outside these local hours
    # (checked when `remind` runs: services.reminders.parse_quiet_hours).
    quiet_hours: str = ""


class Smtp(NamedTuple):
    """``[smtp]``: the mail server for email reminders and the digest. Types are checked
    here; that host and sender are set, and the password, when email is used
    (io.smtp.settings), so a config that never sends email needs none."""

    host: str = ""
    # The From address.
    sender: str = ""
    # Default 587 with STARTTLS, else 25.
    port: int | None = None
    starttls: bool = True
    username: str = ""
    # The environment variable holding the password (never the password itself).
    password_env: str = ""
    # Seconds to wait for the server.
    timeout: float = 30.0


class Config(NamedTuple):
    """The settings (config.toml). NamedTuples, as everything the cron path loads:
    dataclasses would cost `caseload due` 10 ms of start-up."""

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
    # Where the TUI's printouts (``p`` on Today) go; empty: ``printouts`` in the data dir.
    printouts: str = ""
    # Follow-up windows per kind: days shown before due, days after due until missed.
    windows: Mapping[str, tuple[int, int]] = MappingProxyType({})
    # `caseload due` leaves off items overdue by more than this many days, and says
    # how many it left off ([due] overdue_days; 0 lists every overdue item).
    due_overdue_days: int = 90
    # Feed discharges older than this many days are refused (unless --allow-old).
    discharge_max_age_days: int = 30
    # Failed attempts (not-reached contacts logged against a follow-up) before it may be
    # closed as "unable to reach" ([followups] attempts_before_unable).
    attempts_before_unable: int = 3
    reminders: Reminders = Reminders()
    smtp: Smtp = Smtp()


def load(path: Path | None = None) -> Config:
    from caseload import paths

    path = path or paths.config_file()
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CaseloadError(f"config file {path} could not be read: {exc}") from None
    try:
        return _parse(data, path)
    except (TypeError, ValueError, AttributeError) as exc:
        raise CaseloadError(f"config file {path} has a bad value: {exc}") from None


# Windows longer than this are refused (here and by services.followups): the due list
# bounds its index scan by it (services.duelist.MAX_WINDOW_BEFORE).
MAX_WINDOW_DAYS = 60


def _parse(data: dict, path: Path) -> Config:
    for section in ("caseload", "windows", "reminders", "smtp", "due", "followups"):
        if not isinstance(data.get(section, {}), dict):
            raise ValueError(f"[{section}] must be a table")
    general = data.get("caseload", {})
    windows = {}
    for kind, v in data.get("windows", {}).items():
        if not isinstance(v, dict):
            raise ValueError(f"[windows.{kind}] must be a table with before and after")
        before, after = int(v.get("before", 0)), int(v.get("after", 0))
        if not (0 <= before <= MAX_WINDOW_DAYS and 0 <= after <= MAX_WINDOW_DAYS):
            raise ValueError(f"[windows.{kind}] days must be from 0 to {MAX_WINDOW_DAYS}")
        windows[kind] = (before, after)
    holidays = general.get("holidays", ())
    if not isinstance(holidays, list | tuple):
        raise ValueError("holidays must be a list of dates")
    for d in holidays:
        date.fromisoformat(str(d))  # a bad date fails here, not in the middle of a command
    overdue_days = int(data.get("due", {}).get("overdue_days", 90))
    if overdue_days < 0:
        raise ValueError("[due] overdue_days must be 0 (all) or more")
    attempts = int(data.get("followups", {}).get("attempts_before_unable", 3))
    if attempts < 1:
        raise ValueError("[followups] attempts_before_unable must be 1 or more")
    max_age = int(general.get("discharge_max_age_days", 30))
    if max_age < 1:  # 0 or less would refuse every discharge a feed brings
        raise ValueError("[caseload] discharge_max_age_days must be 1 or more")
    return Config(
        attempts_before_unable=attempts,
        due_overdue_days=overdue_days,
        coordinator_name=str(general.get("coordinator_name", "")),
        coordinator_phone=str(general.get("coordinator_phone", "")),
        idle_lock_minutes=int(general.get("idle_lock_minutes", 10)),
        keyring_timeout=float(general.get("keyring_timeout", 5.0)),
        busy_timeout_ms=int(general.get("busy_timeout_ms", 10000)),
        holidays=tuple(str(d) for d in holidays),
        printouts=str(general.get("printouts", "")),
        discharge_max_age_days=max_age,
        windows=windows,
        reminders=Reminders(quiet_hours=str(data.get("reminders", {}).get("quiet_hours") or "")),
        smtp=_smtp(data.get("smtp", {})),
    )


def _smtp(t: dict) -> Smtp:
    starttls = t.get("starttls", True)
    if not isinstance(starttls, bool):
        raise ValueError("[smtp] starttls must be true or false")
    try:
        port = None if t.get("port") is None else int(t["port"])
        timeout = float(t.get("timeout", 30))
    except (TypeError, ValueError):
        raise ValueError("[smtp] port and timeout must be numbers") from None
    return Smtp(
        host=str(t.get("host") or "").strip(),
        sender=str(t.get("sender") or "").strip(),
        port=port,
        starttls=starttls,
        username=str(t.get("username") or ""),
        password_env=str(t.get("password_env") or ""),
        timeout=timeout,
    )
