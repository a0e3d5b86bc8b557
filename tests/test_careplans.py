"""Care plans (service and `caseload careplans …`) on a real encrypted store."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

EARLIER = (
    "caseload: care plan version 1 is an earlier version; earlier versions are kept as they were"
)


def add_patient(cli, ext="P-1"):
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Amina", "--family-name", "Ok")


def build_plan(cli, ext="P-1"):
    """Problem 1 → goal 1 (progress note) → intervention 1, through the CLI."""
    add_patient(cli, ext)
    r = cli.ok("careplans", "problem", ext, "--description", "Diabetes [bold]uncontrolled")
    assert r.stderr == f"Added problem 1 to care plan version 1 of {ext}.\n"
    r = cli.ok(
        "careplans",
        "goal",
        "1",
        "--description",
        "A1c under 8",
        "--target",
        "2026-06-30",
        "--status",
        "in_progress",
    )
    assert r.stderr == "Added goal 1 to problem 1.\n"
    r = cli.ok(
        "careplans", "intervention", "1", "--description", "Weekly call", "--responsible", "CHW"
    )
    assert r.stderr == "Added intervention 1 to goal 1.\n"
    r = cli.ok("careplans", "progress", "1", "--note", "Checked sugars with her")
    assert r.stderr == "Added progress note 1 to goal 1.\n"


def show_json(cli, *args):
    return json.loads(cli.ok("careplans", "show", *args, "--format", "json").stdout)


def test_plan_round_trips_through_show_json(cli):
    build_plan(cli)
    plan = show_json(cli, "P-1")
    assert plan.pop("created_at")
    assert plan["problems"][0]["goals"][0]["progress"][0].pop("at")
    assert plan == {
        "id": 1,
        "version": 1,
        "is_current": True,
        "review_on": None,
        "summary": None,
        "created_by": plan["created_by"],
        "problems": [
            {
                "id": 1,
                "description": "Diabetes [bold]uncontrolled",
                "category": "medical",
                "goals": [
                    {
                        "id": 1,
                        "description": "A1c under 8",
                        "target_on": "2026-06-30",
                        "status": "in_progress",
                        "progress": [{"id": 1, "note": "Checked sugars with her"}],
                        "interventions": [
                            {
                                "id": 1,
                                "description": "Weekly call",
                                "responsible": "CHW",
                                "status": "planned",
                            }
                        ],
                    }
                ],
            }
        ],
    }
    assert plan["created_by"]


def test_show_table_is_a_tree_and_plan_text_is_not_markup(cli):
    build_plan(cli)
    cli.ok("careplans", "review", "P-1", "--on", "2026-09-01", "--summary", "Focus: sugars")
    out = cli.ok("careplans", "show", "P-1").stdout
    assert "Care plan of P-1, version 1 (current) · review due 2026-09-01" in out
    assert "Focus: sugars" in out
    assert "[medical] Diabetes [bold]uncontrolled  #1" in out
    assert "Goal: A1c under 8 — in progress, target 2026-06-30  #1" in out
    assert "Checked sugars with her" in out
    assert "→ Weekly call (CHW) — planned  #1" in out


def test_no_plan_yet(cli, read):
    from caseload.services import careplans

    add_patient(cli)
    with read() as s:
        assert careplans.current(s, "P-1") is None
        assert careplans.versions(s, "P-1") == []
    r = cli("careplans", "show", "P-1")
    assert (r.exit_code, r.stderr) == (1, "caseload: patient P-1 has no care plan yet\n")
    r = cli("careplans", "revise", "P-1")
    assert (r.exit_code, r.stderr) == (1, "caseload: patient P-1 has no care plan yet\n")


def test_revise_keeps_version_1_and_copies_into_version_2(cli, read):
    build_plan(cli)
    cli.ok("careplans", "review", "P-1", "--on", "2026-09-01", "--summary", "First plan")
    before = show_json(cli, "P-1")
    r = cli.ok("careplans", "revise", "P-1", "--summary", "Second plan")
    assert r.stderr == "Care plan version 2 (id 2) of P-1 is now current; version 1 is kept.\n"

    v1 = show_json(cli, "P-1", "--version", "1")
    assert v1 == {**before, "is_current": False}
    v2 = show_json(cli, "P-1")
    assert (v2["id"], v2["version"], v2["is_current"]) == (2, 2, True)
    assert (v2["summary"], v2["review_on"]) == ("Second plan", "2026-09-01")
    problem = v2["problems"][0]
    goal = problem["goals"][0]
    # Copies: new ids, same content and status; progress notes stay on version 1.
    assert (problem["id"], problem["description"]) == (2, "Diabetes [bold]uncontrolled")
    assert (goal["id"], goal["description"], goal["status"]) == (2, "A1c under 8", "in_progress")
    assert goal["target_on"] == "2026-06-30"
    assert goal["progress"] == []
    assert goal["interventions"] == [
        {"id": 2, "description": "Weekly call", "responsible": "CHW", "status": "planned"}
    ]

    rows = json.loads(cli.ok("careplans", "versions", "P-1", "-f", "json").stdout)
    assert [(r["version"], r["is_current"]) for r in rows] == [(1, False), (2, True)]
    assert [(r["problems"], r["goals"], r["interventions"]) for r in rows] == [(1, 1, 1)] * 2

    from sqlmodel import select

    from caseload.models import CarePlan

    with read() as s:
        plans = s.exec(select(CarePlan)).all()
    assert [(p.version, p.is_current) for p in plans] == [(1, False), (2, True)]


def test_earlier_version_cannot_be_changed(cli):
    build_plan(cli)
    cli.ok("careplans", "revise", "P-1")
    for args in (
        ("goal-status", "1", "achieved"),
        ("progress", "1", "--note", "late note"),
        ("intervention", "1", "--description", "Another"),
        ("intervention-status", "1", "done"),
        ("goal", "1", "--description", "Another goal"),
    ):
        r = cli("careplans", *args)
        assert (r.exit_code, r.stderr.strip()) == (1, EARLIER), args
    # The current version's copies are editable.
    assert cli.ok("careplans", "goal-status", "2", "achieved").stderr == (
        "Goal 2 is now achieved.\n"
    )
    assert show_json(cli, "P-1", "--version", "1")["problems"][0]["goals"][0]["status"] == (
        "in_progress"
    )


def test_goal_status_with_note_adds_progress_in_order(cli):
    build_plan(cli)
    cli.ok("careplans", "goal-status", "1", "achieved", "--note", "A1c 7.4 today")
    cli.ok("careplans", "progress", "1", "--note", "Keeping it up")
    goal = show_json(cli, "P-1")["problems"][0]["goals"][0]
    assert goal["status"] == "achieved"
    assert [n["note"] for n in goal["progress"]] == [
        "Checked sugars with her",
        "A1c 7.4 today",
        "Keeping it up",
    ]
    assert all(datetime.fromisoformat(n["at"]).tzinfo for n in goal["progress"])
    r = cli("careplans", "goal-status", "1", "achieved")
    assert (r.exit_code, r.stderr) == (1, "caseload: goal 1 is achieved already\n")
    r = cli("careplans", "progress", "1", "--note", "   ")
    assert (r.exit_code, r.stderr) == (1, "caseload: note is required\n")


def test_bad_words_are_usage_errors(cli):
    build_plan(cli)
    r = cli("careplans", "goal-status", "1", "finished")
    assert r.exit_code == 2
    assert "'finished' is not one of 'not started', 'in progress', 'achieved'" in r.stderr
    r = cli("careplans", "problem", "P-1", "--description", "x", "--category", "legal")
    assert r.exit_code == 2
    assert "'legal' is not one of 'medical', 'behavioral', 'social', 'other'" in r.stderr
    r = cli("careplans", "goal", "1", "--description", "x", "--target", "2026-02-30")
    assert r.exit_code == 2
    assert "'--target'" in r.stderr and "is not a date" in r.stderr
    r = cli("careplans", "review", "P-1", "--on", "someday")
    assert r.exit_code == 2 and "'--on'" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_records_exit_1(cli):
    build_plan(cli)
    cases = {
        ("problem", "NOPE", "--description", "x"): "no patient with external id NOPE",
        ("show", "NOPE"): "no patient with external id NOPE",
        ("goal", "99", "--description", "x"): "no care plan problem 99",
        ("progress", "99", "--note", "x"): "no goal 99",
        ("intervention-status", "99", "done"): "no intervention 99",
        ("show", "P-1", "--version", "5"): "patient P-1 has no care plan version 5",
    }
    for args, message in cases.items():
        r = cli("careplans", *args)
        assert (r.exit_code, r.stderr) == (1, f"caseload: {message}\n"), args


def test_every_write_is_audited_without_text(cli, read):
    from caseload.services import audit

    build_plan(cli)
    cli.ok("careplans", "goal-status", "1", "achieved", "--note", "A1c 7.4")
    cli.ok("careplans", "intervention-status", "1", "active")
    cli.ok("careplans", "review", "P-1", "--on", "2026-09-01", "--summary", "Sugars first")
    cli.ok("careplans", "revise", "P-1")
    with read() as s:
        events = audit.list_events(s)
        assert audit.verify(s) == []
    assert [e["action"] for e in events] == [
        "store.init",
        "patient.add",
        "careplan.create",
        "careplan.problem.add",
        "careplan.goal.add",
        "careplan.intervention.add",
        "careplan.progress.add",
        "careplan.goal.status",
        "careplan.progress.add",
        "careplan.intervention.status",
        "careplan.review",
        "careplan.revise",
    ]
    assert all(e["patient_id"] == 1 for e in events[2:])
    revise = json.loads(events[-1]["detail"])
    assert revise == {
        "version": 2,
        "previous_version": 1,
        "previous_plan_id": 1,
        "problems": 1,
        "goals": 1,
        "interventions": 1,
    }
    details = " ".join(e["detail"] for e in events)
    for text in ("Diabetes", "A1c", "Weekly", "CHW", "Checked", "Sugars"):
        assert text not in details


def test_service_validates_and_returns_plain_data(write, read):
    from caseload.errors import Invalid
    from caseload.services import careplans, patients

    with write() as s:
        patients.add(s, external_id="P-1", given_name="A", family_name="B")
        p = careplans.add_problem(s, "P-1", " Housing ", "Social")
        g = careplans.add_goal(s, p["id"], "Stable housing", date(2026, 5, 1))
        i = careplans.add_intervention(s, g["id"], "Apply for voucher", status="active")
    assert (p["description"], p["category"], p["version"]) == ("Housing", "social", 1)
    assert (g["status"], g["target_on"]) == ("not_started", date(2026, 5, 1))
    assert i["status"] == "active"
    for call, message in (
        (lambda s: careplans.add_problem(s, "P-1", "x", "legal"), "category must be one of"),
        (lambda s: careplans.add_problem(s, "P-1", "  "), "description is required"),
        (lambda s: careplans.add_goal(s, p["id"], "x", status="done"), "goal status must be"),
        (lambda s: careplans.add_goal(s, p["id"], "x", "2026-01-01"), "target_on must be a date"),
        (
            lambda s: careplans.set_intervention_status(s, i["id"], "paused"),
            "intervention status must be",
        ),
    ):
        with pytest.raises(Invalid) as err, write() as s:
            call(s)
        assert str(err.value).startswith(message)
    with read() as s:
        plan = careplans.current(s, "P-1")
    assert plan["review_on"] is None and plan["created_at"].tzinfo is not None
    assert [x["description"] for x in plan["problems"]] == ["Housing"]


def test_current_loads_with_a_fixed_number_of_queries(write, read, engine):
    """Set-based loading: a plan with 30 goals takes as many queries as one with 1."""
    from sqlalchemy import event

    from caseload.services import careplans, patients

    with write() as s:
        for ext, n in (("SMALL", 1), ("BIG", 30)):
            patients.add(s, external_id=ext, given_name="A", family_name="B")
            for k in range(3 if n > 1 else 1):
                pid = careplans.add_problem(s, ext, f"problem {k}")["id"]
                for j in range(n // 3 or 1):
                    gid = careplans.add_goal(s, pid, f"goal {j}")["id"]
                    careplans.add_intervention(s, gid, "act")
                    careplans.add_progress(s, gid, "note")

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = {}
        for ext in ("SMALL", "BIG"):
            statements.clear()
            with read() as s:
                plan = careplans.current(s, ext)
            counts[ext] = len(statements)
            goals = [g for p in plan["problems"] for g in p["goals"]]
            assert len(goals) == (1 if ext == "SMALL" else 30)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts["SMALL"] == counts["BIG"] <= 7


def test_cli_choice_enums_are_the_domain_enums():
    from caseload import models
    from caseload.cli import careplans as cli_careplans

    assert cli_careplans.GoalStatus is models.GoalStatus
    assert cli_careplans.ProblemCategory is models.ProblemCategory
    assert cli_careplans.InterventionStatus is models.InterventionStatus
