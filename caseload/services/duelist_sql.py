"""The due list classified and scored inside SQLite: the fast path behind `caseload due`.

At program scale (a 70k-item list from 1M follow-ups) turning rows into Python
objects costs more than the whole 0.5 s budget, so this query does the work of
``schedule.classify`` and ``schedule.priority_breakdown`` in SQL and leaves the
caller to build its output from the columns it selects (io.duelist_fast builds
each JSON object or CSV line in SQLite too). Every number and label here comes
from the tables in ``services.schedule``, and tests/test_due_sql.py checks the
result against ``duelist.build`` (the long-hand rules) on random stores.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta

from caseload.services import schedule
from caseload.services.duelist import MAX_WINDOW_BEFORE, _window_sql

# Columns of the inner query ``scored`` (one row per item on the list):
#   id, ext, name (given family), pref, title, kind, due_on (YYYY-MM-DD),
#   d (days overdue, 0 unless overdue), rank (0 overdue, 1 due, 2 upcoming),
#   missed (0/1), phone, language, risk, last_on (local day of the last contact),
#   score, reasons (a JSON array of text)


def _points(expr: str, table: Mapping) -> str:
    cases = " ".join(f"WHEN {k!r} THEN {int(v)}" for k, v in table.items() if v)
    return f"(CASE {expr} {cases} ELSE 0 END)" if cases else "0"


def _label(label: str, pts: int) -> str:
    """A reason as io.duelist prints it ("risk high +30"), as an SQL literal of its JSON."""
    text = json.dumps(f"{label} +{pts}" if pts > 0 else f"{label} {pts}") + ","
    return "'" + text.replace("'", "''") + "'"


def _labels(expr: str, table: Mapping, name: str) -> str:
    """The reason for a value looked up in a points table; kinds and risks are checked
    against their enums on every write, so a fixed table of literals covers them."""
    cases = " ".join(
        f"WHEN {k!r} THEN {_label(f'{name} {k}', int(v))}" for k, v in table.items() if v
    )
    return f"(CASE {expr} {cases} ELSE '' END)" if cases else "''"


def _not_reached(since: str) -> str:
    return (
        f"(CASE WHEN {since} IS NULL THEN 15 WHEN {since} > 60 THEN 15 "
        f"WHEN {since} > 30 THEN 8 ELSE 0 END)"
    )


# Patients in blocks of ``:block`` ids, dealt out to ``:parts`` parts in turn: a part reads
# the table pages of its own blocks (rows are stored in id order), and gets patients
# from all over the caseload, old and new.
_SPLIT = " AND abs(f.patient_id / :block) % :parts = :part"
BLOCK = 512


def scored_sql(
    overrides: Mapping[str, tuple[int, int]] | None, redacted: bool = False, split: bool = False
) -> str:
    """``SELECT … FROM followup JOIN patient`` for the list, with the columns listed above.

    ``redacted``: name, pref and phone come through the SQL functions ``cl_initials``
    and ``cl_mask_phone``, which the caller registers (``register_redaction``).
    ``split``: only the items of one block of patients in ``:parts`` (a part of a list
    built by several processes, io.duelist_fast)."""
    overrides = overrides or {}
    name = "p.given_name || ' ' || p.family_name"
    pref, phone = "p.preferred_name", "p.phone"
    if redacted:
        name = f"cl_initials({name})"
        pref, phone = f"iif({pref} <> '', cl_initials({pref}), NULL)", f"cl_mask_phone({phone})"
    before = _window_sql("f.window_before", 0, overrides)
    after = _window_sql("f.window_after", 1, overrides)
    # diff is the signed day difference (today - due); the outer query clamps it.
    # "LIMIT -1 OFFSET 0" keeps SQLite from flattening this subquery into the one
    # above it, which would evaluate each column again at every mention: the score
    # and the reasons mention `since` (a local-time conversion) half a dozen times.
    base = f"""
    SELECT f.id AS id, p.external_id AS ext, {name} AS name,
           {pref} AS pref, f.title AS title, f.kind AS kind,
           substr(f.due_on, 1, 10) AS due_on,
           CAST(julianday(:today) - julianday(substr(f.due_on, 1, 10)) AS INTEGER) AS diff,
           {after} AS after, f.priority AS priority, f.transition_id AS transition_id,
           {phone} AS phone, p.language AS language, p.risk AS risk,
           date(p.last_contact_at, 'localtime') AS last_on,
           CAST(julianday(:today) - julianday(date(p.last_reached_at, 'localtime')) AS INTEGER)
               AS since
      FROM followup f INDEXED BY ix_followup_open_due
      JOIN patient p ON p.id = f.patient_id
     WHERE f.status = 'open'
       AND f.due_on <= :horizon
       AND (:oldest IS NULL OR f.due_on >= :oldest)
       AND (f.due_on <= :lookahead
            OR julianday(f.due_on) - julianday(:today) <= {before})
       AND p.status = 'active'{_SPLIT if split else ""}
     LIMIT -1 OFFSET 0
    """
    rp = _points("risk", schedule.RISK_POINTS)
    kp = _points("kind", schedule.KIND_POINTS)
    pp = _points("priority", schedule.PRIORITY_POINTS)
    op = "iif(diff > 0, min(2 * diff, 40), 0)"
    tp = "iif(transition_id IS NOT NULL, 20, 0)"
    np_ = _not_reached("since")
    reasons = _reasons_sql(op, np_)
    return f"""
    SELECT id, ext, name, pref, title, kind, due_on,
           max(diff, 0) AS d,
           CASE WHEN diff > 0 THEN 0 WHEN diff = 0 THEN 1 ELSE 2 END AS rank,
           diff > 0 AND diff > after AS missed,
           phone, language, risk, last_on,
           {rp} + {kp} + {pp} + {op} + {tp} + {np_} AS score,
           '[' || rtrim({reasons}, ',') || ']' AS reasons
      FROM ({base})
    """


def _reasons_sql(op: str, np_: str) -> str:
    """The reasons as JSON strings joined by commas, as ``duelist.build`` words them."""
    never, not_for = _label("never reached", 15), "'\"not reached for ' || since || ' days +'"
    return " || ".join(
        (
            _labels("risk", schedule.RISK_POINTS, "risk"),
            _labels("kind", schedule.KIND_POINTS, "kind"),
            _labels("priority", schedule.PRIORITY_POINTS, "priority"),
            f"iif(diff > 0, '\"' || diff || ' days overdue +' || {op} || '\",', '')",
            f"iif(transition_id IS NOT NULL, {_label('transition of care', 20)}, '')",
            f"CASE WHEN since IS NULL THEN {never} WHEN since > 30 THEN "
            f"{not_for} || {np_} || '\",' ELSE '' END",
        )
    )


def register_redaction(conn) -> None:
    """The SQL functions a redacted ``scored_sql`` calls (redaction.initials, mask_phone)."""
    from caseload.services.redaction import initials, mask_phone

    conn.create_function("cl_initials", 1, initials, deterministic=True)
    conn.create_function("cl_mask_phone", 1, mask_phone, deterministic=True)


def params(day: date, days: int, overdue_days: int | None) -> dict:
    """The bound values of ``scored_sql`` (and of ``older_overdue``)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    oldest = None if not overdue_days else (day - timedelta(days=overdue_days)).isoformat()
    return {
        "today": day.isoformat(),
        "lookahead": (day + timedelta(days=days)).isoformat(),
        "horizon": (day + timedelta(days=max(days, MAX_WINDOW_BEFORE))).isoformat(),
        "oldest": oldest,
    }


def older_overdue(conn, day: date, overdue_days: int | None) -> int:
    """How many open follow-ups of active patients are overdue by more than ``overdue_days``."""
    if not overdue_days:
        return 0
    oldest = (day - timedelta(days=overdue_days)).isoformat()
    return conn.execute(
        "SELECT count(*) FROM followup f INDEXED BY ix_followup_open_due "
        "JOIN patient p ON p.id = f.patient_id "
        "WHERE f.status = 'open' AND f.due_on < :oldest AND p.status = 'active'",
        {"oldest": oldest},
    ).fetchone()[0]


def hidden_note(hidden: int) -> str:
    """The line that says what --overdue-days kept off the list (nothing is hidden silently)."""
    return (
        f"{hidden:,} older overdue items not shown "
        "(see `caseload due --overdue-days 0` / `followups list --overdue`)"
    )
