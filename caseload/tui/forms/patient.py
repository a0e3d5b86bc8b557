"""The patient forms: add or edit a patient, and discharge one from the caseload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from caseload.enums import Risk
from caseload.tui.forms.base import FormScreen
from caseload.tui.forms.fields import Field, choices, date_parser, show_date, who
from caseload.tui.render import name

CONSENT = (
    ("may_call", "call", True),
    ("may_text", "text", False),
    ("may_email", "email", False),
    ("may_voicemail", "voicemail", False),
)  # the model's defaults: calling is assumed, the rest need a yes


# The fields that hold a list (typed as "a; b; c").
TAGS = ("programs", "conditions", "social_needs")


def _tags(text: str) -> list[str]:
    out: list[str] = []
    for part in text.split(";"):
        tag = part.strip()
        if tag and tag not in out:
            out.append(tag)
    return out


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


class PatientForm(FormScreen):
    """Add a patient (``initial`` None) or edit one (``initial``: its public dict).

    Add returns the keyword arguments of ``patients.add``; edit returns only the
    changed fields for ``patients.edit`` plus ``_external_id``, the id it had.
    """

    def __init__(self, initial: Mapping | None = None, *, today: date | None = None) -> None:
        self.initial = dict(initial) if initial is not None else None
        super().__init__(today=today)
        init = self.initial or {}
        if self.initial is None:
            self.TITLE_TEXT = "New patient"
        else:
            self.TITLE_TEXT = f"Edit patient {who(init.get('external_id'), name(init))}"

    def fields(self) -> Sequence[Field]:
        init = self.initial or {}

        def text(key: str, label: str, **kw) -> Field:
            return Field(key, label, value=_as_text(init.get(key)), **kw)

        risk = init.get("risk")
        out = [
            text("external_id", "External id", required=True),
            text("given_name", "Given name", required=True),
            text("family_name", "Family name", required=True),
            text("preferred_name", "Preferred name"),
            text(
                "birth_date",
                "Birth date",
                parse=date_parser(self._today, not_after=0, what="birth date", kind="birth"),
                placeholder="YYYY-MM-DD",
                hint=show_date,
            ),
            text("sex", "Sex"),
            text("phone", "Phone"),
            text("alt_phone", "Alt phone"),
            text("email", "Email"),
            text("address", "Address"),
            text("language", "Language"),
            text("preferred_contact", "Contact by", placeholder="phone, text, email…"),
            Field(
                "risk",
                "Risk",
                kind="select",
                options=choices(Risk),
                value=risk if risk in set(Risk) else Risk.medium.value,
            ),
        ]
        out += _consent(init)
        out += [
            text("programs", "Programs", parse=_tags, placeholder="diabetes; chf; bh"),
            text("conditions", "Conditions", parse=_tags, placeholder="separate with ;"),
            text("social_needs", "Social needs", parse=_tags, placeholder="housing; food"),
            text("pcp", "PCP", placeholder="primary care provider"),
            text("payer", "Payer"),
            text(
                "enrolled_on",
                "Enrolled",
                parse=date_parser(self._today, what="enrolled date"),
                placeholder="YYYY-MM-DD",
                hint=show_date,
            ),
            text("notes", "Notes"),
        ]
        return out

    def result(self, values: Mapping[str, Any]) -> dict:
        out = dict(values) if self.initial is None else self.changed(values)
        for key in TAGS:
            if key in out:
                out[key] = out[key] or []
        if self.initial is not None:
            out["_external_id"] = self.initial.get("external_id")
        return out


class DischargePatientForm(FormScreen):
    """Returns the keyword arguments of ``patients.discharge`` plus ``external_id``."""

    TITLE_TEXT = "Discharge from the caseload"
    SAVE_LABEL = "Discharge"

    def __init__(
        self,
        patient_external_id: str,
        *,
        today: date | None = None,
        patient_name: str | None = None,
    ) -> None:
        self.patient_external_id = patient_external_id
        self.patient_name = patient_name
        super().__init__(today=today)

    def intro(self) -> Sequence[str]:
        name = who(self.patient_external_id, self.patient_name)
        return (f"Patient {name} leaves the active caseload.",)

    def fields(self) -> Sequence[Field]:
        return [
            Field("reason", "Reason", placeholder="moved, goals met, declined services…"),
            Field(
                "on",
                "On",
                value="today",
                required=True,
                parse=date_parser(self._today, not_after=0, what="discharge date", kind="past"),
                hint=show_date,
            ),
        ]

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "external_id": self.patient_external_id,
            "reason": values["reason"],
            "on": values["on"],
        }


def _consent(init: Mapping[str, Any]) -> list[Field]:
    """The consent boxes on one row ("May"), ticked as stored or by default when new."""
    return [
        Field(
            key,
            label,
            kind="check",
            value=default if init.get(key) is None else bool(init.get(key)),
            group="May",
        )
        for key, label, default in CONSENT
    ]
