"""Exports: the records of each kind as CSV, JSON, NDJSON, XLSX, FHIR R4 or iCalendar.

Columns are the ``--format json`` field names, so ``caseload import`` reads an
export back to the same data. CSV and XLSX cells that a spreadsheet would run
as a formula get a leading apostrophe (the importer removes it again).
Timestamps keep their microseconds: a re-import then recognises the contacts
it already holds.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from caseload.io.cells import neutralise
from caseload.io.fields import CARETEAM_COLUMNS, CONTACT_FIELDS, FOLLOWUP_FIELDS, PATIENT_FIELDS

FORMATS = ("csv", "json", "ndjson", "xlsx", "fhir", "ics")
KINDS = ("patients", "careteam", "contacts", "followups", "careplans")
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


# --- redaction -------------------------------------------------------------------------


def redact(kind: str, rows: list[dict]) -> list[dict]:
    """Every kind by the same rules (``services.redaction``): ids, dates and codes survive."""
    from caseload.services.redaction import redact_rows

    return redact_rows(rows)


# --- writing ---------------------------------------------------------------------------


def plain(value):
    """A JSON value: dates ISO; timestamps ISO in local time with offset, microseconds kept."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def cell(value) -> str:
    """A value as a sheet cell: text, neutralised when a spreadsheet would run it."""
    value = plain(value)
    if value is None:
        return ""
    if value is True or value is False:
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = ";".join(str(v) for v in value)
    else:
        text = str(value)
    return neutralise(text)


def write(kind: str, rows: list[dict], fmt: str, out) -> None:
    """``rows`` of ``kind`` to ``out`` (a binary stream) in ``fmt``."""
    columns = COLUMNS[kind]
    if fmt in ("csv", "xlsx") and kind == "careplans":
        rows = plan_rows(rows)
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([cell(r.get(c)) for c in columns])
        text.flush()
        text.detach()
    elif fmt == "json":
        data = [
            plain(r) if kind == "careplans" else {c: plain(r.get(c)) for c in columns} for r in rows
        ]
        out.write((json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    elif fmt == "ndjson":
        for r in rows:
            obj = plain(r) if kind == "careplans" else {c: plain(r.get(c)) for c in columns}
            out.write((json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8"))
    elif fmt == "xlsx":
        _xlsx(kind, columns, rows, out)
    elif fmt == "fhir":
        from caseload.io.fhir import bundle

        out.write((json.dumps(bundle({kind: rows}), ensure_ascii=False, indent=1) + "\n").encode())
    elif fmt == "ics":
        from caseload.io.ics import calendar

        out.write(calendar(rows))
    else:
        raise ValueError(fmt)


def _xlsx(kind: str, columns, rows: list[dict], out) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(kind)
    ws.append(list(columns))
    for r in rows:
        # Every cell as text: Excel must not turn "0123" into 123 or a date into a number.
        ws.append([cell(r.get(c)) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    out.write(buf.getvalue())
