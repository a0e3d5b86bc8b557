"""Referrals as a closed loop: sent → accepted → completed → closed (or declined), with dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from caseload.errors import Invalid, NotFound
from caseload.models import Patient, Referral, ReferralStatus
from caseload.services import audit, schedule
from caseload.services.common import check_choice, clean_text, today, utcnow
from caseload.services.patients import get_row

FIELDS = (
    "id",
    "patient_external_id",
    "to_name",
    "to_organization",
    "reason",
    "status",
    "sent_on",
    "accepted_on",
    "declined_on",
    "completed_on",
    "closed_on",
    "note",
)

S = ReferralStatus
# Days after sending by which an answer is expected, unless another date is given.
RESPONSE_DAYS = 14
NEXT = schedule.REFERRAL_NEXT
# The date column each step sets.
DATE_OF = {
    S.accepted: "accepted_on",
    S.declined: "declined_on",
    S.completed: "completed_on",
    S.closed: "closed_on",
}


def to_public(r: Referral, patient_external_id: str) -> dict:
    d = {f: getattr(r, f) for f in FIELDS if f != "patient_external_id"}
    d["patient_external_id"] = patient_external_id
    return {f: d[f] for f in FIELDS}


_text = clean_text


def _date(value, what: str) -> date | None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise Invalid(f"{what} must be a date")
    if value is not None and value > today():
        raise Invalid(f"{what} is in the future: a referral step is dated when it happens")
    return value


def create(
    session: Session,
    external_id: str,
    *,
    to_name: str,
    reason: str,
    to_organization: str | None = None,
    sent_on: date | None = None,
    note: str | None = None,
    expected_response_on: date | None = None,
) -> dict:
    """A referral sent to ``to_name`` (today unless ``sent_on``); it starts the loop as sent.

    An answer is expected by ``expected_response_on`` (default 14 days after sent); an open
    referral past it is "referral overdue" on the due list and in the report."""
    to_name = _text(to_name, "to_name", required=True)
    reason = _text(reason, "reason", required=True)
    to_organization = _text(to_organization, "to_organization", required=False)
    note = _text(note, "note", required=False)
    sent_on = _date(sent_on, "sent_on") or today()
    patient = get_row(session, external_id)
    r = Referral(
        patient_id=patient.id,
        to_name=to_name,
        to_organization=to_organization,
        reason=reason,
        status=S.sent.value,
        sent_on=sent_on,
        expected_response_on=expected_response_on or sent_on + timedelta(days=RESPONSE_DAYS),
        note=note,
        created_at=utcnow(),
    )
    session.add(r)
    session.flush()
    audit.record(session, "referral.add", "referral", r.id, patient_id=patient.id)
    return to_public(r, patient.external_id)


def _row(session: Session, referral_id: int) -> tuple[Referral, Patient]:
    r = session.get(Referral, referral_id)
    if r is None:
        raise NotFound(f"no referral {referral_id}")
    return r, session.get(Patient, r.patient_id)


def get(session: Session, referral_id: int) -> dict:
    r, patient = _row(session, referral_id)
    return to_public(r, patient.external_id)


def _last_step(r: Referral) -> tuple[str, date]:
    """The latest dated step so far: the date the next step may not precede."""
    steps = (
        ("completed", "completed_on"),
        ("declined", "declined_on"),
        ("accepted", "accepted_on"),
    )
    for status, column in steps:
        if getattr(r, column) is not None:
            return status, getattr(r, column)
    return "sent", r.sent_on


def advance(
    session: Session,
    referral_id: int,
    status: str,
    *,
    on: date | None = None,
    note: str | None = None,
) -> dict:
    """Move a referral one step along the loop, dating the step (today unless ``on``)."""
    status = check_choice(status, ReferralStatus, "referral status")
    note = _text(note, "note", required=False)
    on = _date(on, "on") or today()
    r, patient = _row(session, referral_id)
    allowed = NEXT[r.status]
    if status not in allowed:
        if not allowed:
            raise Invalid(f"referral {referral_id} is {r.status}; the loop is closed")
        raise Invalid(f"referral {referral_id} is {r.status}; it can go to {' or '.join(allowed)}")
    prev_status, prev_on = _last_step(r)
    if on < prev_on:
        raise Invalid(f"referral {referral_id}: the {status} date is before the {prev_status} date")
    before = r.status
    r.status = status
    if status in DATE_OF:
        setattr(r, DATE_OF[status], on)
    if note or status not in DATE_OF:
        # Notes accumulate, each dated by its step, so the loop's story is kept.
        entry = f"{on.isoformat()} {status}" + (f": {note}" if note else "")
        r.note = f"{r.note}\n{entry}" if r.note else entry
    session.add(r)
    session.flush()
    audit.record(
        session,
        f"referral.{status}",
        "referral",
        r.id,
        patient_id=patient.id,
        old=before,
        new=status,
    )
    return to_public(r, patient.external_id)


def list_referrals(
    session: Session, external_id: str | None = None, *, open_only: bool = False
) -> list[dict]:
    """Referrals (one patient's, or all), oldest sent first; ``open_only``: not closed yet."""
    stmt = select(Referral, Patient.external_id).join(Patient, Patient.id == Referral.patient_id)
    if external_id is not None:
        stmt = stmt.where(Referral.patient_id == get_row(session, external_id).id)
    if open_only:
        stmt = stmt.where(Referral.status != S.closed.value)
    stmt = stmt.order_by(col(Referral.sent_on), col(Referral.id))
    return [to_public(r, ext) for r, ext in session.exec(stmt)]
