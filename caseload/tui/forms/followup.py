"""The follow-up forms: schedule one (optionally recurring) and complete one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from caseload.enums import (
    ContactMethod,
    ContactOutcome,
    FollowUpKind,
    FollowUpStatus,
    UnableReason,
)
from caseload.labels import label
from caseload.services.schedule import DEFAULT_METHOD, RRULE_PRESETS
from caseload.tui.forms.base import FormScreen, PatientFormScreen
from caseload.tui.forms.fields import (
    Field,
    as_date,
    choices,
    date_parser,
    show_date,
    when_field,
    who,
)

# The recurrence presets offered (labels for people, rules from services.schedule).
RECURRENCE = (
    ("none", ""),
    ("daily", RRULE_PRESETS["daily"]),
    ("weekly", RRULE_PRESETS["weekly"]),
    ("every 2 weeks", RRULE_PRESETS["biweekly"]),
    ("monthly", RRULE_PRESETS["monthly"]),
    ("quarterly", RRULE_PRESETS["quarterly"]),
)
PRIORITIES = (("1 urgent", 1), ("2 high", 2), ("3 normal", 3), ("4 low", 4))
# The kinds whose completion form offers "Unable to reach": the ones made of attempts.
UNABLE_KINDS = (FollowUpKind.call.value, FollowUpKind.transition_call.value)
# With "Unable to reach", the Outcome may say no attempt is being logged now.
NO_NEW_ATTEMPT = ("no new attempt", "")


def _due_hint(today) -> Any:
    def hint(d: date) -> str:
        days = (d - today()).days
        when = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days)
        if when is None:
            when = f"in {days} days" if days > 0 else f"{-days} days ago"
        return f"{show_date(d)} ({when})"

    return hint


class FollowUpForm(PatientFormScreen):
    """Returns the keyword arguments of ``followups.add`` plus ``external_id``."""

    TITLE_TEXT = "New follow-up"

    def fields(self) -> Sequence[Field]:
        return [
            Field("title", "Title", required=True),
            Field(
                "due_on",
                "Due",
                parse=date_parser(self._today, kind="future"),
                required=True,
                placeholder="today, fri, next week, in 2 weeks, dec 15, YYYY-MM-DD",
                hint=_due_hint(self._today),
            ),
            Field(
                "kind",
                "Kind",
                kind="select",
                options=choices(FollowUpKind),
                value=FollowUpKind.call.value,
            ),
            Field("priority", "Priority", kind="select", options=PRIORITIES, value=3),
            Field("rrule", "Repeats", kind="select", options=RECURRENCE, value=""),
            Field(
                "from_completion",
                "count from the day it is done",
                kind="check",
                value=False,
                group="",
            ),
            Field("notes", "Notes"),
        ]

    def check(self, values: Mapping[str, Any]) -> dict[str, str]:
        if values["from_completion"] and not values["rrule"]:
            return {"from_completion": "only a repeating follow-up counts from completion"}
        return {}

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "external_id": self.patient_external_id,
            "title": values["title"],
            "due_on": values["due_on"],
            "kind": values["kind"],
            "priority": values["priority"],
            "rrule": values["rrule"] or None,
            "from_completion": bool(values["from_completion"]),
            "notes": values["notes"],
        }


class CompleteFollowUpForm(FormScreen):
    """Returns the keyword arguments of ``followups.complete`` plus ``followup_id``.

    ``followup`` is the follow-up's public dict (id, title, kind, due_on, rrule, status…).
    """

    TITLE_TEXT = "Complete follow-up"
    SAVE_LABEL = "Done"

    def __init__(self, followup: Mapping, *, now: datetime | None = None) -> None:
        self.followup = dict(followup)
        super().__init__(now=now)

    def intro(self) -> Sequence[str]:
        f = self.followup
        lines = [f"Follow-up {f.get('id')}: {f.get('title') or ''}"]
        if f.get("patient_external_id"):
            lines.insert(0, f"Patient {who(f['patient_external_id'], f.get('patient_name'))}")
        due = as_date(f.get("due_on"))
        if due is not None:
            lines.append(f"Due {show_date(due)}")
        if f.get("rrule"):
            lines.append("Recurring: the next one will be scheduled.")
        return lines

    def can_save(self) -> str:
        status = self.followup.get("status")
        if status and status != FollowUpStatus.open.value:
            return f"This follow-up is {status} already."
        return ""

    def _unable(self) -> bool:
        return str(self.followup.get("kind")) in UNABLE_KINDS

    def fields(self) -> Sequence[Field]:
        method = DEFAULT_METHOD.get(str(self.followup.get("kind")), ContactMethod.phone.value)
        outcomes = choices(ContactOutcome) + ([NO_NEW_ATTEMPT] if self._unable() else [])
        fields = [
            Field(
                "outcome",
                "Outcome",
                kind="select",
                options=outcomes,
                value=ContactOutcome.reached.value,
            ),
            Field("method", "Method", kind="select", options=choices(ContactMethod), value=method),
            when_field(self._now),
            Field("note", "Note"),
        ]
        if self._unable():
            reasons = [("no", ""), *((label(r), r.value) for r in UnableReason)]
            fields.append(Field("unable_reason", "Unable to reach", kind="select", options=reasons))
        return fields

    def check(self, values: Mapping[str, Any]) -> dict[str, str]:
        unable, outcome = values.get("unable_reason"), values["outcome"]
        if unable and outcome == ContactOutcome.reached.value:
            return {"outcome": "reached cannot close it as unable to reach: choose the last "
                    "attempt's outcome, or no new attempt"}  # fmt: skip
        if not unable and outcome == NO_NEW_ATTEMPT[1]:
            return {"outcome": "choose what came of the contact"}
        return {}

    def info(self, values: Mapping[str, Any], errors: Mapping[str, str]) -> str:
        if not values.get("unable_reason"):
            return ""
        if values["outcome"] == NO_NEW_ATTEMPT[1]:
            return "Closes it as unable to reach after the failed attempts logged."
        return "Logs this attempt, then closes it as unable to reach if enough have failed."

    def result(self, values: Mapping[str, Any]) -> dict:
        """``followups.complete``'s arguments, or with a reason ``attempts.close_unable``'s."""
        out = {
            "followup_id": self.followup.get("id"),
            "outcome": values["outcome"],
            "method": values["method"],
            "note": values["note"],
            "at": values["at"] or self._now(),
        }
        if values.get("unable_reason"):
            attempt = {"outcome": out.pop("outcome"), "method": out.pop("method")}
            out["unable_reason"] = values["unable_reason"]
            out["last_attempt"] = attempt if attempt["outcome"] else None
        return out
