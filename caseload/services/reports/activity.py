"""Measures 3 and 4: care-management minutes per calendar month, and contact coverage.

Both come from one pass over the contacts of the period (and of the 30 days
before its last day, for "last reached"), aggregated per patient in SQL; the
wide patient table is read only for the names a detail listing shows.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from caseload.services.reports.common import (
    INTERACTIVE_PARTIES,
    REACHED_SQL,
    Figure,
    Measure,
    Period,
    active_ids,
    entry,
    in_scope,
    local_day,
    median,
    sql_list,
    use_scan,
    utc_text,
)

# CCM: 99490 at 20 minutes, 99439 for each further 20 (40, 60), 99487 (complex) at 60.
CCM_THRESHOLDS = ((20, "99490"), (40, "99439 x1"), (60, "99487 / 99439 x2"))
# Community health integration (CHW programs): G0019 at 60 minutes, G0022 each further 30.
CHW_THRESHOLDS = ((60, "G0019"), (90, "G0022 x1"), (120, "G0022 x2"))
NEAR_MINUTES = 5
NOT_REACHED_DAYS = 30


def _month_period(period: Period) -> Period:
    """Minutes are counted per whole calendar month: every month the period touches."""
    return Period(period.start.replace(day=1), Period.month(period.end.year, period.end.month).end)


def contact_pass(conn, period: Period, today: date, cond: str) -> dict:
    """Per patient: minutes per month, reaches and outreach in the period, and the last reach
    in the 30 days up to the period's end (or today). One read of the contacts."""
    months = _month_period(period)
    ref = min(today, period.end)
    bounds = {
        "lo": utc_text(period.start),
        "hi": utc_text(period.end + timedelta(days=1)),
        "mlo": utc_text(months.start),
        "mhi": utc_text(months.end + timedelta(days=1)),
        "rlo": utc_text(ref - timedelta(days=NOT_REACHED_DAYS)),
        "rhi": utc_text(ref + timedelta(days=1)),
    }
    bounds["wlo"] = min(bounds["mlo"], bounds["rlo"])
    bounds["whi"] = max(bounds["mhi"], bounds["rhi"])
    cases = " ".join(
        f"WHEN c.at < '{utc_text(Period.month(y, m).end + timedelta(days=1))}' THEN '{y:04d}-{m:02d}'"
        for y, m in months.months()
    )
    in_period = "(c.at >= :lo AND c.at < :hi)"
    where = f"c.at >= :wlo AND c.at < :whi{in_scope(cond, 'c.patient_id')}"
    hint = (
        "NOT INDEXED" if use_scan(conn, "contact c", where, bounds) else "INDEXED BY ix_contact_at"
    )
    in_months = "c.at >= :mlo AND c.at < :mhi"
    if len(months.months()) == 1:  # the usual case: one group per patient, no month column
        y, m = months.months()[0]
        month, group = f"iif({in_months}, '{y:04d}-{m:02d}', NULL)", "c.patient_id"
    else:
        month, group = f"iif({in_months}, CASE {cases} END, NULL)", "c.patient_id, b"
    r = f"({REACHED_SQL})"
    rows = conn.execute(
        f"SELECT c.patient_id, {month} AS b, "
        f"total(iif({in_months} AND c.duration_min > 0, c.duration_min, 0)), "
        f"total({in_period} AND {r}), "
        f"total({in_period} AND c.party IN {sql_list(INTERACTIVE_PARTIES)}), "
        f"max(iif({r} AND c.at >= :rlo AND c.at < :rhi, c.at, NULL)) "
        f"FROM contact c {hint} WHERE {where} AND c.addendum_to IS NULL GROUP BY {group}",
        bounds,
    ).fetchall()
    out = {"minutes": [], "reached": set(), "tries": 0, "reaches": 0, "last": {}, "ref": ref}
    if (today.year, today.month) in months.months():  # the near-a-threshold figure's rule
        out["inactive"] = frozenset(
            pid for (pid,) in conn.execute("SELECT id FROM patient WHERE status <> 'active'")
        )
    for pid, month, mins, reaches, tries, last in rows:
        if month is not None and mins > 0:
            out["minutes"].append((pid, month, int(mins)))
        if reaches:
            out["reached"].add(pid)
        out["reaches"] += int(reaches)
        out["tries"] += int(tries)
        if last is not None and last > out["last"].get(pid, ""):
            out["last"][pid] = last
    out["minutes"].sort(key=lambda r: (r[1], r[0]))
    return out


def minutes(data: dict, period: Period, today: date, detail: bool) -> Measure:
    rows = data["minutes"]
    m = Measure(
        "minutes",
        "Care-management minutes",
        "Per patient per calendar month (local time), the sum of the durations of the "
        "contacts logged (attempts included, addenda not), of the patient-months with "
        "any time logged. CCM: 20 minutes (99490), 40 (99439), 60 (99487); community "
        "health integration, for CHW programs: 60 (G0019), then each further 30 (G0022).",
    )
    m.figures.append(
        Figure(
            "patient_months",
            "Patient-months with time logged",
            value=len(rows),
            unit="patient-months",
        )
    )
    for table, prefix in ((CCM_THRESHOLDS, "ccm"), (CHW_THRESHOLDS, "chw")):
        for least, code in table:
            fig = Figure(f"{prefix}_{least}", f"{least}+ minutes ({code})", 0, len(rows))
            for pid, ym, total in rows:
                if total >= least:
                    fig.numerator += 1
                    if detail:
                        fig.detail.append(entry(pid, ym, "met", f"{total} minutes"))
            m.figures.append(fig)
    months = _month_period(period).months()
    if (today.year, today.month) in months:
        m.figures.append(_near(rows, today, detail, data.get("inactive", frozenset())))
    if len(months) > 1:
        (y0, m0), (y1, m1) = months[0], months[-1]
        m.notes.append(
            f"minutes are counted per calendar month, {y0:04d}-{m0:02d} to {y1:04d}-{m1:02d}"
        )
    return m


def near_threshold(total: int) -> int | None:
    """The threshold (CCM or CHW) ``total`` minutes is within NEAR_MINUTES below, or None."""
    for t in sorted({t for t, _ in CCM_THRESHOLDS + CHW_THRESHOLDS}):
        if t - NEAR_MINUTES <= total < t:
            return t
    return None


def near_this_month(conn, today: date) -> tuple[int, int]:
    """(active patients within NEAR_MINUTES below a threshold this month, days left in it):
    the due list's and Today's mid-month warning. Zero patients once the month is over."""
    month = Period.month(today.year, today.month)
    left = (month.end - today).days
    if left <= 0:
        return 0, 0
    lo, hi = month.utc_bounds()
    # The month's minutes from the partial covering index alone (migration 0003); then
    # only the patients near a threshold are looked up for their status.
    rows = conn.execute(
        "SELECT c.patient_id, total(c.duration_min) FROM contact c "
        "INDEXED BY ix_contact_minutes WHERE c.at >= ? AND c.at < ? "
        "AND c.addendum_to IS NULL AND c.duration_min > 0 GROUP BY c.patient_id",
        (lo, hi),
    ).fetchall()
    near = [pid for pid, total in rows if near_threshold(int(total)) is not None]
    if not near:
        return 0, left
    import json

    (active,) = conn.execute(
        "SELECT count(*) FROM patient WHERE id IN (SELECT value FROM json_each(?)) "
        "AND status = 'active'",
        (json.dumps(near),),
    ).fetchone()
    return active, left


def near_note(count: int, left: int) -> str:
    """The warning line: ``3 patients within 5 minutes of a care-minutes threshold, …``."""
    who = f"{count} patient{'' if count == 1 else 's'}"
    days = f"{left} day{'' if left == 1 else 's'}"
    return (
        f"{who} within {NEAR_MINUTES} minutes of a care-minutes threshold with {days} "
        "left this month (caseload report --detail)"
    )


def _near(rows, today: date, detail: bool, inactive=frozenset()) -> Figure:
    """This month only, while days are left in it: which active patients could still cross a
    threshold (the due list's and Today's warning counts the same: ``near_this_month``)."""
    ym = today.strftime("%Y-%m")
    left = (Period.month(today.year, today.month).end - today).days
    days = f"{left} day{'' if left == 1 else 's'}"
    label = f"Within {NEAR_MINUTES} minutes of a threshold, {days} left this month"
    fig = Figure("near_threshold", label, 0, 0)
    if left <= 0:
        return fig
    for pid, month, total in rows:
        if month != ym or pid in inactive:
            continue
        fig.denominator += 1
        t = near_threshold(total)
        if t is not None:
            fig.numerator += 1
            if detail:
                fig.detail.append(entry(pid, month, "near", f"{total} of {t} minutes"))
    return fig


def coverage(conn, data: dict, cond: str, detail: bool) -> Measure:
    m = Measure(
        "coverage",
        "Contact coverage",
        "Active patients (status now) reached in the period by an interactive contact "
        "(reached, patient or caregiver, by phone, video, visit or text); days since "
        "each was last reached, at the period's end (or today), never reached counting "
        "as longest; contacts with the patient or caregiver per reach in the period.",
    )
    ref, last = data["ref"], data["last"]
    ids = active_ids(conn, cond)
    share = Figure("reached", "Active patients reached in the period", 0, len(ids))
    stale = Figure(
        "not_reached_30",
        f"Not reached for over {NOT_REACHED_DAYS} days (at {ref.isoformat()})",
        0,
        len(ids),
    )
    gaps, old = [], []
    for pid in ids:
        if pid in data["reached"]:
            share.numerator += 1
        elif detail:
            share.detail.append(entry(pid, "patient", "not reached", "no reach in the period"))
        on = local_day(last.get(pid))
        if on is not None and (ref - on).days <= NOT_REACHED_DAYS:
            gaps.append((ref - on).days)
        else:
            old.append(pid)
    value = _stale(conn, stale, old, gaps, ref, detail)
    med = Figure(
        "median_days_since_reached",
        "Median days since last reached",
        value=None if value in (None, math.inf) else value,
        unit="days",
        denominator=len(ids),
    )
    per = Figure(
        "attempts_per_reach",
        "Contacts with patient or caregiver per reach",
        data["tries"],
        data["reaches"],
        unit="contacts per reach",
    )
    per.value = round(data["tries"] / data["reaches"], 2) if data["reaches"] else None
    m.figures += [share, med, stale, per]
    return m


def _stale(conn, stale: Figure, old: list[int], gaps: list[int], ref: date, detail: bool):
    """Count (and list) those not reached for 30 days; the median of every gap.

    The stale ones are all longer than the rest: their own gaps matter to the median
    only when it falls among them, so they are looked up then (or when listed)."""
    stale.numerator = len(old)
    value = _median(gaps, len(old))
    if value == math.inf or detail:
        earlier = last_reached_before(conn, old, ref)
        if value == math.inf:
            known = gaps + [(ref - d).days for d in earlier.values()]
            value = _median(known, len(old) - len(earlier))
        for pid in old if detail else ():
            d = earlier.get(pid)
            why = "never reached" if d is None else f"last reached {d.isoformat()}"
            res = "never" if d is None else f"{(ref - d).days} days"
            stale.detail.append(entry(pid, "patient", res, why))
    return value


def _median(known: list[int], longer: int) -> float | None:
    """The median of ``known`` gaps and ``longer`` ones longer than all of them (infinite):
    infinity when it falls among those; None when there is nobody."""
    if not known and not longer:
        return None
    return median(sorted(known) + [math.inf] * longer)


def last_reached_before(conn, ids: list[int], ref: date) -> dict[int, date]:
    """The last interactive reach up to ``ref`` of each patient in ``ids`` (those reached)."""
    out: dict[int, date] = {}
    hi = utc_text(ref + timedelta(days=1))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        for pid, at in conn.execute(
            f"SELECT c.patient_id, max(c.at) FROM contact c WHERE c.patient_id IN ({marks}) "
            f"AND c.at < ? AND c.addendum_to IS NULL AND {REACHED_SQL} GROUP BY c.patient_id",
            [*chunk, hi],
        ):
            out[pid] = local_day(at)
    return out
