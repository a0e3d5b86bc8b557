"""The CLI as people type it: global options after the command, labels for codes, plurals."""

from __future__ import annotations

import json

import pytest

from caseload.cli.main import hoist_global_options
from caseload.labels import describe_detail, describe_rrule, label, normalize, plural


def test_global_options_are_hoisted_from_after_the_command():
    assert hoist_global_options(["init", "--key-file", "k"]) == ["--key-file", "k", "init"]
    assert hoist_global_options(["patients", "list", "--db=x.db", "-f", "csv"]) == [
        "--db=x.db", "patients", "list", "-f", "csv",
    ]  # fmt: skip
    assert hoist_global_options(["--db", "a", "due"]) == ["--db", "a", "due"]
    assert hoist_global_options(["x", "--", "--db", "a"]) == ["x", "--", "--db", "a"]


def test_init_and_list_take_db_and_key_file_after_the_command(tmp_path):
    from tests.conftest import Cli

    db, key = tmp_path / "s.db", tmp_path / "k.key"
    c = Cli(tmp_path / "unused.db", tmp_path / "unused.key")
    c.ok("init", "--key-file", str(key), "--db", str(db), env={"CASELOAD_KEY_FILE": ""})
    assert db.exists() and key.exists()
    out = c.ok("patients", "list", "--db", str(db), "--key-file", str(key), "-f", "json")
    assert json.loads(out.stdout) == []


def test_enum_options_take_labels_in_any_case(cli):
    cli.ok("patients", "add", "--external-id", "L-1", "--given-name", "A", "--family-name", "B",
           "--risk", "High")  # fmt: skip
    cli.ok("contacts", "log", "L-1", "--method", "Home visit", "--outcome", "no answer")
    cli.ok("contacts", "log", "L-1", "--method", "phone", "--outcome", "Left-Message")
    rows = json.loads(cli.ok("contacts", "list", "L-1", "-f", "json").stdout)
    assert sorted((r["method"], r["outcome"]) for r in rows) == [
        ("home_visit", "no_answer"), ("phone", "left_message"),
    ]  # fmt: skip
    table = cli.ok("contacts", "list", "L-1", env={"COLUMNS": "120"}).stdout
    assert "home visit" in table and "no answer" in table and "left message" in table
    assert "no_answer" not in table
    bad = cli("contacts", "log", "L-1", "--method", "phone", "--outcome", "maybe")
    assert bad.exit_code == 2 and "'--outcome'" in bad.stderr
    # The message lists what to type, in words: 'no answer', not 'no_answer'.
    assert "'maybe' is not one of 'reached', 'no answer', 'left message'" in bad.stderr
    assert "no_answer" not in bad.stderr


def test_recurrence_shows_in_words_in_tables_and_as_rrule_in_json(cli):
    cli.ok("patients", "add", "--external-id", "R-1", "--given-name", "A", "--family-name", "B")
    cli.ok("followups", "add", "R-1", "--title", "Check-in", "--due", "tomorrow", "--every",
           "weekly", "--kind", "Med review")  # fmt: skip
    table = cli.ok("followups", "list", env={"COLUMNS": "120"}).stdout
    assert "every week" in table and "medication review" in table and "FREQ" not in table
    (row,) = json.loads(cli.ok("followups", "list", "-f", "json").stdout)
    assert (row["rrule"], row["kind"]) == ("FREQ=WEEKLY", "med_review")


def test_labels_rrules_details_and_plurals():
    assert label("not_achieved") == "not achieved" and label("in_progress") == "in progress"
    assert normalize("No Answer") == "no_answer" == normalize("no-answer")
    assert normalize("medication review") == "med_review"
    assert describe_rrule("FREQ=WEEKLY") == "every week"
    assert describe_rrule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO") == "every 2 weeks on Monday"
    assert describe_rrule("FREQ=MONTHLY;COUNT=6") == "every month, 6 times"
    assert describe_rrule("FREQ=DAILY;BYSETPOS=1") == "FREQ=DAILY;BYSETPOS=1"
    assert describe_detail('{"followup_id": null, "goals": 0}') == ""
    assert describe_detail('{"followup_id": 3, "goals": 2}') == "follow-up 3, 2 goals"
    assert plural(1, "recent hospital discharge") == "1 recent hospital discharge"
    assert plural(2, "problem") == "2 problems" and plural(1, "problem") == "1 problem"


# Each enumerated option or argument, given a label in capitals. The record named does not
# exist, so a command that accepted its choices stops at "not found" (exit 1), never exit 2.
LABELLED = [
    ("patients", "add", "--external-id", "X-1", "--given-name", "A", "--family-name", "B",
     "--risk", "MEDIUM"),
    ("patients", "list", "--status", "On Hold", "--risk", "High"),
    ("patients", "transition", "NOPE", "--discharged-on", "today", "--setting", "Emergency"),
    ("contacts", "log", "NOPE", "--method", "Clinic Visit", "--outcome", "Wrong Number",
     "--party", "Caregiver"),
    ("contacts", "edit", "999", "--outcome", "Left-Message", "--method", "HOME VISIT",
     "--party", "Provider"),
    ("followups", "add", "NOPE", "--title", "T", "--due", "today", "--kind", "Care Plan Review"),
    ("followups", "add", "NOPE", "--title", "T", "--due", "today", "--kind", "Transition Visit"),
    ("followups", "list", "--status", "Cancelled"),
    ("followups", "done", "999", "--outcome", "No Answer", "--method", "Text"),
    ("careplans", "problem", "NOPE", "--description", "D", "--category", "Behavioral"),
    ("careplans", "goal", "999", "--description", "D", "--status", "Not Started"),
    ("careplans", "goal-status", "999", "In Progress"),
    ("careplans", "goal-status", "999", "NOT ACHIEVED"),
    ("careplans", "intervention", "999", "--description", "D", "--status", "Active"),
    ("careplans", "intervention-status", "999", "Stopped"),
    ("referrals", "update", "999", "Accepted"),
]  # fmt: skip


@pytest.mark.parametrize("args", LABELLED, ids=lambda a: " ".join(a[:2]))
def test_every_enumerated_choice_takes_its_label(cli, args):
    r = cli(*args)
    assert r.exit_code in (0, 1), (r.exit_code, r.stderr)
    assert "Invalid value" not in r.stderr
