"""Measures 1 and 2: transitional care after a discharge (TCM-style) and follow-up after a
hospitalisation or an emergency-department visit (HEDIS FUH/FUM-like).

Discharges are few (hundreds a month even at program scale), so each is judged
in Python against its patient's contacts of the 30 days after it; the rules are
in docs/reports.md. A discharge whose window has not closed yet and that is
not met yet is *pending*: left out of the denominator and listed as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from caseload.labels import plural
from caseload.services import schedule
from caseload.services.reports.common import (
    FACE_TO_FACE,
    INTERACTIVE_METHODS,
    INTERACTIVE_PARTIES,
    Figure,
    Measure,
    Period,
    day,
    entry,
    has_tag,
    in_scope,
    median_figure,
)

HORIZON_DAYS = 30
BH_TAG = "bh"


@dataclass
class Discharge:
    id: int
    patient_id: int
    risk: str
    programs: str
    setting: str
    on: date
    recorded_on: date | None
    contacts: list[tuple] = field(default_factory=list)  # (local day, method, party, outcome)

    @property
    def item(self) -> str:
        where = "ED visit" if self.setting == "emergency" else "discharge"
        return f"{where} {self.on.isoformat()} (transition {self.id})"


def load(conn, period: Period, cond: str) -> list[Discharge]:
    """The period's discharges, each with the contacts of its 30 days (addenda excluded)."""
    args = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    where = "t.status = 'discharged' AND t.discharged_on BETWEEN :start AND :end"
    where += in_scope(cond, "t.patient_id")
    rows = conn.execute(
        "SELECT t.id, t.patient_id, p.risk, p.programs, t.setting, t.discharged_on, "
        "date(t.created_at, 'localtime') "
        f"FROM transition t JOIN patient p ON p.id = t.patient_id WHERE {where} "
        "ORDER BY t.discharged_on, t.id",
        args,
    ).fetchall()
    out = {
        r[0]: Discharge(r[0], r[1], r[2] or "", r[3] or "", r[4], day(r[5]), day(r[6]))
        for r in rows
    }
    if not out:
        return []
    # Transitions first, then each patient's contacts by (patient_id, at): a coarse UTC
    # range on the index, the exact local days after.
    contacts = conn.execute(
        "SELECT t.id, date(c.at, 'localtime') AS d, c.method, c.party, c.outcome "
        "FROM transition t CROSS JOIN contact c INDEXED BY ix_contact_patient_at "
        f"WHERE {where} AND c.patient_id = t.patient_id "
        "AND c.at >= date(t.discharged_on, '-1 day') "
        f"AND c.at < date(t.discharged_on, '+{HORIZON_DAYS + 2} days') "
        "AND c.addendum_to IS NULL "
        "AND date(c.at, 'localtime') BETWEEN t.discharged_on "
        f"AND date(t.discharged_on, '+{HORIZON_DAYS} days') ORDER BY c.at, c.id",
        args,
    ).fetchall()
    for tid, d, method, party, outcome in contacts:
        out[tid].contacts.append((day(d), method, party, outcome))
    return list(out.values())


def _interactive(c: tuple) -> bool:
    _d, method, party, outcome = c
    return outcome == "reached" and party in INTERACTIVE_PARTIES and method in INTERACTIVE_METHODS


def _attempt(c: tuple) -> bool:
    return c[3] != "reached" and c[2] in INTERACTIVE_PARTIES


def business_days_between(start: date, end: date, holidays: frozenset[date]) -> int:
    """Business days in (start, end]: a contact on the discharge day is day 0."""
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        n += schedule.is_business_day(d, holidays)
    return n


def _late_note(x: Discharge, deadline: date) -> str:
    if x.recorded_on is not None and x.recorded_on > deadline:
        return f"; recorded {(x.recorded_on - x.on).days} days after discharge"
    return ""


def tcm(discharges: list[Discharge], today: date, holidays: frozenset[date], detail: bool):
    """Measure 1: contact within 2 business days, attempts, the face-to-face visit, the median."""
    m = Measure(
        "tcm",
        "Transitional care after discharge",
        "Discharges (inpatient and ED) in the period; an interactive contact (reached, "
        "patient or caregiver, by phone, video, visit or text) from the discharge day to "
        "the 2nd business day after it (holidays from config); else two or more "
        "documented attempts in that window; a face-to-face visit within 7 days (high "
        "risk) or 14 days after an inpatient discharge.",
    )
    contact = Figure("contact_2bd", "Interactive contact within 2 business days", 0, 0)
    attempts = Figure("attempts_2bd", "Not reached: 2+ attempts within 2 business days", 0, 0)
    either = Figure("requirement_2bd", "Contact or 2+ attempts within 2 business days", 0, 0)
    visit = Figure("visit", "Face-to-face visit within 7 days (high risk) / 14 days", 0, 0)
    firsts, pending = [], 0
    for x in discharges:
        deadline = schedule.add_business_days(x.on, schedule.CALL_BUSINESS_DAYS, holidays)
        window = [c for c in x.contacts if c[0] <= deadline]
        reach = next((c for c in window if _interactive(c)), None)
        tries = sum(_attempt(c) for c in window)
        first = next((c for c in x.contacts if _interactive(c)), None)
        if first is not None:
            firsts.append(business_days_between(x.on, first[0], holidays))
        late = _late_note(x, deadline)
        if reach is None and deadline >= today:
            pending += 1
            if detail:
                contact.detail.append(
                    entry(
                        x.patient_id,
                        x.item,
                        "pending",
                        f"window open to {deadline.isoformat()}{late}",
                    )
                )
        else:
            _count_tcm(x, reach, tries, deadline, late, (contact, attempts, either), detail)
        if x.setting == "inpatient":
            _count_visit(x, visit, today, detail)
    m.figures += [contact, attempts, either, visit]
    m.figures.append(
        median_figure(
            "median_bd_first_contact",
            "Median business days to first contact",
            firsts,
            "business days",
        )
    )
    if pending:
        m.notes.append(
            f"{plural(pending, 'discharge')} pending: "
            f"{'their' if pending != 1 else 'its'} 2-business-day window is open"
        )
    return m


def _count_tcm(x, reach, tries, deadline, late, figs, detail) -> None:
    contact, attempts, either = figs
    contact.denominator += 1
    either.denominator += 1
    contact.numerator += reach is not None
    either.numerator += reach is not None or tries >= 2
    if reach is None:
        attempts.denominator += 1
        attempts.numerator += tries >= 2
    if not detail:
        return
    if reach is not None:
        why = f"reached ({reach[2]}, {reach[1].replace('_', ' ')}) on {reach[0].isoformat()}"
        contact.detail.append(entry(x.patient_id, x.item, "met", why + late))
    else:
        why = f"not reached by {deadline.isoformat()}; {plural(tries, 'attempt')}"
        contact.detail.append(entry(x.patient_id, x.item, "not met", why + late))
        attempts.detail.append(
            entry(x.patient_id, x.item, "met" if tries >= 2 else "not met", why + late)
        )


def _count_visit(x: Discharge, fig: Figure, today: date, detail: bool) -> None:
    days = schedule.VISIT_DAYS.get(x.risk, schedule.VISIT_DAYS_DEFAULT)
    deadline = x.on + timedelta(days=days)
    seen = next(
        (
            c
            for c in x.contacts
            if c[0] <= deadline and c[1] in FACE_TO_FACE and c[2] == "patient" and c[3] == "reached"
        ),
        None,
    )
    result, why = _tally(fig, seen, deadline, today)
    if result != "pending":
        why = (
            f"visit ({seen[1].replace('_', ' ')}) on {seen[0].isoformat()}"
            if seen
            else f"no face-to-face visit by {deadline.isoformat()}"
        )
    if detail:
        fig.detail.append(entry(x.patient_id, x.item, result, f"{days}-day window: {why}"))


def followup_after(discharges: list[Discharge], today: date, detail: bool) -> Measure:
    """Measure 2: an interactive contact within 7 and 30 days after a hospitalisation
    (from the day after discharge) or an ED visit (from its day), for all patients and,
    as FUH/FUM, for patients in the behavioural-health program (tag ``bh``)."""
    m = Measure(
        "fuh",
        "Follow-up after hospitalisation / ED visit",
        "An interactive contact within 7 and 30 days: after an inpatient discharge "
        "counting from the day after it, after an ED visit from its day. FUH and FUM "
        "count patients in the behavioural-health program (tag bh) only.",
    )
    groups = (
        ("hosp", "after hospitalisation", "inpatient", False),
        ("ed", "after ED visit", "emergency", False),
        ("fuh", "FUH (bh) after hospitalisation", "inpatient", True),
        ("fum", "FUM (bh) after ED visit", "emergency", True),
    )
    for key, label, setting, bh in groups:
        for days in (7, 30):
            fig = Figure(f"{key}_{days}", f"Follow-up within {days} days {label}", 0, 0)
            for x in discharges:
                if x.setting != setting or (bh and not has_tag(x.programs, BH_TAG)):
                    continue
                _count_after(x, days, fig, today, detail)
            m.figures.append(fig)
    return m


def _count_after(x: Discharge, days: int, fig: Figure, today: date, detail: bool) -> None:
    first = x.on + timedelta(days=0 if x.setting == "emergency" else 1)
    last = x.on + timedelta(days=days)
    seen = next((c for c in x.contacts if first <= c[0] <= last and _interactive(c)), None)
    result, why = _tally(fig, seen, last, today)
    if result != "pending":
        why = (
            f"reached ({seen[2]}) on {seen[0].isoformat()}"
            if seen
            else f"no interactive contact {first.isoformat()}..{last.isoformat()}"
        )
    if detail:
        fig.detail.append(entry(x.patient_id, x.item, result, why))


def _tally(fig: Figure, seen, last: date, today: date) -> tuple[str, str]:
    """A window's standing: pending while it is open and not met (left out of the
    denominator), else counted, met or not. The caller words why it was met or not."""
    if seen is None and last >= today:
        return "pending", f"window open to {last.isoformat()}"
    fig.denominator += 1
    fig.numerator += seen is not None
    return ("met" if seen else "not met"), ""
