"""The TUI through Pilot at 80x24 on a real encrypted demo store: unlock, lock, Today,
Patients, Patient, printing the due list."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.tui_helpers import DAY, settle, sync, until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def demo(engine):
    from caseload.services import demo

    demo.generate(engine, patients=40, seed=3, today=DAY)
    return engine


@pytest.fixture
def make_app(cli, demo):
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    def make(**kw):
        kw.setdefault("key", read_key_file(cli.key))
        return CaseloadApp(cli.db, today=DAY, **kw)

    return make


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


async def open_today(pilot) -> None:
    await until(pilot, lambda: pilot.app.screen.id == "today" and pilot.app.screen.items)


# --- unlock and lock --------------------------------------------------------------------


@sync
async def test_unlock_refuses_a_wrong_key_then_opens_with_the_right_one(make_app, cli):
    app = make_app(key=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.id == "unlock"
        await type_text(pilot, "not-the-key")
        await pilot.press("enter")
        await until(pilot, lambda: "wrong" in str(app.screen.query_one("#unlock-error").render()))
        assert str(app.screen.query_one("#unlock-error").render()) == (
            "wrong key or not a caseload database"
        )
        assert app.store is None
        await type_text(pilot, cli.key.read_text().strip())
        await pilot.press("enter")
        await open_today(pilot)
        assert app.store is not None and not app.locked


@sync
async def test_a_wrong_key_from_a_file_shows_the_unlock_screen(make_app):
    from caseload.store.keys import Key

    app = make_app(key=Key("0" * 64, raw=True, source="test"))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.id == "unlock")
        assert "wrong key or not a caseload database" in str(
            app.screen.query_one("#unlock-error").render()
        )


@sync
async def test_idle_lock_hides_everything_until_the_key_in_use_is_typed(make_app, cli):
    app = make_app(idle_lock_seconds=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await until(pilot, lambda: app.locked)
        assert app.screen.id == "unlock" and app.screen.store is app.store
        # Nothing of the screens underneath is visible, and their keys are dead.
        assert "Overdue" not in "".join(str(s.render()) for s in app.screen.query("Static"))
        assert app.check_action("help", ()) is False
        await type_text(pilot, "0" * 64)
        await pilot.press("enter")
        await until(pilot, lambda: "wrong" in str(app.screen.query_one("#unlock-error").render()))
        assert app.locked
        app.idle_lock_seconds = 3600  # no second lock while the test types
        await type_text(pilot, cli.key.read_text().strip())
        await pilot.press("enter")
        await until(pilot, lambda: not app.locked)
        assert app.screen.id == "today"


def test_run_app_refuses_a_missing_store_without_starting(tmp_path):
    from types import SimpleNamespace

    from caseload.config import Config
    from caseload.errors import StoreMissing
    from caseload.tui.app import run_app

    state = SimpleNamespace(db=tmp_path / "none.db", key_file=None, config=Config)
    with pytest.raises(StoreMissing, match="no caseload store at"):
        run_app(state)


def test_resolve_key_without_a_prompt_returns_none(tmp_path, monkeypatch):
    from caseload.store import keys

    monkeypatch.setattr(keys, "stdin_is_terminal", lambda: True)
    assert keys.resolve_key(tmp_path / "x.db", None, prompt=False) is None


# --- Today ------------------------------------------------------------------------------


@sync
async def test_today_lists_the_due_list_and_opens_a_patient(make_app, read):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        counts = str(app.screen.query_one("#today-counts").render())
        assert counts.startswith("Overdue ")
        first = next(iter(app.screen.items.values()))
        assert first["status"] == "overdue"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        assert app.screen.external_id == first["patient_external_id"]
        await pilot.press("escape")
        assert app.screen.id == "today"


@sync
async def test_completing_a_recurring_follow_up_from_today_schedules_the_next(
    make_app, write, read
):
    from caseload.services import followups, patients

    with write() as s:
        ext = patients.search(s, limit=1).rows[0]["external_id"]
        f = followups.add(
            s, ext, title="Weekly check-in", due_on=DAY, kind="call", priority=1,
            rrule="FREQ=WEEKLY",
        )  # fmt: skip
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        table = app.screen.query_one("#due")
        table.move_cursor(row=table.get_row_index(str(f["id"])))
        await pilot.press("d")
        await until(pilot, lambda: app.screen.__class__.__name__ == "CompleteFollowUpForm")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.id == "today" and str(f["id"]) not in table.rows)
    with read() as s:
        done = followups.get(s, f["id"])
        assert done["status"] == "done" and done["completed_contact_id"] is not None
        series = [x for x in followups.list_followups(s, ext) if x["series_id"] == f["id"]]
        assert [(x["due_on"].isoformat(), x["status"]) for x in series] == [("2026-11-30", "open")]


@sync
async def test_printing_the_due_list_writes_a_private_file_and_audits_it(
    make_app, read, tmp_path, monkeypatch
):
    from caseload.services import audit

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("p")
        await settle(pilot)
    out = tmp_path / "due-2026-11-23.txt"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text()
    assert text.startswith("Due list for Monday 23 November 2026")
    assert max(len(line) for line in text.splitlines()) <= 80
    with read() as s:
        last = audit.list_events(s, limit=1)[0]
    assert last["action"] == "duelist.export" and last["entity_id"] == "2026-11-23"
    detail = json.loads(last["detail"])
    assert detail["format"] == "text" and detail["items"] > 0


# --- Patients ---------------------------------------------------------------------------


def name_matches(p: dict, text: str) -> bool:
    """The finder's name rule: the family-first name, or any word of it, starts with text."""
    from caseload.services.fieldnames import search_key

    key = search_key(p["given_name"], p["family_name"], p["preferred_name"])
    return key.startswith(text) or f" {text}" in f" {key}"


@sync
async def test_patients_search_and_filters(make_app, read):
    from caseload.services import patients

    with read() as s:
        every = patients.search(s).rows
    active = [p for p in every if p["status"] == "active"]
    prefix = active[7]["family_name"][:3].lower()
    expected = {p["external_id"] for p in active if name_matches(p, prefix)}
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.id == "patients")
        table = app.screen.query_one("#patient-table")
        await until(pilot, lambda: table.row_count == len(active))
        assert app.screen.focused.id == "search"
        await type_text(pilot, prefix)
        await until(pilot, lambda: {k.value for k in table.rows} == expected)
        # Filters: every status (s), with no text; then high risk only (r).
        app.screen.query_one("#search").value = ""
        await pilot.press("down", "s")
        await until(pilot, lambda: table.row_count == len(every))
        await pilot.press("r")
        high = {p["external_id"] for p in every if p["risk"] == "high"}
        await until(pilot, lambda: {k.value for k in table.rows} == high)
        assert "risk high (r)" in str(app.screen.query_one("#filters").render())
        assert "status any (s)" in str(app.screen.query_one("#filters").render())


@sync
async def test_patients_search_by_external_id_and_phone(make_app, read):
    from caseload.services import patients

    with read() as s:
        p = patients.search(s, status="active").rows[3]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.id == "patients")
        table = app.screen.query_one("#patient-table")
        await type_text(pilot, p["external_id"])
        await until(pilot, lambda: [k.value for k in table.rows] == [p["external_id"]])
        digits = "".join(c for c in p["phone"] if c.isdigit())[-7:]
        app.screen.query_one("#search").value = digits
        await until(pilot, lambda: p["external_id"] in {k.value for k in table.rows})
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)


# --- Patient ----------------------------------------------------------------------------


@sync
async def test_patient_tabs_show_every_record_kind(make_app, read):
    from caseload.services import audit, contacts, followups, patients

    with read() as s:
        rows = patients.search(s).rows
        p = max(rows, key=lambda r: len(contacts.list_contacts(s, r["external_id"])))
        n_contacts = len(contacts.list_contacts(s, p["external_id"], limit=200))
        n_followups = len(followups.list_followups(s, p["external_id"], status="all"))
        pid = patients.get_row(s, p["external_id"]).id
        n_events = len(audit.list_events(s, patient_id=pid))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        app.open_patient(p["external_id"])
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        header = str(app.screen.query_one("#patient-header").render())
        assert p["family_name"] in header and p["external_id"] in header
        assert "consent call:" in header
        tabs = app.screen.query_one("#patient-tabs")
        assert app.screen.query_one("#contacts").row_count == n_contacts
        assert app.screen.query_one("#followups").row_count == n_followups
        assert app.screen.query_one("#history").row_count == n_events
        for tab in ("tab-plan", "tab-contacts", "tab-followups", "tab-team", "tab-referrals"):
            tabs.active = tab
            await pilot.pause()
            assert tabs.active == tab


@sync
async def test_logging_a_contact_from_the_patient_screen(make_app, read):
    from caseload.services import contacts, patients

    with read() as s:
        p = patients.search(s, status="active").rows[0]
        before = len(contacts.list_contacts(s, p["external_id"]))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        app.open_patient(p["external_id"])
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        await pilot.press("c")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ContactForm")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.id == "patient")
        await settle(pilot)
    with read() as s:
        assert len(contacts.list_contacts(s, p["external_id"])) == before + 1


@sync
async def test_help_lists_the_screen_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-keys").render())
        assert "Print" in text and "ctrl+q" in text
        await pilot.press("escape")
        assert app.screen.id == "today"


@sync
async def test_command_palette_finds_a_patient_by_name(make_app, read):
    from caseload.services import patients
    from caseload.tui.widgets.palette import PatientProvider

    with read() as s:
        p = patients.search(s).rows[5]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        provider = PatientProvider(app.screen)
        hits = [h async for h in provider.search(p["family_name"])]
        assert any(p["external_id"] in str(h.text) for h in hits)
        target = next(h for h in hits if p["external_id"] in str(h.text))
        target.command()
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        assert app.screen.external_id == p["external_id"]


@sync
async def test_patient_number_keys_show_each_tab(make_app, read):
    from caseload.services import patients

    with read() as s:
        p = patients.search(s, status="active").rows[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        app.open_patient(p["external_id"])
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        tabs = app.screen.query_one("#patient-tabs")
        for key, tab in (("3", "tab-contacts"), ("7", "tab-history"), ("1", "tab-overview")):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == tab


@sync
async def test_narrowing_a_search_keeps_the_rows_that_still_match(make_app, read):
    from caseload.services import patients

    with read() as s:
        active = patients.search(s, status="active").rows
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.id == "patients")
        screen = app.screen
        table = screen.query_one("#patient-table")
        await until(pilot, lambda: table.row_count == len(active))
        target = active[5]
        family = target["family_name"].lower()
        expected = {p["external_id"] for p in active if name_matches(p, family)}
        await type_text(pilot, family[0])
        await until(pilot, lambda: screen.answered == screen.generation and not screen.searching)
        wider = {k.value for k in table.rows}
        assert expected < wider
        before = table.rows[target["external_id"]]
        await type_text(pilot, family[1:])
        await until(pilot, lambda: {k.value for k in table.rows} == expected)
        # The rows that still match were kept (not cleared and re-added); the others went.
        assert table.rows[target["external_id"]] is before
        assert screen.answered == screen.generation and not screen.searching
        shown = str(screen.query_one("#filters").render())
        assert shown.startswith(f"{len(expected)} shown · ")


@sync
async def test_today_fills_the_due_list_and_both_panels(make_app, read):
    from caseload.services import transitions

    with read() as s:
        pending = transitions.pending_calls(s)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        screen = app.screen
        await until(pilot, lambda: screen.filled and screen.query_one("#recent").row_count)
        await until(pilot, lambda: screen.query_one("#pending").row_count == len(pending))
        assert screen.query_one("#due").row_count == len(screen.items)
        title = str(screen.query_one("#pending-title").render())
        assert title == f"Discharges needing a call ({len(pending)})"
        assert screen.query_one("#recent").row_count == 20
