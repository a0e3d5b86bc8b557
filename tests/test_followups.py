"""Follow-ups: the service, recurrence (with a property test) and `caseload followups …`."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload.errors import Invalid, NotFound


def add_patient(cli, ext="P-1"):
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Ana", "--family-name", "Lopez")


def followups_json(cli, *args):
    return json.loads(cli.ok("followups", "list", *args, "--format", "json").stdout)


def by_id(cli, fid):
    return next(f for f in followups_json(cli, "--status", "all") if f["id"] == fid)


# --- CLI ---------------------------------------------------------------------------


def test_add_then_list_json_with_spec_keys(cli):
    add_patient(cli)
    r = cli.ok(
        "followups",
        "add",
        "P-1",
        "--title",
        "Check glucose log",
        "--due",
        "2025-03-10",
        "--kind",
        "med_review",
        "--priority",
        "2",
        "--window-before",
        "1",
        "--window-after",
        "5",
        "--note",
        "bring the meter",
    )
    assert r.stderr.strip() == "Added follow-up 1 for patient P-1, due 2025-03-10."
    (row,) = followups_json(cli)
    for key in ("id", "patient_external_id", "title", "kind", "due_on", "status"):
        assert key in row
    assert (row["id"], row["patient_external_id"], row["title"], row["kind"]) == (
        1,
        "P-1",
        "Check glucose log",
        "med_review",
    )
    assert (row["due_on"], row["status"], row["priority"]) == ("2025-03-10", "open", 2)
    assert (row["window_before"], row["window_after"], row["notes"]) == (1, 5, "bring the meter")
    assert row["rrule"] is None and row["series_id"] is None and row["completed_at"] is None


def test_add_natural_due_date(cli):
    add_patient(cli)
    r = cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "+3d")
    due = date.today() + timedelta(days=3)
    assert r.stderr.strip() == f"Added follow-up 1 for patient P-1, due {due.isoformat()}."


def test_add_unknown_patient_exits_1(cli):
    r = cli("followups", "add", "NOPE", "--title", "Call", "--due", "today")
    assert r.exit_code == 1
    assert r.stderr.strip() == "caseload: no patient with external id NOPE"


def test_add_bad_due_is_usage_error_naming_due(cli):
    add_patient(cli)
    r = cli("followups", "add", "P-1", "--title", "Call", "--due", "someday")
    assert r.exit_code == 2
    assert "'--due'" in r.stderr and "is not a date" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "rule, why",
    [
        ("FREQ=HOURLY", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY", "leave DTSTART out"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be a whole number of 1 or more"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid"),
        ("every other tuesday", "is not NAME=VALUE"),
        ("FREQ=DAILY;UNTIL=20200101", "it has no dates in the ten years from 2025-03-10"),
    ],
)
def test_add_bad_every_is_usage_error_naming_every(cli, rule, why):
    add_patient(cli)
    r = cli("followups", "add", "P-1", "--title", "Call", "--due", "2025-03-10", "--every", rule)
    assert r.exit_code == 2, r.stderr
    assert "'--every'" in r.stderr and why in r.stderr
    assert "Traceback" not in r.stderr
    assert followups_json(cli) == []


def test_bad_kind_and_priority_are_usage_errors(cli):
    add_patient(cli)
    base = ("followups", "add", "P-1", "--title", "Call", "--due", "today")
    r = cli(*base, "--kind", "party")
    assert r.exit_code == 2 and "'--kind'" in r.stderr
    r = cli(*base, "--priority", "5")
    assert r.exit_code == 2 and "'--priority'" in r.stderr
    r = cli(*base, "--from-completion")
    assert r.exit_code == 2 and "'--from-completion'" in r.stderr


def test_done_records_the_contact_the_contacts_service_returns(cli, read):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Visit", "--due", "2025-03-10", "--kind", "visit")
    r = cli.ok("followups", "done", "1", "--note", "all well", "--at", "2025-03-11T14:00")
    assert r.stderr.strip() == "Completed follow-up 1; recorded contact 1."
    f = by_id(cli, 1)
    assert (f["status"], f["completed_contact_id"]) == ("done", 1)
    from caseload.services import contacts

    with read() as s:
        (c,) = contacts.list_contacts(s, "P-1")
    assert (c["id"], c["followup_id"], c["method"], c["outcome"], c["note"]) == (
        1,
        1,
        "home_visit",  # from the kind
        "reached",
        "all well",
    )
    assert c["at"] == datetime.combine(date(2025, 3, 11), time(14)).astimezone()
    assert datetime.fromisoformat(f["completed_at"]) == c["at"]
    assert followups_json(cli) == []  # nothing open: it was not recurring


def test_done_with_method_and_outcome(cli):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "today")
    cli.ok("followups", "done", "1", "--method", "text", "--outcome", "left_message")
    (c,) = json.loads(cli.ok("contacts", "list", "-f", "json").stdout)
    assert (c["method"], c["outcome"]) == ("text", "left_message")
    r = cli("followups", "done", "1", "--method", "pigeon")
    assert r.exit_code == 2 and "'--method'" in r.stderr


def test_weekly_from_due_date_completed_late(cli):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "2025-01-06", "--every", "weekly")
    # Done two weeks late: the next is the one right after the due date, not after today.
    r = cli.ok("followups", "done", "1", "--at", "2025-01-20T09:00")
    assert r.stderr.strip().splitlines() == [
        "Completed follow-up 1; recorded contact 1.",
        "Next follow-up 2 due 2025-01-13.",
    ]
    (nxt,) = followups_json(cli)
    assert (nxt["id"], nxt["due_on"], nxt["series_id"], nxt["rrule"]) == (
        2,
        "2025-01-13",
        1,
        "FREQ=WEEKLY",
    )
    assert (nxt["title"], nxt["kind"], nxt["status"]) == ("Call", "call", "open")


def test_weekly_from_completion_counts_from_the_completion_date(cli):
    add_patient(cli)
    cli.ok(
        "followups",
        "add",
        "P-1",
        "--title",
        "Call",
        "--due",
        "2025-01-06",
        "--every",
        "FREQ=WEEKLY",
        "--from-completion",
        "--priority",
        "2",
        "--window-after",
        "2",
    )
    r = cli.ok("followups", "done", "1", "--at", "2025-01-09T16:00")
    assert "Next follow-up 2 due 2025-01-16." in r.stderr
    (nxt,) = followups_json(cli)
    assert (nxt["due_on"], nxt["from_completion"], nxt["priority"], nxt["window_after"]) == (
        "2025-01-16",
        True,
        2,
        2,
    )


def test_count_2_ends_the_series(cli):
    add_patient(cli)
    cli.ok(
        "followups", "add", "P-1", "--title", "Call", "--due", "2025-01-06", "--every",
        "FREQ=WEEKLY;COUNT=2",
    )  # fmt: skip
    cli.ok("followups", "done", "1", "--at", "2025-01-06T10:00")
    r = cli.ok("followups", "done", "2", "--at", "2025-01-13T10:00")
    assert r.stderr.strip().splitlines() == [
        "Completed follow-up 2; recorded contact 2.",
        "The series has ended.",
    ]
    assert followups_json(cli) == []
    assert [f["due_on"] for f in followups_json(cli, "--status", "done")] == [
        "2025-01-06",
        "2025-01-13",
    ]


def test_monthly_by_month_day_stays_aligned(cli):
    add_patient(cli)
    cli.ok(
        "followups", "add", "P-1", "--title", "Refill", "--due", "2025-01-31", "--every",
        "FREQ=MONTHLY;BYMONTHDAY=31",
    )  # fmt: skip
    for fid in (1, 2):
        cli.ok("followups", "done", str(fid), "--at", "2025-06-01T10:00")
    assert [f["due_on"] for f in followups_json(cli, "--status", "all")] == [
        "2025-01-31",
        "2025-03-31",  # February has no 31st: skipped by the rule, not shifted
        "2025-05-31",
    ]


def test_completing_twice_exits_1(cli):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "today")
    cli.ok("followups", "done", "1")
    r = cli("followups", "done", "1")
    assert r.exit_code == 1
    assert r.stderr.strip() == "caseload: follow-up 1 is done already"
    assert len(json.loads(cli.ok("contacts", "list", "-f", "json").stdout)) == 1


def test_unknown_followup_exits_1(cli):
    for args in (("done", "99"), ("cancel", "99"), ("show", "99")):
        r = cli("followups", *args)
        assert r.exit_code == 1
        assert r.stderr.strip() == "caseload: no follow-up with id 99"


def test_cancel_series_stops_the_recurrence(cli):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "2025-01-06", "--every", "weekly")
    cli.ok("followups", "done", "1", "--at", "2025-01-06T10:00")
    r = cli.ok("followups", "cancel", "2", "--series", "--reason", "moved away")
    assert r.stderr.strip() == "Cancelled 1 follow-up of the series of follow-up 2."
    assert followups_json(cli) == []
    cancelled = followups_json(cli, "--status", "cancelled")
    assert [(f["id"], f["cancelled_reason"]) for f in cancelled] == [(2, "moved away")]
    r = cli("followups", "done", "2")
    assert r.exit_code == 1 and r.stderr.strip() == "caseload: follow-up 2 is cancelled already"


def test_cancel_one_occurrence_skips_to_the_next(cli):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "2025-01-06", "--every", "weekly")
    r = cli.ok("followups", "cancel", "1", "--reason", "in hospital")
    assert r.stderr.strip().splitlines() == [
        "Cancelled follow-up 1.",
        "Next follow-up 2 due 2025-01-13.",
    ]
    assert [(f["id"], f["due_on"]) for f in followups_json(cli)] == [(2, "2025-01-13")]


def test_cancel_plain_followup(cli):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "today")
    assert cli.ok("followups", "cancel", "1").stderr.strip() == "Cancelled follow-up 1."
    assert by_id(cli, 1)["status"] == "cancelled"
    r = cli("followups", "cancel", "1")
    assert r.exit_code == 1 and r.stderr.strip() == "caseload: follow-up 1 is cancelled already"


def test_list_filters_by_patient_status_and_limit(cli):
    add_patient(cli, "P-1")
    add_patient(cli, "P-2")
    cli.ok("followups", "add", "P-1", "--title", "A", "--due", "2025-02-01")
    cli.ok("followups", "add", "P-2", "--title", "B", "--due", "2025-01-01")
    cli.ok("followups", "add", "P-1", "--title", "C", "--due", "2025-01-15")
    cli.ok("followups", "done", "3")
    assert [f["id"] for f in followups_json(cli)] == [2, 1]
    assert [f["id"] for f in followups_json(cli, "--status", "all")] == [2, 3, 1]
    assert [f["id"] for f in followups_json(cli, "P-1", "--status", "all")] == [3, 1]
    assert [f["id"] for f in followups_json(cli, "--status", "done")] == [3]
    assert [f["id"] for f in followups_json(cli, "--status", "all", "--limit", "1")] == [2]
    r = cli("followups", "list", "--status", "late")
    assert r.exit_code == 2 and "'--status'" in r.stderr
    lines = cli.ok("followups", "list", "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("id,patient_external_id,title,kind,due_on,status,")
    assert lines[1].startswith("2,P-2,B,call,2025-01-01,open,")


# --- service -----------------------------------------------------------------------


@pytest.fixture
def patient(write):
    from caseload.services import patients

    with write() as s:
        patients.add(s, external_id="P-1", given_name="Ana", family_name="Lopez")
    return "P-1"


def test_normalise_rrule_presets_and_refusals():
    from caseload.services.followups import BadRule, normalise_rrule

    assert normalise_rrule("Weekly") == "FREQ=WEEKLY"
    assert normalise_rrule("biweekly") == "FREQ=WEEKLY;INTERVAL=2"
    assert normalise_rrule("quarterly") == "FREQ=MONTHLY;INTERVAL=3"
    assert normalise_rrule("daily") == "FREQ=DAILY"
    assert normalise_rrule("monthly") == "FREQ=MONTHLY"
    assert normalise_rrule("rrule:freq=weekly; byday=mo,th") == "FREQ=WEEKLY;BYDAY=MO,TH"
    assert (
        normalise_rrule("FREQ=WEEKLY;UNTIL=20250301T235959Z") == "FREQ=WEEKLY;UNTIL=20250301T235959"
    )
    assert normalise_rrule("  ") is None
    for bad in (
        "FREQ=DAILY;BYHOUR=9",
        "FREQ=WEEKLY;COUNT=2;UNTIL=20250101",
        "FREQ=WEEKLY;FREQ=DAILY",
    ):
        with pytest.raises(BadRule) as exc:
            normalise_rrule(bad)
        assert exc.value.message.startswith(f"--every {bad!r} is not a usable recurrence: ")
        assert isinstance(exc.value, Invalid)


def test_service_add_validates(write, patient):
    from caseload.services import followups

    with write() as s:
        with pytest.raises(Invalid, match=r"^title is required$"):
            followups.add(s, patient, title=" ", due_on=date(2025, 1, 1))
        with pytest.raises(Invalid, match=r"^priority must be 1 \(urgent\) to 4 \(low\)$"):
            followups.add(s, patient, title="x", due_on=date(2025, 1, 1), priority=0)
        with pytest.raises(Invalid, match=r"^window_after must be a whole number of days"):
            followups.add(s, patient, title="x", due_on=date(2025, 1, 1), window_after=-1)
        with pytest.raises(Invalid, match=r"^kind must be one of call, visit"):
            followups.add(s, patient, title="x", due_on=date(2025, 1, 1), kind="party")
        with pytest.raises(Invalid, match=r"^due_on must be a date$"):
            followups.add(s, patient, title="x", due_on="2025-01-01")
        with pytest.raises(Invalid, match=r"^from_completion needs a recurrence"):
            followups.add(s, patient, title="x", due_on=date(2025, 1, 1), from_completion=True)
        with pytest.raises(NotFound, match=r"^no patient with external id P-9$"):
            followups.add(s, "P-9", title="x", due_on=date(2025, 1, 1))
        f = followups.add(s, patient, title="x", due_on=date(2025, 1, 1), rrule="monthly")
        assert (f["series_id"], f["rrule"]) == (f["id"], "FREQ=MONTHLY")
        with pytest.raises(NotFound, match=r"^no follow-up with id 42$"):
            followups.get(s, 42)
        assert followups.get(s, f["id"]) == f


def test_from_completion_count_is_the_series_length(write, patient):
    from caseload.services import followups

    with write() as s:
        f = followups.add(
            s,
            patient,
            title="x",
            due_on=date(2025, 1, 6),
            rrule="FREQ=DAILY;INTERVAL=3;COUNT=2",
            from_completion=True,
        )
        done = followups.complete(s, f["id"], at=datetime(2025, 1, 10, 12).astimezone())
        assert done["next"]["due_on"] == date(2025, 1, 13)
        last = followups.complete(s, done["next"]["id"], at=datetime(2025, 1, 20, 12).astimezone())
        assert last["next"] is None


def test_completion_is_audited_without_patient_data(write, read, patient):
    from caseload.services import audit, followups

    with write() as s:
        f = followups.add(s, patient, title="Secret title", due_on=date(2025, 1, 6), rrule="weekly")
        done = followups.complete(s, f["id"], note="secret note")
        followups.cancel(s, done["next"]["id"], series=True, reason="secret reason")
    with read() as s:
        events = audit.list_events(s)
        assert audit.verify(s) == []
    assert [e["action"] for e in events][-5:] == [
        "followup.add",
        "contact.log",
        "followup.done",
        "followup.next",
        "followup.cancel",
    ]
    assert not any("secret" in e["detail"].lower() for e in events)


# --- property: completing one by one walks the rule exactly -------------------------

_serial = itertools.count(1)
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw):
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(1, 3))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY" and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.integers(1, 31))}")
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 5))}")
    return ";".join(parts)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rule=rules(), start=st.dates(date(2020, 1, 1), date(2025, 12, 31)))
def test_completing_one_by_one_yields_exactly_the_rule(write, rule, start):
    from dateutil.rrule import rrulestr

    from caseload.services import followups, patients

    # The series starts on the rule's first date on or after ``start``.
    first = rrulestr(rule, dtstart=datetime.combine(start, time()))[0].date()
    expected = [
        d.date()
        for d in itertools.islice(rrulestr(rule, dtstart=datetime.combine(first, time())), 6)
    ]
    ext = f"H-{next(_serial)}"
    with write() as s:
        patients.add(s, external_id=ext, given_name="H", family_name="Test")
        f = followups.add(s, ext, title="x", due_on=first, rrule=rule)
    series_id = f["id"]
    seen = [f["due_on"]]
    while f is not None and len(seen) < 6:
        with write() as s:
            f = followups.complete(s, f["id"])["next"]
        if f is not None:
            seen.append(f["due_on"])
            assert f["series_id"] == series_id
    assert seen == expected[: len(seen)]
    if len(expected) < 6:  # a COUNT ended the series: exactly there, not before or after
        assert seen == expected
    with write() as s:
        assert len(followups.list_followups(s, ext, status=None)) == len(seen)


def test_window_limit_matches_the_due_list_scan_bound(cli):
    from caseload.services import duelist, followups

    assert followups.MAX_WINDOW_DAYS == duelist.MAX_WINDOW_BEFORE
    cli.ok("patients", "add", "--external-id", "W-1", "--given-name", "A", "--family-name", "B")
    r = cli("followups", "add", "W-1", "--title", "T", "--due", "+90d", "--window-before", "61")
    assert r.exit_code == 1 and "from 0 to 60" in r.stderr
    cli.ok("followups", "add", "W-1", "--title", "T", "--due", "+60d", "--window-before", "60")
    titles = [i["title"] for i in json.loads(cli.ok("due", "--format", "json").stdout)]
    assert titles == ["T"]
