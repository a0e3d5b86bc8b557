"""Feed-imported discharges on Today's "Discharges needing a call": names, facility, setting
(through ``transitions.pending_calls``, the one service the panel reads)."""

from __future__ import annotations

from datetime import date

from test_discharges_hl7 import DAY, msg, patient
from tui_helpers import sync, until


def feed(cli, tmp_path) -> None:
    patient(cli, "MRN-1")
    patient(cli, "MRN-2", risk="low")
    patient(cli, "MRN-3")
    f = tmp_path / "adt.hl7"
    f.write_text("\r".join([
        msg("A03"),
        msg("A03", pid3="MRN-2", klass="E", visit="V2"),
        msg("A01", pid3="MRN-3", visit="V3", pv1_45=""),  # admitted: no call yet
    ]))  # fmt: skip
    cli.ok("import", "discharges", str(f))


def test_pending_calls_name_the_patient_facility_setting_and_source(cli, tmp_path, read):
    from caseload.services import transitions

    feed(cli, tmp_path)
    with read() as s:
        rows = transitions.pending_calls(s)
    got = [(r["patient_external_id"], r["patient_name"], r["facility"], r["setting"],
            r["source"], r["discharged_on"]) for r in rows]  # fmt: skip
    assert sorted(got) == [
        ("MRN-1", "Test Person", "St Mary&Co", "inpatient", "hl7", DAY),
        ("MRN-2", "Test Person", "St Mary&Co", "emergency", "hl7", DAY),
    ]


@sync
async def test_today_shows_feed_discharges_with_facility_and_setting(cli, tmp_path):
    from caseload.store.keys import read_key_file
    from caseload.tui.app import CaseloadApp

    feed(cli, tmp_path)
    app = CaseloadApp(cli.db, today=date.today(), key=read_key_file(cli.key))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(
            pilot,
            lambda: app.screen.id == "today" and app.screen.query_one("#pending").row_count == 2,
        )
        panel = app.screen.query_one("#pending")
        lines = sorted(str(getattr(c, "plain", c)) for c in
                       (panel.get_row_at(n)[0] for n in range(2)))  # fmt: skip
        assert lines == [
            "Test Person\nED St Mary&Co: Heart failure",
            "Test Person\nSt Mary&Co: Heart failure",
        ]
        title = str(app.screen.query_one("#pending-title").render())
        assert title == "Discharges needing a call (2)"
