"""Measures 5, 6 and 7: follow-up timeliness, care plans, referrals (closed loop)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from caseload.services.duelist import _window_sql
from caseload.services.reports.common import (
    Figure,
    Measure,
    Period,
    day,
    entry,
    median,
    program_sql,
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
    after = _window_sql("f.window_after", 1, windows or {})
    done_on = "date(f.completed_at, 'localtime')"
    return f"""CASE
        WHEN f.status = 'done' AND f.unable_reason IS NOT NULL THEN 'unable'
        WHEN f.status = 'done' AND {done_on} <= date(f.due_on, '+' || ({after}) || ' days')
            THEN 'on_time'
        WHEN f.status = 'done' THEN 'late'
        WHEN :today > date(f.due_on, '+' || ({after}) || ' days') THEN 'missed'
        WHEN :today > f.due_on THEN 'overdue'
        ELSE 'pending' END"""


def timeliness(conn, period: Period, program, today: date, windows, detail: bool) -> Measure:
    """Measure 5: follow-ups due in the period (cancelled ones left out), by kind."""
    m = Measure(
        "timeliness",
        "Follow-up timeliness",
        "Follow-ups due in the period (cancelled left out), as of the report's day: done "
        "within the kind's window (the due date plus its days after) is on time, done "
        "after it late; closed as unable to reach apart; open past the window missed, "
        "open past due overdue. Days late: completion day minus due date.",
    )
    prog, args = program_sql(program)
    args.update(start=period.start.isoformat(), end=period.end.isoformat(), today=today.isoformat())
    base = (
        "FROM followup f JOIN patient p ON p.id = f.patient_id "
        "WHERE f.status IN ('open', 'done') AND f.due_on BETWEEN :start AND :end" + prog
    )
    cat = _category_sql(windows)
    counts: dict[str, dict[str, int]] = {}
    late_days: list[int] = []
    for kind, c, n, days in conn.execute(
        f"SELECT f.kind, {cat} AS c, count(*), group_concat(iif(({cat}) = 'late', "
        "CAST(julianday(date(f.completed_at, 'localtime')) - julianday(f.due_on) AS INTEGER), "
        f"NULL)) {base} GROUP BY f.kind, c",
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
        _timeliness_detail(conn, m, cat, base, args)
    m.figures.append(
        Figure(
            "median_days_late",
            "Median days late (completed late)",
            value=median(late_days),
            unit="days",
            denominator=len(late_days),
        )
    )
    m.extra["by_kind"] = {k: counts[k] for k in sorted(counts)}
    return m


def _timeliness_detail(conn, m: Measure, cat: str, base: str, args: dict) -> None:
    rows = conn.execute(
        f"SELECT p.external_id, p.given_name || ' ' || p.family_name, f.id, f.kind, f.due_on, "
        f"{cat} AS c, date(f.completed_at, 'localtime'), f.unable_reason {base} "
        "AND c <> 'on_time' ORDER BY f.due_on, f.id",
        args,
    ).fetchall()
    for ext, name, fid, kind, due_on, c, done_on, reason in rows:
        item = f"follow-up {fid} ({kind.replace('_', ' ')}) due {due_on[:10]}"
        why = {
            "late": f"done {done_on}",
            "unable": f"unable to reach: {(reason or '').replace('_', ' ')}",
        }.get(c, CATEGORY_LABELS[c])
        m.figure(c).detail.append(entry(ext, name, item, CATEGORY_LABELS[c], why))


def careplans(conn, period: Period, program, today: date, detail: bool) -> Measure:
    """Measure 6: active patients with a current plan, plans past review, goals achieved."""
    m = Measure(
        "careplans",
        "Care plans",
        "Active patients (status now) with a current care plan; current plans whose "
        "review date has passed (as of the report's day); goals marked achieved in the "
        "period (the day of the status change in the audit log, else the goal's latest "
        "progress note).",
    )
    prog, args = program_sql(program)
    args.update(today=today.isoformat())
    rows = conn.execute(
        "SELECT p.external_id, p.given_name || ' ' || p.family_name, cp.id, cp.review_on "
        "FROM patient p LEFT JOIN care_plan cp ON cp.patient_id = p.id AND cp.is_current = 1 "
        f"WHERE p.status = 'active'{prog} ORDER BY p.external_id",
        args,
    ).fetchall()
    with_plan = Figure("current_plan", "Active patients with a current plan", 0, len(rows))
    overdue = Figure("review_overdue", "Current plans past their review date", 0, 0)
    for ext, name, plan_id, review_on in rows:
        if plan_id is None:
            if detail:
                with_plan.detail.append(entry(ext, name, "patient", "no plan", "no current plan"))
            continue
        with_plan.numerator += 1
        overdue.denominator += 1
        if review_on and review_on[:10] < today.isoformat():
            overdue.numerator += 1
            if detail:
                overdue.detail.append(
                    entry(
                        ext,
                        name,
                        f"care plan {plan_id}",
                        "past review",
                        f"review was due {review_on[:10]}",
                    )
                )
    m.figures += [with_plan, overdue, _goals_achieved(conn, period, program, detail)]
    return m


def _goals_achieved(conn, period: Period, program, detail: bool) -> Figure:
    prog, args = program_sql(program)
    lo, hi = period.utc_bounds()
    args.update(lo=lo, hi=hi)
    rows = conn.execute(
        "SELECT p.external_id, p.given_name || ' ' || p.family_name, g.id, coalesce("
        "(SELECT max(a.at) FROM audit_event a WHERE a.action = 'careplan.goal.status' "
        "AND a.entity_id = CAST(g.id AS TEXT) AND json_extract(a.detail, '$.new') = 'achieved'), "
        "(SELECT max(gp.at) FROM goal_progress gp WHERE gp.goal_id = g.id)) AS at "
        "FROM goal g JOIN care_plan_problem pr ON pr.id = g.problem_id "
        "JOIN care_plan cp ON cp.id = pr.plan_id AND cp.is_current = 1 "
        "JOIN patient p ON p.id = cp.patient_id "
        f"WHERE g.status = 'achieved'{prog}",
        args,
    ).fetchall()
    fig = Figure("goals_achieved", "Goals achieved in the period", 0)
    for ext, name, gid, at in rows:
        if at is not None and lo <= at < hi:
            fig.numerator += 1
            if detail:
                fig.detail.append(
                    entry(ext, name, f"goal {gid}", "achieved", f"on {at[:10]} (UTC)")
                )
    return fig


def referrals(conn, period: Period, program, today: date, detail: bool) -> Measure:
    """Measure 7: the loop's steps in the period, closure, time to complete, overdue."""
    m = Measure(
        "referrals",
        "Referrals (closed loop)",
        "Referrals sent, accepted, completed and closed in the period (by each step's "
        "date); loop closure: of those sent in the period, the share completed (as of "
        "the report's day); median days from sent to completed (completed in the "
        "period); open (sent or accepted) past their expected-response date.",
    )
    prog, args = program_sql(program)
    rows = conn.execute(
        "SELECT p.external_id, p.given_name || ' ' || p.family_name, r.id, r.status, r.sent_on, "
        "r.accepted_on, r.completed_on, r.closed_on, r.expected_response_on "
        f"FROM referral r JOIN patient p ON p.id = r.patient_id WHERE 1 = 1{prog} "
        "ORDER BY r.sent_on, r.id",
        args,
    ).fetchall()
    s, e = period.start, period.end
    steps = {
        k: Figure(k, f"{k.capitalize()} in the period", 0)
        for k in ("sent", "accepted", "completed", "closed")
    }
    closure = Figure("loop_closure", "Sent in the period and completed", 0, 0)
    overdue = Figure("overdue", "Open past the expected-response date", 0, 0)
    spans = []
    for ext, name, rid, status, *dates in rows:
        sent, accepted, completed, closed, expected = (day(d) for d in dates)
        item = f"referral {rid} sent {sent.isoformat()}"
        for key, d in zip(steps, (sent, accepted, completed, closed), strict=True):
            if d is not None and s <= d <= e:
                steps[key].numerator += 1
        if s <= sent <= e:
            closure.denominator += 1
            closure.numerator += completed is not None
            if detail and completed is None:
                closure.detail.append(entry(ext, name, item, "open", f"{status}"))
        if completed is not None and s <= completed <= e:
            spans.append((completed - sent).days)
        if status in ("sent", "accepted"):
            overdue.denominator += 1
            if expected is not None and expected < today:
                overdue.numerator += 1
                if detail:
                    overdue.detail.append(
                        entry(ext, name, item, status, f"answer expected {expected.isoformat()}")
                    )
    m.figures += [*steps.values(), closure]
    m.figures.append(
        Figure(
            "median_days_to_complete",
            "Median days sent to completed",
            value=median(spans),
            unit="days",
            denominator=len(spans),
        )
    )
    m.figures.append(overdue)
    return m
