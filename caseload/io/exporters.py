"""Exports: the records of each kind as CSV, JSON, NDJSON, XLSX, FHIR R4 or iCalendar.

Columns are the ``--format json`` field names, so ``caseload import`` reads an
export back to the same data. CSV and XLSX cells that a spreadsheet would run
as a formula get a leading apostrophe (the importer removes it again).
Timestamps are ISO 8601 UTC and keep their microseconds: a re-import then
recognises the contacts it already holds. The record formats are io.formats'.
"""

from __future__ import annotations

import io
from contextlib import contextmanager

from caseload.io.fields import (
    CARETEAM_COLUMNS,
    CONTACT_FIELDS,
    EXPORT_KINDS,
    FOLLOWUP_FIELDS,
    PATIENT_FIELDS,
)
from caseload.io.formats import EXPORT_FORMATS

FORMATS = EXPORT_FORMATS
KINDS = EXPORT_KINDS
CAREPLAN_COLUMNS = (
    "patient_external_id", "version", "review_on", "summary", "problem", "category", "goal",
    "target_on", "goal_status", "interventions",
)  # fmt: skip
COLUMNS = {
    "patients": PATIENT_FIELDS,
    "contacts": CONTACT_FIELDS,
    "followups": FOLLOWUP_FIELDS,
    "careteam": CARETEAM_COLUMNS,
    "careplans": CAREPLAN_COLUMNS,
}
EXTENSIONS = {"csv": "csv", "json": "json", "ndjson": "ndjson", "xlsx": "xlsx", "fhir": "json"}


def collect(session, kind: str) -> list[dict]:
    """Every record of ``kind`` as the public dicts the services return."""
    if kind == "patients":
        return _patients(session)
    if kind == "contacts":
        from caseload.services import contacts

        return contacts.list_contacts(session)
    if kind == "followups":
        from caseload.services import followups

        return followups.list_followups(session, status=None)
    if kind == "careteam":
        return _careteam(session)
    if kind == "careplans":
        return _careplans(session)
    raise ValueError(kind)


def _patients(session) -> list[dict]:
    """Every patient, in ``patients list`` order and shape; SQL rows, not 100k ORM objects."""
    from caseload.io.fields import BOOL_FIELDS, TAG_FIELDS
    from caseload.services.common import split_tags

    sql = f"SELECT {', '.join(PATIENT_FIELDS)} FROM patient ORDER BY family_name, given_name, id"
    out = []
    for row in session.connection().exec_driver_sql(sql):
        d = dict(zip(PATIENT_FIELDS, row, strict=True))
        for f in BOOL_FIELDS:
            d[f] = bool(d[f])
        for f in TAG_FIELDS:
            d[f] = split_tags(d[f])
        out.append(d)
    return out


def _careteam(session) -> list[dict]:
    """One row per member and patient they serve (members on no team get a row too)."""
    from sqlmodel import col, select

    from caseload.models import CareTeamMember, Patient, PatientCareTeam

    stmt = (
        select(CareTeamMember, Patient.external_id, PatientCareTeam.relationship)
        .join(PatientCareTeam, PatientCareTeam.member_id == CareTeamMember.id, isouter=True)
        .join(Patient, col(Patient.id) == PatientCareTeam.patient_id, isouter=True)
        .order_by(col(CareTeamMember.name), col(CareTeamMember.id), col(Patient.external_id))
    )
    out = []
    for m, ext, rel in session.exec(stmt):
        d = {f: getattr(m, f) for f in CARETEAM_COLUMNS[:6]}
        d["patient_external_id"] = ext
        d["relationship"] = rel
        out.append(d)
    return out


def _careplans(session) -> list[dict]:
    from sqlmodel import col, select

    from caseload.models import CarePlan, Patient
    from caseload.services import careplans

    exts = session.exec(
        select(Patient.external_id)
        .join(CarePlan, CarePlan.patient_id == Patient.id)
        .where(col(CarePlan.is_current))
        .order_by(col(Patient.external_id))
    )
    return [{"patient_external_id": ext, **careplans.current(session, ext)} for ext in exts]


def plan_rows(plans: list[dict]) -> list[dict]:
    """Care plans flattened for a sheet: one row per goal (or per problem without goals)."""
    rows = []
    for p in plans:
        head = {
            "patient_external_id": p["patient_external_id"],
            "version": p["version"],
            "review_on": p["review_on"],
            "summary": p["summary"],
        }
        for prob in p["problems"] or [{}]:
            base = {**head, "problem": prob.get("description"), "category": prob.get("category")}
            for g in prob.get("goals") or [{}]:
                rows.append(
                    {
                        **base,
                        "goal": g.get("description"),
                        "target_on": g.get("target_on"),
                        "goal_status": g.get("status"),
                        "interventions": [i["description"] for i in g.get("interventions") or []],
                    }
                )
    return rows


# --- writing ---------------------------------------------------------------------------


@contextmanager
def _text(out):
    """``out`` (a binary stream) as UTF-8 text, handed back undetached and flushed."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        yield text
        text.flush()
    finally:
        text.detach()


def write(kind: str, rows: list[dict], fmt: str, out) -> None:
    """``rows`` of ``kind`` to ``out`` (a binary stream) in ``fmt`` (io.formats owns the
    record formats; fhir and ics are documents of their own)."""
    from caseload.io import formats

    columns = COLUMNS[kind]
    if fmt in ("csv", "xlsx") and kind == "careplans":
        rows = plan_rows(rows)
    if fmt == "xlsx":
        formats.write_xlsx(out, kind, columns, rows)
    elif fmt == "ics":
        from caseload.io import ics

        out.write(ics.followups(rows))
    elif fmt == "fhir":
        write_bundle({kind: rows}, out)
    elif fmt in ("csv", "json", "ndjson"):
        with _text(out) as text:
            formats.write(fmt, text, columns, rows, line_end="\r\n", whole=kind == "careplans")
    else:
        raise ValueError(fmt)


def write_bundle(records: dict[str, list[dict]], out) -> None:
    """Every kind in one FHIR Bundle, to ``out`` (a binary stream)."""
    from caseload.io import formats
    from caseload.io.fhir import bundle

    with _text(out) as text:
        formats.write_document(text, bundle(records))
