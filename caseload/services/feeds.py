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
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from caseload.errors import CaseloadError, Invalid, NotFound
from caseload.models import FollowUp, Patient, Transition
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
    # False when the feed gave no visit number / Encounter identifier: the key is then
    # patient+facility+time, and a discharge may complete an admission keyed otherwise.
    numbered: bool = True


def _find(session: Session, ev: Event, patient_id: int) -> Transition | None:
    """The transition of ``ev``'s visit: by visit key; without a visit number, also the
    patient's open admission at that facility, or their discharge from it that same day
    (an A01 with PV1-44 and its A03 without it are keyed on different times)."""
    t = session.exec(select(Transition).where(Transition.visit_key == ev.visit_key)).first()
    if t is not None or ev.numbered or ev.discharged_on is None:
        return t
    same = select(Transition).where(
        Transition.patient_id == patient_id, Transition.facility == _clean(ev.facility)
    )
    return session.exec(
        same.where(
            (Transition.status == "admitted") | (Transition.discharged_on == ev.discharged_on)
        ).order_by(col(Transition.id).desc())
    ).first()


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def apply(
    session: Session,
    ev: Event,
    *,
    holidays: frozenset[date] = frozenset(),
    today: date | None = None,
    max_age_days: int | None = None,
) -> str:
    """Apply ``ev``; returns created, updated or unchanged. Raises Invalid/NotFound."""
    if ev.admitted_at is not None:  # stored in UTC; a naive time is this computer's local time
        ev.admitted_at = ev.admitted_at.astimezone(UTC)
    p = patients.get_row(session, ev.external_id)
    t = _find(session, ev, p.id)
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
        _replan(session, t, p.risk, holidays)
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
    changed = _changes(t, ev)
    if t.status == "discharged":
        # An admission re-sent after its discharge, or an A08 without PV1-45: only the
        # words (facility, reason, disposition) can change; the dates stay the discharge's.
        changed = {k: v for k, v in changed.items() if k in _TEXT}
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
        if k == "admitted_at" and old is not None:
            same = old.astimezone(UTC) == v.astimezone(UTC) if old.tzinfo else old == v
        else:
            same = old == v
        if not same:
            out[k] = v
    return out


def _set(t: Transition, ev: Event, changed: dict) -> None:
    for k, v in changed.items():
        setattr(t, k, v)
    t.updated_at = utcnow()


def _replan(session: Session, t: Transition, risk: str | None, holidays) -> None:
    """``t``'s follow-ups brought to what its corrected discharge gives: open ones re-dated;
    a changed setting (inpatient <-> emergency) cancels the open step it no longer has and
    adds the one it now has. A done step stays done; nothing is created twice."""
    plans = {p.kind: p for p in schedule.transition_followups(t.discharged_on, risk, t.setting,
                                                             holidays)}  # fmt: skip
    rows = session.exec(select(FollowUp).where(FollowUp.transition_id == t.id)).all()
    have = {f.kind for f in rows}
    for f in rows:
        plan = plans.get(f.kind)
        if f.status != "open":
            continue
        if plan is None:
            f.status = "cancelled"
            f.cancelled_reason = f"the discharge is now recorded as {t.setting}"
        elif f.due_on != plan.due_on:
            f.due_on = plan.due_on
        session.add(f)
    now = utcnow()
    for kind, plan in plans.items():
        if kind not in have:
            session.add(FollowUp(
                patient_id=t.patient_id, title=plan.title, kind=kind, due_on=plan.due_on,
                priority=plan.priority, transition_id=t.id, created_at=now,
            ))  # fmt: skip
    session.flush()


# --- many at once: a feed file of thousands of messages ----------------------------------

_CHUNK = 500


def apply_many(
    session: Session,
    events: list[Event],
    *,
    holidays: frozenset[date] = frozenset(),
    today: date | None = None,
    max_age_days: int | None = None,
    progress=None,
) -> list[str | CaseloadError]:
    """``apply`` for each event in order, its outcome or its error, at bulk speed.

    The common case (a new discharge of a known patient) is gathered and written with
    Core inserts: its transition and its follow-ups from the same ``schedule`` rule
    ``transitions.record`` uses. A visit already stored and unchanged is answered from
    one bulk read. Everything else (admissions, updates, a visit seen twice in the file,
    a key without visit number) goes through ``apply`` after the queue is written, so
    the order of the file is kept. The import's audit event covers the bulk-made rows.
    """
    people = _patients(session, {ev.external_id for ev in events})
    stored = _stored(session, [ev.visit_key for ev in events])
    queue: list[tuple[int, Event, int, str | None]] = []
    seen: set[str] = set()
    out: list[str | CaseloadError] = []
    for k, ev in enumerate(events):
        if progress is not None and k % 500 == 0:
            progress(k)
        try:
            out.append(_one(session, ev, people, stored, (queue, seen, out), k,
                            holidays, today, max_age_days))  # fmt: skip
        except CaseloadError as exc:
            out.append(exc)
    _flush(session, queue, holidays, out)
    if progress is not None:
        progress(len(events))
    return out


def _one(session, ev, people, stored, pending, k, holidays, today, max_age_days) -> str:
    """One event of ``apply_many``: queued (its outcome set when written), answered, or
    applied (after the queue is written, so the file's order holds)."""
    queue, seen, out = pending
    p = people.get(ev.external_id)
    if p is None:
        raise NotFound(f"no patient with external id {ev.external_id}")
    t = stored.get(ev.visit_key)
    if t is not None and t.patient_id != p[0]:
        raise Invalid("this visit is recorded for another patient")
    if t is not None and t.status == "discharged" and not _changes(t, ev):
        return UNCHANGED
    new = t is None and ev.visit_key not in seen and ev.numbered and ev.discharged_on is not None
    seen.add(ev.visit_key)
    if not new:  # an admission, an update, a visit met earlier in the file, no visit number
        _flush(session, queue, holidays, out)
        return apply(session, ev, holidays=holidays, today=today, max_age_days=max_age_days)
    transitions.check_discharge(ev.discharged_on, today=today, max_age_days=max_age_days)
    if ev.admitted_at is not None:
        ev.admitted_at = ev.admitted_at.astimezone(UTC)
    queue.append((k, ev, p[0], p[1]))
    return ""


def _patients(session: Session, external_ids: set[str]) -> dict[str, tuple[int, str | None]]:
    keys, out = sorted(external_ids), {}
    for i in range(0, len(keys), _CHUNK):
        rows = session.exec(
            select(Patient.external_id, Patient.id, Patient.risk).where(
                col(Patient.external_id).in_(keys[i : i + _CHUNK])
            )
        )
        out.update({ext: (pid, risk) for ext, pid, risk in rows})
    return out


def _stored(session: Session, visit_keys: list[str]) -> dict[str, Transition]:
    keys, out = sorted(set(visit_keys)), {}
    for i in range(0, len(keys), _CHUNK):
        rows = session.exec(
            select(Transition).where(col(Transition.visit_key).in_(keys[i : i + _CHUNK]))
        )
        out.update({t.visit_key: t for t in rows})
    return out


def _flush(session: Session, todo: list, holidays, out: list) -> None:
    """Write the queued new discharges: transitions, then their follow-ups (Core inserts)."""
    if not todo:
        return
    now = utcnow()
    rows = [
        {
            "patient_id": pid, "discharged_on": ev.discharged_on,
            "facility": _clean(ev.facility), "reason": _clean(ev.reason), "setting": ev.setting,
            "status": "discharged", "admitted_at": ev.admitted_at,
            "disposition": _clean(ev.disposition), "source": ev.source,
            "visit_key": ev.visit_key, "created_at": now, "updated_at": None,
        }
        for _k, ev, pid, _risk in todo
    ]  # fmt: skip
    session.execute(insert(Transition), rows)
    ids = {}
    keys = [r["visit_key"] for r in rows]
    for i in range(0, len(keys), _CHUNK):
        found = session.exec(
            select(Transition.visit_key, Transition.id).where(
                col(Transition.visit_key).in_(keys[i : i + _CHUNK])
            )
        )
        ids.update((key, tid) for key, tid in found)
    made = [
        {
            "patient_id": pid, "title": plan.title, "kind": plan.kind, "due_on": plan.due_on,
            "priority": plan.priority, "transition_id": ids[ev.visit_key], "created_at": now,
        }
        for _k, ev, pid, risk in todo
        for plan in schedule.transition_followups(ev.discharged_on, risk, ev.setting, holidays)
    ]  # fmt: skip
    session.execute(insert(FollowUp), made)
    for k, *_rest in todo:
        out[k] = CREATED
    todo.clear()
