"""The Report screen through Pilot at 80x24: opened from Today (R) and the palette, the same
figures as `caseload report`, a month back, the detail, and back to Today."""

from __future__ import annotations

import re

import pytest

from tests.tui_helpers import DAY, sync, until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def make_app(cli, engine):
    from caseload.demo import generator as demo
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    demo.generate(engine, patients=40, seed=3, today=DAY)
    return lambda: CaseloadApp(cli.db, today=DAY, key=read_key_file(cli.key))


def shown(app) -> str:
    return str(app.screen.query_one("#report-text").render())


@sync
async def test_report_from_today_month_back_detail_and_back(make_app, cli):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.id == "today" and app.screen.items)
        await pilot.press("R")
        await until(pilot, lambda: app.screen.id == "report" and "Program report" in shown(app))
        text = shown(app)
        assert text.startswith("Program report: November 2026\n")
        assert "1. Transitional care after discharge" in text and "Definitions" in text
        # The figures are the CLI's (same service, same writer).
        cli_text = cli.ok("report", "--month", "2026-10").stdout
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: shown(app).startswith("Program report: October 2026"))
        # Measure 1 of October: every window closed by either day (the as-of days differ).
        tcm = lambda t: t.split("1. Transitional")[1].split("2. Follow-up")[0]  # noqa: E731
        counts = lambda t: re.findall(r"\d+ of \d+|\d+%", tcm(t))  # noqa: E731
        assert counts(shown(app)) == counts(cli_text) and counts(cli_text)
        # Laid out for the box it is in, so no figure's row wraps in two (80 columns of
        # paper would, beside the scrollbar).
        box = app.screen.query_one("#report-box")
        widest = max(len(line) for line in shown(app).splitlines())
        assert widest <= box.size.width - box.styles.scrollbar_size_vertical < 80
        await pilot.press("d")
        await until(pilot, lambda: "detail" in str(app.screen.query_one("#report-title").render()))
        await until(pilot, lambda: "DEMO-" in shown(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.id == "today")


@sync
async def test_report_is_in_the_command_palette(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.id == "today" and app.screen.items)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Report" in commands
        commands["Report"].callback()
        await until(pilot, lambda: app.screen.id == "report" and "Program report" in shown(app))


@sync
async def test_patient_screen_shows_attempts(make_app, write):
    from datetime import datetime, timedelta

    from caseload.services import contacts, followups

    with write() as s:
        f = followups.add(s, "DEMO-000005", title="Check in", due_on=DAY - timedelta(days=1))
        for hour in (9, 11):
            contacts.log(
                s,
                "DEMO-000005",
                method="phone",
                outcome="no_answer",
                at=datetime(2026, 11, 22, hour),
                followup_id=f["id"],
            )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.id == "today" and app.screen.items)
        app.open_patient("DEMO-000005")
        await until(pilot, lambda: app.screen.id == "patient" and app.screen.data)
        table = app.screen.query_one("#followups")
        row = table.get_row(str(f["id"]))
        assert str(row[2]) == "call: Check in (attempt 3 of 3)"


@sync
async def test_the_first_report_is_laid_out_for_its_box_at_any_size(make_app):
    """Built once the box has its size: at 120x40 the paper's 80 columns, never the 40 a box
    not yet laid out would give."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.id == "today" and app.screen.items)
        await pilot.press("R")
        await until(pilot, lambda: app.screen.id == "report" and "Program report" in shown(app))
        assert max(len(line) for line in shown(app).splitlines()) == 80
        assert "=" * 80 in shown(app)
