"""Measures 3 and 4: care-management minutes per calendar month, and contact coverage.

Both aggregate in SQL (a month at program scale is a hundred thousand contacts)
and bring to Python one row per patient at most.
"""

from __future__ import annotations

from datetime import date

from caseload.services.reports.common import (
    INTERACTIVE_PARTIES,
    REACHED_SQL,
    Figure,
    Measure,
    Period,
    day,
    entry,
    has_tag,
    median,
    program_sql,
    sql_list,
)

# CCM: 99490 at 20 minutes, 99439 for each further 20 (40, 60), 99487 (complex) at 60.
CCM_THRESHOLDS = ((20, "99490"), (40, "99439 x1"), (60, "99487 / 99439 x2"))
# Community health integration: G0019 at 60 minutes, G0022 for each further 30.
CHW_THRESHOLDS = ((60, "G0019"), (90, "G0022 x1"), (120, "G0022 x2"))
CHW_TAG = "chw"
NEAR_MINUTES = 5
NOT_REACHED_DAYS = 30


def _month_period(period: Period) -> Period:
    """Minutes are counted per whole calendar month: every month the period touches."""
    first = period.start.replace(day=1)
    last = Period.month(period.end.year, period.end.month).end
    return Period(first, last)


def minutes(conn, period: Period, program: str | None, today: date, detail: bool) -> Measure:
    whole = _month_period(period)
    lo, hi = whole.utc_bounds()
    prog, args = program_sql(program)
    rows = conn.execute(
        "SELECT p.external_id, p.given_name || ' ' || p.family_name, p.programs, "
        "strftime('%Y-%m', c.at, 'localtime') AS ym, sum(c.duration_min) "
        "FROM contact c JOIN patient p ON p.id = c.patient_id "
        "WHERE c.at >= :lo AND c.at < :hi AND c.addendum_to IS NULL AND c.duration_min > 0"
        f"{prog} GROUP BY c.patient_id, ym ORDER BY ym, p.external_id",
        {**args, "lo": lo, "hi": hi},
    ).fetchall()
    m = Measure(
        "minutes",
        "Care-management minutes",
        "Per patient per calendar month (local time), the sum of the durations of the "
        "contacts logged (attempts included, addenda not). CCM: 20 minutes (99490), 40 "
        "(99439), 60 (99487); community health integration (tag chw): 60 (G0019), then "
        "each further 30 (G0022). Of the patient-months with any time logged.",
    )
    months = [f"{y:04d}-{mo:02d}" for y, mo in whole.months()]
    chw_rows = [r for r in rows if has_tag(r[2], CHW_TAG)]
    m.figures.append(
        Figure(
            "patient_months",
            "Patient-months with time logged",
            value=len(rows),
            unit="patient-months",
        )
    )
    for table, subset, prefix in ((CCM_THRESHOLDS, rows, "ccm"), (CHW_THRESHOLDS, chw_rows, "chw")):
        for minutes_, code in table:
            fig = Figure(f"{prefix}_{minutes_}", f"{minutes_}+ minutes ({code})", 0, len(subset))
            for ext, name, _p, ym, total in subset:
                if total >= minutes_:
                    fig.numerator += 1
                    if detail:
                        fig.detail.append(entry(ext, name, ym, "met", f"{total} minutes"))
            m.figures.append(fig)
    if (today.year, today.month) in whole.months():
        m.figures.append(_near(rows, today, detail))
    if len(months) > 1:
        m.notes.append(f"minutes are counted per calendar month, {months[0]} to {months[-1]}")
    return m


def near_threshold(total: int, chw: bool = False) -> int | None:
    """The threshold ``total`` minutes is within NEAR_MINUTES below, or None."""
    for t, _code in CCM_THRESHOLDS + (CHW_THRESHOLDS if chw else ()):
        if t - NEAR_MINUTES <= total < t:
            return t
    return None


def _near(rows, today: date, detail: bool) -> Figure:
    """This month only, while days are left in it: who could still cross a threshold."""
    ym = today.strftime("%Y-%m")
    left = (Period.month(today.year, today.month).end - today).days
    fig = Figure(
        "near_threshold",
        f"Within {NEAR_MINUTES} minutes of a threshold, {left} day(s) left this month",
        0,
        0,
    )
    if left <= 0:
        return fig
    for ext, name, programs, month, total in rows:
        if month != ym:
            continue
        fig.denominator += 1
        t = near_threshold(total, has_tag(programs, CHW_TAG))
        if t is not None:
            fig.numerator += 1
            if detail:
                fig.detail.append(entry(ext, name, month, "near", f"{total} of {t} minutes"))
    return fig


def coverage(conn, period: Period, program: str | None, today: date, detail: bool) -> Measure:
    m = Measure(
        "coverage",
        "Contact coverage",
        "Active patients (status now) reached in the period by an interactive contact "
        "(reached, patient or caregiver, by phone, video, visit or text); days since "
        "each was last reached, at the period's end (or today); contacts with the "
        "patient or caregiver per reach in the period.",
    )
    lo, hi = period.utc_bounds()
    ref = min(today, period.end)
    prog, args = program_sql(program)
    args.update(lo=lo, ref_hi=Period(ref, ref).utc_bounds()[1])
    patients = conn.execute(
        "SELECT p.id, p.external_id, p.given_name || ' ' || p.family_name FROM patient p "
        f"WHERE p.status = 'active'{prog}",
        args,
    ).fetchall()
    last = dict(
        conn.execute(
            "SELECT c.patient_id, date(max(c.at), 'localtime') FROM contact c "
            f"WHERE c.at < :ref_hi AND c.addendum_to IS NULL AND {REACHED_SQL} "
            "GROUP BY c.patient_id",
            args,
        ).fetchall()
    )
    reached = {
        pid
        for (pid,) in conn.execute(
            f"SELECT DISTINCT c.patient_id FROM contact c WHERE c.at >= :lo AND c.at < :hi "
            f"AND c.addendum_to IS NULL AND {REACHED_SQL}",
            {"lo": lo, "hi": hi},
        )
    }
    share = Figure("reached", "Active patients reached in the period", 0, len(patients))
    stale = Figure(
        "not_reached_30",
        f"Not reached for over {NOT_REACHED_DAYS} days (at {ref.isoformat()})",
        0,
        len(patients),
    )
    gaps = []
    for pid, ext, name in patients:
        share.numerator += pid in reached
        on = day(last.get(pid))
        gap = None if on is None else (ref - on).days
        if gap is not None:
            gaps.append(gap)
        if gap is None or gap > NOT_REACHED_DAYS:
            stale.numerator += 1
            if detail:
                why = "never reached" if on is None else f"last reached {on.isoformat()}"
                result = "never" if on is None else f"{gap} days"
                stale.detail.append(entry(ext, name, "patient", result, why))
        elif detail and pid not in reached:
            share.detail.append(
                entry(ext, name, "patient", "not reached", f"last reached {on.isoformat()}")
            )
    m.figures += [
        share,
        Figure(
            "median_days_since_reached",
            "Median days since last reached",
            value=median(gaps),
            unit="days",
            denominator=len(gaps),
        ),
        stale,
    ]
    m.figures.append(_attempts_per_reach(conn, lo, hi, program))
    return m


def _attempts_per_reach(conn, lo: str, hi: str, program: str | None) -> Figure:
    prog, args = program_sql(program)
    tries, reaches = conn.execute(
        f"SELECT count(*), total({REACHED_SQL}) FROM contact c "
        "JOIN patient p ON p.id = c.patient_id "
        f"WHERE c.at >= :lo AND c.at < :hi AND c.addendum_to IS NULL "
        f"AND c.party IN {sql_list(INTERACTIVE_PARTIES)}{prog}",
        {**args, "lo": lo, "hi": hi},
    ).fetchone()
    fig = Figure(
        "attempts_per_reach",
        "Contacts with patient or caregiver per reach",
        int(tries),
        int(reaches),
        unit="contacts per reach",
    )
    fig.value = round(tries / reaches, 2) if reaches else None
    return fig
