"""The referral form: move a referral one step along its closed loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from caseload.services.schedule import REFERRAL_NEXT
from caseload.tui.forms.base import FormScreen
from caseload.tui.forms.fields import Field, as_date, date_parser, show_date, who

NEXT = REFERRAL_NEXT
# The dated steps, latest first: the next step may not be dated before the latest one.
STEPS = (
    ("completed", "completed_on"),
    ("declined", "declined_on"),
    ("accepted", "accepted_on"),
    ("sent", "sent_on"),
)


class ReferralStatusForm(FormScreen):
    """Returns the keyword arguments of ``referrals.advance`` plus ``referral_id``.

    ``referral`` is the referral's public dict; only the statuses it may move to are offered.
    """

    TITLE_TEXT = "Referral: next step"

    def __init__(
        self, referral: Mapping, *, today: date | None = None, patient_name: str | None = None
    ) -> None:
        self.referral = dict(referral)
        self.patient_name = patient_name
        self.allowed = tuple(NEXT.get(str(self.referral.get("status")), ()))
        super().__init__(today=today)

    def _last_step(self) -> tuple[str, date] | None:
        for status, key in STEPS:
            d = as_date(self.referral.get(key))
            if d is not None:
                return status, d
        return None

    def intro(self) -> Sequence[str]:
        r = self.referral
        to = r.get("to_name") or ""
        if r.get("to_organization"):
            to = f"{to} ({r['to_organization']})"
        lines = [f"Referral {r.get('id')} to {to}"]
        if self.patient_name or r.get("patient_external_id"):
            lines.insert(
                0, f"Patient {who(r.get('patient_external_id') or '?', self.patient_name)}"
            )
        last = self._last_step()
        line = f"Now: {r.get('status')}"
        if last is not None:
            line += f" since {show_date(last[1])}"
        lines.append(line)
        return lines

    def can_save(self) -> str:
        if not self.allowed:
            return f"Referral {self.referral.get('id')} is {self.referral.get('status')}; the loop is closed."
        return ""

    def fields(self) -> Sequence[Field]:
        # A Select needs an option; a closed loop gets a placeholder it cannot save.
        options = [(s, s) for s in self.allowed] or [("(none)", "")]
        return [
            Field("status", "Move to", kind="select", options=options, value=options[0][1]),
            Field(
                "on",
                "On",
                value="today",
                required=True,
                parse=date_parser(self._today),
                hint=show_date,
            ),
            Field("note", "Note"),
        ]

    def check(self, values: Mapping[str, Any]) -> dict[str, str]:
        last = self._last_step()
        on = values["on"]
        if last is not None and on is not None and on < last[1]:
            return {"on": f"the date is before the {last[0]} date ({last[1].isoformat()})"}
        return {}

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "referral_id": self.referral.get("id"),
            "status": values["status"],
            "on": values["on"],
            "note": values["note"],
        }
