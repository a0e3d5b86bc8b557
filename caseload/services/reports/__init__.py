"""Program reports: the seven measures a coordinator is judged by, from the work logged.

``build(conn, period, …)`` runs every measure on a raw keyed DBAPI connection
and returns a ``Report`` of plain data (figures with numerator, denominator and,
when asked, the detail rows behind them). The CLI (`caseload report`) and the
TUI's Report screen both call it; io/report.py writes it. Definitions: docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from caseload.services.reports.common import Figure, Measure, Period

__all__ = ["Figure", "Measure", "Period", "Report", "build", "parse_month"]


@dataclass
class Report:
    period: Period
    today: date
    program: str | None
    measures: list[Measure] = field(default_factory=list)

    def measure(self, key: str) -> Measure:
        for m in self.measures:
            if m.key == key:
                return m
        raise KeyError(key)

    def as_dict(self, with_detail: bool = True) -> dict:
        return {
            "period": {
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "label": self.period.label,
            },
            "as_of": self.today.isoformat(),
            "program": self.program,
            "measures": [
                {
                    "key": m.key,
                    "title": m.title,
                    "definition": m.definition,
                    "notes": m.notes,
                    "figures": [f.as_dict(with_detail) for f in m.figures],
                    **m.extra,
                }
                for m in self.measures
            ],
        }


def parse_month(text: str) -> Period:
    """``YYYY-MM`` → that calendar month; ValueError with a message naming the form."""
    t = (text or "").strip()
    try:
        y, m = t.split("-")
        if len(y) != 4 or len(m) != 2:
            raise ValueError
        return Period.month(int(y), int(m))
    except ValueError:
        raise ValueError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-11") from None


def build(
    conn,
    period: Period,
    *,
    today: date,
    program: str | None = None,
    holidays: frozenset[date] = frozenset(),
    windows: Mapping[str, tuple[int, int]] | None = None,
    detail: bool = False,
    reconnect: Callable[[], object] | None = None,
) -> Report:
    """Every measure for ``period`` as of ``today``; ``detail`` fills each figure's rows.

    ``reconnect()``, when given, opens a second connection on which the follow-up pass
    runs in a thread while this one reads the contacts: the two big reads of a report
    at program scale then share two cores (SQLite lets go of the GIL while it steps)."""
    from caseload.services.dates import forget_local_days
    from caseload.services.reports import activity, common, transitions, work

    forget_local_days()  # one report's memo: the zone may differ from the last one
    cond = common.scope(conn, program)
    try:
        timely = _in_thread(reconnect, program, work.timeliness, period, today, windows, detail)
        discharges = transitions.load(conn, period, cond)
        contacts = activity.contact_pass(conn, period, today, cond)
        rep = Report(period, today, program or None)
        rep.measures = [
            transitions.tcm(discharges, today, holidays, detail),
            transitions.followup_after(discharges, today, detail),
            activity.minutes(contacts, period, today, detail),
            activity.coverage(conn, contacts, cond, detail),
            timely() if timely else work.timeliness(conn, period, cond, today, windows, detail),
            work.careplans(conn, period, cond, today, detail),
            work.referrals(conn, period, cond, today, detail),
        ]
        if detail:
            common.resolve(conn, [f for m in rep.measures for f in m.figures])
    finally:
        if cond:
            conn.execute(f"DROP TABLE IF EXISTS {common.SCOPE}")
    return rep


def _in_thread(reconnect, program, measure, period, today, windows, detail):
    """Start ``measure`` on a connection of its own in a thread; returns a function that
    waits for it and gives its result (or raises its error), or None without ``reconnect``."""
    if reconnect is None:
        return None
    import threading

    from caseload.services.reports import common

    box: dict = {}

    def run() -> None:
        try:
            other = reconnect()
            try:
                cond = common.scope(other, program)
                box["result"] = measure(other, period, cond, today, windows, detail)
            finally:
                other.close()
        except BaseException as exc:  # handed to the caller, raised there
            box["error"] = exc

    thread = threading.Thread(target=run, name="report-followups", daemon=True)
    thread.start()

    def wait():
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["result"]

    return wait
