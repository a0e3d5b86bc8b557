"""Measures 5, 6 and 7: follow-up timeliness, care plans, referrals (closed loop)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from caseload.services.duelist import _window_sql
from caseload.services.reports.common import (
    Figure,
    Measure,
    Period,
    active_ids,
    day,
    entry,
    in_scope,
    median_figure,
    use_scan,
    utc_text,
)

# Each follow-up due in the period falls in exactly one of these, as of the report's day.
CATEGORIES = ("on_time", "late", "unable", "missed", "overdue", "pending")
CATEGORY_LABELS = {
    "on_time": "completed on time",
    "late": "completed late",
    "unable": "closed: unable to reach",
    "missed": "missed (still open)",
    "overdue": "overdue (still open, not yet missed)",
    "pending": "not yet due",
}


def _category_sql(windows: Mapping | None) -> str:
    """The category of a follow-up row (columns of ``_ROWS``), in day numbers: no date text
    is built per row, and only completed rows convert a timestamp to local time."""
    after = _window_sql("f.window_after", 1, windows or {})
    return f"""CASE
        WHEN f.status = 'done' AND f.unable_reason IS NOT NULL THEN 'unable'
        WHEN f.status = 'done' AND done - due <= {after} THEN 'on_time'
        WHEN f.status = 'done' THEN 'late'
        WHEN :today_n - due > {after} THEN 'missed'
        WHEN :today_n > due THEN 'overdue'
        ELSE 'pending' END"""


def _rows_sql(windows: Mapping | None, base: str) -> str:
    """Each follow-up due in the period with its category (``c``) and days late (``late``),
    computed once per row ("LIMIT -1 OFFSET 0" keeps SQLite from inlining it twice)."""
    inner = (
        "SELECT f.*, CAST(julianday(f.due_on) AS INTEGER) AS due, "
        "iif(f.status = 'done', CAST(julianday(date(f.completed_at, 'localtime')) AS INTEGER), "
        f"NULL) AS done {base} LIMIT -1 OFFSET 0"
    )
    return (
        f"SELECT f.patient_id, f.id, f.kind, f.due_on, {_category_sql(windows)} AS c, "
        f"done - due AS late, f.unable_reason FROM ({inner}) f"
    )


def timeliness(conn, period: Period, cond: str, today: date, windows, detail: bool) -> Measure:
    """Measure 5: follow-ups due in the period (cancelled ones left out), by kind."""
    m = Measure(
        "timeliness",
        "Follow-up timeliness",
        "Follow-ups due in the period (cancelled left out), as of the report's day: done "
        "within the kind's window (the due date plus its days after) is on time, done "
        "after it late; closed as unable to reach apart; open past the window missed, "
        "open past due overdue. Days late: completion day minus due date.",
    )
    args = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "today": today.isoformat(),
    }
    where = "f.status IN ('open', 'done') AND f.due_on BETWEEN :start AND :end"
    where += in_scope(cond, "f.patient_id")
    hint = "NOT INDEXED" if use_scan(conn, "followup f", where, args) else ""
    base = f"FROM followup f {hint} WHERE {where}"
    args["today_n"] = int(julian(today))
    rows = _rows_sql(windows, base)
    counts: dict[str, dict[str, int]] = {}
    late_days: list[int] = []
    for kind, c, n, days in conn.execute(
        f"SELECT kind, c, count(*), group_concat(iif(c = 'late', late, NULL)) FROM ({rows}) "
        "GROUP BY kind, c",
        args,
    ):
        counts.setdefault(kind, dict.fromkeys(CATEGORIES, 0))[c] = n
        if days:
            late_days += [int(x) for x in days.split(",")]
    total = {c: sum(k[c] for k in counts.values()) for c in CATEGORIES}
    due = sum(total.values()) - total["pending"]
    for c in CATEGORIES:
        fig = Figure(c, CATEGORY_LABELS[c].capitalize(), total[c], due if c != "pending" else None)
        m.figures.append(fig)
    if detail:
        _timeliness_detail(conn, m, rows, args)
    m.figures.append(
        median_figure("median_days_late", "Median days late (completed late)", late_days, "days")
    )
    m.extra["by_kind"] = {k: counts[k] for k in sorted(counts)}
    return m


def _timeliness_detail(conn, m: Measure, rows: str, args: dict) -> None:
    for pid, fid, kind, due_on, c, late, reason in conn.execute(
        f"SELECT * FROM ({rows}) WHERE c <> 'on_time' ORDER BY due_on, id", args
    ).fetchall():
        item = f"follow-up {fid} ({kind.replace('_', ' ')}) due {due_on[:10]}"
        why = {
            "late": f"done {late} days after due",
            "unable": f"unable to reach: {(reason or '').replace('_', ' ')}",
        }.get(c, CATEGORY_LABELS[c])
        m.figure(c).detail.append(entry(pid, item, CATEGORY_LABELS[c], why))


def julian(d: date) -> float:
    """SQLite's julianday() of a date (its noon-based day number at midnight)."""
    return d.toordinal() + 1721424.5


def careplans(conn, period: Period, cond: str, today: date, detail: bool) -> Measure:
    """Measure 6: active patients with a current plan, plans past review, goals achieved."""
    m = Measure(
        "careplans",
        "Care plans",
        "Active patients (status now) with a current care plan; current plans whose "
        "review date has passed (as of the report's day); goals of current plans marked "
        "achieved in the period (the day of the status change in the audit log, else "
        "the goal's latest progress note).",
    )
    ids = active_ids(conn, cond)
    plans = {
        pid: (plan_id, review_on)
        for pid, plan_id, review_on in conn.execute(
            "SELECT patient_id, id, review_on FROM care_plan WHERE is_current = 1"
        )
    }
    with_plan = Figure("current_plan", "Active patients with a current plan", 0, len(ids))
    overdue = Figure("review_overdue", "Current plans past their review date", 0, 0)
    for pid in ids:
        plan_id, review_on = plans.get(pid, (None, None))
        if plan_id is None:
            if detail:
                with_plan.detail.append(entry(pid, "patient", "no plan", "no current plan"))
            continue
        with_plan.numerator += 1
        overdue.denominator += 1
        if review_on and review_on[:10] < today.isoformat():
            overdue.numerator += 1
            if detail:
                overdue.detail.append(
                    entry(
                        pid,
                        f"care plan {plan_id}",
                        "past review",
                        f"review was due {review_on[:10]}",
                    )
                )
    m.figures += [with_plan, overdue, _goals_achieved(conn, period, cond, detail)]
    return m


def _goals_achieved(conn, period: Period, cond: str, detail: bool) -> Figure:
    """Goals whose achievement is dated in the period, found from the dates first (the audit
    log's status changes, the progress notes), then checked: achieved, on a current plan."""
    lo, hi = utc_text(period.start), utc_text(period.end + timedelta(days=1))
    when = dict(
        conn.execute(
            "SELECT CAST(entity_id AS INTEGER), max(at) FROM audit_event "
            "WHERE action = 'careplan.goal.status' AND json_extract(detail, '$.new') = 'achieved' "
            "GROUP BY entity_id"
        ).fetchall()
    )
    for gid, at in conn.execute("SELECT goal_id, max(at) FROM goal_progress GROUP BY goal_id"):
        when.setdefault(gid, at)
    candidates = sorted(g for g, at in when.items() if at is not None and lo <= at < hi)
    fig = Figure("goals_achieved", "Goals achieved in the period", 0)
    for i in range(0, len(candidates), 500):
        chunk = candidates[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for gid, pid in conn.execute(
            "SELECT g.id, cp.patient_id FROM goal g "
            "JOIN care_plan_problem pr ON pr.id = g.problem_id "
            "JOIN care_plan cp ON cp.id = pr.plan_id AND cp.is_current = 1 "
            f"WHERE g.id IN ({marks}) AND g.status = 'achieved'{in_scope(cond, 'cp.patient_id')}",
            chunk,
        ):
            fig.numerator += 1
            if detail:
                fig.detail.append(
                    entry(pid, f"goal {gid}", "achieved", f"on {when[gid][:10]} (UTC)")
                )
    return fig


def referrals(conn, period: Period, cond: str, today: date, detail: bool) -> Measure:
    """Measure 7: the loop's steps in the period, closure, time to complete, overdue."""
    m = Measure(
        "referrals",
        "Referrals (closed loop)",
        "Referrals sent, accepted, completed and closed in the period (by each step's "
        "date); loop closure: of those sent in the period, the share completed (as of "
        "the report's day); median days from sent to completed (completed in the "
        "period); open (sent or accepted) past their expected-response date.",
    )
    rows = conn.execute(
        "SELECT r.patient_id, r.id, r.status, r.sent_on, r.accepted_on, r.completed_on, "
        f"r.closed_on, r.expected_response_on FROM referral r WHERE 1 = 1"
        f"{in_scope(cond, 'r.patient_id')} ORDER BY r.sent_on, r.id"
    ).fetchall()
    s, e = period.start, period.end
    steps = {
        k: Figure(k, f"{k.capitalize()} in the period", 0)
        for k in ("sent", "accepted", "completed", "closed")
    }
    closure = Figure("loop_closure", "Sent in the period and completed", 0, 0)
    overdue = Figure("overdue", "Open past the expected-response date", 0, 0)
    spans = []
    for pid, rid, status, *dates in rows:
        sent, accepted, completed, closed, expected = (day(d) for d in dates)
        item = f"referral {rid} sent {sent.isoformat()}"
        for key, d in zip(steps, (sent, accepted, completed, closed), strict=True):
            if d is not None and s <= d <= e:
                steps[key].numerator += 1
        if s <= sent <= e:
            closure.denominator += 1
            closure.numerator += completed is not None
            if detail and completed is None:
                closure.detail.append(entry(pid, item, "open", status))
        if completed is not None and s <= completed <= e:
            spans.append((completed - sent).days)
        if status in ("sent", "accepted"):
            overdue.denominator += 1
            if expected is not None and expected < today:
                overdue.numerator += 1
                if detail:
                    why = f"answer expected {expected.isoformat()}"
                    overdue.detail.append(entry(pid, item, status, why))
    m.figures += [*steps.values(), closure]
    m.figures.append(
        median_figure("median_days_to_complete", "Median days sent to completed", spans, "days")
    )
    m.figures.append(overdue)
    return m
