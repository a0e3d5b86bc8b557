"""The fields the forms declare and the parsers they share: numbers, natural dates, times.

A parser takes the stripped, non-empty text of a field and returns its clean
value, or raises ValueError with the message shown under the field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from caseload.services.dates import parse_date, parse_when

Kind = Literal["text", "select", "check"]
# The services' limit on any text field.
MAX_TEXT = 20_000


@dataclass
class Field:
    """One form field. ``key`` is the service keyword the cleaned value goes to."""

    key: str
    label: str
    kind: Kind = "text"
    # The initial value: text for "text" (rendered as typed), an option value, or a bool.
    value: Any = ""
    options: Sequence[tuple[str, Any]] = ()
    # Text (stripped, non-empty) -> clean value; raise ValueError(message) when it is not.
    parse: Callable[[str], Any] | None = None
    required: bool = False
    placeholder: str = ""
    # A line shown under a valid field, from its clean value (e.g. the date "+3d" names).
    hint: Callable[[Any], str] | None = None
    # Checkboxes with the same group share one row, labelled by the group.
    group: str = ""


def parse_int(low: int | None = None, high: int | None = None, what: str = "a number"):
    """A parser for a whole number within [low, high], naming the range in its error."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise ValueError(f"{what} must be a whole number") from None
        if (low is not None and n < low) or (high is not None and n > high):
            if high is None:
                raise ValueError(f"{what} must be {low} or more")
            raise ValueError(f"{what} must be from {low} to {high}")
        return n

    return parse


def who(external_id: object, name: str | None = None) -> str:
    """A patient as the forms name them: ``Ana Lopez, P-1``, or the id alone."""
    return f"{name}, {external_id}" if name else str(external_id)


def show_date(d: date) -> str:
    """A date as people read it in the forms: weekday and ISO date."""
    return f"{d:%a} {d.isoformat()}"


def show_when(dt: datetime) -> str:
    """A timestamp to the minute, in the zone it carries (parse_when gives local time)."""
    return f"{dt:%a} {dt:%Y-%m-%d %H:%M}"


def as_date(value: Any) -> date | None:
    """A date from a record dict's value (a date, or ISO text), or None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def choices(enum) -> list[tuple[str, str]]:
    """Select options for a StrEnum: readable labels, the enum's values."""
    return [(m.value.replace("_", " "), m.value) for m in enum]


# Clocks on field laptops drift: a contact a few minutes ahead is not a mistake (as contacts.py).
FUTURE_SLACK_MINUTES = 5


def _not_a(what: str, kind: str) -> ValueError:
    """The field's error: the forms it takes, as the CLI says them (never the text typed)."""
    from caseload.services.dates import accepted

    return ValueError(f"not a {what}; use {accepted(kind)}")


def date_parser(
    today: Callable[[], date],
    *,
    not_after: int | None = None,
    what: str = "date",
    kind: str = "date",
):
    """A parser for natural dates relative to ``today()``; ``not_after`` days past it at most.

    ``kind`` is the services' kind of date field (date, future, past, birth): it decides the
    forms taken (a birth date needs a year) and the ones the error message offers.
    """

    def parse(text: str) -> date:
        ref = today()
        try:
            d = parse_date(text, today=ref, kind=kind)
        except (ValueError, OverflowError):
            raise _not_a("date", kind) from None
        if not_after is not None and d > ref + timedelta(days=not_after):
            raise ValueError(f"the {what} is in the future")
        return d

    return parse


def when_field(now: Callable[[], datetime], key: str = "at", label: str = "When") -> Field:
    """A timestamp field that defaults to now and takes natural dates, never the future."""

    def parse(text: str) -> datetime:
        ref = now()
        try:
            dt = parse_when(text, now=ref)
        except (ValueError, OverflowError):
            raise _not_a("date or time", "when") from None
        if dt > ref + timedelta(minutes=FUTURE_SLACK_MINUTES):
            raise ValueError("the time is in the future")
        return dt

    return Field(key, label, value="now", parse=parse, hint=show_when)
