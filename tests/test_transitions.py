"""Transitions of care: the discharge command and the follow-ups it creates."""

from __future__ import annotations

import json
from datetime import date

import pytest


def add(cli, ext, risk):
    cli.ok(
        "patients",
        "add",
        "--external-id",
        ext,
        "--given-name",
        "Test",
        "--family-name",
        "Person",
        "--risk",
        risk,
    )


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
