"""Where reminders go: the outbox CSV, the coordinator's calendar, and SMTP.

Only the standard library's ``smtplib`` talks to the mail server. Errors are
reported by exception class (``SMTPRecipientsRefused``, ``ConnectionRefusedError``)
so that no address or server reply, which may echo an address, reaches the store
or the terminal.
"""

from __future__ import annotations

import csv
import io
import os
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from caseload.errors import CaseloadError
from caseload.services.reminders import Message

OUTBOX_COLUMNS = ("patient_external_id", "to", "channel", "message")


def outbox_text(messages: list[Message], *, header: bool) -> str:
    """One row per message, for a bulk SMS tool (with the header row when asked).

    Cells are not neutralised against spreadsheet formulas (unlike exports): the
    SMS tool needs ``+44…`` numbers exactly as stored.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(OUTBOX_COLUMNS)
    for m in messages:
        w.writerow([m.patient_external_id, m.to, "sms", m.text])
    return buf.getvalue()


def calendar(messages: list[Message]) -> bytes:
    """One VTODO per reminded follow-up: kind and patient external id only, no title or notes."""
    from icalendar import Calendar, Todo

    cal = Calendar()
    cal.add("prodid", "-//caseload//reminders//EN")
    cal.add("version", "2.0")
    now = datetime.now(UTC)
    for m in messages:
        for item in m.items:
            todo = Todo()
            todo.add("uid", f"reminder-{item.followup_id}-{item.due_on.isoformat()}@caseload")
            todo.add("dtstamp", now)
            todo.add("summary", f"{item.kind.replace('_', ' ')} ({item.patient_external_id})")
            todo.add("due", item.due_on)
            todo.add("status", "NEEDS-ACTION")
            todo.add("categories", [item.kind])
            cal.add_component(todo)
    return cal.to_ical()


# --- SMTP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None
    password: str | None
    starttls: bool
    timeout: float = 30.0


def smtp_settings(raw: dict, where: str = "the config file") -> SmtpSettings:
    """The ``[smtp]`` table checked; the password comes from the env var ``password_env`` names."""
    t = raw.get("smtp") or {}
    host, sender = str(t.get("host") or "").strip(), str(t.get("sender") or "").strip()
    if not host or not sender:
        raise CaseloadError(
            f"email needs [smtp] host and sender in {where}",
            hint="see docs/reminders.md for an example [smtp] table",
        )
    starttls = t.get("starttls", True)
    if not isinstance(starttls, bool):
        raise CaseloadError("[smtp] starttls must be true or false")
    try:
        port = int(t.get("port", 587 if starttls else 25))
        timeout = float(t.get("timeout", 30))
    except (TypeError, ValueError):
        raise CaseloadError("[smtp] port and timeout must be numbers") from None
    username = str(t["username"]) if t.get("username") else None
    password = None
    env = t.get("password_env")
    if env:
        password = os.environ.get(str(env))
        if not password:
            raise CaseloadError(f"[smtp] password_env names {env}, which is not set or empty")
    elif username:
        raise CaseloadError("[smtp] username is set but password_env is not")
    return SmtpSettings(host, port, sender, username, password, starttls, timeout)


def email(settings: SmtpSettings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    msg.set_content(body)
    return msg


class SendFailed(Exception):
    """One message did not go; ``str()`` is the underlying exception's class name."""


class MaybeSent(SendFailed):
    """The message was handed over (after DATA's 354) but the server never confirmed it:
    it may have been delivered, so it is never sent again."""


class _Client(smtplib.SMTP):
    """smtplib's client, noting the moment the message itself goes to the server."""

    handed_over = False
    _after_data = False

    def putcmd(self, cmd, args=""):
        self._after_data = cmd.lower() == "data"
        super().putcmd(cmd, args)

    def getreply(self):
        code, msg = super().getreply()
        if self._after_data:
            self._after_data = False
            # 354: the server now reads the message; from here on it may keep it.
            self.handed_over = code == 354
        return code, msg


class SmtpSender:
    """One SMTP connection for the run, opened on first use.

    A refused recipient fails that message only. A dropped connection is reopened
    once; if that fails too, every later message fails at once with the same
    error instead of waiting out a timeout per patient. A failure after the
    message was handed over (the server stalls or drops before its final reply)
    is ``MaybeSent``, never a plain failure: a retry could deliver it twice.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: _Client | None = None
        self._reconnects = 0
        self._broken: str | None = None

    def _connect(self) -> _Client:
        s = self.settings
        smtp = _Client(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls:
                import ssl

                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, msg: EmailMessage) -> None:
        if self._broken:
            raise SendFailed(self._broken)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.handed_over = False
            self._smtp.send_message(msg)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            raise SendFailed(type(exc).__name__) from None  # the server said no: not delivered
        except (smtplib.SMTPException, OSError) as exc:
            handed_over = self._smtp is not None and self._smtp.handed_over
            # The connection is unusable: drop it; the next message may reconnect once.
            self._drop()
            self._reconnects += 1
            if self._reconnects > 1 or not isinstance(exc, smtplib.SMTPServerDisconnected):
                self._broken = type(exc).__name__
            if handed_over:
                raise MaybeSent(type(exc).__name__) from None
            raise SendFailed(type(exc).__name__) from None

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self._drop()
