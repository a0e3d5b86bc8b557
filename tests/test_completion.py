"""Completing a follow-up with or without a contact: paperwork is not a phone call.

`followups done` records the contact that completed a call or a visit; a task
that reaches nobody (renewing a bus pass) is done with no contact, which then
counts nowhere as one (contacts list, last contact on the due list).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from caseload.services import schedule


def add(cli, kind, title, *extra):
    cli.ok(
        "patients", "add", "--external-id", "P-1", "--given-name", "Test",
        "--family-name", "Person",
    )  # fmt: skip
    cli.ok(
        "followups", "add", "P-1", "--title", title, "--due", "2026-11-20", "--kind", kind, *extra
    )


def contacts(cli):
    return json.loads(cli.ok("contacts", "list", "--format", "json").stdout)


def followup(cli, fid):
    return json.loads(cli.ok("followups", "show", str(fid), "--format", "json").stdout)


def test_paperwork_is_done_with_no_contact_by_default(cli):
    add(cli, "other", "Renew bus pass")
    r = cli.ok("followups", "done", "1", "--note", "renewed at the transit office")
    assert r.stderr == "Completed follow-up 1; no contact recorded.\n"
    assert contacts(cli) == []
    f = followup(cli, 1)
    assert (f["status"], f["completed_contact_id"], f["notes"]) == (
        "done",
        None,
        "renewed at the transit office",
    )
    assert f["completed_at"] is not None


def test_a_task_done_with_no_contact_does_not_count_as_one(cli):
    add(cli, "care_plan_review", "Review the plan")
    cli.ok("followups", "add", "P-1", "--title", "Check-in", "--due", "2026-11-30")
    cli.ok("followups", "done", "1")
    items = json.loads(cli.ok("due", "--date", "2026-11-30", "--format", "json").stdout)
    assert [(i["title"], i["last_contact_on"]) for i in items] == [("Check-in", None)]
    assert "never reached +15" in items[0]["priority_reasons"]


def test_no_contact_on_any_kind_that_is_not_a_call_or_visit(cli):
    add(cli, "med_review", "Check refills with the pharmacy")
    r = cli.ok("followups", "done", "1", "--no-contact")
    assert r.stderr == "Completed follow-up 1; no contact recorded.\n"
    assert contacts(cli) == []


@pytest.mark.parametrize(
    ("kind", "word"),
    [
        ("call", "call"),
        ("visit", "visit"),
        ("transition_call", "transition call"),
        ("transition_visit", "transition visit"),
    ],
)
def test_a_call_or_visit_is_always_done_by_a_contact(cli, kind, word):
    add(cli, kind, "Reach them")
    r = cli("followups", "done", "1", "--no-contact")
    assert (r.exit_code, r.stderr) == (
        1,
        f"caseload: a {word} is done by a contact: "
        "record its outcome (no answer, left message…) instead\n",
    )
    assert followup(cli, 1)["status"] == "open"
    assert contacts(cli) == []


def test_no_contact_with_an_outcome_or_method_is_bad_usage(cli):
    add(cli, "other", "Renew bus pass")
    for option in (("--outcome", "reached"), ("--method", "phone")):
        r = cli("followups", "done", "1", "--no-contact", *option)
        assert r.exit_code == 2, r.stderr
        assert f"Invalid value for '--no-contact': cannot go with {option[0]}" in r.stderr
    assert followup(cli, 1)["status"] == "open"


def test_paperwork_done_by_a_contact_says_so(cli):
    add(cli, "other", "Renew bus pass")
    cli.ok(
        "followups", "add", "P-1", "--title", "Food bank form", "--due", "today", "--kind", "other"
    )
    r = cli.ok("followups", "done", "1", "--outcome", "left_message")
    assert r.stderr == "Completed follow-up 1; recorded contact 1.\n"
    cli.ok("followups", "done", "2", "--contact")
    got = [(c["method"], c["outcome"], c["followup_id"]) for c in contacts(cli)]
    assert sorted(got, key=lambda c: c[2]) == [
        ("phone", "left_message", 1),
        ("phone", "reached", 2),
    ]


def test_calls_still_record_their_contact_by_default(cli):
    add(cli, "visit", "Home visit")
    r = cli.ok("followups", "done", "1")
    assert r.stderr == "Completed follow-up 1; recorded contact 1.\n"
    assert [(c["method"], c["outcome"]) for c in contacts(cli)] == [("home_visit", "reached")]


def test_a_recurring_task_moves_on_and_its_note_stays_with_the_one_done(cli):
    add(cli, "other", "Refill the pill organiser", "--every", "weekly")
    r = cli.ok("followups", "done", "1", "--at", "2026-11-20 10:00", "--note", "filled for 2 weeks")
    assert r.stderr == (
        "Completed follow-up 1; no contact recorded.\nNext follow-up 2 due 2026-11-27.\n"
    )
    assert followup(cli, 1)["notes"] == "filled for 2 weeks"
    assert followup(cli, 2)["notes"] is None


def test_the_service_flag_the_tui_passes(write, read):
    from caseload.services import audit, followups, patients

    with write() as s:
        patients.add(s, external_id="P-1", given_name="A", family_name="B")
        f = followups.add(
            s, "P-1", title="Fax the form", due_on=date(2026, 11, 20), kind="screening"
        )
        done = followups.complete(s, f["id"], no_contact=True)
    assert done["contact_id"] is None and done["status"] == "done"
    with read() as s:
        events = [e for e in audit.list_events(s) if e["action"] == "followup.done"]
    assert json.loads(events[-1]["detail"]) == {"contact_id": None, "no_contact": True}


@pytest.mark.parametrize(
    ("kind", "no_contact", "given", "expected"),
    [
        ("other", None, False, False),
        ("care_plan_review", None, False, False),
        ("other", None, True, True),
        ("other", False, False, True),
        ("screening", None, False, True),
        ("appointment", True, False, False),
        ("call", None, False, True),
        ("call", False, False, True),
    ],
)
def test_records_contact_rule(kind, no_contact, given, expected):
    assert schedule.records_contact(kind, no_contact=no_contact, contact_given=given) is expected


def test_records_contact_rule_refusals():
    with pytest.raises(ValueError, match="a transition visit is done by a contact"):
        schedule.records_contact("transition_visit", no_contact=True, contact_given=False)
    with pytest.raises(ValueError, match="takes no outcome or method"):
        schedule.records_contact("other", no_contact=True, contact_given=True)
    assert [k for k in schedule.DEFAULT_WINDOWS if not schedule.may_skip_contact(k)] == list(
        schedule.CONTACT_KINDS
    )
