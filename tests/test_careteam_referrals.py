"""Care team (`caseload careteam …`) and closed-loop referrals (`caseload referrals …`)."""

from __future__ import annotations

import json
from datetime import date

import pytest


def add_patient(cli, ext="P-1"):
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Amina", "--family-name", "Ok")


def team(cli, *args):
    return json.loads(cli.ok("careteam", "list", *args, "--format", "json").stdout)


def referrals(cli, *args):
    return json.loads(cli.ok("referrals", "list", *args, "--format", "json").stdout)


# --- care team -------------------------------------------------------------------


def test_care_team_link_list_unlink(cli):
    add_patient(cli)
    r = cli.ok(
        "careteam",
        "add",
        "--name",
        "Dr Rivera",
        "--role",
        "PCP",
        "--organization",
        "Eastside Clinic",
        "--phone",
        "0201 555",
    )
    assert r.stderr == "Added care team member 1.\n"
    cli.ok("careteam", "add", "--name", "Ngozi", "--role", "caregiver")
    r = cli.ok("careteam", "link", "P-1", "1")
    assert r.stderr == "Linked care team member 1 to patient P-1.\n"
    cli.ok("careteam", "link", "P-1", "2", "--relationship", "daughter")

    assert team(cli, "P-1") == [
        {
            "id": 1,
            "name": "Dr Rivera",
            "role": "PCP",
            "organization": "Eastside Clinic",
            "phone": "0201 555",
            "email": None,
            "relationship": None,
        },
        {
            "id": 2,
            "name": "Ngozi",
            "role": "caregiver",
            "organization": None,
            "phone": None,
            "email": None,
            "relationship": "daughter",
        },
    ]
    assert [m["name"] for m in team(cli)] == ["Dr Rivera", "Ngozi"]
    assert "relationship" not in team(cli)[0]

    r = cli.ok("careteam", "unlink", "P-1", "1")
    assert r.stderr == "Unlinked care team member 1 from patient P-1.\n"
    assert [m["id"] for m in team(cli, "P-1")] == [2]
    assert len(team(cli)) == 2  # the member record stays


def test_care_team_errors(cli):
    add_patient(cli)
    cli.ok("careteam", "add", "--name", "Dr Rivera", "--role", "PCP")
    cli.ok("careteam", "link", "P-1", "1")
    cases = {
        ("link", "P-1", "1"): "care team member 1 is on the care team of P-1 already",
        ("link", "P-1", "9"): "no care team member 9",
        ("link", "NOPE", "1"): "no patient with external id NOPE",
        ("unlink", "P-1", "9"): "care team member 9 is not on the care team of P-1",
        ("list", "NOPE"): "no patient with external id NOPE",
        ("add", "--name", " ", "--role", "PCP"): "name is required",
    }
    for args, message in cases.items():
        r = cli("careteam", *args)
        assert (r.exit_code, r.stderr) == (1, f"caseload: {message}\n"), args
    r = cli("careteam", "add", "--name", "X")
    assert r.exit_code == 2 and "Missing option '--role'" in r.stderr


def test_care_team_edit_and_csv(cli):
    cli.ok("careteam", "add", "--name", "Dr Rivera", "--role", "PCP", "--email", "r@x.org")
    assert cli.ok("careteam", "edit", "1", "--role", "specialist", "--email", "").stderr == (
        "Updated care team member 1.\n"
    )
    lines = cli.ok("careteam", "list", "--format", "csv").stdout.splitlines()
    assert lines == ["id,name,role,organization,phone,email", "1,Dr Rivera,specialist,,,"]
    assert cli("careteam", "edit", "1").exit_code == 2


# --- referrals -------------------------------------------------------------------


def test_referral_full_loop_with_dates(cli):
    add_patient(cli)
    r = cli.ok(
        "referrals",
        "add",
        "P-1",
        "--to",
        "Dr Chen",
        "--reason",
        "cardiology consult",
        "--organization",
        "City Heart",
        "--sent",
        "2026-01-05",
    )
    assert r.stderr == "Added referral 1 (sent 2026-01-05).\n"
    steps = [("accepted", "2026-01-07"), ("completed", "2026-01-20"), ("closed", "2026-01-21")]
    for status, on in steps:
        r = cli.ok("referrals", "update", "1", status, "--on", on)
        assert r.stderr == f"Referral 1 is now {status}.\n"
    assert referrals(cli, "P-1") == [
        {
            "id": 1,
            "patient_external_id": "P-1",
            "to_name": "Dr Chen",
            "to_organization": "City Heart",
            "reason": "cardiology consult",
            "status": "closed",
            "sent_on": "2026-01-05",
            "accepted_on": "2026-01-07",
            "declined_on": None,
            "completed_on": "2026-01-20",
            "closed_on": "2026-01-21",
            "note": None,
        }
    ]
    r = cli("referrals", "update", "1", "completed")
    assert (r.exit_code, r.stderr) == (1, "caseload: referral 1 is closed; the loop is closed\n")


def test_bad_transition_names_the_allowed_next_states(cli):
    add_patient(cli)
    cli.ok("referrals", "add", "P-1", "--to", "Dr Chen", "--reason", "consult")
    r = cli("referrals", "update", "1", "closed")
    assert (r.exit_code, r.stderr) == (
        1,
        "caseload: referral 1 is sent; it can go to accepted or declined\n",
    )
    cli.ok("referrals", "update", "1", "accepted")
    r = cli("referrals", "update", "1", "sent")
    assert r.stderr == "caseload: referral 1 is accepted; it can go to completed or declined\n"
    assert referrals(cli)[0]["status"] == "accepted"


def test_bad_status_word_and_bad_date_are_usage_errors(cli):
    add_patient(cli)
    cli.ok("referrals", "add", "P-1", "--to", "Dr Chen", "--reason", "consult")
    r = cli("referrals", "update", "1", "finished")
    assert r.exit_code == 2
    assert (
        "'finished' is not one of 'sent', 'accepted', 'completed', 'closed', 'declined'" in r.stderr
    )
    r = cli("referrals", "add", "P-1", "--to", "X", "--reason", "Y", "--sent", "2026-13-01")
    assert r.exit_code == 2 and "'--sent'" in r.stderr and "is not a date" in r.stderr
    assert "Traceback" not in r.stderr


def test_step_dated_before_the_previous_one_is_refused(cli):
    add_patient(cli)
    cli.ok("referrals", "add", "P-1", "--to", "X", "--reason", "Y", "--sent", "2026-01-05")
    r = cli("referrals", "update", "1", "accepted", "--on", "2026-01-04")
    assert (r.exit_code, r.stderr) == (
        1,
        "caseload: referral 1: the accepted date is before the sent date\n",
    )
    cli.ok("referrals", "update", "1", "accepted", "--on", "2026-01-05")  # same day is fine
    r = cli("referrals", "update", "1", "completed", "--on", "2026-01-01")
    assert r.stderr == "caseload: referral 1: the completed date is before the accepted date\n"
    assert referrals(cli)[0]["completed_on"] is None


def test_declined_then_closed_keeps_dated_notes_and_open_filter(cli):
    add_patient(cli, "P-1")
    add_patient(cli, "P-2")
    cli.ok("referrals", "add", "P-1", "--to", "A", "--reason", "r", "--note", "faxed")
    cli.ok("referrals", "add", "P-2", "--to", "B", "--reason", "r", "--sent", "2026-02-01")
    cli.ok("referrals", "update", "2", "declined", "--on", "2026-02-03", "--note", "no capacity")
    r = cli("referrals", "update", "2", "closed", "--on", "2026-02-02")
    assert r.exit_code == 1 and "the closed date is before the declined date" in r.stderr
    cli.ok("referrals", "update", "2", "closed", "--on", "2026-02-04")
    closed = referrals(cli, "P-2")[0]
    assert closed["status"] == "closed" and closed["closed_on"] == "2026-02-04"
    assert closed["accepted_on"] is None and closed["completed_on"] is None
    assert closed["declined_on"] == "2026-02-03"
    assert closed["note"] == "2026-02-03 declined: no capacity"
    assert [r["id"] for r in referrals(cli)] == [2, 1]  # oldest sent first
    assert [r["id"] for r in referrals(cli, "--open")] == [1]
    assert referrals(cli, "P-2", "--open") == []
    assert referrals(cli, "P-1")[0]["note"] == "faxed"
    assert [r["id"] for r in referrals(cli, "--limit", "1")] == [2]


def test_unknown_patient_or_referral_exits_1(cli):
    r = cli("referrals", "add", "NOPE", "--to", "X", "--reason", "Y")
    assert (r.exit_code, r.stderr) == (1, "caseload: no patient with external id NOPE\n")
    r = cli("referrals", "list", "NOPE")
    assert (r.exit_code, r.stderr) == (1, "caseload: no patient with external id NOPE\n")
    r = cli("referrals", "update", "7", "accepted")
    assert (r.exit_code, r.stderr) == (1, "caseload: no referral 7\n")


def test_service_defaults_and_validation(write):
    from caseload.errors import Invalid
    from caseload.services import patients
    from caseload.services import referrals as svc

    with write() as s:
        patients.add(s, external_id="P-1", given_name="A", family_name="B")
        r = svc.create(s, "P-1", to_name=" Dr Chen ", reason="consult")
        assert (r["to_name"], r["status"], r["sent_on"]) == ("Dr Chen", "sent", date.today())
        r = svc.advance(s, r["id"], "Accepted")
        assert (r["status"], r["accepted_on"]) == ("accepted", date.today())
    with pytest.raises(Invalid, match=r"^reason is required$"), write() as s:
        svc.create(s, "P-1", to_name="X", reason="")
    with pytest.raises(Invalid, match=r"^referral status must be one of"), write() as s:
        svc.advance(s, 1, "lost")


def test_every_write_is_audited(cli, read):
    from caseload.services import audit

    add_patient(cli)
    cli.ok("careteam", "add", "--name", "Dr Rivera", "--role", "PCP")
    cli.ok("careteam", "edit", "1", "--phone", "555")
    cli.ok("careteam", "link", "P-1", "1", "--relationship", "doctor")
    cli.ok("careteam", "unlink", "P-1", "1")
    cli.ok("referrals", "add", "P-1", "--to", "Dr Chen", "--reason", "consult")
    cli.ok("referrals", "update", "1", "declined", "--note", "full")
    cli.ok("referrals", "update", "1", "closed")
    with read() as s:
        events = audit.list_events(s)
        assert audit.verify(s) == []
    assert [e["action"] for e in events] == [
        "store.init",
        "patient.add",
        "careteam.add",
        "careteam.edit",
        "careteam.link",
        "careteam.unlink",
        "referral.add",
        "referral.declined",
        "referral.closed",
    ]
    assert [e["patient_id"] for e in events[4:]] == [1] * 5
    details = " ".join(e["detail"] for e in events)
    for text in ("Rivera", "Chen", "consult", "full", "555", "doctor"):
        assert text not in details


def test_cli_status_enum_is_the_model_enum():
    from caseload import models
    from caseload.cli import referrals as cli_referrals

    assert cli_referrals.ReferralStatus is models.ReferralStatus


def test_referral_steps_cannot_be_dated_in_the_future(cli):
    add_patient(cli, "P-1")
    r = cli("referrals", "add", "P-1", "--to", "A", "--reason", "r", "--sent", "+10d")
    assert r.exit_code == 1 and "in the future" in r.stderr
    cli.ok("referrals", "add", "P-1", "--to", "A", "--reason", "r")
    r = cli("referrals", "update", "1", "accepted", "--on", "+30d")
    assert r.exit_code == 1 and "in the future" in r.stderr


def test_care_team_list_takes_limit(cli):
    for name in ("Dr A", "Dr B", "Dr C"):
        cli.ok("careteam", "add", "--name", name, "--role", "PCP")
    rows = json.loads(cli.ok("careteam", "list", "--format", "json", "--limit", "2").stdout)
    assert [r["name"] for r in rows] == ["Dr A", "Dr B"]
    assert len(json.loads(cli.ok("careteam", "list", "--format", "json").stdout)) == 3
