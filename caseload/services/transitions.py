"""Transitions of care: a hospital discharge and the standard follow-ups it creates.

SPEC: a call within 2 business days (weekends and configured holidays skipped)
and a visit within 7 days for high-risk patients, 14 otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from caseload.errors import Invalid
from caseload.models import FollowUp, Transition
from caseload.services import audit, patients, schedule
from caseload.services.common import utcnow


def record_discharge(
    session: Session,
    external_id: str,
    *,
    discharged_on: date,
    facility: str | None = None,
    reason: str | None = None,
    holidays: frozenset[date] = frozenset(),
) -> dict:
    """Record the discharge and create its transition call and visit; returns both."""
    p = patients.get_row(session, external_id)
    if discharged_on > date.today() + timedelta(days=1):
        raise Invalid("the hospital discharge date is in the future")
    now = utcnow()
    t = Transition(
        patient_id=p.id,
        discharged_on=discharged_on,
        facility=(facility or "").strip() or None,
        reason=(reason or "").strip() or None,
        created_at=now,
    )
    session.add(t)
    session.flush()
    call_due, visit_due = schedule.transition_due_dates(discharged_on, p.risk, holidays)
    made = []
    for kind, title, due_on, priority in (
        ("transition_call", "Post-discharge call", call_due, 1),
        ("transition_visit", "Post-discharge visit", visit_due, 2),
    ):
        f = FollowUp(
            patient_id=p.id,
            title=title,
            kind=kind,
            due_on=due_on,
            priority=priority,
            transition_id=t.id,
            created_at=now,
        )
        session.add(f)
        made.append(f)
    session.flush()
    audit.record(
        session,
        "transition.record",
        "transition",
        t.id,
        patient_id=p.id,
        followups=[f.id for f in made],
    )
    return {
        "id": t.id,
        "patient_external_id": p.external_id,
        "discharged_on": t.discharged_on,
        "facility": t.facility,
        "followups": [
            {"id": f.id, "kind": f.kind, "title": f.title, "due_on": f.due_on} for f in made
        ],
    }


def pending_calls(session: Session) -> list[dict]:
    """Discharges whose transition call is still open (the TUI's 'needs a call' list)."""
    rows = session.exec(
        select(Transition, FollowUp)
        .join(FollowUp, col(FollowUp.transition_id) == Transition.id)
        .where(FollowUp.kind == "transition_call", FollowUp.status == "open")
        .order_by(col(FollowUp.due_on))
    ).all()
    return [
        {
            "transition_id": t.id,
            "patient_id": t.patient_id,
            "discharged_on": t.discharged_on,
            "facility": t.facility,
            "followup_id": f.id,
            "due_on": f.due_on,
        }
        for t, f in rows
    ]
