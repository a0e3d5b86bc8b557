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

from caseload.services.dates import local_day  # noqa: F401  (the reports read it here)

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


def median_figure(key: str, title: str, values: list, unit: str) -> Figure:
    """A median of ``values`` as a figure, with how many it is the median of."""
    return Figure(key, title, value=median(values), unit=unit, denominator=len(values))


def has_tag(programs: str | None, tag: str) -> bool:
    return tag.casefold() in {t.strip().casefold() for t in (programs or "").split(";")}


def day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def entry(patient_id: int, item: str, result: str, why: str) -> dict:
    """One line of a figure's detail: which patient, what was counted, how and why.
    ``patient_id`` becomes ``patient_external_id`` and ``patient_name`` in ``resolve``."""
    return {"patient_id": patient_id, "item": item, "result": result, "why": why}


# --- the population, without reading the wide patient table where an index will do ----

SCOPE = "temp.report_scope"


def scope(conn, program: str | None) -> str:
    """An SQL condition on a ``patient_id`` column keeping the report's patients: empty for
    everyone, else membership of a temporary table of the program's patient ids."""
    if not program:
        return ""
    esc = program.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    conn.execute(f"DROP TABLE IF EXISTS {SCOPE}")
    conn.execute("CREATE TEMP TABLE report_scope (id INTEGER PRIMARY KEY)")
    conn.execute(
        f"INSERT INTO {SCOPE} SELECT id FROM patient "
        "WHERE ';' || programs || ';' LIKE ? ESCAPE '\\'",
        (f"%;{esc};%",),
    )
    return f" AND {{col}} IN (SELECT id FROM {SCOPE})"


def in_scope(cond: str, column: str) -> str:
    return cond.replace("{col}", column)


def active_ids(conn, cond: str) -> list[int]:
    """Active patients now (the index on status holds every id: no table read)."""
    return [
        r[0]
        for r in conn.execute(
            f"SELECT id FROM patient WHERE status = 'active'{in_scope(cond, 'id')} ORDER BY id"
        )
    ]


def resolve(conn, figures) -> None:
    """Fill each detail row's patient external id and name (only the patients listed)."""
    rows = [r for f in figures for r in f.detail if "patient_id" in r]
    ids = sorted({r["patient_id"] for r in rows})
    names: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for pid, ext, name in conn.execute(
            "SELECT id, external_id, given_name || ' ' || family_name FROM patient "
            f"WHERE id IN ({marks})",
            chunk,
        ):
            names[pid] = (ext, name)
    for r in rows:
        ext, name = names.get(r.pop("patient_id"), ("?", ""))
        r.update(patient_external_id=ext, patient_name=name)
        for k in ("item", "result", "why"):
            r[k] = r.pop(k)


def use_scan(conn, table: str, in_range: str, args: dict) -> bool:
    """Whether a period's rows are better read by one pass over ``table`` than by its index.

    A store filled patient by patient (the demo, an import of history) spreads a month
    over every page, and a row lookup per index entry then costs several times one
    sequential pass; a store filled day by day keeps a month together. Past a tenth
    of the table, one pass wins either way."""
    n = conn.execute(f"SELECT count(*) FROM {table} WHERE {in_range}", args).fetchone()[0]
    total = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    return n * 10 > total
