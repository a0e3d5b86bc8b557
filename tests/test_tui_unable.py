"""Closing a follow-up as "unable to reach" from the Patient screen's Follow-ups tab: the
completion form's reason goes through ``attempts.close_unable``, as the CLI's does."""

from __future__ import annotations

import pytest

from tests.tui_helpers import DAY, settle, sync, until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def calls(write):
    """One patient with two open calls: one with 3 failed attempts logged, one with 1."""
    from caseload.services import contacts, followups, patients

    with write() as s:
        patients.add(s, external_id="P-1", given_name="Ana", family_name="Lopez")
        ids = []
        for title, tries in (("Call back", 3), ("Check in", 1)):
            f = followups.add(s, "P-1", title=title, due_on=DAY, kind="call")
            for _ in range(tries):
                contacts.log(s, "P-1", method="phone", outcome="no_answer", followup_id=f["id"])
            ids.append(f["id"])
    return ids


@pytest.fixture
def make_app(cli, calls):
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    app = CaseloadApp(cli.db, today=DAY, key=read_key_file(cli.key))
    app.NOTIFICATION_TIMEOUT = 3600  # toasts stay readable however slow the machine
    return app


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def close_unable(pilot, fid: int, outcome: str = "") -> None:
    """From the patient's Follow-ups tab: d, reason "moved", the outcome ("": no new
    attempt), save."""
    app = pilot.app
    table = app.screen.query_one("#followups")
    table.move_cursor(row=table.get_row_index(str(fid)))
    await pilot.press("d")
    await until(pilot, lambda: app.screen.__class__.__name__ == "CompleteFollowUpForm")
    form = app.screen
    form.query_one("#f-unable_reason").value = "moved"
    form.query_one("#f-outcome").value = outcome
    await pilot.pause()
    await pilot.press("ctrl+s")
    await until(pilot, lambda: app.screen.id == "patient" and toasts(app))
    await settle(pilot)


@sync
async def test_closing_as_unable_to_reach_from_the_followups_tab(make_app, calls, read):
    from caseload.services import contacts, followups

    app = make_app
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.id == "today")
        app.open_patient("P-1")
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        await settle(pilot)
        await close_unable(pilot, calls[0])
        assert toasts(app) == ["Closed as unable to reach after 3 attempts"]
        app._notifications.clear()
        await close_unable(pilot, calls[1])
        # (the toast wraps the message; the words are the CLI's)
        assert [" ".join(t.split()) for t in toasts(app)] == [
            f"follow-up {calls[1]} has 1 failed attempt; closing it as unable to reach "
            "takes 3 ([followups] attempts_before_unable)"
        ]
        app._notifications.clear()
        # A new attempt given with it is recorded (it happened), and the call stays open.
        await close_unable(pilot, calls[1], "no_answer")
        assert [" ".join(t.split()) for t in toasts(app)] == [
            "Attempt recorded (2 of 3 failed); closing it as unable to reach takes 3"
        ]
    with read() as s:
        done, still = (followups.get(s, fid) for fid in calls)
        attempts = contacts.list_contacts(s, "P-1")
    assert (done["status"], done["unable_reason"], done["completed_contact_id"]) == (
        "done",
        "moved",
        None,
    )
    assert (still["status"], still["unable_reason"]) == ("open", None)
    assert sum(c["followup_id"] == calls[1] for c in attempts) == 2
