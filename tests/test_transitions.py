"""Transitions of care: the discharge command and the follow-ups it creates."""

from __future__ import annotations

import json
from datetime import date

import pytest


def add(cli, ext, risk):
    cli.add_patient(ext, "Test", "Person", "--risk", risk)


@pytest.mark.parametrize(
    ("risk", "discharged", "call", "visit"),
    [
        ("high", "2026-11-20", "2026-11-24", "2026-11-27"),  # Friday: call Tuesday, visit in 7 days
        ("medium", "2026-11-18", "2026-11-20", "2026-12-02"),  # Wednesday: call Friday, visit in 14
        ("low", "2026-11-21", "2026-11-24", "2026-12-05"),  # Saturday: call Tuesday
    ],
)
def test_discharge_creates_call_and_visit(cli, risk, discharged, call, visit):
    add(cli, "P-1", risk)
    r = cli.ok(
        "patients",
        "transition",
        "P-1",
        "--discharged-on",
        discharged,
        "--facility",
        "General Hospital",
    )
    assert f"due {call}" in r.stderr and f"due {visit}" in r.stderr
    items = json.loads(
        cli.ok("due", "--date", discharged, "--days", "30", "--format", "json").stdout
    )
    got = {i["kind"]: i["due_on"] for i in items}
    assert got == {"transition_call": call, "transition_visit": visit}
    assert all("transition of care +20" in i["priority_reasons"] for i in items)


def test_configured_holidays_are_skipped(cli, tmp_path):
    add(cli, "P-1", "medium")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[caseload]\nholidays = ["2025-11-27", "2025-11-28"]\n')  # Thanksgiving Thu/Fri
    r = cli.ok(
        "patients",
        "transition",
        "P-1",
        "--discharged-on",
        "2025-11-26",
        env={"CASELOAD_CONFIG": str(cfg)},
    )
    assert "due 2025-12-02" in r.stderr  # Wed -> skip Thu, Fri, Sat, Sun -> Mon (1), Tue (2)


def test_transition_call_is_missed_the_day_after(cli):
    add(cli, "P-1", "high")
    cli.ok("patients", "transition", "P-1", "--discharged-on", "2026-11-20")
    items = json.loads(cli.ok("due", "--date", "2026-11-25", "--format", "json").stdout)
    call = next(i for i in items if i["kind"] == "transition_call")
    assert call["status"] == "overdue" and call["missed"] is True and call["days_overdue"] == 1


def test_pending_calls_lists_open_transition_calls(cli, write, read):
    from caseload.services import transitions

    add(cli, "P-1", "high")
    cli.ok("patients", "transition", "P-1", "--discharged-on", "2026-11-20")
    with read() as s:
        pending = transitions.pending_calls(s)
    assert [p["due_on"] for p in pending] == [date(2026, 11, 24)]


def test_errors(cli):
    assert cli("patients", "transition", "NOPE", "--discharged-on", "today").exit_code == 1
    add(cli, "P-1", "high")
    r = cli("patients", "transition", "P-1", "--discharged-on", "soon")
    assert r.exit_code == 2 and "'--discharged-on'" in r.stderr
    r = cli("patients", "transition", "P-1", "--discharged-on", "+30d")
    assert r.exit_code == 1 and "in the future" in r.stderr
    r = cli("patients", "transition", "P-1", "--discharged-on", "today", "--setting", "outpatient")
    assert r.exit_code == 2 and "'--setting'" in r.stderr


def test_a_discharge_tomorrow_is_refused_and_nothing_is_written(cli):
    add(cli, "P-1", "high")
    r = cli("patients", "transition", "P-1", "--discharged-on", "tomorrow")
    assert (r.exit_code, r.stderr) == (1, "caseload: the discharge date is in the future\n")
    assert json.loads(cli.ok("followups", "list", "--format", "json").stdout) == []
    assert json.loads(cli.ok("patients", "transitions", "--format", "json").stdout) == []


def test_one_rule_for_every_caller(write):
    """The service refuses the future whoever calls it (the TUI form and feeds call it too)."""
    from caseload.errors import Invalid
    from caseload.services import patients, schedule, transitions

    day = date(2026, 11, 20)
    with write() as s:
        patients.add(s, external_id="P-1", given_name="A", family_name="B")
        with pytest.raises(Invalid, match=r"^the discharge date is in the future$"):
            transitions.record(s, "P-1", discharged_on=date(2026, 11, 21), today=day)
        with pytest.raises(Invalid, match=r"^the discharge date is more than 30 days ago$"):
            transitions.record(
                s, "P-1", discharged_on=date(2026, 10, 20), today=day, max_age_days=30
            )
        with pytest.raises(Invalid, match=r"^setting must be one of inpatient, emergency$"):
            transitions.record(s, "P-1", discharged_on=day, today=day, setting="outpatient")
        made = transitions.record(s, "P-1", discharged_on=day, today=day)
    assert made["setting"] == "inpatient"
    assert schedule.discharge_date_problem(day, day) is None
    assert (
        schedule.discharge_date_problem(date(2026, 11, 21), day)
        == "the discharge date is in the future"
    )


def test_an_emergency_visit_gets_a_7_day_call_instead_of_the_visit(cli):
    add(cli, "P-1", "high")
    r = cli.ok(
        "patients",
        "transition",
        "P-1",
        "--discharged-on",
        "2026-11-20",
        "--setting",
        "emergency",
        "--facility",
        "City ED",
    )
    assert r.stderr == (
        "Recorded the emergency department discharge of patient P-1 on 2026-11-20.\n"
        "  follow-up 1: Post-discharge call, due 2026-11-24\n"
        "  follow-up 2: 7-day follow-up call after ED visit, due 2026-11-27\n"
    )
    rows = json.loads(cli.ok("followups", "list", "--format", "json").stdout)
    assert [(f["kind"], f["due_on"]) for f in rows] == [
        ("transition_call", "2026-11-24"),
        ("call", "2026-11-27"),
    ]
    items = json.loads(cli.ok("due", "--date", "2026-11-27", "--format", "json").stdout)
    assert [i["kind"] for i in items] == ["transition_call", "call"]
    assert all("transition of care +20" in i["priority_reasons"] for i in items)


def seed_discharges(cli):
    """Three discharges: an ED visit whose call is done, an inpatient stay, a cancelled call."""
    add(cli, "P-1", "high")
    add(cli, "P-2", "medium")
    cli.ok(
        "patients", "transition", "P-1", "--discharged-on", "2026-11-20",
        "--setting", "emergency", "--facility", "City ED", "--reason", "asthma attack",
    )  # fmt: skip
    cli.ok(
        "patients", "transition", "P-2", "--discharged-on", "2026-11-18",
        "--facility", "Mercy General Hospital", "--reason", "heart failure exacerbation",
    )  # fmt: skip
    cli.ok("patients", "transition", "P-1", "--discharged-on", "2026-10-02")
    cli.ok("followups", "done", "1", "--at", "2026-11-21 10:00")
    cli.ok("followups", "done", "4", "--at", "2026-11-25 09:00")
    cli.ok("followups", "cancel", "5")


def test_transitions_list_shows_facility_reason_setting_and_steps(cli):
    seed_discharges(cli)
    rows = json.loads(cli.ok("patients", "transitions", "--format", "json").stdout)
    assert [r["discharged_on"] for r in rows] == ["2026-11-20", "2026-11-18", "2026-10-02"]
    ed = rows[0]
    assert {k: ed[k] for k in ("patient_external_id", "facility", "reason", "setting")} == {
        "patient_external_id": "P-1",
        "facility": "City ED",
        "reason": "asthma attack",
        "setting": "emergency",
    }
    assert (ed["call_due_on"], ed["call_done_on"], ed["call_status"]) == (
        "2026-11-24",
        "2026-11-21",
        "done",
    )
    assert (ed["visit_due_on"], ed["followup_call_due_on"]) == (None, "2026-11-27")
    assert (rows[1]["visit_due_on"], rows[1]["visit_done_on"]) == ("2026-12-02", "2026-11-25")
    assert rows[2]["call_status"] == "cancelled"
    one = json.loads(cli.ok("patients", "transitions", "P-2", "--format", "json").stdout)
    assert [r["id"] for r in one] == [2]
    assert (
        len(json.loads(cli.ok("patients", "transitions", "--limit", "1", "-f", "json").stdout)) == 1
    )
    r = cli("patients", "transitions", "NOPE")
    assert (r.exit_code, r.stderr) == (1, "caseload: no patient with external id NOPE\n")


def test_transitions_table_at_80_columns(cli):
    seed_discharges(cli)
    r = cli.ok("patients", "transitions", env={"COLUMNS": "80"})
    assert r.stdout == (
        "patient  discharged  reason               call             then\n"
        "-------  ----------  -------------------  ---------------  ---------------------\n"
        "P-1      2026-11-20  asthma attack        done 2026-11-21  call due 2026-11-27\n"
        "P-2      2026-11-18  heart failure exac…  due 2026-11-20   visit done 2026-11-25\n"
        "P-1      2026-10-02                       cancelled        visit due 2026-10-09\n"
    )
    assert r.stderr == ("(left out to fit 80 columns: setting, facility; --format csv has them)\n")
    wide = cli.ok("patients", "transitions", env={"COLUMNS": "120"})
    assert wide.stdout.splitlines()[2] == (
        "P-1      2026-11-20  emergency  City ED                 asthma attack"
        "             done 2026-11-21  call due 2026-11-27"
    )
    assert wide.stderr == ""
