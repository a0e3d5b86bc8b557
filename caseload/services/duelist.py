"""The due list: open follow-ups of active patients, classified and ranked for one day.

This is the cron path, so it runs on a raw keyed DBAPI connection (no SQLAlchemy
or SQLModel import: those alone cost more than the whole list should). The
window test runs in SQL so that only rows that belong on the list leave SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from caseload.services import schedule

STATUS_ORDER = {schedule.OVERDUE: 0, schedule.DUE: 1, schedule.UPCOMING: 2}
# Follow-ups may not set a window opening more than this many days before due, so the
# due list can bound its index scan (services.followups enforces it; a test pins them).
MAX_WINDOW_BEFORE = 60


def _local_day(value):
    """services.dates.local_day, imported when a list is built by hand (not on the cron
    path, which imports this module for its types)."""
    from caseload.services.dates import local_day

    return local_day(value)


class DueList:
    """A built due list: its day, look-ahead and items (dicts, in list order)."""

    def __init__(self, day: date, days: int, items: list[dict] | None = None) -> None:
        self.day, self.days, self.items = day, days, [] if items is None else items

    def counts(self) -> dict[str, int]:
        c = {schedule.OVERDUE: 0, schedule.DUE: 0, schedule.UPCOMING: 0}
        for item in self.items:
            c[item["status"]] += 1
        return c


def _window_sql(column: str, which: int, overrides: Mapping[str, tuple[int, int]]) -> str:
    """``coalesce(f.window_X, CASE f.kind …)``: the effective window, in SQL."""
    table = {**schedule.DEFAULT_WINDOWS, **(overrides or {})}
    cases = " ".join(f"WHEN '{kind}' THEN {int(w[which])}" for kind, w in sorted(table.items()))
    default = int(schedule.FALLBACK_WINDOW[which])
    return f"coalesce({column}, CASE f.kind {cases} ELSE {default} END)"


def _query(overrides: Mapping[str, tuple[int, int]]) -> str:
    before = _window_sql("f.window_before", 0, overrides)
    return f"""
    SELECT f.id, p.external_id, p.given_name, p.family_name, p.preferred_name,
           f.title, f.kind, f.due_on, f.window_before, f.window_after, f.priority,
           f.transition_id, p.phone, p.language, p.risk,
           p.last_contact_at, p.last_reached_at
      FROM followup f INDEXED BY ix_followup_open_due
      JOIN patient p ON p.id = f.patient_id
     WHERE f.status = 'open'
       AND f.due_on <= :horizon
       AND (:oldest IS NULL OR f.due_on >= :oldest)
       AND (f.due_on <= :lookahead
            OR julianday(f.due_on) - julianday(:today) <= {before})
       AND p.status = 'active'
    """


def build(
    conn,
    day: date,
    days: int = 0,
    *,
    windows: Mapping[str, tuple[int, int]] | None = None,
    overdue_days: int | None = None,
) -> DueList:
    """The due list for ``day`` with ``days`` of look-ahead, ordered by status then score.

    ``overdue_days`` (when not None or 0) leaves off items overdue by more than that
    many days (``duelist_sql.older_overdue`` counts them). This is the long hand, item
    by item through ``schedule``; ``duelist_sql`` is the same list scored in SQL.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    lookahead = day + timedelta(days=days)
    horizon = day + timedelta(days=max(days, MAX_WINDOW_BEFORE))
    rows = conn.execute(
        _query(windows or {}),
        {
            "horizon": horizon.isoformat(),
            "lookahead": lookahead.isoformat(),
            "today": day.isoformat(),
            "oldest": (day - timedelta(days=overdue_days)).isoformat() if overdue_days else None,
        },
    ).fetchall()
    items = [item for row in rows if (item := _item(row, day, days, windows)) is not None]
    items.sort(
        key=lambda i: (
            STATUS_ORDER[i["status"]],
            -i["priority_score"],
            i["due_on"],
            i["followup_id"],
        )
    )
    return DueList(day=day, days=days, items=items)


def _item(row, day: date, days: int, windows) -> dict | None:
    """One row of ``_query`` as a due-list item through ``schedule``; None when it is later."""
    fid, ext, given, family, preferred, title, kind, due_text = row[:8]
    wb, wa, prio, transition_id, phone, language, risk, last_at, reached_at = row[8:]
    due_on = date.fromisoformat(due_text[:10])
    window = schedule.window_for(kind, wb, wa, windows)
    standing = schedule.classify(due_on, day, window, days)
    if standing.status == schedule.LATER:
        return None
    reached_on = _local_day(reached_at)
    parts = schedule.priority_breakdown(
        risk=risk,
        kind=kind,
        priority=prio,
        days_overdue=standing.days_overdue,
        transition=transition_id is not None,
        days_since_reached=None if reached_on is None else (day - reached_on).days,
    )
    return {
        "followup_id": fid,
        "patient_external_id": ext,
        "patient_name": f"{given} {family}",
        "preferred_name": preferred,
        "title": title,
        "kind": kind,
        "due_on": due_on,
        "status": standing.status,
        "days_overdue": standing.days_overdue,
        "missed": standing.missed,
        "phone": phone,
        "language": language,
        "risk": risk,
        "last_contact_on": _local_day(last_at),
        "priority_score": sum(p for _, p in parts),
        "priority_reasons": [
            f"{label} +{pts}" if pts > 0 else f"{label} {pts}" for label, pts in parts
        ],
    }
