"""Contacts: log one, list them with their addenda, correct them (edit within 24 h, addenda after).

A contact is the record of care that happened, so it is not rewritten once it
has settled: within 24 hours of being recorded a typo can be fixed in place;
after that a correction is a new row (an addendum) pointing at the original.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from caseload.errors import Invalid, NotFound
from caseload.models import (
    CarePlan,
    CarePlanProblem,
    Contact,
    ContactGoal,
    ContactMethod,
    ContactOutcome,
    ContactParty,
    FollowUp,
    Goal,
    Patient,
)
from caseload.services import audit
from caseload.services.common import FUTURE_SLACK, MAX_TEXT, actor, check_choice, utcnow
from caseload.services.fieldnames import CONTACT_FIELDS
from caseload.services.patients import display_name
from caseload.services.patients import get_row as patient_row

# The public field names: the keys of `--format json` and the import columns.
FIELDS = CONTACT_FIELDS
EDITABLE = ("at", "method", "party", "outcome", "duration_min", "note")
EDIT_WINDOW = timedelta(hours=24)


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC timestamp (a naive value is taken as UTC, as the store keeps it)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _when(at: datetime | None) -> datetime:
    """``at`` checked and in UTC. Naive input is local time, as on the command line."""
    if at is None:
        return utcnow()
    if not isinstance(at, datetime):
        raise Invalid("at must be a date and time")
    if at.tzinfo is None:
        at = at.astimezone()
    at = at.astimezone(UTC)
    if at > utcnow() + FUTURE_SLACK:
        raise Invalid("the contact time is in the future")
    return at


# For a follow-up completed with no contact: its time follows the same rules.
checked_at = _when


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    note = str(note).strip()
    if len(note) > MAX_TEXT:
        raise Invalid(f"note is longer than {MAX_TEXT} characters")
    return note or None


def _duration(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("duration_min must be a whole number of minutes")
    if value < 0:
        raise Invalid("duration_min must be 0 or more")
    return value


def _to_public(c: Contact, external_id: str, goal_ids: list[int]) -> dict:
    return {
        "id": c.id,
        "patient_external_id": external_id,
        "at": as_utc(c.at),
        "method": c.method,
        "party": c.party,
        "outcome": c.outcome,
        "duration_min": c.duration_min,
        "note": c.note,
        "followup_id": c.followup_id,
        "addendum_to": c.addendum_to,
        "goal_ids": goal_ids,
    }


def _goals_of(session: Session, contact_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(contact_ids)
    out: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.exec(
        select(ContactGoal.contact_id, ContactGoal.goal_id)
        .where(col(ContactGoal.contact_id).in_(ids))
        .order_by(col(ContactGoal.goal_id))
    )
    for cid, gid in rows:
        out[cid].append(gid)
    return out


def _check_goals(session: Session, patient: Patient, goal_ids: Iterable[int]) -> list[int]:
    """Goal ids that belong to this patient's care plans (any version), without repeats."""
    wanted = sorted({int(g) for g in goal_ids})
    if not wanted:
        return []
    found = set(
        session.exec(
            select(Goal.id)
            .join(CarePlanProblem, col(CarePlanProblem.id) == col(Goal.problem_id))
            .join(CarePlan, col(CarePlan.id) == col(CarePlanProblem.plan_id))
            .where(col(Goal.id).in_(wanted), CarePlan.patient_id == patient.id)
        )
    )
    for gid in wanted:
        if gid not in found:
            raise Invalid(f"goal {gid} is not in the care plan of patient {patient.external_id}")
    return wanted


def log(
    session: Session,
    external_id: str,
    *,
    method: str,
    outcome: str,
    at: datetime | None = None,
    party: str = ContactParty.patient.value,
    duration_min: int | None = None,
    note: str | None = None,
    followup_id: int | None = None,
    goal_ids: Iterable[int] = (),
) -> dict:
    """Record one contact with a patient (or about them, with a caregiver or provider)."""
    p = patient_row(session, external_id)
    method = check_choice(method, ContactMethod, "method")
    outcome = check_choice(outcome, ContactOutcome, "outcome")
    party = check_choice(party, ContactParty, "party")
    when = _when(at)
    duration_min = _duration(duration_min)
    if followup_id is not None:
        fu = session.get(FollowUp, followup_id)
        if fu is None:
            raise NotFound(f"no follow-up with id {followup_id}")
        if fu.patient_id != p.id:
            raise Invalid(f"follow-up {followup_id} is not for patient {external_id}")
    goals = _check_goals(session, p, goal_ids)
    c = Contact(
        patient_id=p.id,
        at=when,
        method=method,
        party=party,
        outcome=outcome,
        duration_min=duration_min,
        note=_note(note),
        followup_id=followup_id,
        created_at=utcnow(),
        created_by=actor(),
    )
    session.add(c)
    session.flush()
    for gid in goals:
        session.add(ContactGoal(contact_id=c.id, goal_id=gid))
    session.flush()
    audit.record(
        session,
        "contact.log",
        "contact",
        c.id,
        patient_id=p.id,
        followup_id=followup_id,
        goals=len(goals),
    )
    return _to_public(c, p.external_id, goals)


def get_row(session: Session, contact_id: int) -> Contact:
    c = session.get(Contact, contact_id)
    if c is None:
        raise NotFound(f"no contact with id {contact_id}")
    return c


def _external_id(session: Session, patient_id: int) -> str:
    return session.exec(select(Patient.external_id).where(Patient.id == patient_id)).one()


def get(session: Session, contact_id: int) -> dict:
    c = get_row(session, contact_id)
    return _to_public(c, _external_id(session, c.patient_id), _goals_of(session, [c.id])[c.id])


def _since_utc(since: date | datetime) -> datetime:
    """A date means from local midnight of that day."""
    if not isinstance(since, datetime):
        since = datetime.combine(since, time()).astimezone()
    elif since.tzinfo is None:
        since = since.astimezone()
    return since.astimezone(UTC)


def list_contacts(
    session: Session,
    external_id: str | None = None,
    *,
    since: date | datetime | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Contacts newest first, each followed by its addenda (oldest addendum first).

    ``since`` and ``limit`` select original contacts; their addenda come along
    with them (so a correction is never shown without what it corrects), and
    the flattened list is then cut at ``limit`` rows.
    """
    stmt = (
        select(Contact, Patient.external_id)
        .join(Patient, col(Patient.id) == col(Contact.patient_id))
        .where(col(Contact.addendum_to).is_(None))
    )
    if external_id is not None:
        stmt = stmt.where(Contact.patient_id == patient_row(session, external_id).id)
    if since is not None:
        stmt = stmt.where(col(Contact.at) >= _since_utc(since))
    stmt = stmt.order_by(col(Contact.at).desc(), col(Contact.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    originals = list(session.exec(stmt))
    addenda: dict[int, list[Contact]] = {}
    ids = [c.id for c, _ in originals]
    # Chunked: SQLite caps the number of bound parameters in one IN (...).
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for a in session.exec(
            select(Contact)
            .where(col(Contact.addendum_to).in_(chunk))
            .order_by(col(Contact.at), col(Contact.id))
        ):
            addenda.setdefault(a.addendum_to, []).append(a)
    flat: list[tuple[Contact, str]] = []
    for c, ext in originals:
        flat.append((c, ext))
        flat.extend((a, ext) for a in addenda.get(c.id, []))
    if limit is not None:
        flat = flat[:limit]
    goals: dict[int, list[int]] = {}
    for start in range(0, len(flat), 500):
        goals.update(_goals_of(session, [c.id for c, _ in flat[start : start + 500]]))
    return [_to_public(c, ext, goals.get(c.id, [])) for c, ext in flat]


def addendum(session: Session, contact_id: int, note: str) -> dict:
    """A correction to a contact: a new row that points at the original, stamped now."""
    base = get_row(session, contact_id)
    text = _note(note)
    if not text:
        raise Invalid("an addendum needs a note")
    # An addendum to an addendum amends the same original, so they list together.
    root_id = base.addendum_to or base.id
    root = get_row(session, root_id)
    now = utcnow()
    a = Contact(
        patient_id=root.patient_id,
        at=now,
        method=root.method,
        party=root.party,
        outcome=root.outcome,
        note=text,
        followup_id=root.followup_id,
        addendum_to=root.id,
        created_at=now,
        created_by=actor(),
    )
    session.add(a)
    session.flush()
    audit.record(
        session,
        "contact.addendum",
        "contact",
        a.id,
        patient_id=root.patient_id,
        addendum_to=root.id,
    )
    return _to_public(a, _external_id(session, root.patient_id), [])


def edit(session: Session, contact_id: int, **fields) -> dict:
    """Fix a contact recorded within the last 24 hours (only the fields given)."""
    c = get_row(session, contact_id)
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise Invalid(f"cannot edit contact field {unknown[0]!r}")
    if utcnow() - as_utc(c.created_at) > EDIT_WINDOW:
        raise Invalid(f"contact {contact_id} is older than 24 hours: add an addendum instead")
    clean: dict = {}
    for key, value in fields.items():
        if key == "at":
            clean[key] = _when(value)
        elif key == "method":
            clean[key] = check_choice(value, ContactMethod, "method")
        elif key == "party":
            clean[key] = check_choice(value, ContactParty, "party")
        elif key == "outcome":
            clean[key] = check_choice(value, ContactOutcome, "outcome")
        elif key == "duration_min":
            clean[key] = _duration(value)
        else:
            clean[key] = _note(value)
    changed = sorted(k for k, v in clean.items() if _stored(getattr(c, k)) != _stored(v))
    for k in changed:
        setattr(c, k, clean[k])
    if changed:
        session.add(c)
        session.flush()
        audit.record(
            session, "contact.edit", "contact", c.id, patient_id=c.patient_id, fields=changed
        )
    return get(session, c.id)


def _stored(value):
    """Compare timestamps as the store keeps them (UTC), whatever their tzinfo."""
    return as_utc(value) if isinstance(value, datetime) else value


def recent(session: Session, limit: int = 20) -> list[dict]:
    """The latest contacts across the caseload (addenda left out), newest first, each with
    its patient's external id and display name: Today's panel in the TUI.

    Read backwards through ``ix_contact_at``, so it reads ``limit`` rows, not the table:
    the ``+ 0`` keeps SQLite from choosing the addendum index for ``IS NULL`` instead,
    which matches nearly every row and then sorts them all.
    """
    rows = session.exec(
        select(Contact, Patient)
        .join(Patient, col(Patient.id) == col(Contact.patient_id))
        .where((col(Contact.addendum_to) + 0).is_(None))
        .order_by(col(Contact.at).desc(), col(Contact.id).desc())
        .limit(limit)
    )
    return [
        {
            "id": c.id,
            "at": as_utc(c.at),
            "method": c.method,
            "outcome": c.outcome,
            "patient_external_id": p.external_id,
            "patient_name": display_name(p),
        }
        for c, p in rows
    ]
