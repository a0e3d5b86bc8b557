"""Snapshots of Today, Patients, help and each Patient tab at 80x24 on a fixed-seed demo store and a fixed day.

Textual is pinned (pyproject), the size is fixed, the day is injected and no
clock or blinking cursor is on screen. Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import pytest

from tests.tui_helpers import DAY, settle, until

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def utc(local_zone):
    """Times on screen are local: pin the zone so the pictures match on any machine."""
    local_zone("UTC")


@pytest.fixture
def app(cli, engine):
    from caseload.demo import generator as demo
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    demo.generate(engine, patients=40, seed=3, today=DAY)
    return CaseloadApp(cli.db, key=read_key_file(cli.key), today=DAY)


async def _today(pilot) -> None:
    await until(pilot, lambda: pilot.app.screen.id == "today" and pilot.app.screen.items)
    await until(pilot, lambda: pilot.app.screen.query_one("#recent").row_count > 0)
    await until(pilot, lambda: pilot.app.screen.query_one("#pending").row_count > 0)
    await until(pilot, lambda: pilot.app.screen.minutes_note is not None)
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


def test_help_snapshot(app, snap_compare):
    async def run_before(pilot) -> None:
        await _today(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: pilot.app.screen.id == "help")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.fixture
def discharged(app, engine, monkeypatch):
    """DEMO-000003 back from hospital, recorded at a fixed moment by a fixed user, so the
    Overview, Follow-ups and History tabs show a discharge and its audit event."""
    from datetime import UTC, datetime, timedelta

    from caseload.services import audit, transitions
    from caseload.store.engine import session

    # The picture may hold no clock: the event's time is pinned; its user comes from the
    # environment, as getpass reads it.
    monkeypatch.setattr(audit, "utcnow", lambda: datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    monkeypatch.setenv("LOGNAME", "coordinator")
    with session(engine, write=True) as s:
        transitions.record_discharge(
            s,
            "DEMO-000003",
            discharged_on=DAY - timedelta(days=3),
            facility="Riverside General Hospital",
            reason="COPD exacerbation",
        )
    return app


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5", "6", "7"])
def test_patient_snapshot(discharged, snap_compare, tab):
    async def run_before(pilot) -> None:
        await _today(pilot)
        pilot.app.open_patient("DEMO-000003")
        await until(pilot, lambda: pilot.app.screen.id == "patient" and pilot.app.screen.data)
        await pilot.press(tab)
        await settle(pilot)

    assert snap_compare(discharged, terminal_size=SIZE, run_before=run_before)
