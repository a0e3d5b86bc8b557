"""`caseload remind --channel email` against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import json
import signal
import socket
import subprocess
import sys
from email import policy

import pytest
from test_remind import (
    ANA_TEXT,
    CLINICAL,
    COORDINATOR,
    JEAN_TEXT,
    LUZ_TEXT,
    people,  # noqa: F401  (fixture)
    remind,  # noqa: F401  (fixture)
    reminder_rows,
    run,
)

CONSENTING = {"ana@example.org", "luz@example.org", "jean@example.org"}


class Collector:
    """An SMTP handler that keeps every envelope and refuses the addresses in ``refuse``."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> dict[str, email.message.EmailMessage]:
        out = {}
        for env in self.envelopes:
            (to,) = env.rcpt_tos
            out[to] = email.message_from_bytes(env.content, policy=policy.default)
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_config(port: int) -> str:
    return (
        COORDINATOR + "[smtp]\n"
        f'host = "127.0.0.1"\nport = {port}\nsender = "dana@clinic.example"\nstarttls = false\n'
        "timeout = 5\n"
    )


@pytest.fixture
def smtp(remind, isolated):  # noqa: F811
    from aiosmtpd.controller import Controller

    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    (isolated / "no-config.toml").write_text(smtp_config(port), encoding="utf-8")
    yield handler
    controller.stop()


def body(msg) -> str:
    return msg.get_content().replace("\r\n", "\n").strip()


def test_email_reaches_consenting_active_patients_once_each(remind, people, smtp, read):  # noqa: F811
    result = run(remind, "--channel", "email")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    got = smtp.messages()
    # Nothing to the patient without consent, on hold, discharged or out of range.
    assert set(got) == CONSENTING
    assert len(smtp.envelopes) == 3
    assert {env.mail_from for env in smtp.envelopes} == {"dana@clinic.example"}
    # Ana's two follow-ups travel in one message.
    assert body(got["ana@example.org"]) == ANA_TEXT
    assert body(got["luz@example.org"]) == LUZ_TEXT
    assert body(got["jean@example.org"]) == JEAN_TEXT
    assert got["luz@example.org"]["Subject"] == "Recordatorio"
    assert got["ana@example.org"]["Subject"] == "Reminder"
    for msg in got.values():
        for word in CLINICAL:
            assert word not in msg.as_string()
    noc = people[("P-NOC", "depression screen")]
    assert f"  skipped P-NOC follow-up {noc}: no consent to email" in result.stderr
    contacts = json.loads(remind.ok("contacts", "list", "P-ANA", "--format", "json").stdout)
    assert [(c["method"], c["outcome"], c["note"]) for c in contacts] == [
        ("email", "left_message", "reminder sent")
    ]
    # Twice on the same day: nothing more goes out.
    again = run(remind, "--channel", "email")
    assert again.exit_code == 0
    assert len(smtp.envelopes) == 3
    assert "sent 0 in 0 messages" in again.stderr and "already sent 4" in again.stderr
    assert sorted(r["status"] for r in reminder_rows(read)) == ["sent"] * 4 + ["skipped"] * 2


def test_a_refused_recipient_fails_alone_and_is_retried(remind, people, smtp, read):  # noqa: F811
    smtp.refuse = {"luz@example.org"}
    first = run(remind, "--channel", "email")
    assert first.exit_code == 1
    assert set(smtp.messages()) == {"ana@example.org", "jean@example.org"}
    luz = people[("P-LUZ", "CHF weight check")]
    lines = first.stderr.splitlines()
    assert (
        f"  failed P-LUZ follow-up {luz}: SMTPRecipientsRefused; retried on the next run" in lines
    )
    assert lines[-1] == "caseload: 1 reminder failed; retried on the next run"
    assert "luz@example.org" not in first.stderr
    row = next(r for r in reminder_rows(read) if r["followup_id"] == luz)
    assert (row["status"], row["error"], row["attempts"]) == ("failed", "SMTPRecipientsRefused", 1)
    assert json.loads(remind.ok("contacts", "list", "P-LUZ", "--format", "json").stdout) == []

    smtp.refuse = set()
    second = run(remind, "--channel", "email")
    assert second.exit_code == 0, second.stderr
    assert [env.rcpt_tos for env in smtp.envelopes[2:]] == [["luz@example.org"]]
    assert body(smtp.messages()["luz@example.org"]) == LUZ_TEXT
    row = next(r for r in reminder_rows(read) if r["followup_id"] == luz)
    assert (row["status"], row["error"], row["attempts"]) == ("sent", None, 2)
    third = run(remind, "--channel", "email")
    assert third.exit_code == 0
    assert len(smtp.envelopes) == 3


def test_no_server_fails_every_reminder_with_the_error_class(remind, people, isolated, read):  # noqa: F811
    (isolated / "no-config.toml").write_text(smtp_config(free_port()), encoding="utf-8")
    result = run(remind, "--channel", "email")
    assert result.exit_code == 1
    assert "failed 4" in result.stderr
    errors = {r["error"] for r in reminder_rows(read) if r["status"] == "failed"}
    assert errors == {"ConnectionRefusedError"}


def test_digest_mails_the_coordinator_the_due_list(remind, people, smtp, read):  # noqa: F811
    from caseload.services import audit

    result = run(remind, "--channel", "outbox", "--digest", "dana@clinic.example")
    assert result.exit_code == 0, result.stderr
    assert "  digest sent" in result.stderr
    (digest,) = [e for e in smtp.envelopes if e.rcpt_tos == ["dana@clinic.example"]]
    msg = email.message_from_bytes(digest.content, policy=policy.default)
    assert msg["Subject"] == "Due list for 2026-11-23"
    text = body(msg)
    assert text.startswith("Due list for Monday 23 November 2026")
    assert "Coordinator: Dana" in text
    assert "Insulin pen check" in text  # the coordinator's own list: titles belong there
    with read() as s:
        actions = [e["action"] for e in audit.list_events(s)]
    assert actions[-2:] == ["reminder.run", "duelist.email"]


def test_password_comes_from_the_env_var_it_names(monkeypatch):
    from caseload.config import Smtp
    from caseload.errors import CaseloadError
    from caseload.io.smtp import settings

    section = Smtp(host="h", sender="s@x", username="u", password_env="SMTP_PW")
    monkeypatch.delenv("SMTP_PW", raising=False)
    with pytest.raises(CaseloadError, match=r"password_env names SMTP_PW, which is not set"):
        settings(section)
    monkeypatch.setenv("SMTP_PW", "hunter2")
    s = settings(section)
    assert (s.port, s.starttls, s.username, s.password) == (587, True, "u", "hunter2")


RUN_WITH_REMIND = (
    "from caseload.cli.main import app\n"
    "from caseload.cli import remind\n"
    "if not any(c.name == 'remind' for c in app.registered_commands):\n"
    "    remind.register(app)\n"
    "app()\n"
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_crash_after_recording_never_resends(remind, people, smtp, isolated, read):  # noqa: F811
    """At-most-once: the claim is committed before SMTP; a kill there leaves it unsent for good."""
    env = {
        "CASELOAD_DB": str(remind.db),
        "CASELOAD_KEY_FILE": str(remind.key),
        "CASELOAD_CONFIG": str(isolated / "no-config.toml"),
        "CASELOAD_TEST_CRASH_AFTER": "reminder-recorded",
        "HOME": str(isolated),
        "PATH": "/usr/bin:/bin",
    }
    args = ["remind", "--channel", "email", "--date", "2026-11-23", "--now", "2026-11-23T12:00"]
    done = subprocess.run(
        [sys.executable, "-c", RUN_WITH_REMIND, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert smtp.envelopes == []
    luz = people[("P-LUZ", "CHF weight check")]  # the most urgent: claimed first
    assert [
        (r["followup_id"], r["status"]) for r in reminder_rows(read) if r["status"] != "skipped"
    ] == [(luz, "sending")]
    after = run(remind, "--channel", "email")
    assert after.exit_code == 0, after.stderr
    assert set(smtp.messages()) == {"ana@example.org", "jean@example.org"}
    assert (
        f"  unknown P-LUZ follow-up {luz}: may have been sent (an earlier run stopped); not resent"
        in after.stderr.splitlines()
    )
    assert "unknown 1" in after.stderr
    again = run(remind, "--channel", "email")
    assert len(smtp.envelopes) == 2 and "unknown 1" in again.stderr
