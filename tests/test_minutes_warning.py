"""The mid-month care-minutes warning (issue 12, measure 3): who is within a few minutes of
a CCM/CHW threshold while days are left, in the due list's header and on Today."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.tui_helpers import sync, until

DAY = date(2026, 11, 16)  # a Monday, fourteen days left in November


@pytest.fixture
def minutes(cli):
    """Month-to-date minutes: 17 (near 20), 22 (past 20, far from 40), 57 (near 60),
    18 for a patient no longer active, 19 last month, and an addendum that adds none."""
    for ext, given in (("A-1", "Ana"), ("B-2", "Ben"), ("C-3", "Cy"), ("D-4", "Dee")):
        cli.ok("patients", "add", "--external-id", ext, "--given-name", given,
               "--family-name", "Lee")  # fmt: skip
    for ext, at, mins in (
        ("A-1", "2026-11-02 10:00", "10"), ("A-1", "2026-11-09 10:00", "7"),
        ("B-2", "2026-11-03 10:00", "22"),
        ("C-3", "2026-11-04 10:00", "40"), ("C-3", "2026-11-12 10:00", "17"),
        ("D-4", "2026-11-05 10:00", "18"),
        ("B-2", "2026-10-30 10:00", "19"),  # October: not this month's
    ):  # fmt: skip
        cli.ok("contacts", "log", ext, "--method", "phone", "--outcome", "reached",
               "--at", at, "--duration", mins)  # fmt: skip
    cli.ok("contacts", "addendum", "1", "--note", "called back about the pharmacy")
    cli.ok("patients", "discharge", "D-4", "--reason", "moved away", "--on", "2026-11-10")
    return cli


def test_the_count_is_of_active_patients_near_a_threshold(minutes, engine):
    from caseload.services.reports.activity import near_note, near_this_month
    from caseload.store.engine import session

    with session(engine) as s:
        conn = s.connection().connection.dbapi_connection
        assert near_this_month(conn, DAY) == (2, 14)
        assert near_this_month(conn, date(2026, 11, 30)) == (0, 0)  # the month is over
        assert near_this_month(conn, date(2026, 12, 1))[0] == 0  # a new month starts at 0
    assert near_note(2, 14) == (
        "2 patients within 5 minutes of a care-minutes threshold with 14 days left this "
        "month (caseload report --detail)"
    )
    assert near_note(1, 1).startswith("1 patient within") and "1 day left" in near_note(1, 1)


def test_the_due_lists_for_people_carry_it_and_json_stays_the_list(minutes):
    text = minutes.ok("due", "--date", DAY.isoformat()).stdout.splitlines()
    ruler = text.index("=" * 80)
    assert text[ruler - 2 : ruler] == [
        "2 patients within 5 minutes of a care-minutes threshold with 14 days left this",
        "month (caseload report --detail)",
    ]
    assert all(len(line) <= 80 for line in text)
    table = minutes.ok("due", "--date", DAY.isoformat(), "--format", "table").stdout
    assert "2 patients within 5 minutes of a care-minutes threshold" in table
    md = minutes.ok("due", "--date", DAY.isoformat(), "--format", "markdown").stdout
    assert "care-minutes threshold" in md
    r = minutes.ok("due", "--date", DAY.isoformat(), "--format", "json")
    assert json.loads(r.stdout) == [] and "threshold" not in r.stderr


@sync
async def test_today_says_how_many_are_near(minutes):
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    app = CaseloadApp(minutes.db, today=DAY, key=read_key_file(minutes.key))
    async with app.run_test(size=(80, 24)) as pilot:

        def counts() -> str:
            return str(app.screen.query_one("#today-counts").render())

        await until(pilot, lambda: app.screen.id == "today" and "near" in counts())
        assert counts() == "Overdue 0 · Due today 0 · Coming up 0 · 2 near a minutes threshold"


def test_the_report_counts_the_same_patients_as_the_due_line(minutes, engine):
    """The due line points at `caseload report --detail`: both count active patients only
    (D-4, near 20 minutes but discharged, is in neither)."""
    from caseload.services import reports
    from caseload.services.reports.activity import near_this_month
    from caseload.store.engine import session

    with session(engine) as s:
        conn = s.connection().connection.dbapi_connection
        rep = reports.build(conn, reports.Period.month(2026, 11), today=DAY, detail=True)
        count, _left = near_this_month(conn, DAY)
    [fig] = [f for m in rep.measures for f in m.figures if f.key == "near_threshold"]
    assert (fig.numerator, count) == (2, 2)
    assert fig.label == "Within 5 minutes of a threshold, 14 days left this month"
    assert sorted(row["result"] for row in fig.detail) == ["near", "near"]
