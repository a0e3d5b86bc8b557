"""The care plan forms: a problem or need, a goal under it, an intervention for a goal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from caseload.enums import GoalStatus, InterventionStatus, ProblemCategory
from caseload.tui.forms.base import FormScreen
from caseload.tui.forms.fields import Field, choices, date_parser, show_date, who


class ProblemForm(FormScreen):
    """Returns the keyword arguments of ``careplans.add_problem`` plus ``external_id``."""

    TITLE_TEXT = "New problem or need"

    def __init__(self, patient_external_id: str, *, patient_name: str | None = None) -> None:
        self.patient_external_id = patient_external_id
        self.patient_name = patient_name
        super().__init__()

    def intro(self) -> Sequence[str]:
        return (f"Care plan of patient {who(self.patient_external_id, self.patient_name)}",)

    def fields(self) -> Sequence[Field]:
        return [
            Field(
                "category",
                "Category",
                kind="select",
                options=choices(ProblemCategory),
                value=ProblemCategory.medical.value,
            ),
            Field("description", "Description", required=True),
        ]

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "external_id": self.patient_external_id,
            "description": values["description"],
            "category": values["category"],
        }


class GoalForm(FormScreen):
    """Returns the keyword arguments of ``careplans.add_goal`` (with ``problem_id``)."""

    TITLE_TEXT = "New goal"

    def __init__(self, problem_id: int, *, today: date | None = None) -> None:
        self.problem_id = problem_id
        super().__init__(today=today)

    def intro(self) -> Sequence[str]:
        return (f"For problem {self.problem_id}",)

    def fields(self) -> Sequence[Field]:
        return [
            Field("description", "Goal", required=True),
            Field(
                "status",
                "Status",
                kind="select",
                options=choices(GoalStatus),
                value=GoalStatus.not_started.value,
            ),
            Field(
                "target_on",
                "Target date",
                parse=date_parser(self._today),
                placeholder="optional: +3m, YYYY-MM-DD",
                hint=show_date,
            ),
        ]

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "problem_id": self.problem_id,
            "description": values["description"],
            "target_on": values["target_on"],
            "status": values["status"],
        }


class InterventionForm(FormScreen):
    """Returns the keyword arguments of ``careplans.add_intervention`` (with ``goal_id``)."""

    TITLE_TEXT = "New intervention"

    def __init__(self, goal_id: int) -> None:
        self.goal_id = goal_id
        super().__init__()

    def intro(self) -> Sequence[str]:
        return (f"For goal {self.goal_id}",)

    def fields(self) -> Sequence[Field]:
        return [
            Field("description", "Intervention", required=True),
            Field(
                "status",
                "Status",
                kind="select",
                options=choices(InterventionStatus),
                value=InterventionStatus.planned.value,
            ),
            Field("responsible", "Responsible", placeholder="optional: who does it"),
        ]

    def result(self, values: Mapping[str, Any]) -> dict:
        return {
            "goal_id": self.goal_id,
            "description": values["description"],
            "responsible": values["responsible"],
            "status": values["status"],
        }
