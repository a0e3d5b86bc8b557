"""Dates as people type them: ISO, today/tomorrow/yesterday, +3d/-1d/+2w/+1m, mon, next mon.

Pure functions of the text and a reference day, so tests can fix the clock.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

ACCEPTED = "YYYY-MM-DD, today, tomorrow, yesterday, +3d, -1d, +2w, +1m, mon, next mon"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Timestamps before this are typing mistakes (and would not store as four-digit years).
MIN_YEAR = 1900
_REL = re.compile(r"^([+-])\s*(\d{1,4})\s*([dwm])$")


def parse_date(text: str, *, today: date | None = None) -> date:
    """The date ``text`` names, relative to ``today``; ValueError naming the accepted forms."""
    ref = today or date.today()
    t = (text or "").strip().lower()
    if not t:
        raise ValueError(f"empty date; use {ACCEPTED}")
    if t == "today":
        return ref
    if t == "tomorrow":
        return ref + timedelta(days=1)
    if t == "yesterday":
        return ref - timedelta(days=1)
    m = _REL.match(t)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        n = int(m.group(2)) * sign
        unit = m.group(3)
        if unit == "d":
            return ref + timedelta(days=n)
        if unit == "w":
            return ref + timedelta(weeks=n)
        from dateutil.relativedelta import relativedelta

        return ref + relativedelta(months=n)
    words = t.split()
    if (
        len(words) in (1, 2)
        and words[-1][:3] in _WEEKDAYS
        and (len(words) == 1 or words[0] == "next")
    ):
        if len(words[-1]) > 3 and not _full_weekday(words[-1]):
            raise ValueError(f"{text!r} is not a date; use {ACCEPTED}")
        target = _WEEKDAYS.index(words[-1][:3])
        ahead = (target - ref.weekday()) % 7
        if ahead == 0:
            ahead = 7  # "mon" on a Monday means the coming one, not today
        return ref + timedelta(days=ahead)
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use {ACCEPTED}") from None


def _full_weekday(word: str) -> bool:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return any(name.startswith(word) for name in names)


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """A local timestamp: 'now', an ISO datetime, or any date form (at the current time)."""
    ref = now or datetime.now().astimezone()
    t = (text or "").strip()
    if t.lower() == "now":
        return ref
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        d = parse_date(t, today=ref.date())
        dt = datetime.combine(d, ref.timetz())
    try:  # 0001-01-01 local, or 9999-12-31 at -12:00, has no UTC time to store
        if dt.tzinfo is None:
            dt = dt.astimezone()  # naive input is local time
        utc = dt.astimezone(UTC)
    except (ValueError, OverflowError):
        utc = None
    if utc is None or utc.year < MIN_YEAR:
        raise ValueError(f"{text!r} is out of range; give a date and time from {MIN_YEAR} to 9999")
    return dt
