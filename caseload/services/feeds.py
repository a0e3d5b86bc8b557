"""Discharge feeds: one visit, one transition, found by its visit key and created or updated.

A feed repeats itself (re-sent files, A08 updates, later Encounter versions), so
every event is applied against the transition with the same ``visit_key``: the
same content changes nothing, new content updates the row and re-dates its open
follow-ups, and follow-ups are only ever created once, by ``transitions``' rule.
An admission (HL7 A01/A04, an in-progress Encounter) is kept as
``status='admitted'`` with no discharge date until its discharge arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from caseload.errors import Invalid
from caseload.models import FollowUp, Transition
from caseload.services import audit, patients, schedule, transitions
from caseload.services.common import utcnow

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_TEXT = ("facility", "reason", "disposition")


@dataclass
class Event:
    """One visit as a feed reports it (already parsed and checked by io)."""

    external_id: str
    visit_key: str
    source: str  # hl7 | fhir | csv
    discharged_on: date | None = None  # None: an admission, not yet discharged
    admitted_at: datetime | None = None
    facility: str | None = None
    reason: str | None = None
    setting: str = "inpatient"
    disposition: str | None = None


def _find(session: Session, visit_key: str) -> Transition | None:
    return session.exec(select(Transition).where(Transition.visit_key == visit_key)).first()


def apply(
    session: Session,
    ev: Event,
    *,
    holidays: frozenset[date] = frozenset(),
    today: date | None = None,
    max_age_days: int | None = None,
) -> str:
    """Apply ``ev``; returns created, updated or unchanged. Raises Invalid/NotFound."""
    p = patients.get_row(session, ev.external_id)
    t = _find(session, ev.visit_key)
    if t is not None and t.patient_id != p.id:
        raise Invalid("this visit is recorded for another patient")
    if ev.discharged_on is None:
        return _admit(session, p, t, ev)
    if t is not None and t.status == "discharged" and not _changes(t, ev):
        return UNCHANGED  # before the age check: re-importing an old file stays a no-op
    transitions.check_discharge(ev.discharged_on, today=today, max_age_days=max_age_days)
    if t is None:
        transitions.record(
            session,
            ev.external_id,
            discharged_on=ev.discharged_on,
            facility=ev.facility,
            reason=ev.reason,
            setting=ev.setting,
            disposition=ev.disposition,
            admitted_at=ev.admitted_at,
            source=ev.source,
            visit_key=ev.visit_key,
            holidays=holidays,
            today=today,
            max_age_days=max_age_days,
        )
        return CREATED
    was_admitted = t.status == "admitted"
    changed = _changes(t, ev)
    _set(t, ev, changed)
    t.status = "discharged"
    session.add(t)
    session.flush()
    if was_admitted:
        made = transitions.add_followups(session, t, p.risk, holidays)
        audit.record(
            session, "transition.discharge", "transition", t.id, patient_id=p.id,
            source=ev.source, followups=[f.id for f in made],
        )  # fmt: skip
    else:
        _redate(session, t, p.risk, holidays)
        audit.record(
            session, "transition.update", "transition", t.id, patient_id=p.id,
            source=ev.source, fields=sorted(changed),
        )  # fmt: skip
    return UPDATED


def _admit(session: Session, p, t: Transition | None, ev: Event) -> str:
    if t is None:
        t = Transition(
            patient_id=p.id, discharged_on=None, status="admitted", source=ev.source,
            visit_key=ev.visit_key, created_at=utcnow(),
        )  # fmt: skip
        _set(t, ev, _changes(t, ev))
        session.add(t)
        session.flush()
        audit.record(session, "transition.admit", "transition", t.id, patient_id=p.id,
                     source=ev.source)  # fmt: skip
        return CREATED
    if t.status == "discharged":
        return UNCHANGED  # an admission re-sent after its discharge says nothing new
    changed = _changes(t, ev)
    if not changed:
        return UNCHANGED
    _set(t, ev, changed)
    session.add(t)
    session.flush()
    audit.record(session, "transition.update", "transition", t.id, patient_id=p.id,
                 source=ev.source, fields=sorted(changed))  # fmt: skip
    return UPDATED


def _changes(t: Transition, ev: Event) -> dict:
    """The fields ``ev`` gives that differ from ``t`` (a blank in the feed keeps the old value)."""
    new = {
        "discharged_on": ev.discharged_on,
        "admitted_at": ev.admitted_at,
        "setting": ev.setting,
        **{k: (getattr(ev, k) or "").strip() or None for k in _TEXT},
    }
    out = {}
    for k, v in new.items():
        if v is None:
            continue
        old = getattr(t, k)
        if k == "admitted_at" and old is not None and v is not None:
            same = old.replace(tzinfo=None) == v.replace(tzinfo=None)
        else:
            same = old == v
        if not same:
            out[k] = v
    return out


def _set(t: Transition, ev: Event, changed: dict) -> None:
    for k, v in changed.items():
        setattr(t, k, v)
    t.updated_at = utcnow()


def _redate(session: Session, t: Transition, risk: str | None, holidays) -> None:
    """Open follow-ups of ``t`` moved to the dates its (corrected) discharge gives."""
    plans = {p.kind: p for p in schedule.transition_followups(t.discharged_on, risk, t.setting,
                                                             holidays)}  # fmt: skip
    rows = session.exec(
        select(FollowUp).where(FollowUp.transition_id == t.id, FollowUp.status == "open")
    ).all()
    for f in rows:
        plan = plans.get(f.kind)
        if plan is not None and f.due_on != plan.due_on:
            f.due_on = plan.due_on
            session.add(f)
    session.flush()
