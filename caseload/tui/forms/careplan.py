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
    """Returns the keyword arguments of ``careplans.add_goal`` (with ``problem_id``).

    Given one ``problem_id`` the goal goes under it; given ``problems`` (label, id) from
    the Patient screen, a "Problem" field picks one (the last, newest, to start with).
    """

    TITLE_TEXT = "New goal"

    def __init__(
        self,
        problem_id: int | None = None,
        *,
        problems: Sequence[tuple[str, int]] = (),
        patient_external_id: str | None = None,
        today: date | None = None,
        patient_name: str | None = None,
    ) -> None:
        self.problem_id = problem_id
        self.problems = tuple(problems)
        self.patient_external_id = patient_external_id
        self.patient_name = patient_name
        super().__init__(today=today)

    def intro(self) -> Sequence[str]:
        if self.problem_id is not None:
            return (f"For problem {self.problem_id}",)
        return _patient_line(self.patient_external_id, self.patient_name)

    def fields(self) -> Sequence[Field]:
        return [
            *_pick("problem_id", "Problem", self.problem_id, self.problems),
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
            "problem_id": _picked(values, "problem_id", self.problem_id),
            "description": values["description"],
            "target_on": values["target_on"],
            "status": values["status"],
        }


class InterventionForm(FormScreen):
    """Returns the keyword arguments of ``careplans.add_intervention`` (with ``goal_id``);
    like the goal form, it takes one ``goal_id`` or ``goals`` (label, id) to pick from."""

    TITLE_TEXT = "New intervention"

    def __init__(
        self,
        goal_id: int | None = None,
        *,
        goals: Sequence[tuple[str, int]] = (),
        patient_external_id: str | None = None,
        patient_name: str | None = None,
    ) -> None:
        self.goal_id = goal_id
        self.goals = tuple(goals)
        self.patient_external_id = patient_external_id
        self.patient_name = patient_name
        super().__init__()

    def intro(self) -> Sequence[str]:
        if self.goal_id is not None:
            return (f"For goal {self.goal_id}",)
        return _patient_line(self.patient_external_id, self.patient_name)

    def fields(self) -> Sequence[Field]:
        return [
            *_pick("goal_id", "Goal", self.goal_id, self.goals),
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
            "goal_id": _picked(values, "goal_id", self.goal_id),
            "description": values["description"],
            "responsible": values["responsible"],
            "status": values["status"],
        }


def _pick(key: str, label: str, fixed: int | None, options: Sequence[tuple[str, int]]) -> list:
    """A select over ``options`` when no single record was given (else no field)."""
    if fixed is not None or not options:
        return []
    return [Field(key, label, kind="select", options=tuple(options), value=options[-1][1])]


def _patient_line(external_id: str | None, name: str | None) -> tuple[str, ...]:
    return (f"Care plan of patient {who(external_id, name)}",) if external_id else ()


def _picked(values: Mapping[str, Any], key: str, fixed: int | None) -> int | None:
    return fixed if fixed is not None else values.get(key)
