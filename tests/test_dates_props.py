"""Dates and times as people say them: examples, properties (hypothesis), and the CLI's messages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload.services.dates import FORMS, parse_date, parse_when

WED = date(2026, 12, 2)  # a Wednesday
NOW = datetime(2026, 12, 2, 10, 0)  # naive: tests compare local times


def local(*args) -> datetime:
    return datetime(*args).astimezone()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("fri", date(2026, 12, 4)),  # the coming one
        ("Friday", date(2026, 12, 4)),
        ("wed", date(2026, 12, 9)),  # never today
        ("next fri", date(2026, 12, 11)),  # the Friday of next week
        ("next mon", date(2026, 12, 7)),
        ("this fri", date(2026, 12, 4)),
        ("last fri", date(2026, 11, 27)),
        ("next week", date(2026, 12, 7)),  # next Monday
        ("in 2 weeks", date(2026, 12, 16)),
        ("2w", date(2026, 12, 16)),
        ("+2w", date(2026, 12, 16)),
        ("in 3 days", date(2026, 12, 5)),
        ("3 days ago", date(2026, 11, 29)),
        ("-1d", date(2026, 12, 1)),
        ("+1m", date(2027, 1, 2)),
        ("dec 15", date(2026, 12, 15)),
        ("15 dec", date(2026, 12, 15)),
        ("December 15", date(2026, 12, 15)),
        ("15th Dec 2027", date(2027, 12, 15)),
        ("dec 15, 2027", date(2027, 12, 15)),
        ("jan 5", date(2027, 1, 5)),  # nearer next year than this
        ("nov 20", date(2026, 11, 20)),  # nearer behind than ahead
        ("end of month", date(2026, 12, 31)),
        ("next month", date(2027, 1, 1)),
        ("2026-12-15", date(2026, 12, 15)),
        ("  TOMORROW ", date(2026, 12, 3)),
    ],
)
def test_date_forms(typed, expected):
    assert parse_date(typed, today=WED) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("yesterday 15:00", local(2026, 12, 1, 15, 0)),
        ("yesterday 3pm", local(2026, 12, 1, 15, 0)),
        ("Yesterday 3 PM", local(2026, 12, 1, 15, 0)),
        ("today 09:30", local(2026, 12, 2, 9, 30)),
        ("15:00", local(2026, 12, 2, 15, 0)),
        ("9:30am", local(2026, 12, 2, 9, 30)),
        ("12am", local(2026, 12, 2, 0, 0)),
        ("12pm", local(2026, 12, 2, 12, 0)),
        ("mon at 9:30", local(2026, 12, 7, 9, 30)),
        ("dec 1 9am", local(2026, 12, 1, 9, 0)),
        ("2026-11-20 14:30", local(2026, 11, 20, 14, 30)),
        ("2026-11-20T14:30Z", datetime(2026, 11, 20, 14, 30, tzinfo=UTC)),
        ("2h ago", local(2026, 12, 2, 8, 0)),
        ("-2h", local(2026, 12, 2, 8, 0)),
        ("90 min ago", local(2026, 12, 2, 8, 30)),
        ("yesterday", local(2026, 12, 1, 10, 0)),  # a date alone keeps the time of day
        ("now", local(2026, 12, 2, 10, 0)),
    ],
)
def test_date_time_forms(typed, expected):
    assert parse_when(typed, now=NOW.astimezone()) == expected


@pytest.mark.parametrize("typed", ["25:00", "13pm", "0am", "12:60", "tomorrow x", "in 2h ago"])
def test_bad_times_name_the_forms(typed):
    with pytest.raises(ValueError) as err:
        parse_when(typed, now=NOW.astimezone())
    assert str(err.value) == f"{typed!r} is not a date or time; use {FORMS['when']}"


def test_minutes_or_months_is_asked_not_guessed():
    with pytest.raises(ValueError, match="minutes or months"):
        parse_when("-30m", now=NOW.astimezone())
    assert parse_date("-1m", today=WED) == date(2026, 11, 2)  # in a date field: months


@pytest.mark.parametrize("typed", ["tomorrow", "dec 15", "fri", "14/03/1958", "+3d"])
def test_a_birth_date_needs_a_year_and_never_suggests_tomorrow(typed):
    with pytest.raises(ValueError) as err:
        parse_date(typed, today=WED, kind="birth")
    assert str(err.value) == f"{typed!r} is not a date; use YYYY-MM-DD, 14 mar 1958 or mar 14 1958"
    assert parse_date("14 Mar 1958", kind="birth") == date(1958, 3, 14)
    assert parse_date("march 14, 1958", kind="birth") == date(1958, 3, 14)


@pytest.mark.parametrize("typed", ["feb 30", "next next fri", "in -2 weeks", "+2w ago", "ma 3"])
def test_not_dates(typed):
    with pytest.raises(ValueError, match="is not a date; use YYYY-MM-DD, today"):
        parse_date(typed, today=WED)


# --- properties ----------------------------------------------------------------------

days = st.dates(min_value=date(1901, 1, 1), max_value=date(9990, 12, 31))
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


@given(days, days)
def test_iso_dates_are_themselves(d, ref):
    assert parse_date(d.isoformat(), today=ref) == d


@given(days, st.integers(0, 999))
def test_offsets_agree(ref, n):
    ahead = ref + timedelta(days=n)
    assert parse_date(f"+{n}d", today=ref) == parse_date(f"{n}d", today=ref) == ahead
    assert parse_date(f"in {n} days", today=ref) == ahead
    assert parse_date(f"{n} days ago", today=ref) == parse_date(f"-{n}d", today=ref)
    assert parse_date(f"in {n} weeks", today=ref) == ref + timedelta(weeks=n)


@given(days, st.sampled_from(range(7)))
def test_weekdays(ref, target):
    name = WEEKDAYS[target]
    coming = parse_date(name, today=ref)
    nxt = parse_date(f"next {name}", today=ref)
    last = parse_date(f"last {name}", today=ref)
    monday = parse_date("next week", today=ref)
    assert coming.weekday() == nxt.weekday() == last.weekday() == target
    assert 1 <= (coming - ref).days <= 7 and 1 <= (ref - last).days <= 7
    assert monday.weekday() == 0 and 1 <= (monday - ref).days <= 7
    assert nxt == monday + timedelta(days=target)  # always in next week
    assert nxt == coming or nxt == coming + timedelta(weeks=1)


@given(days, st.integers(1, 12), st.integers(1, 28), st.booleans())
def test_month_and_day_is_the_nearest(ref, month, day, day_first):
    name = MONTHS[month - 1]
    typed = f"{day} {name}" if day_first else f"{name.title()} {day}"
    found = parse_date(typed, today=ref)
    assert (found.month, found.day) == (month, day)
    assert abs((found - ref).days) <= 184
    assert parse_date(f"{typed} {ref.year}", today=ref) == date(ref.year, month, day)


@given(days)
def test_end_of_month(ref):
    end = parse_date("end of month", today=ref)
    assert (end.year, end.month) == (ref.year, ref.month) and (end + timedelta(days=1)).day == 1


@given(days, st.times(), st.sampled_from(["yesterday", "today", "tomorrow", "2w", "fri"]))
def test_a_day_and_a_time(ref, clock, day_text):
    now = datetime.combine(ref, time(10, 0)).astimezone()
    day = parse_date(day_text, today=ref)
    at = f"{clock.hour:02d}:{clock.minute:02d}"
    expected = datetime.combine(day, time(clock.hour, clock.minute)).astimezone()
    assert parse_when(f"{day_text} {at}", now=now) == expected
    assert parse_when(f"{at} {day_text}", now=now) == expected
    h12 = clock.hour % 12 or 12
    half = "am" if clock.hour < 12 else "pm"
    assert parse_when(f"{day_text} {h12}:{clock.minute:02d}{half}", now=now) == expected


@given(st.integers(0, 9999))
def test_hours_and_minutes_ago(n):
    now = NOW.astimezone()
    assert parse_when(f"{n}h ago", now=now) == parse_when(f"-{n}h", now=now)
    assert parse_when(f"-{n}h", now=now) == now - timedelta(hours=n)
    assert parse_when(f"{n} min ago", now=now) == now - timedelta(minutes=n)


@given(st.text(max_size=30))
def test_any_text_is_a_date_or_one_line_naming_the_forms(text):
    for parse, kind in (
        (lambda: parse_date(text, today=WED), date),
        (lambda: parse_when(text, now=NOW), datetime),
    ):
        try:
            found = parse()
        except ValueError as exc:
            assert "\n" not in str(exc) and any(
                w in str(exc) for w in (" use ", "write", "give")
            ), exc
        else:
            assert isinstance(found, kind)


# --- the CLI ----------------------------------------------------------------------


@pytest.fixture
def one(cli):
    cli.ok("patients", "add", "--external-id", "D-1", "--given-name", "Ana", "--family-name", "Li")
    return cli


def test_cli_birth_date_error_shows_the_birth_forms(one):
    r = one("patients", "edit", "D-1", "--birth-date", "14/03/1958")
    assert r.exit_code == 2
    assert "'--birth-date': '14/03/1958' is not a date; use YYYY-MM-DD, 14 mar 1958" in r.stderr
    assert "tomorrow" not in r.stderr
    one.ok("patients", "edit", "D-1", "--birth-date", "14 mar 1958")


def test_cli_due_and_discharge_errors_show_their_forms(one):
    r = one("followups", "add", "D-1", "--title", "Call", "--due", "someday")
    assert r.exit_code == 2 and f"use {FORMS['future']}" in " ".join(r.stderr.split())
    r = one("patients", "transition", "D-1", "--discharged-on", "someday")
    assert r.exit_code == 2 and f"use {FORMS['past']}" in " ".join(r.stderr.split())


def test_cli_takes_spoken_dates_and_times(one):
    one.ok("followups", "add", "D-1", "--title", "Call", "--due", "next week")
    one.ok("followups", "add", "D-1", "--title", "Visit", "--due", "dec 15")
    one.ok("contacts", "log", "D-1", "--method", "phone", "--outcome", "reached",
           "--at", "yesterday 3pm")  # fmt: skip
    one.ok("contacts", "log", "D-1", "--method", "phone", "--outcome", "reached", "--at", "-2h")
    rows = json.loads(one.ok("followups", "list", "-f", "json").stdout)
    today = date.today()
    assert sorted(r["due_on"] for r in rows) == sorted(
        [parse_date("next week", today=today).isoformat(), parse_date("dec 15").isoformat()]
    )
    ats = sorted(r["at"] for r in json.loads(one.ok("contacts", "list", "-f", "json").stdout))
    yesterday = datetime.combine(today - timedelta(days=1), time(15)).astimezone()
    assert datetime.fromisoformat(ats[0]) == yesterday
