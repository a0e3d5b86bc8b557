"""What every measure shares: the period, a figure with its numerator, denominator and detail.

Reports run on a raw keyed DBAPI connection (as the due list does), so a
monthly report on a program-sized store starts and ends in well under the
two seconds the issue allows; every measure here is a query over a period of
calendar dates in local time, evaluated "as of" a given day (``today``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

# How SQLAlchemy stores a DateTime in SQLite (services.auditchain.STORED_FORMAT).
STORED = "%Y-%m-%d %H:%M:%S.%f"
# An interactive contact: someone was reached, the patient or their caregiver, by a
# method that lets them answer (TCM's "interactive contact"; email and provider calls
# do not count).
INTERACTIVE_METHODS = ("phone", "video", "home_visit", "clinic_visit", "text")
INTERACTIVE_PARTIES = ("patient", "caregiver")
FACE_TO_FACE = ("home_visit", "clinic_visit")


def sql_list(values) -> str:
    """A fixed tuple of codes as an SQL list literal (codes only, never user text)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


REACHED_SQL = (
    f"c.outcome = 'reached' AND c.party IN {sql_list(INTERACTIVE_PARTIES)} "
    f"AND c.method IN {sql_list(INTERACTIVE_METHODS)}"
)


@dataclass(frozen=True)
class Period:
    """Calendar dates ``start``..``end`` inclusive, in local time."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return cls(first, nxt - timedelta(days=1))

    @property
    def label(self) -> str:
        if self.start.day == 1 and self == Period.month(self.start.year, self.start.month):
            return self.start.strftime("%B %Y")
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[str, str]:
        """The stored-UTC text of local midnight at the start and just after the end, so a
        range test on ``contact.at`` uses its index."""
        return utc_text(self.start), utc_text(self.end + timedelta(days=1))

    def months(self) -> list[tuple[int, int]]:
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = y + (m == 12), m % 12 + 1
        return out


def utc_text(day: date) -> str:
    """Local midnight of ``day`` as the store writes a UTC timestamp."""
    local = datetime.combine(day, time()).astimezone()
    return local.astimezone(UTC).strftime(STORED)


@dataclass
class Figure:
    """One figure: ``numerator`` of ``denominator`` (a share), or a ``value`` (a median,
    a ratio), with the rows behind it when the detail was asked for."""

    key: str
    label: str
    numerator: int | None = None
    denominator: int | None = None
    value: float | None = None
    unit: str = ""
    detail: list[dict] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        if self.numerator is None or not self.denominator:
            return None
        return self.numerator / self.denominator

    def as_dict(self, with_detail: bool = True) -> dict:
        d = {
            "key": self.key,
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "share": None if self.share is None else round(self.share, 4),
            "value": self.value,
            "unit": self.unit,
        }
        if with_detail:
            d["detail"] = self.detail
        return d


@dataclass
class Measure:
    key: str
    title: str
    definition: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Breakdowns a measure adds (timeliness: counts per kind and category).
    extra: dict = field(default_factory=dict)

    def figure(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)


def median(values) -> float | None:
    values = list(values)
    return float(statistics.median(values)) if values else None


def program_sql(program: str | None, alias: str = "p") -> tuple[str, dict]:
    """A WHERE fragment keeping patients with the program tag (tags are ';'-separated)."""
    if not program:
        return "", {}
    esc = program.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return (
        f" AND ';' || {alias}.programs || ';' LIKE :program ESCAPE '\\'",
        {"program": f"%;{esc};%"},
    )


def has_tag(programs: str | None, tag: str) -> bool:
    return tag.casefold() in {t.strip().casefold() for t in (programs or "").split(";")}


def day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def entry(ext: str, name: str, item: str, result: str, why: str) -> dict:
    """One line of a figure's detail: which patient, what was counted, how and why."""
    return {
        "patient_external_id": ext,
        "patient_name": name,
        "item": item,
        "result": result,
        "why": why,
    }
