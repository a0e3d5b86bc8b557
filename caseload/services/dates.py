"""Dates and times as people say them: ISO, today, fri, next fri, next week, in 2 weeks, 2w,
dec 15, end of month; and for a moment also 15:00, yesterday 3pm, 2h ago, -2h.

Pure functions of the text and a reference day (or moment), so tests can fix the clock.
The conventions, also in docs/cli.md ("Dates"): a weekday alone is the coming one, never
today; ``next fri`` is the Friday of next week (weeks start on Monday), so on a Wednesday it
is nine days away; ``next week`` is next Monday; ``last fri`` the most recent Friday before
today; a month and day without a year is the nearest such day (the coming one on a tie).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta

# What each kind of field accepts, shown in its error message.
FORMS = {
    "date": "YYYY-MM-DD, today, tomorrow, yesterday, fri, next fri, last fri, next week, "
    "in 2 weeks, 2w, -3d, dec 15, end of month",
    "future": "YYYY-MM-DD, today, tomorrow, fri, next fri, next week, in 2 weeks, 2w, +3d, "
    "dec 15, end of month",
    "past": "YYYY-MM-DD, today, yesterday, last fri, 3 days ago, -3d, dec 15",
    "birth": "YYYY-MM-DD, 14 mar 1958 or mar 14 1958",
    "when": "now, 15:00, today 09:30, yesterday 3pm, 2h ago, -2h, 2026-11-20 14:30, "
    "or a date (yesterday, last fri, dec 15)",
}
ACCEPTED = FORMS["date"]
# Timestamps before this are typing mistakes (and would not store as four-digit years).
MIN_YEAR = 1900

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = tuple(m.lower() for m in calendar.month_name[1:])
_UNITS = {"d": "d", "day": "d", "days": "d", "w": "w", "wk": "w", "wks": "w", "week": "w"}
_UNITS |= {"weeks": "w", "m": "m", "mo": "m", "mos": "m", "month": "m", "months": "m"}
_OFFSET = re.compile(r"^(in\s+)?([+-])?\s*(\d{1,4})\s*([a-z]+)(\s+ago)?$")
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(rf"^{_DAY}\s+([a-z]+)\.?(?:,?\s+(\d{{4}}))?$")
_MONTH_DAY = re.compile(rf"^([a-z]+)\.?\s+{_DAY}(?:,?\s+(\d{{4}}))?$")


def accepted(kind: str = "date") -> str:
    """The forms a field of this kind takes, for its error message and help."""
    return FORMS.get(kind, ACCEPTED)


def _name(word: str, names: tuple[str, ...]) -> int | None:
    """Index of the name ``word`` abbreviates (at least three letters: mon, tues, sept)."""
    if len(word) < 3:
        return None
    hits = [i for i, name in enumerate(names) if name.startswith(word)]
    return hits[0] if len(hits) == 1 else None


def parse_date(text: str, *, today: date | None = None, kind: str = "date") -> date:
    """The date ``text`` names, relative to ``today``; ValueError naming the forms ``kind`` takes.

    A birth date takes only dates with a year: "tomorrow" or "fri" there is a slip.
    """
    ref = today or date.today()
    t = " ".join((text or "").strip().lower().replace(",", " ").split())
    if not t:
        raise ValueError(f"empty date; use {accepted(kind)}")
    try:
        if kind == "birth":
            found = _absolute(t, ref, need_year=True)
        else:
            found = _absolute(t, ref) or _relative(t, ref)
    except (OverflowError, ValueError):
        found = None
    if found is None:
        raise ValueError(f"{text!r} is not a date; use {accepted(kind)}")
    return found


def _absolute(t: str, ref: date, *, need_year: bool = False) -> date | None:
    """ISO, ``15 dec [2026]`` or ``dec 15 [2026]``; None when ``t`` is none of these."""
    try:
        return date.fromisoformat(t)
    except ValueError:
        pass
    m = _DAY_MONTH.match(t)
    if m:
        day, month, year = m.group(1), m.group(2), m.group(3)
    elif m := _MONTH_DAY.match(t):
        month, day, year = m.group(1), m.group(2), m.group(3)
    else:
        return None
    index = _name(month, _MONTHS)
    if index is None:
        return None
    if year:
        return date(int(year), index + 1, int(day))
    if need_year:
        return None
    return _nearest(index + 1, int(day), ref)


def _nearest(month: int, day: int, ref: date) -> date | None:
    """The day/month nearest ``ref`` (last year's, this year's or next year's)."""
    options = []
    for year in (ref.year, ref.year + 1, ref.year - 1):
        try:
            options.append(date(year, month, day))
        except ValueError:  # 29 February outside a leap year; 9999 + 1
            continue
    if not options:
        return None
    return min(options, key=lambda d: (abs((d - ref).days), d < ref))


def _relative(t: str, ref: date) -> date | None:
    """today, +3d, in 2 weeks, 3 days ago, fri, next fri, next week, end of month…"""
    words = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if t in words:
        return ref + timedelta(days=words[t])
    monday = ref - timedelta(days=ref.weekday())
    if t == "next week":
        return monday + timedelta(weeks=1)
    if t in ("end of month", "eom"):
        return ref.replace(day=calendar.monthrange(ref.year, ref.month)[1])
    if t == "next month":
        return (ref.replace(day=1) + timedelta(days=32)).replace(day=1)
    m = _OFFSET.match(t)
    if m:
        return _offset(m, ref)
    *which, name = t.split()
    target = _name(name, _WEEKDAYS)
    if target is None or len(which) > 1:
        return None
    if not which:  # the coming one, never today
        return ref + timedelta(days=(target - ref.weekday() - 1) % 7 + 1)
    if which == ["next"]:
        return monday + timedelta(weeks=1, days=target)
    if which == ["this"]:
        return monday + timedelta(days=target)
    if which == ["last"]:
        return ref - timedelta(days=(ref.weekday() - target - 1) % 7 + 1)
    return None


def _offset(m: re.Match, ref: date) -> date | None:
    """``+3d``, ``2w``, ``in 2 weeks``, ``3 days ago``; a sign and in/ago do not mix."""
    into, sign, count, unit, ago = m.groups()
    unit = _UNITS.get(unit)
    if unit is None or (sign and (into or ago)) or (into and ago):
        return None
    n = int(count) * (-1 if sign == "-" or ago else 1)
    if unit == "d":
        return ref + timedelta(days=n)
    if unit == "w":
        return ref + timedelta(weeks=n)
    from dateutil.relativedelta import relativedelta

    return ref + relativedelta(months=n)


# --- moments -----------------------------------------------------------------------

_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$|^(\d{1,2}):(\d{2})$")
_HOURS = re.compile(r"^(in\s+)?([+-])?\s*(\d{1,5})\s*([a-z]+)(\s+ago)?$")
_CLOCK_UNITS = {"h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60}
_CLOCK_UNITS |= {"min": 1, "mins": 1, "minute": 1, "minutes": 1}


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """A local timestamp: now, an ISO date-time, a date and a time of day, or hours ago.

    A date alone keeps the current time of day; a time alone is today. ``-30m`` is refused:
    minutes or months? (``30min ago``, ``-1mo``).
    """
    ref = now or datetime.now().astimezone()
    t = " ".join((text or "").strip().lower().replace(",", " ").split())
    offset = _HOURS.match(t)
    if offset and offset.group(4) == "m":
        raise ValueError(f"{text!r}: minutes or months? write 30min ago, -2h or -1mo")
    try:
        dt = datetime.fromisoformat((text or "").strip())  # as typed: 14:30Z, not 14:30z
    except ValueError:
        dt = None
    try:
        dt = dt or _moment(t, ref)
    except (OverflowError, ValueError):
        dt = None
    if dt is None:
        raise ValueError(f"{text!r} is not a date or time; use {accepted('when')}")
    try:  # 0001-01-01 local, or 9999-12-31 at -12:00, has no UTC time to store
        if dt.tzinfo is None:
            dt = dt.astimezone()  # naive input is local time
        utc = dt.astimezone(UTC)
    except (ValueError, OverflowError):
        utc = None
    if utc is None or utc.year < MIN_YEAR:
        raise ValueError(f"{text!r} is out of range; give a date and time from {MIN_YEAR} to 9999")
    return dt


def _moment(t: str, ref: datetime) -> datetime | None:
    """Naive local (a time was given), or aware (now, hours ago, a date at the current time)."""
    if t == "now":
        return ref
    m = _HOURS.match(t)
    if m and m.group(4) in _CLOCK_UNITS:
        into, sign, count, unit, ago = m.groups()
        if (sign and (into or ago)) or (into and ago):
            return None
        minutes = int(count) * _CLOCK_UNITS[unit] * (-1 if sign == "-" or ago else 1)
        return ref + timedelta(minutes=minutes)
    words = t.split()
    for cut in (1, 2):  # the time last ("yesterday 3 pm", "mon at 9:30") or first
        for clock, rest in ((words[-cut:], words[:-cut]), (words[:cut], words[cut:])):
            of_day = _clock(" ".join(clock))
            if of_day is None:
                continue
            if rest and rest[-1] == "at":
                rest = rest[:-1]
            day = parse_date(" ".join(rest), today=ref.date()) if rest else ref.date()
            return datetime.combine(day, of_day)
    return datetime.combine(parse_date(t, today=ref.date()), ref.timetz())


def _clock(text: str) -> time | None:
    """The time of day: 15:00, 9:30am, 3pm, 3 p.m., noon, midnight; None for 25:00 or 13pm."""
    if text in ("noon", "midday"):
        return time(12)
    if text == "midnight":
        return time(0)
    m = _CLOCK.match(text)
    if not m:
        return None
    if m.group(4) is not None:  # 24-hour HH:MM
        h, mi = int(m.group(4)), int(m.group(5))
    else:
        h, mi = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if m.group(3) == "p" else 0)
    if h > 23 or mi > 59:
        return None
    return time(h, mi)


# Local calendar days of stored UTC timestamps, memoised per UTC minute (zones such as
# +05:30 reach midnight inside a UTC hour): the due list and a report at program scale
# turn a hundred thousand of them. ``forget_local_days`` empties it (the zone may change).
_LOCAL_DAYS: dict[str, date] = {}


def local_day(stamp: str | None) -> date | None:
    """A stored UTC timestamp's (``YYYY-MM-DD HH:MM…``) calendar date in local time."""
    if not stamp:
        return None
    minute = stamp[:16]
    day = _LOCAL_DAYS.get(minute)
    if day is None:
        utc = datetime.fromisoformat(minute + ":00").replace(tzinfo=UTC)
        day = _LOCAL_DAYS[minute] = utc.astimezone().date()
    return day


def forget_local_days() -> None:
    _LOCAL_DAYS.clear()
