"""The TUI through Pilot at 80x24 on a real encrypted demo store: unlock, lock, Today,
Patients, Patient, printing the due list."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from tests.tui_helpers import DAY, settle, sync, until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def demo(engine):
    from caseload.demo import generator as demo

    demo.generate(engine, patients=40, seed=3, today=DAY)
    return engine


@pytest.fixture
def make_app(cli, demo):
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    def make(**kw):
        kw.setdefault("key", read_key_file(cli.key))
        app = CaseloadApp(cli.db, today=DAY, **kw)
        app.NOTIFICATION_TIMEOUT = 3600  # toasts stay readable however slow the machine
        return app

    return make


def toasts(app) -> list[str]:
    """The messages of the notifications shown, as the toast lays them out."""
    return [n.message for n in app._notifications]


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


async def key_field_ready(pilot) -> None:
    """The unlock screen is up and its key field has the focus (typing reaches it)."""
    await until(pilot, lambda: getattr(pilot.app.focused, "id", None) == "unlock-key")


async def open_today(pilot) -> None:
    await until(pilot, lambda: pilot.app.screen.id == "today" and pilot.app.screen.items)


# --- unlock and lock --------------------------------------------------------------------


@sync
async def test_unlock_refuses_a_wrong_key_then_opens_with_the_right_one(make_app, cli):
    app = make_app(key=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await key_field_ready(pilot)
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
        await until(
            pilot,
            lambda: (
                app.screen.id == "unlock"
                and "wrong key" in str(app.screen.query_one("#unlock-error").render())
            ),
        )
        assert "wrong key or not a caseload database" in str(
            app.screen.query_one("#unlock-error").render()
        )


@sync
async def test_idle_lock_hides_everything_until_the_key_in_use_is_typed(make_app, cli):
    app = make_app(idle_lock_seconds=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        # On a slow machine the lock can come before Today has its rows: wait for the
        # lock itself, then check that it covers Today (pushed when the store opened).
        # (The app starts locked, before any store is open: wait for a lock over an open one.)
        await until(pilot, lambda: app.store is not None and app.locked)
        assert any(s.id == "today" for s in app.screen_stack)
        await key_field_ready(pilot)
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
    make_app, read, tmp_path, monkeypatch, isolated
):
    from caseload.services import audit

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("p")
        await until(pilot, lambda: toasts(app))
    # The default folder: "printouts" in the user's data dir, never the current folder.
    folder = isolated / ".local" / "share" / "caseload" / "printouts"
    out = folder / "due-2026-11-23.txt"
    assert not list(tmp_path.glob("due-*"))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    text = out.read_text()
    assert text.startswith("Due list for Monday 23 November 2026")
    assert max(len(line) for line in text.splitlines()) <= 80
    with read() as s:
        last = audit.list_events(s, limit=1)[0]
    assert last["action"] == "duelist.export" and last["entity_id"] == "2026-11-23"
    detail = json.loads(last["detail"])
    assert detail["format"] == "text" and detail["items"] > 0
    # The toast names the whole path; its lines break after a "/", never inside a name.
    (message,) = toasts(app)
    lines = message.split("\n")
    assert "".join(line if line.endswith("/") else line + " " for line in lines).strip() == (
        f"Saved the due list ({detail['items']} items) to {out}"
    )
    assert all(len(line) <= 68 for line in lines)
    assert all(line.endswith(("/", "to")) for line in lines[:-1])


@sync
async def test_printing_twice_never_overwrites_and_uses_the_configured_folder(cli, demo, tmp_path):
    from caseload.config import Config
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    folder = tmp_path / "paper"
    folder.mkdir()
    (folder / "due-2026-11-23.txt").write_text("kept\n")
    config = Config(printouts=str(folder))
    app = CaseloadApp(cli.db, config, key=read_key_file(cli.key), today=DAY)
    app.NOTIFICATION_TIMEOUT = 3600
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("p")
        await until(pilot, lambda: len(toasts(app)) == 1)
        await pilot.press("p")
        await until(pilot, lambda: len(toasts(app)) == 2)
    assert (folder / "due-2026-11-23.txt").read_text() == "kept\n"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["due-2026-11-23-2.txt", "due-2026-11-23-3.txt", "due-2026-11-23.txt"]
    assert (folder / "due-2026-11-23-2.txt").read_text() == (
        folder / "due-2026-11-23-3.txt"
    ).read_text()
    assert [m.replace("\n", "").endswith(f"due-2026-11-23-{n}.txt") for m, n in zip(
        toasts(app), (2, 3), strict=True
    )] == [True, True]  # fmt: skip


def test_the_printouts_folder_comes_from_the_config_file(tmp_path, isolated):
    from caseload import config, paths

    cfg = tmp_path / "config.toml"
    cfg.write_text('[caseload]\nprintouts = "~/Paper/caseload"\n')
    assert paths.printouts_dir(config.load(cfg).printouts) == isolated / "Paper" / "caseload"
    assert paths.printouts_dir(config.load(tmp_path / "none.toml").printouts) == (
        isolated / ".local" / "share" / "caseload" / "printouts"
    )


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
        assert str(app.screen.query_one("#filters").render()) == (
            f"{len(high)} shown · status any · risk high · program any · overdue any · sort by name"
        )


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


@sync
async def test_patients_search_folds_diacritics(make_app, write):
    from caseload.services import patients

    with write() as s:
        patients.add(s, external_id="FOLD-1", given_name="Anna", family_name="Woźniak")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.id == "patients")
        table = app.screen.query_one("#patient-table")
        await type_text(pilot, "wozniak")
        await until(pilot, lambda: [k.value for k in table.rows] == ["FOLD-1"])


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
        # Each tab shows its own pane, and only that one (not the one before it).
        for tab in ("tab-plan", "tab-contacts", "tab-followups", "tab-team", "tab-referrals"):
            tabs.active = tab
            await pilot.pause()
            shown = [p.id for p in app.screen.query("TabPane") if p.display and p.region.height]
            assert shown == [tab]


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
        await until(pilot, lambda: app.screen.id == "help")
        rows = dict(app.screen.rows)
        assert rows["p"] == "print the due list to the printouts folder"
        assert rows["ctrl+q"] == "quit"
        await pilot.press("escape")
        assert app.screen.id == "today"


@sync
async def test_command_palette_finds_a_patient_by_name(make_app, read):
    from caseload.services import patients
    from caseload.tui.commands import PatientProvider

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


# --- a coordinator's first day at 80x24 ---------------------------------------------------


def cells(table, row: int) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in table.get_row_at(row)]


async def open_patient(pilot, ext: str) -> None:
    pilot.app.open_patient(ext)
    await until(pilot, lambda: pilot.app.screen.id == "patient" and pilot.app.screen.data)
    await settle(pilot)


@sync
async def test_recent_contacts_show_names_and_whole_outcomes(make_app, read):
    from caseload.services import contacts, patients

    with read() as s:
        # The panel holds the 20 latest contacts, newest first.
        recorded = contacts.list_contacts(s, limit=20)
        latest = recorded[0]
        who = patients.display_name(patients.get(s, latest["patient_external_id"]))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        recent = app.screen.query_one("#recent")
        await until(pilot, lambda: recent.row_count == 20)
        await settle(pilot)
        first = cells(recent, 0)
        assert first[1] == who and first[2] == latest["outcome"].replace("_", " ")
        outcomes = {cells(recent, n)[2] for n in range(recent.row_count)}
        assert outcomes <= {"reached", "no answer", "left message", "wrong number", "declined"}
        # Each whole outcome fits its column: nothing is cut to "reache".
        assert recent.columns["outcome"].width >= max(map(len, outcomes))
        assert recent.columns["when"].width == 6  # "14:05" today, else "20 Nov"
        await pilot.press("tab", "tab", "enter")
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        assert app.screen.external_id == latest["patient_external_id"]


@sync
async def test_discharges_needing_a_call_show_facility_and_reason(make_app, read):
    from caseload.services import transitions

    with read() as s:
        (pending,) = transitions.pending_calls(s)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        panel = app.screen.query_one("#pending")
        await until(pilot, lambda: panel.row_count == 1)
        name, left, call = cells(panel, 0)
        assert name.split("\n")[1] == f"{pending['facility']}: {pending['reason']}"
        assert (left, call) == (
            pending["discharged_on"].strftime("%d %b"),
            pending["due_on"].strftime("%d %b"),
        )


@sync
async def test_due_list_columns_fit_the_terminal_and_what_grows(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        due = app.screen.query_one("#due")
        await until(pilot, lambda: app.screen.filled)
        await settle(pilot)

        def widths() -> dict[str, int]:
            return {k.value: c.width for k, c in due.columns.items()}

        rows = [cells(due, n) for n in range(due.row_count)]
        narrow = widths()
        # Status, due date and score are never cut; the name keeps up to 24 cells.
        assert narrow["status"] == max(len(r[0]) for r in [["Status"], *rows])
        assert narrow["due"] == 6 and narrow["score"] == 5
        assert narrow["patient"] == min(24, max(len(r[1]) for r in rows))
        # "What" takes the rest of the line (cells, padding and a scrollbar's room).
        assert sum(narrow.values()) + 2 * len(narrow) + 2 == 80
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: widths()["what"] != narrow["what"])
        assert widths() == {**narrow, "what": narrow["what"] + 40}


@sync
async def test_a_table_given_rows_before_its_first_layout_still_fits_them():
    """The race behind "columns squeezed to their headers until r": rows that arrive
    before the table has a size are measured once it has one."""
    from textual.app import App

    from caseload.tui.widgets.table import Col, Table

    class One(App):
        def compose(self):
            yield Table((Col("id", "ID"), Col("what", "What", flex=True)), id="t")

        def on_mount(self):
            table = self.query_one(Table)
            assert table.size.width == 0
            table.add_row("DEMO-000001", "transition call: Post-discharge call")

    app = One()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(Table)
        assert (table.columns["id"].width, table.columns["what"].width) == (11, 80 - 2 - 4 - 11)


@sync
async def test_the_patient_footer_shows_every_key_it_offers_at_80(make_app):
    from textual.widgets._footer import FooterKey

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        keys = list(app.screen.query(FooterKey))
        assert [k.key for k in keys] == ["c", "f", "d", "e", "h", "x", "ctrl+q", "question_mark"]
        assert all(k.region.right <= 80 and k.region.width > 0 for k in keys)


@sync
async def test_patients_status_and_filters_are_words_that_fit(make_app, write):
    from textual.widgets._footer import FooterKey

    from caseload.services import patients

    with write() as s:
        patients.set_status(s, "DEMO-000005", "on_hold", reason="travelling")
        patients.discharge(s, "DEMO-000006", reason="moved")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.id == "patients")
        table = app.screen.query_one("#patient-table")
        await until(pilot, lambda: table.row_count > 0)
        await pilot.press("down", "s")  # status: any
        await until(pilot, lambda: "DEMO-000006" in {k.value for k in table.rows})
        await settle(pilot)
        status = {cells(table, n)[1]: cells(table, n)[5] for n in range(table.row_count)}
        assert (status["DEMO-000005"], status["DEMO-000006"]) == ("on hold", "discharged")
        assert set(status.values()) == {"active", "on hold", "discharged"}
        assert table.columns["status"].width == len("discharged")
        line = str(app.screen.query_one("#filters").render())
        assert line.endswith("· status any · risk any · program any · overdue any · sort by name")
        assert len(line) <= 78
        keys = list(app.screen.query(FooterKey))
        assert all(k.region.right <= 80 for k in keys)
        assert [k.key for k in keys][-2:] == ["ctrl+q", "question_mark"]


@pytest.mark.parametrize("where", ["today", "patient", "patients"])
@sync
async def test_help_lists_each_key_once_by_its_footer_name(make_app, where):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        if where == "patient":
            await open_patient(pilot, "DEMO-000003")
        elif where == "patients":
            await pilot.press("l")
            await until(pilot, lambda: app.screen.id == "patients")
            await pilot.press("down")
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen.id == "help")
        keys = [k for k, _ in app.screen.rows]
        assert len(keys) == len(set(keys)), keys
        assert "escape" not in keys and "slash" not in keys and "esc" in keys
        shown = [str(label.render()) for label in app.screen.query(".help-key")]
        assert shown == keys


@sync
async def test_help_on_today_explains_the_missed_mark_and_the_score(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen.id == "help")
        rows = dict(app.screen.rows)
        assert rows["!"] == "missed: past its window after the due date (it can still be done)"
        assert rows["Score"].startswith("priority, highest first in each group: risk, kind,")


@sync
async def test_a_number_key_puts_the_focus_in_its_tab(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        for key, focused in (("4", "followups"), ("3", "contacts"), ("7", "history")):
            await pilot.press(key)
            await pilot.pause()
            assert app.focused is app.screen.query_one(f"#{focused}")
        await pilot.press("2")
        await pilot.pause()
        assert app.focused.parent.id == "tab-plan"
        # On the list, the arrows move its cursor at once.
        await pilot.press("4", "down")
        assert app.screen.query_one("#followups").cursor_row == 1


@sync
async def test_done_on_a_done_follow_up_says_so_instead_of_opening_the_form(make_app, write):
    from caseload.services import followups

    with write() as s:
        f = followups.add(s, "DEMO-000003", title="Pharmacy call", due_on=DAY, kind="call")
        followups.complete(s, f["id"], outcome="reached")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        table = app.screen.query_one("#followups")
        table.move_cursor(row=table.get_row_index(str(f["id"])))
        await pilot.press("d")
        await settle(pilot)
        assert app.screen.id == "patient"
        assert toasts(app) == [f"Follow-up {f['id']} (Pharmacy call) is done already."]
        # The app-level path (Today's d, or any caller) refuses it the same way.
        app.complete_followup(f["id"])
        await until(pilot, lambda: len(toasts(app)) == 2)
        assert app.screen.id == "patient"


@sync
async def test_home_and_end_go_to_the_first_and_last_row(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        due = app.screen.query_one("#due")
        await until(pilot, lambda: app.screen.filled)
        await pilot.press("end")
        assert due.cursor_row == due.row_count - 1 > 0
        await pilot.press("home")
        assert due.cursor_row == 0
        await open_patient(pilot, "DEMO-000003")
        await pilot.press("4", "end")
        followups = app.screen.query_one("#followups")
        assert followups.cursor_row == followups.row_count - 1 > 0


@sync
async def test_v_without_referrals_says_there_are_none(make_app, read):
    from caseload.services import patients, referrals

    with read() as s:
        ext = next(
            p["external_id"]
            for p in patients.search(s).rows
            if not referrals.list_referrals(s, p["external_id"])
        )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, ext)
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.id == "patient"
        assert toasts(app) == ["No referrals for this patient yet: nothing to move along."]


@sync
async def test_the_demo_lock_screen_says_where_the_demo_key_is(make_app, cli):
    import shutil

    from caseload import paths

    beside = paths.key_file_beside(cli.db)
    shutil.copy(cli.key, beside)
    app = make_app(idle_lock_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await until(pilot, lambda: app.demo_key is not None)
        app.lock()
        await key_field_ready(pilot)
        text = str(app.screen.query_one("#unlock-demo").render())
        # Laid out to the box: lines broken between words or after a "/", never in a name.
        assert re.sub(r"/\n", "/", text).replace("\n", " ") == (
            f"This is a demo store. Its key is in {beside} (e.g. cat {beside}, then paste it here)."
        )
        assert all(len(line) <= 64 for line in text.splitlines())
        assert text.count(beside.name) == 2  # the key file's name whole, twice
        await type_text(pilot, beside.read_text().strip())
        await pilot.press("enter")
        await until(pilot, lambda: not app.locked)


@sync
async def test_a_store_that_is_not_a_demo_gets_no_key_hint(cli, tmp_path):
    import shutil

    from caseload import paths
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    shutil.copy(cli.key, paths.key_file_beside(cli.db))  # a key beside it, but no demo build
    app = CaseloadApp(cli.db, key=read_key_file(cli.key), today=DAY, idle_lock_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.id == "today")
        await settle(pilot)
        assert app.demo_key is None
        app.lock()
        await key_field_ready(pilot)
        assert not app.screen.query("#unlock-demo")


@sync
async def test_overview_and_history_show_where_a_discharge_came_from(make_app, write):
    from datetime import timedelta

    from caseload.services import transitions
    from caseload.tui.patient_view import discharge_line

    with write() as s:
        t = transitions.record_discharge(
            s,
            "DEMO-000003",
            discharged_on=DAY - timedelta(days=2),
            facility="Riverside General",
            reason="COPD exacerbation",
        )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        due = {f["kind"]: f["due_on"].isoformat() for f in t["followups"]}
        line = (
            "2026-11-21 from Riverside General: COPD exacerbation"
            f" · call due {due['transition_call']} · visit due {due['transition_visit']}"
        )
        assert discharge_line(app.screen.data["transitions"][0]) == line
        overview = app.screen.query_one("#overview")
        shown = "\n".join(s.text for s in overview.render_lines(overview.region.reset_offset))
        assert "Left hospital:     2026-11-21 from Riverside General: COPD" in shown
        history = app.screen.query_one("#history")
        recorded = next(
            cells(history, n)
            for n in range(history.row_count)
            if cells(history, n)[2] == "transition recorded"
        )
        assert recorded[3] == line


@pytest.mark.parametrize(
    ("key", "form"),
    [
        ("c", "ContactForm"),
        ("f", "FollowUpForm"),
        ("h", "HospitalDischargeForm"),
        ("e", "PatientForm"),
    ],
)
@sync
async def test_forms_opened_on_the_patient_screen_name_the_patient(make_app, read, key, form):
    from textual.widgets import Label

    from caseload.services import patients

    with read() as s:
        who = patients.display_name(patients.get(s, "DEMO-000003"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        await pilot.press(key)
        await until(pilot, lambda: app.screen.__class__.__name__ == form)
        await pilot.pause()
        if form == "PatientForm":
            shown = str(app.screen.query_one("#form-title", Label).content)
            assert shown == f"Edit patient {who}, DEMO-000003"
        else:
            shown = str(app.screen.query(".form-intro").results(Label).__next__().content)
            assert shown.startswith(f"Patient {who}, DEMO-000003")


# --- words and wrapping ---------------------------------------------------------------------


@pytest.mark.parametrize("width", [20, 37, 69])
def test_toast_text_breaks_a_long_path_after_a_slash_never_inside_a_name(width):
    from caseload.tui.render import wrap

    path = "/home/coordinator/.local/share/caseload/printouts/due-2026-11-23-2.txt"
    text = wrap(f"Saved the due list (18 items) to {path}", width)
    lines = text.split("\n")
    assert all(len(line) <= width for line in lines)
    assert "".join(line if line.endswith("/") else line + " " for line in lines).strip() == (
        f"Saved the due list (18 items) to {path}"
    )
    names = path.strip("/").split("/")
    pieces = [p for line in lines for p in line.split(" ")[-1].split("/") if p]
    assert [p for p in pieces if p in names] == names  # every folder name whole, in order


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY", "every week"),
        ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("FREQ=MONTHLY;INTERVAL=3", "every 3 months"),
        ("FREQ=DAILY", "every day"),
        ("FREQ=YEARLY", "every year"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "every week on Mon, Thu"),
        ("FREQ=DAILY;COUNT=5", "every day, 5 times"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYMONTHDAY=15"),  # not half-explained
        (None, ""),
    ],
)
def test_recurrence_rules_read_as_words(rule, words):
    from caseload.tui.render import repeats

    assert repeats(rule) == words


def test_codes_read_as_words():
    from caseload.tui.render import action, label

    assert [label(c) for c in ("home_visit", "left_message", "no_answer", "in_progress")] == [
        "home visit",
        "left message",
        "no answer",
        "in progress",
    ]
    assert (label("on_hold"), label(None), label("pcp")) == ("on hold", "", "PCP")
    assert [action(a) for a in ("transition.record", "contact.log", "followup.done")] == [
        "transition recorded",
        "contact logged",
        "follow-up done",
    ]
    assert [action(a) for a in ("careplan.goal.add", "careplan.intervention.add")] == [
        "care plan goal added",
        "care plan intervention added",
    ]


def test_care_plan_lines_that_wrap_keep_their_indent():
    from rich.console import Console

    from caseload.tui.patient_view import care_plan

    goal = {
        "id": 4,
        "description": "Walks to the bus stop and back three times a week without stopping",
        "status": "in_progress",
        "target_on": None,
        "progress": [],
        "interventions": [
            {
                "description": "Ask about walking at every call and log the answer",
                "status": "planned",
            }
        ],
    }
    plan = {
        "version": 1,
        "review_on": None,
        "problems": [
            {"id": 2, "category": "medical", "description": "Short of breath", "goals": [goal]}
        ],
    }
    versions = [{"version": 1, "is_current": True, "problems": 1, "goals": 1, "interventions": 1}]
    console = Console(width=40, record=True, color_system=None)
    console.print(care_plan(plan, versions))
    lines = console.export_text().rstrip().split("\n")
    goal_at = next(n for n, line in enumerate(lines) if line.startswith("   ◦ Walks"))
    assert lines[goal_at + 1].startswith("     ") and lines[goal_at + 1].strip()
    step_at = next(n for n, line in enumerate(lines) if line.startswith("       → Ask"))
    assert lines[step_at + 1].startswith("         ") and lines[step_at + 1].strip()
    assert "(in progress)" in " ".join(lines) and "[planned]" in " ".join(lines)
    words = " ".join(" ".join(lines).split())
    assert words.endswith("Versions: v1 (current) 1 problem, 1 goal, 1 intervention")


def test_history_details_are_words_without_empty_values():
    from caseload.tui.patient_view import history_detail

    assert history_detail({"detail": '{"followup_id": null, "goals": 0}'}) == ""
    assert history_detail({"detail": '{"fields": ["phone", "alt_phone"], "recurring": true}'}) == (
        "fields phone, alt phone, recurring yes"
    )


# --- the care plan from the Patient screen: g (goal) and i (intervention) ------------------


def plan_of(read, ext: str) -> dict | None:
    from caseload.services import careplans

    with read() as s:
        return careplans.current(s, ext)


def plan_text(screen) -> str:
    plan = screen.query_one("#plan")
    return "\n".join(s.text for s in plan.render_lines(plan.region.reset_offset))


@sync
async def test_g_adds_a_goal_to_the_problem_picked_on_the_patient_screen(make_app, write, read):
    from caseload.services import careplans

    with write() as s:
        first = careplans.add_problem(s, "DEMO-000003", "Short of breath on stairs")
        last = careplans.add_problem(s, "DEMO-000003", "Housing unstable", category="social")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        await pilot.press("g")
        await until(pilot, lambda: app.screen.__class__.__name__ == "GoalForm")
        form = app.screen
        # The newest problem is picked to start with; the other can be chosen.
        assert form.query_one("#f-problem_id").value == last["id"]
        form.query_one("#f-problem_id").value = first["id"]
        form.query_one("#f-description").value = "Climbs one flight without stopping"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.id == "patient" and toasts(app) == ["Saved"])
        # The screen reloaded: the goal is in the care plan it shows.
        await pilot.press("2")
        await until(pilot, lambda: "Climbs one flight" in plan_text(app.screen))
    problems = {p["id"]: p for p in plan_of(read, "DEMO-000003")["problems"]}
    assert [g["description"] for g in problems[first["id"]]["goals"]] == [
        "Climbs one flight without stopping"
    ]
    assert problems[last["id"]]["goals"] == []


@sync
async def test_i_adds_an_intervention_to_a_goal_on_the_patient_screen(make_app, write, read):
    from caseload.services import careplans

    with write() as s:
        problem = careplans.add_problem(s, "DEMO-000003", "Housing unstable", category="social")
        goal = careplans.add_goal(s, problem["id"], "Stable housing")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        await pilot.press("i")
        await until(pilot, lambda: app.screen.__class__.__name__ == "InterventionForm")
        assert app.screen.query_one("#f-goal_id").value == goal["id"]
        app.screen.query_one("#f-description").value = "Refer to the housing navigator"
        app.screen.query_one("#f-responsible").value = "social worker"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.id == "patient" and toasts(app) == ["Saved"])
    (p,) = [p for p in plan_of(read, "DEMO-000003")["problems"] if p["id"] == problem["id"]]
    (g,) = p["goals"]
    assert [(i["description"], i["responsible"]) for i in g["interventions"]] == [
        ("Refer to the housing navigator", "social worker")
    ]


@sync
async def test_g_and_i_without_a_plan_say_what_to_add_first(make_app, write):
    from caseload.services import patients

    with write() as s:
        ext = patients.add(s, external_id="NEW-1", given_name="Ada", family_name="Nwosu")[
            "external_id"
        ]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, ext)
        await pilot.press("g")
        await pilot.press("i")
        await settle(pilot)
        assert app.screen.id == "patient"
        assert toasts(app) == [
            "No problems in the care plan yet: add one with n.",
            "No goals in the care plan yet: add one with g.",
        ]


@sync
async def test_the_program_filter_cycles_through_the_tags_in_use(make_app, read):
    from caseload.services import patients

    with read() as s:
        every = patients.search(s, status="active").rows
    tags = sorted({t for p in every for t in p["programs"]})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.id == "patients" and len(app.screen.programs) > 1)
        assert app.screen.programs[1] == tags[0]
        await pilot.press("down", "g")
        table = app.screen.query_one("#patient-table")
        expected = {p["external_id"] for p in every if tags[0] in p["programs"]}
        await until(pilot, lambda: {k.value for k in table.rows} == expected)


@sync
async def test_help_on_the_patient_screen_lists_the_care_plan_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await open_patient(pilot, "DEMO-000003")
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen.id == "help")
        rows = dict(app.screen.rows)
        assert (rows["n"], rows["g"], rows["i"]) == (
            "add a care-plan problem or need",
            "add a goal to a problem of the care plan",
            "add an intervention to a goal",
        )


# --- failures come back as the screen's own messages, as toasts -------------------------


@sync
async def test_a_patient_that_cannot_be_loaded_says_why_and_the_app_goes_on(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        app.open_patient("NOPE-1")
        await until(pilot, lambda: toasts(app))
        assert toasts(app) == ["no patient with external id NOPE-1"]
        assert [n.title for n in app._notifications] == ["Could not load"]
        await pilot.press("escape")
        assert app.screen.id == "today" and app.is_running


@sync
async def test_a_write_the_store_refuses_says_why_and_writes_nothing(make_app, read):
    from caseload.services import patients

    with read() as s:
        before = patients.count(s)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await pilot.press("a")
        await until(pilot, lambda: app.screen.__class__.__name__ == "PatientForm")
        for key, value in (("external_id", "DEMO-000003"), ("given_name", "Ada")):
            app.screen.query_one(f"#f-{key}").value = value
        app.screen.query_one("#f-family_name").value = "Nwosu"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: toasts(app))
        assert toasts(app) == ["a patient with external id DEMO-000003 exists already"]
        assert [n.title for n in app._notifications] == ["Could not save"]
        assert app.screen.id == "today"
    with read() as s:
        assert patients.count(s) == before


# --- the services the TUI's panels and filters read -----------------------------------------


def test_recent_contacts_are_the_latest_by_time_without_addenda(write, read, engine):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import event

    from caseload.services import contacts, patients

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with write() as s:
        patients.add(s, external_id="R-1", given_name="Ada", family_name="Nwosu")
        patients.add(
            s, external_id="R-2", given_name="Robert", family_name="Lee", preferred_name="Bob"
        )
        late = contacts.log(s, "R-1", method="phone", outcome="reached", at=now)
        # Recorded after, but it happened a week earlier: it comes second.
        early = contacts.log(
            s, "R-2", method="phone", outcome="no_answer", at=now - timedelta(days=7)
        )
        contacts.addendum(s, late["id"], "wrong day in the note")
    with read() as s:
        got = contacts.recent(s, 5)
    assert [(c["id"], c["patient_external_id"], c["patient_name"]) for c in got] == [
        (late["id"], "R-1", "Ada Nwosu"),
        (early["id"], "R-2", "Robert Lee (Bob)"),
    ]
    assert got[0]["at"] == now
    # The statement the service runs reads the time index backwards: no sort of every row.
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        with read() as s:
            contacts.recent(s, 5)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = next((st, p) for st, p in seen if "FROM contact" in st)
    with engine.connect() as c:
        plan = c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    steps = " ".join(str(row[-1]) for row in plan)
    assert "ix_contact_at" in steps and "TEMP B-TREE" not in steps


def test_program_tags(write, read):
    from caseload.services import patients

    with write() as s:
        a = patients.add(s, external_id="T-1", given_name="Ada", family_name="Nwosu",
                         programs=["diabetes", "chf"])  # fmt: skip
        patients.add(s, external_id="T-2", given_name="Bo", family_name="Lee", programs=["bh"])
        patients.add(s, external_id="T-3", given_name="Cy", family_name="Ode")
    with read() as s:
        assert patients.program_tags(s) == ["bh", "chf", "diabetes"]
    assert a["programs"] == ["diabetes", "chf"]


@sync
async def test_completing_from_today_keeps_the_other_due_rows_by_key(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_today(pilot)
        await until(pilot, lambda: app.screen.filled)
        table = app.screen.query_one("#due")
        items = list(app.screen.items.values())
        per_patient = {}
        for i in items:
            per_patient.setdefault(i["patient_external_id"], []).append(i)
        # A patient with one item due: completing it changes no other row's score.
        done = next(i for i in items if len(per_patient[i["patient_external_id"]]) == 1)
        key = str(done["followup_id"])
        before = {k.value: row for k, row in table.rows.items() if k.value != key}
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("d")
        await until(pilot, lambda: app.screen.__class__.__name__ == "CompleteFollowUpForm")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.id == "today" and key not in table.rows)
        await settle(pilot)
        # The rows that stayed were kept (not cleared and added again), in their order.
        assert [k.value for k in table.rows] == list(before)
        assert all(table.rows[k] is row for k, row in before.items())
