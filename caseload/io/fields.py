"""The columns of each import/export kind, their aliases, and header matching.

The field names and search keys come from ``caseload.services.fieldnames``, which
the services share: importing the services themselves costs SQLModel (~0.6 s),
more than a quarter of the import's time budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from caseload.errors import Invalid
from caseload.services.fieldnames import (  # noqa: F401  (re-exported to the importers)
    BOOL_FIELDS,
    CONTACT_FIELDS,
    DATE_FIELDS,
    FOLLOWUP_FIELDS,
    PATIENT_FIELDS,
    TAG_FIELDS,
    fold,
    phone_digits,
    search_key,
)

# The kinds `import` and `export` take (the CLI builds its choices from these).
IMPORT_KINDS = ("patients", "contacts", "followups", "careteam")
EXPORT_KINDS = ("patients", "careteam", "contacts", "followups", "careplans")
# `export KIND` names these (SPEC's four, and the care team `import careteam` reads back).
EXPORT_NAMED = ("patients", "careteam", "contacts", "followups", "careplans")
CONFLICTS = ("update", "skip", "fail")

CARETEAM_FIELDS = ("id", "name", "role", "organization", "phone", "email")
# Care team rows name the patient they belong to (optional) and what the member is for them.
CARETEAM_COLUMNS = (*CARETEAM_FIELDS, "patient_external_id", "relationship")


# Columns an export writes that an import reads but does not store: ids belong to
# the store that exported them, so a fresh store gives new ones.
NOT_IMPORTED = {
    "contacts": ("id", "followup_id", "addendum_to", "goal_ids"),
    "followups": ("id", "series_id", "completed_contact_id"),
    "careteam": ("id",),
    "patients": (),
}
REQUIRED = {
    "patients": ("external_id", "given_name", "family_name"),
    "contacts": ("patient_external_id", "at", "method", "outcome"),
    "followups": ("patient_external_id", "title", "due_on"),
    "careteam": ("name", "role"),
}
COLUMNS = {
    "patients": PATIENT_FIELDS,
    "contacts": CONTACT_FIELDS,
    "followups": FOLLOWUP_FIELDS,
    "careteam": CARETEAM_COLUMNS,
}


def _aliases(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {norm(a): field for field, names in pairs.items() for a in names}


def norm(header: str) -> str:
    """A header reduced to its bare words: 'Date of Birth ' → 'date_of_birth'."""
    return re.sub(r"[^0-9a-z]+", "_", str(header).strip().lower()).strip("_")


_PATIENT_ALIASES = _aliases(
    {
        "external_id": (
            "MRN", "Patient ID", "PatientID", "Medical Record Number", "Record Number",
            "Client ID", "Case ID", "Member ID", "External ID", "ID Number",
        ),
        "given_name": ("First Name", "FirstName", "First", "Given", "Given Names", "Forename"),
        "family_name": ("Last Name", "LastName", "Last", "Surname", "Family", "Family Name"),
        "full_name": ("Full Name", "Name", "Patient Name", "Client Name"),
        "preferred_name": ("Preferred", "Nickname", "Known As", "Goes By"),
        "birth_date": ("DOB", "Date of Birth", "Birthdate", "Birth Date", "Birthday"),
        "sex": ("Gender", "Sex at Birth"),
        "phone": (
            "Phone Number", "Phone", "Telephone", "Tel", "Mobile", "Mobile Phone", "Cell",
            "Cell Phone", "Primary Phone", "Contact Number",
        ),
        "alt_phone": ("Alternate Phone", "Alt Phone", "Secondary Phone", "Phone 2", "Home Phone"),
        "email": ("Email Address", "E-mail", "E-mail Address"),
        "address": ("Home Address", "Street Address", "Address Line"),
        "language": ("Preferred Language", "Primary Language", "Lang", "Spoken Language"),
        "preferred_contact": ("Contact Method", "Preferred Contact Method"),
        "risk": ("Risk Tier", "Risk Level", "Acuity"),
        "programs": ("Program", "Programme", "Programmes", "Tags"),
        "conditions": ("Condition", "Diagnoses", "Diagnosis", "Problems"),
        "social_needs": ("Social Need", "SDOH", "Needs"),
        "pcp": ("Primary Care Provider", "Primary Care Physician", "PCP Name", "Doctor"),
        "payer": ("Insurance", "Insurer", "Health Plan", "Plan"),
        "enrolled_on": ("Enrolled", "Enrollment Date", "Enrolment Date", "Enrolled Date"),
        "notes": ("Note", "Comments", "Comment", "Remarks"),
    }
)  # fmt: skip
_LINK_ALIASES = {
    "patient_external_id": ("MRN", "Patient ID", "External ID", "Patient", "Patient MRN"),
}
ALIASES = {
    "patients": _PATIENT_ALIASES,
    "contacts": _aliases(
        {
            **_LINK_ALIASES,
            "at": ("When", "Date", "Contact Date", "Date Time", "Timestamp"),
            "method": ("Contact Method", "Type", "Channel"),
            "duration_min": ("Duration", "Minutes", "Duration Minutes"),
            "note": ("Notes", "Comments", "Comment"),
        }
    ),
    "followups": _aliases(
        {
            **_LINK_ALIASES,
            "title": ("Task", "Subject", "Description"),
            "kind": ("Type", "Task Type"),
            "due_on": ("Due", "Due Date", "Date Due"),
            "rrule": ("Recurrence", "Repeat", "Every"),
            "notes": ("Note", "Comments"),
        }
    ),
    "careteam": _aliases(
        {
            "patient_external_id": ("MRN", "Patient ID", "Patient", "External ID"),
            "name": ("Member", "Member Name", "Full Name"),
            "organization": ("Organisation", "Org", "Agency", "Clinic"),
            "phone": ("Phone Number", "Telephone"),
            "email": ("Email Address", "E-mail"),
        }
    ),
}


@dataclass
class Mapping:
    """Which source column feeds which field, and what was left over."""

    fields: dict[str, int]  # field → column index (full_name included when used)
    headers: list[str]
    ignored: list[str]

    def column(self, field: str) -> str:
        """The header as written in the file, for messages."""
        return self.headers[self.fields[field]]


def match_headers(kind: str, headers: list[str], overrides: dict[str, str]) -> Mapping:
    """Match ``headers`` to the kind's fields; raise Invalid when a required one is missing.

    ``overrides`` (from ``--map SOURCE=FIELD``) win over names and aliases; a
    field named exactly wins over an alias, and the first column wins a tie.
    """
    known = set(COLUMNS[kind]) | ({"full_name"} if kind == "patients" else set())
    over = {norm(src): field for src, field in overrides.items()}
    for field in over.values():
        if field not in known:
            raise Invalid(
                f"--map names an unknown {kind} field {field!r}",
                hint=f"fields: {', '.join(sorted(known))}",
            )
    fields: dict[str, int] = {}
    ignored: list[int] = []
    ranked: list[tuple[int, int, str]] = []  # (rank, index, field)
    for i, h in enumerate(headers):
        n = norm(h)
        if n in over:
            ranked.append((0, i, over[n]))
        elif n in known:
            ranked.append((1, i, n))
        elif n in ALIASES[kind]:
            ranked.append((2, i, ALIASES[kind][n]))
        elif str(h).strip():
            ignored.append(i)
    for _rank, i, field in sorted(ranked):
        if field in fields:
            ignored.append(i)  # a second column for the same field
        else:
            fields[field] = i
    for field in NOT_IMPORTED[kind]:
        fields.pop(field, None)
    if "full_name" in fields and "given_name" in fields and "family_name" in fields:
        ignored.append(fields.pop("full_name"))
    names = [str(h).strip() for h in headers]
    missing = [
        f
        for f in REQUIRED[kind]
        if f not in fields
        and not (
            kind == "patients" and f in ("given_name", "family_name") and "full_name" in fields
        )
    ]
    if missing:
        need = ", ".join(missing)
        named = "given_name" in missing or "family_name" in missing
        extra = " (or full_name)" if kind == "patients" and named else ""
        raise Invalid(
            f"missing required column{'s' if len(missing) > 1 else ''}: {need}{extra}",
            hint="name the columns in the header row, or use --map SOURCE=FIELD",
        )
    return Mapping(fields=fields, headers=names, ignored=[names[i] for i in sorted(set(ignored))])
