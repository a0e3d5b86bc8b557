"""The contact form: log a call, visit or message with (or about) a patient."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from caseload.enums import ContactMethod, ContactOutcome, ContactParty
from caseload.tui.forms.base import PatientFormScreen
from caseload.tui.forms.fields import Field, choices, parse_int, when_field


class ContactForm(PatientFormScreen):
    """Returns the keyword arguments of ``contacts.log`` plus ``external_id``.

    ``now`` fixes the clock (tests, snapshots); otherwise "now" is read when saving.
    """

    TITLE_TEXT = "Log a contact"

    def fields(self) -> Sequence[Field]:
        return [
            Field(
                "method",
                "Method",
                kind="select",
                options=choices(ContactMethod),
                value=ContactMethod.phone.value,
            ),
            Field(
                "outcome",
                "Outcome",
                kind="select",
                options=choices(ContactOutcome),
                value=ContactOutcome.reached.value,
            ),
            Field(
                "party",
                "With",
                kind="select",
                options=choices(ContactParty),
                value=ContactParty.patient.value,
            ),
            when_field(self._now),
            Field(
                "duration_min",
                "Minutes",
                parse=parse_int(0, 24 * 60, "duration"),
                placeholder="how long, in minutes",
            ),
            Field("note", "Note"),
        ]

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "external_id": self.patient_external_id,
            "method": values["method"],
            "outcome": values["outcome"],
            "party": values["party"],
            "at": values["at"] or self._now(),
            "duration_min": values["duration_min"],
            "note": values["note"],
        }
