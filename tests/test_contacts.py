"""Contacts: the service and `caseload contacts …` on a real encrypted store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from caseload.errors import Invalid, NotFound

KEYS = [
    "id",
    "patient_external_id",
    "at",
    "method",
    "party",
    "outcome",
    "duration_min",
    "note",
    "followup_id",
    "addendum_to",
    "goal_ids",
]


def add_patient(cli, ext="P-1"):
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Ana", "--family-name", "Lopez")


def contacts_json(cli, *args):
    return json.loads(cli.ok("contacts", "list", *args, "--format", "json").stdout)


def age(write, contact_id, hours):
    """Make a contact look as if it was recorded ``hours`` ago."""
    from caseload.models import Contact

    with write() as s:
        c = s.get(Contact, contact_id)
        c.created_at = datetime.now(UTC) - timedelta(hours=hours)
        s.add(c)


# --- CLI ---------------------------------------------------------------------------


def test_log_then_list_as_json_with_spec_keys(cli):
    add_patient(cli)
    r = cli.ok(
        "contacts",
        "log",
        "P-1",
        "--method",
        "phone",
        "--outcome",
        "reached",
        "--note",
        "talked about meds",
        "--at",
        "2025-03-04T09:30:00+00:00",
        "--party",
        "caregiver",
        "--duration",
        "15",
    )
    assert r.stderr.strip() == "Logged contact 1 for patient P-1."
    rows = contacts_json(cli)
    assert list(rows[0]) == KEYS
    row = rows[0]
    assert (row["id"], row["patient_external_id"], row["method"], row["outcome"]) == (
        1,
        "P-1",
        "phone",
        "reached",
    )
    assert (row["party"], row["duration_min"], row["note"]) == (
        "caregiver",
        15,
        "talked about meds",
    )
    assert datetime.fromisoformat(row["at"]) == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    assert row["followup_id"] is None and row["addendum_to"] is None and row["goal_ids"] == []


def test_log_unknown_patient_exits_1(cli):
    r = cli("contacts", "log", "NOPE", "--method", "phone", "--outcome", "reached")
    assert r.exit_code == 1
    assert r.stderr.strip() == "caseload: no patient with external id NOPE"


def test_log_bad_method_is_usage_error_listing_choices(cli):
    add_patient(cli)
    r = cli("contacts", "log", "P-1", "--method", "fax", "--outcome", "reached")
    assert r.exit_code == 2
    assert "'--method'" in r.stderr and "'home visit'" in r.stderr
    assert "Traceback" not in r.stderr


def test_log_bad_at_is_usage_error_naming_the_option(cli):
    add_patient(cli)
    r = cli("contacts", "log", "P-1", "--method", "phone", "--outcome", "reached", "--at", "soon")
    assert r.exit_code == 2
    assert "'--at'" in r.stderr and "is not a date" in r.stderr


def test_log_in_the_future_is_refused(cli):
    add_patient(cli)
    r = cli("contacts", "log", "P-1", "--method", "phone", "--outcome", "reached", "--at", "+2d")
    assert r.exit_code == 1
    assert r.stderr.strip() == "caseload: the contact time is in the future"
    assert contacts_json(cli) == []


def test_log_with_a_date_and_negative_duration(cli):
    add_patient(cli)
    r = cli(
        "contacts", "log", "P-1", "--method", "phone", "--outcome", "reached", "--duration", "-1"
    )
    assert r.exit_code == 2 and "'--duration'" in r.stderr
    cli.ok(
        "contacts", "log", "P-1", "--method", "text", "--outcome", "no_answer", "--at", "yesterday"
    )
    (row,) = contacts_json(cli)
    local = datetime.fromisoformat(row["at"]).astimezone()
    assert local.date() == datetime.now().astimezone().date() - timedelta(days=1)
    assert row["outcome"] == "no_answer"


def test_list_newest_first_addenda_follow_their_contact(cli):
    add_patient(cli, "P-1")
    add_patient(cli, "P-2")
    for ext, at in (
        ("P-1", "2025-01-01T10:00"),
        ("P-2", "2025-01-02T10:00"),
        ("P-1", "2025-01-03T10:00"),
    ):
        cli.ok("contacts", "log", ext, "--method", "phone", "--outcome", "reached", "--at", at)
    r = cli.ok("contacts", "addendum", "1", "--note", "forgot: BP was high")
    assert r.stderr.strip() == "Added addendum 4 to contact 1."
    rows = contacts_json(cli)
    assert [(r["id"], r["addendum_to"]) for r in rows] == [(3, None), (2, None), (1, None), (4, 1)]
    assert rows[3]["note"] == "forgot: BP was high" and rows[3]["patient_external_id"] == "P-1"
    assert [r["id"] for r in contacts_json(cli, "P-1")] == [3, 1, 4]
    assert [r["id"] for r in contacts_json(cli, "--since", "2025-01-02")] == [3, 2]
    assert [r["id"] for r in contacts_json(cli, "--limit", "2")] == [3, 2]
    lines = cli.ok("contacts", "list", "P-2", "--format", "csv").stdout.splitlines()
    assert lines[0] == ",".join(KEYS)
    assert lines[1].startswith("2,P-2,")


def test_list_unknown_patient_and_bad_since(cli):
    r = cli("contacts", "list", "NOPE")
    assert r.exit_code == 1 and r.stderr.strip() == "caseload: no patient with external id NOPE"
    r = cli("contacts", "list", "--since", "2025-13-01")
    assert r.exit_code == 2 and "'--since'" in r.stderr


def test_edit_a_recent_contact(cli):
    add_patient(cli)
    cli.ok("contacts", "log", "P-1", "--method", "phone", "--outcome", "no_answer")
    r = cli.ok(
        "contacts", "edit", "1", "--outcome", "reached", "--note", "fixed", "--duration", "7"
    )
    assert r.stderr.strip() == "Updated contact 1."
    (row,) = contacts_json(cli)
    assert (row["outcome"], row["note"], row["duration_min"]) == ("reached", "fixed", 7)
    assert cli("contacts", "edit", "1").exit_code == 2


def test_edit_older_than_24_hours_is_refused_addendum_allowed(cli, write):
    add_patient(cli)
    cli.ok("contacts", "log", "P-1", "--method", "phone", "--outcome", "no_answer", "--note", "x")
    age(write, 1, 25)
    r = cli("contacts", "edit", "1", "--note", "changed")
    assert r.exit_code == 1
    assert r.stderr.strip() == "caseload: contact 1 is older than 24 hours: add an addendum instead"
    cli.ok("contacts", "addendum", "1", "--note", "correction")
    rows = contacts_json(cli)
    assert [(r["id"], r["note"], r["addendum_to"]) for r in rows] == [
        (1, "x", None),
        (2, "correction", 1),
    ]


def test_unknown_contact_exits_1(cli):
    r = cli("contacts", "addendum", "9", "--note", "x")
    assert r.exit_code == 1 and r.stderr.strip() == "caseload: no contact with id 9"
    r = cli("contacts", "edit", "9", "--note", "x")
    assert r.exit_code == 1 and r.stderr.strip() == "caseload: no contact with id 9"


def test_log_with_followup_of_another_patient_is_refused(cli):
    add_patient(cli, "P-1")
    add_patient(cli, "P-2")
    cli.ok("followups", "add", "P-2", "--title", "Call", "--due", "today")
    args = ("--method", "phone", "--outcome", "reached", "--followup", "1")
    r = cli("contacts", "log", "P-1", *args)
    assert r.exit_code == 1 and r.stderr.strip() == "caseload: follow-up 1 is not for patient P-1"
    cli.ok("contacts", "log", "P-2", *args)
    assert contacts_json(cli)[0]["followup_id"] == 1


# --- service -----------------------------------------------------------------------


@pytest.fixture
def patient(write):
    from caseload.services import patients

    with write() as s:
        patients.add(s, external_id="P-1", given_name="Ana", family_name="Lopez")
    return "P-1"


def test_service_validates_choices_duration_and_time(write, patient):
    from caseload.services import contacts

    with write() as s:
        with pytest.raises(Invalid, match=r"^method must be one of phone, text"):
            contacts.log(s, patient, method="fax", outcome="reached")
        with pytest.raises(Invalid, match=r"^outcome must be one of reached"):
            contacts.log(s, patient, method="phone", outcome="great")
        with pytest.raises(Invalid, match=r"^party must be one of patient"):
            contacts.log(s, patient, method="phone", outcome="reached", party="neighbour")
        with pytest.raises(Invalid, match=r"^duration_min must be 0 or more$"):
            contacts.log(s, patient, method="phone", outcome="reached", duration_min=-5)
        soon = datetime.now(UTC) + timedelta(minutes=10)
        with pytest.raises(Invalid, match=r"^the contact time is in the future$"):
            contacts.log(s, patient, method="phone", outcome="reached", at=soon)
        with pytest.raises(NotFound, match=r"^no follow-up with id 5$"):
            contacts.log(s, patient, method="phone", outcome="reached", followup_id=5)
        # A laptop clock a minute ahead is not an error.
        c = contacts.log(
            s,
            patient,
            method="Home visit",
            outcome="reached",
            at=datetime.now(UTC) + timedelta(minutes=1),
        )
    assert c["method"] == "home_visit" and c["at"].tzinfo is not None


def test_service_edit_window_uses_created_at(write, patient):
    from caseload.services import contacts

    with write() as s:
        c = contacts.log(s, patient, method="phone", outcome="reached")
    age(write, c["id"], 23)
    with write() as s:
        assert contacts.edit(s, c["id"], duration_min=5)["duration_min"] == 5
        with pytest.raises(Invalid, match=r"^cannot edit contact field 'patient_id'$"):
            contacts.edit(s, c["id"], patient_id=2)
    age(write, c["id"], 24.1)
    with write() as s, pytest.raises(Invalid) as exc:
        contacts.edit(s, c["id"], duration_min=6)
    assert exc.value.message == f"contact {c['id']} is older than 24 hours: add an addendum instead"


def test_service_addendum_of_addendum_amends_the_original(write, patient):
    from caseload.services import contacts

    with write() as s:
        c = contacts.log(s, patient, method="video", outcome="reached", party="caregiver")
        a1 = contacts.addendum(s, c["id"], "first")
        a2 = contacts.addendum(s, a1["id"], "second")
        with pytest.raises(Invalid, match=r"^an addendum needs a note$"):
            contacts.addendum(s, c["id"], "  ")
    assert a2["addendum_to"] == c["id"]
    assert (a2["method"], a2["party"], a2["outcome"]) == ("video", "caregiver", "reached")
    with write() as s:
        listed = contacts.list_contacts(s, patient)
    assert [r["id"] for r in listed] == [c["id"], a1["id"], a2["id"]]


def test_service_links_goals_of_the_patients_plan_only(write, patient):
    from caseload.models import CarePlan, CarePlanProblem, Goal
    from caseload.services import contacts, patients
    from caseload.services.common import utcnow

    with write() as s:
        other = patients.add(s, external_id="P-2", given_name="Bo", family_name="Li")
        goal_ids = []
        for ext in (patient, other["external_id"]):
            pid = patients.get_row(s, ext).id
            plan = CarePlan(patient_id=pid, created_at=utcnow())
            s.add(plan)
            s.flush()
            problem = CarePlanProblem(plan_id=plan.id, description="diabetes")
            s.add(problem)
            s.flush()
            goal = Goal(problem_id=problem.id, description="A1c below 8")
            s.add(goal)
            s.flush()
            goal_ids.append(goal.id)
        c = contacts.log(s, patient, method="phone", outcome="reached", goal_ids=[goal_ids[0]] * 2)
        with pytest.raises(
            Invalid, match=rf"^goal {goal_ids[1]} is not in the care plan of patient P-1$"
        ):
            contacts.log(s, patient, method="phone", outcome="reached", goal_ids=[goal_ids[1]])
    assert c["goal_ids"] == [goal_ids[0]]
    with write() as s:
        assert contacts.list_contacts(s)[0]["goal_ids"] == [goal_ids[0]]


def test_every_contact_write_is_audited_without_patient_data(write, read, patient):
    from caseload.services import audit, contacts

    with write() as s:
        c = contacts.log(s, patient, method="phone", outcome="reached", note="secret note")
        contacts.edit(s, c["id"], note="still secret")
        contacts.addendum(s, c["id"], "more secret")
    with read() as s:
        events = audit.list_events(s)
        assert audit.verify(s) == []
    assert [e["action"] for e in events][-3:] == ["contact.log", "contact.edit", "contact.addendum"]
    assert not any("secret" in e["detail"] for e in events)
