"""`caseload careplans …`: show, versions, problem, goal, goal-status, progress, intervention, review, revise."""

from __future__ import annotations

import sys

import typer

from caseload.cli.common import (
    FORMAT_OPTION,
    Format,
    audit_printout,
    choices,
    emit,
    parse_date_option,
    say,
    state,
)
from caseload.enums import GoalStatus, InterventionStatus, ProblemCategory
from caseload.io import formats
from caseload.io.tables import Col
from caseload.labels import label

app = typer.Typer(
    rich_markup_mode=None,
    help="Care plans: problems → goals → interventions, review dates, versions.",
    no_args_is_help=True,
)


TreeFormat = choices("TreeFormat", formats.DOCUMENT_FORMATS)


# `careplans versions --format table` (io/tables.py): every column fits at 80.
VERSIONS_TABLE = [
    Col("version", right=True),
    Col("is_current", "current"),
    Col("created_at", "created"),
    Col("created_by", "by", text=True, min_width=8, drop=1),
    Col("review_on", "review on"),
    Col("problems", right=True),
    Col("goals", right=True),
    Col("interventions", right=True),
]
_PATIENT = typer.Argument(..., metavar="ID", help="The patient's external id.")
_GOAL = typer.Argument(..., metavar="GOAL_ID", help="The goal's id (see `careplans show`).")


def _render_tree(plan: dict, external_id: str) -> None:
    """The plan as a rich tree; labels are Text so plan wording is never read as markup."""
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    head = Text(f"Care plan of {external_id}, version {plan['version']}", style="bold")
    head.append(" (current)" if plan.get("is_current") else " (earlier version)")
    if plan["review_on"]:
        head.append(f" · review due {plan['review_on'].isoformat()}")
    root = Tree(head)
    if plan["summary"]:
        root.add(Text(plan["summary"], style="italic"))
    for p in plan["problems"]:
        pnode = root.add(Text(f"[{p['category']}] {p['description']}  #{p['id']}", style="bold"))
        for g in p["goals"]:
            line = Text(f"Goal: {g['description']} — {label(g['status'])}")
            if g["target_on"]:
                line.append(f", target {g['target_on'].isoformat()}")
            line.append(f"  #{g['id']}", style="dim")
            gnode = pnode.add(line)
            for n in g["progress"]:
                when = formats.table_cell(n["at"])
                gnode.add(Text(f"{when}  {n['note']}", style="dim"))
            for i in g["interventions"]:
                who = f" ({i['responsible']})" if i["responsible"] else ""
                gnode.add(Text(f"→ {i['description']}{who} — {label(i['status'])}  #{i['id']}"))
        if not p["goals"]:
            pnode.add(Text("(no goals yet)", style="dim"))
    if not plan["problems"]:
        root.add(Text("(no problems yet)", style="dim"))
    Console(highlight=False).print(root)


def _dump(value) -> None:
    formats.write_document(sys.stdout, value, indent=2)


@app.command("show")
def show(
    ctx: typer.Context,
    patient_id: str = _PATIENT,
    version: int = typer.Option(None, "--version", min=1, help="An earlier version."),
    fmt: TreeFormat = typer.Option(TreeFormat.table, "--format", "-f", help="table or json."),
) -> None:
    """Show the patient's current care plan (or --version N) as a tree or nested JSON."""
    from caseload.errors import NotFound
    from caseload.services import careplans

    with state(ctx).session() as s:
        if version is None:
            plan = careplans.current(s, patient_id)
            if plan is None:
                raise NotFound(f"patient {patient_id} has no care plan yet")
        else:
            plan = careplans.get_version(s, patient_id, version)
    if fmt is TreeFormat.json:
        _dump(plan)
    else:
        _render_tree(plan, patient_id)
    audit_printout(ctx, "careplans.show", 1, fmt)


@app.command("versions")
def versions(ctx: typer.Context, patient_id: str = _PATIENT, fmt: Format = FORMAT_OPTION) -> None:
    """List every version of the patient's care plan, with what each holds."""
    from caseload.services import careplans

    with state(ctx).session() as s:
        rows = careplans.versions(s, patient_id)
    emit(rows, fmt, columns=[c.key for c in VERSIONS_TABLE], table_columns=VERSIONS_TABLE)


@app.command("problem")
def problem(
    ctx: typer.Context,
    patient_id: str = _PATIENT,
    description: str = typer.Option(..., "--description", help="The problem or need."),
    category: ProblemCategory = typer.Option(ProblemCategory.medical, "--category"),
) -> None:
    """Add a problem or need to the patient's current care plan."""
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        p = careplans.add_problem(s, patient_id, description, category.value)
    say(f"Added problem {p['id']} to care plan version {p['version']} of {patient_id}.")


@app.command("goal")
def goal(
    ctx: typer.Context,
    problem_id: int = typer.Argument(..., metavar="PROBLEM_ID", help="The problem's id."),
    description: str = typer.Option(..., "--description", help="What the patient aims for."),
    target: str = typer.Option(None, "--target", help="Target date."),
    status: GoalStatus = typer.Option(GoalStatus.not_started, "--status"),
) -> None:
    """Add a goal to a problem of a current care plan."""
    target_on = parse_date_option(target, "target")
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        g = careplans.add_goal(s, problem_id, description, target_on, status.value)
    say(f"Added goal {g['id']} to problem {problem_id}.")


@app.command("goal-status")
def goal_status(
    ctx: typer.Context,
    goal_id: int = _GOAL,
    status: GoalStatus = typer.Argument(..., metavar="STATUS", help="The goal's new status."),
    note: str = typer.Option(None, "--note", help="Kept as a progress note."),
) -> None:
    """Change a goal's status (optionally with a progress note)."""
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        careplans.set_goal_status(s, goal_id, status.value, note)
    say(f"Goal {goal_id} is now {label(status)}.")


@app.command("progress")
def progress(
    ctx: typer.Context,
    goal_id: int = _GOAL,
    note: str = typer.Option(..., "--note", help="What happened toward the goal."),
) -> None:
    """Add a dated progress note to a goal."""
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        n = careplans.add_progress(s, goal_id, note)
    say(f"Added progress note {n['id']} to goal {goal_id}.")


@app.command("intervention")
def intervention(
    ctx: typer.Context,
    goal_id: int = _GOAL,
    description: str = typer.Option(..., "--description", help="What will be done."),
    responsible: str = typer.Option(None, "--responsible", help="Who does it."),
    status: InterventionStatus = typer.Option(InterventionStatus.planned, "--status"),
) -> None:
    """Add an intervention to a goal."""
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        i = careplans.add_intervention(s, goal_id, description, responsible, status.value)
    say(f"Added intervention {i['id']} to goal {goal_id}.")


@app.command("intervention-status")
def intervention_status(
    ctx: typer.Context,
    intervention_id: int = typer.Argument(..., metavar="INTERVENTION_ID"),
    status: InterventionStatus = typer.Argument(..., metavar="STATUS"),
) -> None:
    """Change an intervention's status (planned, active, done, stopped)."""
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        careplans.set_intervention_status(s, intervention_id, status.value)
    say(f"Intervention {intervention_id} is now {label(status)}.")


@app.command("review")
def review(
    ctx: typer.Context,
    patient_id: str = _PATIENT,
    on: str = typer.Option(..., "--on", help="When the plan is due for review."),
    summary: str = typer.Option(None, "--summary", help="A new summary of the plan."),
) -> None:
    """Set the current care plan's review-due date (and summary)."""
    review_on = parse_date_option(on, "on", kind="future")
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        plan = careplans.set_review(s, patient_id, review_on, summary)
    say(
        f"Care plan version {plan['version']} of {patient_id} is due for review "
        f"on {review_on.isoformat()}."
    )


@app.command("revise")
def revise(
    ctx: typer.Context,
    patient_id: str = _PATIENT,
    summary: str = typer.Option(None, "--summary", help="The new version's summary."),
) -> None:
    """Start a new version of the care plan; the earlier one is kept unchanged."""
    from caseload.services import careplans

    with state(ctx).session(write=True) as s:
        plan = careplans.new_version(s, patient_id, summary)
    say(
        f"Care plan version {plan['version']} (id {plan['id']}) of {patient_id} is now current; "
        f"version {plan['version'] - 1} is kept."
    )
