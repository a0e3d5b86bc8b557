"""Transitions of care: a hospital or ED discharge, the follow-ups it creates, and the listing.

SPEC: a call within 2 business days (weekends and configured holidays skipped)
and a visit within 7 days for high-risk patients, 14 otherwise; an emergency
visit gets a 7-day follow-up call instead of the visit. The rules are in
``schedule`` (pure, so the TUI form previews the same dates); ``record`` is the
one way in for the CLI, the TUI and the discharge feeds.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from caseload.errors import Invalid
from caseload.models import FollowUp, Patient, Transition
from caseload.services import audit, contacts, patients, schedule
from caseload.services.common import utcnow

SOURCES = ("manual", "hl7", "fhir", "csv")
# The columns of `patients transitions --format csv|json`, in order.
LISTING_FIELDS = (
    "id",
    "patient_external_id",
    "patient_name",
    "discharged_on",
    "facility",
    "reason",
    "setting",
    "disposition",
    "source",
    "call_followup_id",
    "call_due_on",
    "call_done_on",
    "call_status",
    "visit_followup_id",
    "visit_due_on",
    "visit_done_on",
    "visit_status",
    "followup_call_followup_id",
    "followup_call_due_on",
    "followup_call_done_on",
    "followup_call_status",
)
# Which step of a transition each follow-up kind is (the emergency 7-day call is a "call").
_STEPS = {"transition_call": "call", "transition_visit": "visit", "call": "followup_call"}


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def check_discharge(
    discharged_on: date, *, today: date | None = None, max_age_days: int | None = None
) -> None:
    """Raise Invalid when ``discharged_on`` cannot be recorded (the future; too old)."""
    if not isinstance(discharged_on, date):
        raise Invalid("discharged_on must be a date")
    problem = schedule.discharge_date_problem(discharged_on, today or date.today(), max_age_days)
    if problem:
        raise Invalid(problem)


def record(
    session: Session,
    external_id: str,
    *,
    discharged_on: date,
    facility: str | None = None,
    reason: str | None = None,
    setting: str = "inpatient",
    disposition: str | None = None,
    admitted_at=None,
    source: str = "manual",
    visit_key: str | None = None,
    holidays: frozenset[date] = frozenset(),
    today: date | None = None,
    max_age_days: int | None = None,
) -> dict:
    """Record a discharge and create its follow-ups (``schedule.transition_followups``).

    Returns the transition with ``followups`` (id, kind, title, due_on). The
    discharge date is checked against ``today`` (default: the local date).
    """
    p = patients.get_row(session, external_id)
    check_discharge(discharged_on, today=today, max_age_days=max_age_days)
    if setting not in schedule.TRANSITION_SETTINGS:
        raise Invalid(f"setting must be one of {', '.join(schedule.TRANSITION_SETTINGS)}")
    if source not in SOURCES:
        raise Invalid(f"source must be one of {', '.join(SOURCES)}")
    now = utcnow()
    t = Transition(
        patient_id=p.id,
        discharged_on=discharged_on,
        facility=_text(facility),
        reason=_text(reason),
        setting=setting,
        status="discharged",
        admitted_at=admitted_at,
        disposition=_text(disposition),
        source=source,
        visit_key=_text(visit_key),
        created_at=now,
    )
    session.add(t)
    session.flush()
    made = add_followups(session, t, p.risk, holidays)
    audit.record(
        session,
        "transition.record",
        "transition",
        t.id,
        patient_id=p.id,
        setting=setting,
        source=source,
        followups=[f.id for f in made],
    )
    return {
        "id": t.id,
        "patient_external_id": p.external_id,
        "discharged_on": t.discharged_on,
        "facility": t.facility,
        "reason": t.reason,
        "setting": t.setting,
        "followups": [
            {"id": f.id, "kind": f.kind, "title": f.title, "due_on": f.due_on} for f in made
        ],
    }


def add_followups(
    session: Session, t: Transition, risk: str | None, holidays: frozenset[date] = frozenset()
) -> list[FollowUp]:
    """The standard follow-ups of the discharged transition ``t`` (also a feed's A03 after A01)."""
    made = []
    now = utcnow()
    for plan in schedule.transition_followups(t.discharged_on, risk, t.setting, holidays):
        f = FollowUp(
            patient_id=t.patient_id,
            title=plan.title,
            kind=plan.kind,
            due_on=plan.due_on,
            priority=plan.priority,
            transition_id=t.id,
            created_at=now,
        )
        session.add(f)
        made.append(f)
    session.flush()
    return made


# The name the TUI's data layer and older callers use.
record_discharge = record


def _step(f: FollowUp) -> dict:
    done = contacts.as_utc(f.completed_at)
    return {
        "followup_id": f.id,
        "due_on": f.due_on,
        "done_on": done.astimezone().date() if done and f.status == "done" else None,
        "status": f.status,
    }


def listing(session: Session, patient: str | None = None, limit: int | None = None) -> list[dict]:
    """Discharges (status 'discharged'), newest first, each with its call and visit.

    Plain dicts with the keys of ``LISTING_FIELDS``: ``call_*`` is the
    2-business-day call, ``visit_*`` the 7/14-day visit (inpatient) and
    ``followup_call_*`` the 7-day call after an emergency visit; a step the
    transition does not have is None. ``*_done_on`` is the local day it was done.
    """
    stmt = (
        select(Transition, Patient)
        .join(Patient, col(Patient.id) == col(Transition.patient_id))
        .where(Transition.status == "discharged")
        .order_by(col(Transition.discharged_on).desc(), col(Transition.id).desc())
    )
    if patient is not None:
        stmt = stmt.where(Transition.patient_id == patients.get_row(session, patient).id)
    if limit is not None:
        stmt = stmt.limit(limit)
    found = session.exec(stmt).all()
    steps: dict[int, dict[str, dict]] = {t.id: {} for t, _ in found}
    if steps:
        rows = session.exec(
            select(FollowUp)
            .where(col(FollowUp.transition_id).in_(list(steps)))
            .order_by(col(FollowUp.due_on), col(FollowUp.id))
        )
        for f in rows:
            step = _STEPS.get(f.kind)
            if step is not None:  # the first of each kind (a re-scheduled copy is not it)
                steps[f.transition_id].setdefault(step, _step(f))
    return [_listed(t, p, steps[t.id]) for t, p in found]


def _listed(t: Transition, p: Patient, steps: dict[str, dict]) -> dict:
    out = {
        "id": t.id,
        "patient_external_id": p.external_id,
        "patient_name": patients.display_name(p),
        "discharged_on": t.discharged_on,
        "facility": t.facility,
        "reason": t.reason,
        "setting": t.setting,
        "disposition": t.disposition,
        "source": t.source,
    }
    for step in ("call", "visit", "followup_call"):
        got = steps.get(step) or {}
        for key in ("followup_id", "due_on", "done_on", "status"):
            out[f"{step}_{key}"] = got.get(key)
    return out


def pending_calls(session: Session) -> list[dict]:
    """Discharges whose transition call is still open: Today's "Discharges needing a call".

    Each names its patient (``patient_external_id``, ``patient_name`` as every list
    shows it: ``patients.display_name``), where and how they left (``facility``, ``setting``, ``reason``,
    ``disposition``) and how it was recorded (``source``: manual, or the feed: hl7,
    fhir, csv), soonest call first. An admission not yet discharged has no call.
    """
    rows = session.exec(
        select(
            Transition, FollowUp.id, FollowUp.due_on, Patient.external_id,
            Patient.given_name, Patient.family_name, Patient.preferred_name,
        )
        .join(FollowUp, col(FollowUp.transition_id) == Transition.id)
        .join(Patient, col(Patient.id) == col(Transition.patient_id))
        .where(FollowUp.kind == "transition_call", FollowUp.status == "open")
        .order_by(col(FollowUp.due_on), col(FollowUp.id))
    ).all()  # fmt: skip
    return [
        {
            "transition_id": t.id,
            "patient_id": t.patient_id,
            "patient_external_id": ext,
            "patient_name": patients.display_name(
                {"given_name": given, "family_name": family, "preferred_name": pref}
            ),
            "discharged_on": t.discharged_on,
            "facility": t.facility,
            "reason": t.reason,
            "setting": t.setting,
            "disposition": t.disposition,
            "source": t.source,
            "followup_id": fid,
            "due_on": due,
        }
        for t, fid, due, ext, given, family, pref in rows
    ]
