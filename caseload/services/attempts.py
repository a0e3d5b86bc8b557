"""Attempts that hold up: the not-reached contacts logged against a follow-up, and closing
it as "unable to reach" once enough of them have failed.

Kept apart from services/followups.py (already at its size limit); the report
counts a follow-up closed this way apart from a missed one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from caseload.enums import ContactOutcome, UnableReason
from caseload.errors import Invalid
from caseload.labels import plural
from caseload.models import Contact, FollowUpStatus
from caseload.services import audit, contacts
from caseload.services import followups as fu
from caseload.services.common import check_choice, clean_text
from caseload.services.duelist_referrals import attempt_text  # noqa: F401 (one rule for both)

UNABLE_TO_REACH_REASONS = tuple(r.value for r in UnableReason)
DEFAULT_NEEDED = 3


def failed_attempts(session: Session, followup_id: int) -> int:
    """Contacts logged against the follow-up that reached no one (addenda excluded)."""
    return session.exec(
        select(func.count())
        .select_from(Contact)
        .where(
            Contact.followup_id == followup_id,
            Contact.outcome != "reached",
            Contact.addendum_to == None,  # noqa: E711  (SQL IS NULL)
        )
    ).one()


def close_unable(
    session: Session,
    followup_id: int,
    reason: str,
    *,
    last_attempt: dict | None = None,
    note: str | None = None,
    needed: int = DEFAULT_NEEDED,
    at: datetime | None = None,
) -> dict:
    """Close an open follow-up as unable to reach (status done, ``unable_reason`` set) once
    ``needed`` attempts have failed; a recurring one goes on to its next occurrence.

    The one workflow of `followups done --unable-to-reach` and the TUI's completion form.
    ``last_attempt`` (``{"outcome": …, "method": …}``, either may be None) logs that
    attempt first, with ``note``, and it counts; without it ``note`` is kept on the
    follow-up, as a no-contact completion keeps it. Too few failed attempts: with an
    attempt logged, it stays recorded (it happened) and the result's ``closed`` is
    False; without one, Invalid and nothing changes.
    """
    reason = check_choice(reason, UnableReason, "unable-to-reach reason")
    f = fu.get_row(session, followup_id)
    if f.status != FollowUpStatus.open.value:
        raise Invalid(f"follow-up {followup_id} is {f.status} already")
    ext = fu._external_id(session, f.patient_id)
    contact_id = None
    if last_attempt is not None:
        contact_id = _log_attempt(session, f, ext, last_attempt, note, at)
    failed = failed_attempts(session, followup_id)
    if failed < needed:
        if contact_id is None:
            raise Invalid(f"follow-up {followup_id} has {plural(failed, 'failed attempt')}; "
                          f"{too_few(needed)}")  # fmt: skip
        out = fu._to_public(f, ext)
        out.update(closed=False, attempts=failed, needed=needed, contact_id=contact_id, next=None)
        return out
    out = _close(session, f, ext, reason, failed, None if contact_id else note, at)
    out.update(closed=True, needed=needed, contact_id=contact_id)
    return out


def too_few(needed: int) -> str:
    """The rule, as every refusal says it."""
    return f"closing it as unable to reach takes {needed} ([followups] attempts_before_unable)"


def _log_attempt(session: Session, f, ext: str, attempt: dict, note, at) -> int:
    """Log the last (failed) attempt against ``f``; its method defaults from the kind."""
    outcome = attempt.get("outcome") or ContactOutcome.no_answer.value
    if check_choice(outcome, ContactOutcome, "outcome") == ContactOutcome.reached.value:
        raise Invalid("an attempt that reached them cannot close it as unable to reach "
                      "(record the contact instead)")  # fmt: skip
    method = attempt.get("method") or fu.DEFAULT_METHOD.get(f.kind, "phone")
    c = contacts.log(session, ext, method=method, outcome=outcome, at=at, note=note,
                     followup_id=f.id)  # fmt: skip
    return c["id"]


def _close(session: Session, f, ext: str, reason: str, failed: int, note, at) -> dict:
    done_at = contacts.checked_at(at)
    f.status = FollowUpStatus.done.value
    f.completed_at = done_at
    f.completed_contact_id = None
    f.unable_reason = reason
    session.add(f)
    session.flush()
    audit.record(session, "followup.unable", "followup", f.id, patient_id=f.patient_id,
                 reason=reason, attempts=failed)  # fmt: skip
    nxt = fu._schedule_next(session, f, done_at.astimezone().date())
    note = clean_text(note, "note")
    if note:
        # Kept after the next occurrence copied the notes, so it stays with this one.
        f.notes = f"{f.notes}\n{note}" if f.notes else note
        session.add(f)
        session.flush()
    out = fu._to_public(f, ext)
    out.update(attempts=failed)
    out["next"] = None if nxt is None else fu._to_public(nxt, ext)
    return out
