"""Care team members (PCP, specialist, caregiver…) and their links to patients; every write audited."""

from __future__ import annotations

from sqlmodel import Session, col, select

from caseload.errors import Invalid, NotFound
from caseload.models import CareTeamMember, PatientCareTeam
from caseload.services import audit
from caseload.services.common import MAX_SHORT_TEXT as MAX_TEXT
from caseload.services.common import utcnow
from caseload.services.patients import get_row

FIELDS = ("id", "name", "role", "organization", "phone", "email")
EDITABLE = ("name", "role", "organization", "phone", "email")
REQUIRED = ("name", "role")
# Roles are free text (programs name them differently); these are offered as suggestions.
ROLE_SUGGESTIONS = (
    "PCP",
    "specialist",
    "behavioral health",
    "social worker",
    "pharmacist",
    "caregiver",
    "other",
)


def to_public(m: CareTeamMember) -> dict:
    return {f: getattr(m, f) for f in FIELDS}


def _clean(values: dict) -> dict:
    out: dict = {}
    for key, value in values.items():
        if key not in EDITABLE:
            raise Invalid(f"unknown care team member field {key!r}")
        if value is not None and not isinstance(value, str):
            raise Invalid(f"{key} must be text")
        value = (value or "").strip() or None
        if key in REQUIRED and value is None:
            raise Invalid(f"{key} is required")
        if value is not None and len(value) > MAX_TEXT:
            raise Invalid(f"{key} is longer than {MAX_TEXT} characters")
        out[key] = value
    return out


def get_member_row(session: Session, member_id: int) -> CareTeamMember:
    m = session.get(CareTeamMember, member_id)
    if m is None:
        raise NotFound(f"no care team member {member_id}")
    return m


def get_member(session: Session, member_id: int) -> dict:
    return to_public(get_member_row(session, member_id))


def add_member(
    session: Session,
    *,
    name: str,
    role: str,
    organization: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> dict:
    data = _clean(
        {"name": name, "role": role, "organization": organization, "phone": phone, "email": email}
    )
    m = CareTeamMember(**data, created_at=utcnow())
    session.add(m)
    session.flush()
    audit.record(session, "careteam.add", "care_team_member", m.id)
    return to_public(m)


def edit_member(session: Session, member_id: int, **fields) -> dict:
    """Change the given fields; an empty value clears an optional one."""
    m = get_member_row(session, member_id)
    data = _clean(fields)
    changed = sorted(k for k, v in data.items() if getattr(m, k) != v)
    for k in changed:
        setattr(m, k, data[k])
    if changed:
        session.add(m)
        session.flush()
        audit.record(session, "careteam.edit", "care_team_member", m.id, fields=changed)
    return to_public(m)


def _link_row(session: Session, patient_id: int, member_id: int) -> PatientCareTeam | None:
    return session.get(PatientCareTeam, (patient_id, member_id))


def link(
    session: Session, external_id: str, member_id: int, relationship: str | None = None
) -> dict:
    """Put a member on the patient's care team; ``relationship`` says what they are for them."""
    patient = get_row(session, external_id)
    m = get_member_row(session, member_id)
    if _link_row(session, patient.id, m.id) is not None:
        raise Invalid(f"care team member {member_id} is on the care team of {external_id} already")
    relationship = (relationship or "").strip() or None
    if relationship is not None and len(relationship) > MAX_TEXT:
        raise Invalid(f"relationship is longer than {MAX_TEXT} characters")
    session.add(PatientCareTeam(patient_id=patient.id, member_id=m.id, relationship=relationship))
    session.flush()
    audit.record(
        session, "careteam.link", "care_team_member", m.id, patient_id=patient.id, member_id=m.id
    )
    return {**to_public(m), "relationship": relationship}


def unlink(session: Session, external_id: str, member_id: int) -> None:
    patient = get_row(session, external_id)
    row = _link_row(session, patient.id, member_id)
    if row is None:
        raise NotFound(f"care team member {member_id} is not on the care team of {external_id}")
    session.delete(row)
    session.flush()
    audit.record(
        session,
        "careteam.unlink",
        "care_team_member",
        member_id,
        patient_id=patient.id,
        member_id=member_id,
    )


def list_members(session: Session, external_id: str | None = None) -> list[dict]:
    """Every member (by name), or one patient's team with each member's ``relationship``."""
    order = (col(CareTeamMember.name), col(CareTeamMember.id))
    if external_id is None:
        return [to_public(m) for m in session.exec(select(CareTeamMember).order_by(*order))]
    patient = get_row(session, external_id)
    rows = session.exec(
        select(CareTeamMember, PatientCareTeam.relationship)
        .join(PatientCareTeam, PatientCareTeam.member_id == CareTeamMember.id)
        .where(PatientCareTeam.patient_id == patient.id)
        .order_by(*order)
    )
    return [{**to_public(m), "relationship": rel} for m, rel in rows]
