"""Snapshots of Today, Patients and Patient at 80x24 on a fixed-seed demo store and a fixed day.

Textual is pinned (pyproject), the size is fixed, the day is injected and no
clock or blinking cursor is on screen. Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import pytest

from tests.tui_helpers import DAY, settle, until

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Times on screen are local: pin the zone so the pictures match on any machine."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def app(cli, engine):
    from caseload.services import demo
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    demo.generate(engine, patients=40, seed=3, today=DAY)
    return CaseloadApp(cli.db, key=read_key_file(cli.key), today=DAY)


async def _today(pilot) -> None:
    await until(pilot, lambda: pilot.app.screen.id == "today" and pilot.app.screen.items)
    await until(pilot, lambda: pilot.app.screen.query_one("#recent").row_count > 0)
    await until(pilot, lambda: pilot.app.screen.query_one("#pending").row_count > 0)
    await settle(pilot)


def test_today_snapshot(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=_today)


def test_patients_snapshot(app, snap_compare):
    async def run_before(pilot) -> None:
        await _today(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: pilot.app.screen.id == "patients")
        await until(pilot, lambda: pilot.app.screen.query_one("#patient-table").row_count > 0)
        await pilot.press("down")  # the table, not the blinking input, has focus
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_patient_snapshot(app, snap_compare):
    async def run_before(pilot) -> None:
        await _today(pilot)
        pilot.app.open_patient("DEMO-000003")
        await until(pilot, lambda: pilot.app.screen.id == "patient" and pilot.app.screen.data)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
