"""The hospital discharge form: record a transition of care and preview its follow-ups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from caseload.services.schedule import discharge_date_problem, transition_due_dates
from caseload.tui.forms.base import FormScreen
from caseload.tui.forms.fields import Field, date_parser, show_date, who


class HospitalDischargeForm(FormScreen):
    """Returns the keyword arguments of ``transitions.record_discharge`` plus ``external_id``.

    ``risk`` (the patient's tier) decides the visit's due date shown; ``holidays`` are
    skipped when counting business days and are returned so the service counts the same.
    """

    TITLE_TEXT = "Hospital discharge"
    SAVE_LABEL = "Record"

    def __init__(
        self,
        patient_external_id: str,
        *,
        risk: str | None = None,
        today: date | None = None,
        holidays: frozenset[date] = frozenset(),
        patient_name: str | None = None,
    ) -> None:
        self.patient_external_id = patient_external_id
        self.patient_name = patient_name
        self.risk = risk
        self.holidays = frozenset(holidays)
        super().__init__(today=today)

    def intro(self) -> Sequence[str]:
        return (f"Patient {who(self.patient_external_id, self.patient_name)} left hospital.",)

    def fields(self) -> Sequence[Field]:
        return [
            Field(
                "discharged_on",
                "Discharged on",
                value="today",
                required=True,
                parse=self._discharged_on,
                hint=show_date,
            ),
            Field("facility", "Facility"),
            Field("reason", "Reason"),
        ]

    def _discharged_on(self, text: str) -> date:
        """A natural date, checked by the service's own rule (never in the future)."""
        day = date_parser(self._today, kind="past")(text)
        problem = discharge_date_problem(day, self._today())
        if problem:
            raise ValueError(problem)
        return day

    def due_dates(self, discharged_on: date) -> tuple[date, date]:
        call, visit = transition_due_dates(discharged_on, self.risk, self.holidays)
        return call, visit

    def info(self, values: Mapping[str, Any], errors: Mapping[str, str]) -> str:
        d = values.get("discharged_on")
        if d is None or "discharged_on" in errors:
            return ""
        call, visit = self.due_dates(d)
        return f"Schedules a call due {show_date(call)} and a visit due {show_date(visit)}."

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "external_id": self.patient_external_id,
            "discharged_on": values["discharged_on"],
            "facility": values["facility"],
            "reason": values["reason"],
            "holidays": self.holidays,
        }
