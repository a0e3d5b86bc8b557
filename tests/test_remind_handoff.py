# ruff: noqa: F811  (pytest fixtures imported from test_remind)
"""Issue 10: the outbox is a hand-off (appended to, never truncated), SMTP silence after DATA
is "unknown" and never resent, and another run's live claim is "in progress elsewhere"."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta

import pytest
from test_remind import (
    TODAY,
    outbox,
    people,  # noqa: F401  (fixture)
    remind,  # noqa: F401  (fixture)
    reminder_rows,
    run,
)
from test_remind_smtp import Collector, free_port, smtp_config


def test_a_second_run_appends_and_a_run_with_nothing_new_leaves_the_file(
    remind, people, write, tmp_path
):
    out = tmp_path / "outbox.csv"
    first = run(remind, "--output", str(out))
    assert first.exit_code == 0, first.stderr
    assert len(outbox(out.read_text(encoding="utf-8"))) == 3
    # The cron retry the same day: nothing new, so not even the header is rewritten.
    before = (out.read_bytes(), out.stat().st_mtime_ns)
    again = run(remind, "--output", str(out))
    assert again.exit_code == 0, again.stderr
    assert (out.read_bytes(), out.stat().st_mtime_ns) == before
    assert f"  outbox {out}: nothing new; left as it was (3 messages)" in again.stderr.splitlines()
    # Something new: appended after the unread three, one header in all.
    from caseload.services import followups

    with write() as s:
        followups.add(s, "P-HOLD", title="x", due_on=TODAY)  # on hold: not reminded
        followups.add(s, "P-LATE", title="Call", due_on=TODAY + timedelta(days=1))
    third = run(remind, "--output", str(out))
    assert third.exit_code == 0, third.stderr
    rows = outbox(out.read_text(encoding="utf-8"))
    assert [r["patient_external_id"] for r in rows] == ["P-LUZ", "P-ANA", "P-FR", "P-LATE"]
    assert (
        f"  outbox {out}: 1 new message added after the 3 already there "
        "(4 in all, until the SMS tool takes them)"
    ) in third.stderr.splitlines()


def test_a_file_that_is_not_an_outbox_is_refused_before_anything_is_claimed(
    remind, people, read, tmp_path
):
    out = tmp_path / "notes.csv"
    out.write_text("name,score\nx,1\n", encoding="utf-8")
    result = run(remind, "--output", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"caseload: {out} is not an outbox (its first row is not "
        "patient_external_id,to,channel,message); nothing was sent: give another --output"
    ]
    assert out.read_text(encoding="utf-8") == "name,score\nx,1\n"
    assert reminder_rows(read) == []


def test_an_ics_calendar_gains_new_todos_and_keeps_the_old(remind, people, write, tmp_path):
    from icalendar import Calendar

    out = tmp_path / "cal.ics"
    assert run(remind, "--channel", "ics", "--output", str(out)).exit_code == 0
    first = {str(t["uid"]) for t in Calendar.from_ical(out.read_bytes()).walk("VTODO")}
    from caseload.services import followups

    with write() as s:
        followups.add(s, "P-LATE", title="Call", due_on=TODAY + timedelta(days=1))
    again = run(remind, "--channel", "ics", "--output", str(out))
    assert again.exit_code == 0, again.stderr
    second = {str(t["uid"]) for t in Calendar.from_ical(out.read_bytes()).walk("VTODO")}
    assert first < second and len(second) == len(first) + 1


class Silent(Collector):
    """Takes the first message's DATA, then stalls (or drops the connection) instead of replying."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode, self.silenced = mode, 0

    async def handle_DATA(self, server, session, envelope):
        if self.silenced == 0:
            self.silenced += 1
            self.envelopes.append(envelope)  # the server has the message…
            if self.mode == "drop":
                server.transport.close()
                return "250 too late"
            await asyncio.sleep(60)  # …but never confirms it (the client's timeout is 1 s)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("mode", ["stall", "drop"])
def test_silence_after_data_is_unknown_and_never_resent(remind, people, isolated, read, mode):
    from aiosmtpd.controller import Controller

    handler = Silent(mode)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = smtp_config(port).replace("timeout = 5", "timeout = 1")
        (isolated / "no-config.toml").write_text(config, encoding="utf-8")
        luz = people[("P-LUZ", "CHF weight check")]  # the most urgent: sent first
        first = run(remind, "--channel", "email")
        # smtplib reports a read timeout as a disconnection too.
        assert (
            f"  unknown P-LUZ follow-up {luz}: may have been sent (the server took it, then "
            "SMTPServerDisconnected); not resent"
        ) in first.stderr.splitlines()
        row = next(r for r in reminder_rows(read) if r["followup_id"] == luz)
        assert row["status"] == "sending"
        second = run(remind, "--channel", "email")
        assert second.exit_code == 0, second.stderr
        # Luz got exactly one message, whatever happened to the others.
        assert [e.rcpt_tos for e in handler.envelopes].count(["luz@example.org"]) == 1
        assert "unknown 1" in second.stderr
        assert any(
            line.startswith(f"  unknown P-LUZ follow-up {luz}: may have been sent (the server")
            for line in second.stderr.splitlines()
        )
    finally:
        controller.stop()


HOLD_LOCK = (
    "import fcntl, os, sys\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
    "fcntl.lockf(fd, fcntl.LOCK_SH)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks")
def test_another_runs_live_claim_is_in_progress_elsewhere(remind, people, write, read):
    from caseload.services import reminder_text, reminders

    with read() as s:
        plan = reminders.plan(
            s, day=TODAY, days_ahead=1, channel="outbox",
            templates=reminder_text.Templates(None),
            coordinator_name="Dana", coordinator_phone="555-0199",
        )  # fmt: skip
    luz = plan.messages[0]
    with write() as s:
        assert reminders.claim(s, luz) is not None  # "the other run" claimed Luz…
    lock = remind.db.with_name(remind.db.name + ".remind-lock")
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert other.stdout.readline() == "held\n"  # …and is still at work
        live = run(remind)
        fid = luz.items[0].followup_id
        assert (
            f"  unknown P-LUZ follow-up {fid}: in progress elsewhere (another remind run is at "
            "work on it); not sent by this run"
        ) in live.stderr.splitlines()
        assert [r["patient_external_id"] for r in outbox(live.stdout)] == ["P-ANA", "P-FR"]
    finally:
        other.communicate("", timeout=60)
    # That run is gone (the kernel dropped its lock): now it reads as a stopped run.
    later = run(remind)
    assert (
        f"  unknown P-LUZ follow-up {fid}: may have been sent (an earlier run stopped); not resent"
        in later.stderr.splitlines()
    )
