"""Care plans: one current, versioned plan per patient (problems → goals → interventions).

A plan is edited in place while it is current. ``new_version`` copies it into
the next version and retires the old one, which from then on is read-only:
earlier versions are the record of what the plan said at the time. Every write
is audited with ids, version numbers and status words, never the plan's text.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from sqlalchemy import func
from sqlmodel import Session, select

from caseload.errors import Invalid, NotFound
from caseload.models import (
    CarePlan,
    CarePlanProblem,
    Goal,
    GoalProgress,
    GoalStatus,
    Intervention,
    InterventionStatus,
    ProblemCategory,
)
from caseload.services import audit
from caseload.services.careplan_read import (
    aware,
    current,
    current_row,
    get_version,
    goal_dict,
    intervention_dict,
    plan_head,
    problem_dict,
    tree,
    versions,
)
from caseload.services.common import actor, check_choice, clean_text, utcnow
from caseload.services.patients import get_row

__all__ = [
    "add_goal", "add_intervention", "add_problem", "add_progress", "current", "ensure_plan",
    "get_version", "new_version", "set_goal_status", "set_intervention_status", "set_review",
    "versions",
]  # fmt: skip

# --- writing ---------------------------------------------------------------------


_text = partial(clean_text, required=True)


def _date(value: date | None, what: str) -> date | None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise Invalid(f"{what} must be a date")
    return value


def ensure_plan(session: Session, patient_row) -> CarePlan:
    """The patient's current plan, creating version 1 the first time one is needed."""
    plan = current_row(session, patient_row.id)
    if plan is not None:
        return plan
    last = session.exec(
        select(func.max(CarePlan.version)).where(CarePlan.patient_id == patient_row.id)
    ).one()
    plan = CarePlan(
        patient_id=patient_row.id,
        version=(last or 0) + 1,
        is_current=True,
        created_at=utcnow(),
        created_by=actor(),
    )
    return _save(session, plan, plan, "careplan.create", "care_plan")


def _save(session: Session, row, plan: CarePlan, action: str, entity: str, **detail):
    """Flush ``row`` and audit it with the plan's patient and version (ids only, never text)."""
    session.add(row)
    session.flush()
    audit.record(
        session,
        action,
        entity,
        row.id,
        patient_id=plan.patient_id,
        version=plan.version,
        **detail,
    )
    return row


def _editable(plan: CarePlan) -> CarePlan:
    if not plan.is_current:
        raise Invalid(
            f"care plan version {plan.version} is an earlier version; "
            "earlier versions are kept as they were"
        )
    return plan


def _problem(session: Session, problem_id: int) -> tuple[CarePlanProblem, CarePlan]:
    problem = session.get(CarePlanProblem, problem_id)
    if problem is None:
        raise NotFound(f"no care plan problem {problem_id}")
    return problem, session.get(CarePlan, problem.plan_id)


def _goal(session: Session, goal_id: int) -> tuple[Goal, CarePlan]:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id}")
    _, plan = _problem(session, goal.problem_id)
    return goal, plan


def _intervention(session: Session, intervention_id: int) -> tuple[Intervention, CarePlan]:
    item = session.get(Intervention, intervention_id)
    if item is None:
        raise NotFound(f"no intervention {intervention_id}")
    _, plan = _goal(session, item.goal_id)
    return item, plan


def add_problem(
    session: Session, external_id: str, description: str, category: str = "medical"
) -> dict:
    """A problem or need on the patient's current plan (version 1 is made if needed)."""
    description = _text(description, "description")
    category = check_choice(category, ProblemCategory, "category")
    plan = ensure_plan(session, get_row(session, external_id))
    problem = CarePlanProblem(plan_id=plan.id, description=description, category=category)
    _save(session, problem, plan, "careplan.problem.add", "care_plan_problem", plan_id=plan.id)
    return {**problem_dict(problem), "plan_id": plan.id, "version": plan.version}


def add_goal(
    session: Session,
    problem_id: int,
    description: str,
    target_on: date | None = None,
    status: str = "not_started",
) -> dict:
    description = _text(description, "description")
    target_on = _date(target_on, "target_on")
    status = check_choice(status, GoalStatus, "goal status")
    problem, plan = _problem(session, problem_id)
    _editable(plan)
    goal = Goal(problem_id=problem.id, description=description, target_on=target_on, status=status)
    _save(session, goal, plan, "careplan.goal.add", "goal", problem_id=problem.id, status=status)
    return {**goal_dict(goal), "problem_id": problem.id, "version": plan.version}


def _progress(session: Session, goal: Goal, plan: CarePlan, note: str) -> GoalProgress:
    entry = GoalProgress(goal_id=goal.id, at=utcnow(), note=note)
    return _save(session, entry, plan, "careplan.progress.add", "goal_progress", goal_id=goal.id)


def _set_status(session: Session, row, plan: CarePlan, status: str, what: str) -> None:
    """Move a goal or intervention of the current plan to ``status``, audited old → new."""
    _editable(plan)
    if row.status == status:
        raise Invalid(f"{what} {row.id} is {status} already")
    before, row.status = row.status, status
    _save(session, row, plan, f"careplan.{what}.status", what, old=before, new=status)


def set_goal_status(session: Session, goal_id: int, status: str, note: str | None = None) -> dict:
    """Move a goal to ``status``; a note, if given, becomes a progress note."""
    status = check_choice(status, GoalStatus, "goal status")
    note = _text(note, "note", required=False)
    goal, plan = _goal(session, goal_id)
    _set_status(session, goal, plan, status, "goal")
    if note:
        _progress(session, goal, plan, note)
    return {**goal_dict(goal), "version": plan.version}


def add_progress(session: Session, goal_id: int, note: str) -> dict:
    """A dated progress note on a goal of the current plan."""
    note = _text(note, "note")
    goal, plan = _goal(session, goal_id)
    _editable(plan)
    entry = _progress(session, goal, plan, note)
    return {"id": entry.id, "goal_id": goal.id, "at": aware(entry.at), "note": entry.note}


def add_intervention(
    session: Session,
    goal_id: int,
    description: str,
    responsible: str | None = None,
    status: str = "planned",
) -> dict:
    description = _text(description, "description")
    responsible = _text(responsible, "responsible", required=False)
    status = check_choice(status, InterventionStatus, "intervention status")
    goal, plan = _goal(session, goal_id)
    _editable(plan)
    item = Intervention(
        goal_id=goal.id, description=description, responsible=responsible, status=status
    )
    _save(
        session,
        item,
        plan,
        "careplan.intervention.add",
        "intervention",
        goal_id=goal.id,
        status=status,
    )
    return {**intervention_dict(item), "goal_id": goal.id, "version": plan.version}


def set_intervention_status(session: Session, intervention_id: int, status: str) -> dict:
    status = check_choice(status, InterventionStatus, "intervention status")
    item, plan = _intervention(session, intervention_id)
    _set_status(session, item, plan, status, "intervention")
    return {**intervention_dict(item), "goal_id": item.goal_id, "version": plan.version}


def set_review(
    session: Session, external_id: str, review_on: date, summary: str | None = None
) -> dict:
    """Set when the current plan is due for review (and optionally its summary)."""
    if review_on is None:
        raise Invalid("review_on is required")
    review_on = _date(review_on, "review_on")
    summary = _text(summary, "summary", required=False)
    plan = ensure_plan(session, get_row(session, external_id))
    plan.review_on = review_on
    if summary is not None:
        plan.summary = summary
    _save(session, plan, plan, "careplan.review", "care_plan", summary_changed=summary is not None)
    return plan_head(plan)


def _copy(session: Session, model, source: dict, fields: tuple[str, ...], **links):
    """A new ``model`` row from ``source``'s ``fields``, under new parents, flushed for its id."""
    row = model(**{f: source[f] for f in fields}, **links)
    session.add(row)
    session.flush()
    return row


def new_version(session: Session, external_id: str, summary: str | None = None) -> dict:
    """Copy the current plan into version+1 and retire the old one (kept read-only).

    Problems, goals (with their status) and interventions are copied; progress
    notes stay with the version they were written on. The review date and the
    summary carry over unless a new summary is given.
    """
    summary = _text(summary, "summary", required=False)
    patient = get_row(session, external_id)
    old = current_row(session, patient.id)
    if old is None:
        raise NotFound(f"patient {external_id} has no care plan yet")
    old.is_current = False
    session.add(old)
    session.flush()
    plan = CarePlan(
        patient_id=patient.id,
        version=old.version + 1,
        is_current=True,
        review_on=old.review_on,
        summary=summary if summary is not None else old.summary,
        created_at=utcnow(),
        created_by=actor(),
    )
    session.add(plan)
    session.flush()
    counts = {"problems": 0, "goals": 0, "interventions": 0}
    for p in tree(session, old)["problems"]:
        problem = _copy(session, CarePlanProblem, p, ("description", "category"), plan_id=plan.id)
        counts["problems"] += 1
        for g in p["goals"]:
            goal = _copy(
                session, Goal, g, ("description", "target_on", "status"), problem_id=problem.id
            )
            counts["goals"] += 1
            for i in g["interventions"]:
                fields = ("description", "responsible", "status")
                _copy(session, Intervention, i, fields, goal_id=goal.id)
                counts["interventions"] += 1
    _save(
        session,
        plan,
        plan,
        "careplan.revise",
        "care_plan",
        previous_version=old.version,
        previous_plan_id=old.id,
        **counts,
    )
    return tree(session, plan)
