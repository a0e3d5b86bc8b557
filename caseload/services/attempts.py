"""Attempts that hold up: the not-reached contacts logged against a follow-up, and closing
it as "unable to reach" once enough of them have failed.

Kept apart from services/followups.py (already at its size limit); the report
counts a follow-up closed this way apart from a missed one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from caseload.enums import UnableReason
from caseload.errors import Invalid
from caseload.labels import plural
from caseload.models import Contact, FollowUpStatus
from caseload.services import audit, contacts
from caseload.services import followups as fu
from caseload.services.common import check_choice
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
    needed: int = DEFAULT_NEEDED,
    at: datetime | None = None,
) -> dict:
    """Close an open follow-up as unable to reach (status done, ``unable_reason`` set),
    once ``needed`` attempts have failed; a recurring one goes on to its next occurrence."""
    reason = check_choice(reason, UnableReason, "unable-to-reach reason")
    f = fu.get_row(session, followup_id)
    if f.status != FollowUpStatus.open.value:
        raise Invalid(f"follow-up {followup_id} is {f.status} already")
    failed = failed_attempts(session, followup_id)
    if failed < needed:
        raise Invalid(
            f"follow-up {followup_id} has {plural(failed, 'failed attempt')}; closing it as "
            f"unable to reach takes {needed} ([followups] attempts_before_unable)"
        )
    done_at = contacts.checked_at(at)
    f.status = FollowUpStatus.done.value
    f.completed_at = done_at
    f.completed_contact_id = None
    f.unable_reason = reason
    session.add(f)
    session.flush()
    audit.record(
        session,
        "followup.unable",
        "followup",
        f.id,
        patient_id=f.patient_id,
        reason=reason,
        attempts=failed,
    )
    nxt = fu._schedule_next(session, f, done_at.astimezone().date())
    ext = fu._external_id(session, f.patient_id)
    out = fu._to_public(f, ext)
    out.update(unable_reason=reason, attempts=failed, contact_id=None)
    out["next"] = None if nxt is None else fu._to_public(nxt, ext)
    return out
