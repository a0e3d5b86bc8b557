"""Reading care plans: a plan as nested dicts, its versions, and the one current row.

Split from ``services.careplans`` (which edits plans and re-exports ``current``,
``get_version`` and ``versions``) to keep each module small; the editing side
builds its answers with the same dict shapes from here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from caseload.errors import NotFound
from caseload.models import CarePlan, CarePlanProblem, Goal, GoalProgress, Intervention
from caseload.services.patients import get_row


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; they are UTC, so say so."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def plan_head(plan: CarePlan) -> dict:
    return {
        "id": plan.id,
        "version": plan.version,
        "is_current": plan.is_current,
        "review_on": plan.review_on,
        "summary": plan.summary,
        "created_at": aware(plan.created_at),
        "created_by": plan.created_by,
    }


def problem_dict(p: CarePlanProblem) -> dict:
    return {"id": p.id, "description": p.description, "category": p.category, "goals": []}


def goal_dict(g: Goal) -> dict:
    return {
        "id": g.id,
        "description": g.description,
        "target_on": g.target_on,
        "status": g.status,
        "progress": [],
        "interventions": [],
    }


def intervention_dict(i: Intervention) -> dict:
    return {
        "id": i.id,
        "description": i.description,
        "responsible": i.responsible,
        "status": i.status,
    }


def tree(session: Session, plan: CarePlan) -> dict:
    """The whole plan as nested dicts: four set-based queries, whatever its size."""
    problems = list(
        session.exec(
            select(CarePlanProblem)
            .where(CarePlanProblem.plan_id == plan.id)
            .order_by(col(CarePlanProblem.id))
        )
    )
    in_plan = select(CarePlanProblem.id).where(CarePlanProblem.plan_id == plan.id)
    goals = list(
        session.exec(select(Goal).where(col(Goal.problem_id).in_(in_plan)).order_by(col(Goal.id)))
    )
    goal_ids = select(Goal.id).where(col(Goal.problem_id).in_(in_plan))
    progress = session.exec(
        select(GoalProgress)
        .where(col(GoalProgress.goal_id).in_(goal_ids))
        .order_by(col(GoalProgress.at), col(GoalProgress.id))
    )
    interventions = session.exec(
        select(Intervention)
        .where(col(Intervention.goal_id).in_(goal_ids))
        .order_by(col(Intervention.id))
    )
    notes: dict[int, list[dict]] = defaultdict(list)
    for n in progress:
        notes[n.goal_id].append({"id": n.id, "at": aware(n.at), "note": n.note})
    actions: dict[int, list[dict]] = defaultdict(list)
    for i in interventions:
        actions[i.goal_id].append(intervention_dict(i))
    by_problem: dict[int, list[dict]] = defaultdict(list)
    for g in goals:
        gd = goal_dict(g)
        gd["progress"] = notes.get(g.id, [])
        gd["interventions"] = actions.get(g.id, [])
        by_problem[g.problem_id].append(gd)
    out = plan_head(plan)
    out["problems"] = []
    for p in problems:
        pd = problem_dict(p)
        pd["goals"] = by_problem.get(p.id, [])
        out["problems"].append(pd)
    return out


def current_row(session: Session, patient_id: int) -> CarePlan | None:
    return session.exec(
        select(CarePlan).where(CarePlan.patient_id == patient_id, col(CarePlan.is_current))
    ).first()


def current(session: Session, external_id: str) -> dict | None:
    """The patient's current plan as a nested dict, or None when there is none yet."""
    patient = get_row(session, external_id)
    plan = current_row(session, patient.id)
    return None if plan is None else tree(session, plan)


def get_version(session: Session, external_id: str, version: int) -> dict:
    patient = get_row(session, external_id)
    plan = session.exec(
        select(CarePlan).where(CarePlan.patient_id == patient.id, CarePlan.version == version)
    ).first()
    if plan is None:
        raise NotFound(f"patient {external_id} has no care plan version {version}")
    return tree(session, plan)


def versions(session: Session, external_id: str) -> list[dict]:
    """Every version of the patient's plan, oldest first, with how much each holds."""
    patient = get_row(session, external_id)
    plans = list(
        session.exec(
            select(CarePlan)
            .where(CarePlan.patient_id == patient.id)
            .order_by(col(CarePlan.version))
        )
    )
    # One grouped query: distinct counts over the problem → goal → intervention joins.
    counts = {
        plan_id: {"problems": n_problems, "goals": n_goals, "interventions": n_interventions}
        for plan_id, n_problems, n_goals, n_interventions in session.exec(
            select(
                CarePlanProblem.plan_id,
                func.count(func.distinct(CarePlanProblem.id)),
                func.count(func.distinct(Goal.id)),
                func.count(func.distinct(Intervention.id)),
            )
            .outerjoin(Goal, Goal.problem_id == CarePlanProblem.id)
            .outerjoin(Intervention, Intervention.goal_id == Goal.id)
            .where(col(CarePlanProblem.plan_id).in_([p.id for p in plans]))
            .group_by(CarePlanProblem.plan_id)
        )
    }
    return [
        {
            "version": p.version,
            "is_current": p.is_current,
            "created_at": aware(p.created_at),
            "created_by": p.created_by,
            "review_on": p.review_on,
            **counts.get(p.id, {"problems": 0, "goals": 0, "interventions": 0}),
        }
        for p in plans
    ]
