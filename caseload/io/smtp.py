"""Mail over SMTP, for email reminders and the digest: settings, the message, one sender.

Only the standard library's ``smtplib`` talks to the mail server. Errors are
reported by exception class (``SMTPRecipientsRefused``, ``ConnectionRefusedError``)
so that no address or server reply, which may echo an address, reaches the store
or the terminal. Failures are the delivery protocol's ``SendFailed`` and
``MaybeSent`` (services.reminders_delivery).
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from caseload.config import Smtp
from caseload.errors import CaseloadError
from caseload.services.reminders_delivery import MaybeSent, SendFailed


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None
    password: str | None
    starttls: bool
    timeout: float = 30.0


def settings(section: Smtp, where: str = "the config file") -> SmtpSettings:
    """The ``[smtp]`` table (``config.Smtp``) ready to use: host and sender set, the password
    from the environment variable ``password_env`` names."""
    if not section.host or not section.sender:
        raise CaseloadError(
            f"email needs [smtp] host and sender in {where}",
            hint="see docs/reminders.md for an example [smtp] table",
        )
    port = section.port if section.port is not None else 587 if section.starttls else 25
    username = section.username or None
    password = None
    env = section.password_env
    if env:
        password = os.environ.get(env)
        if not password:
            raise CaseloadError(f"[smtp] password_env names {env}, which is not set or empty")
    elif username:
        raise CaseloadError("[smtp] username is set but password_env is not")
    return SmtpSettings(
        section.host, port, section.sender, username, password, section.starttls, section.timeout
    )


def email(settings: SmtpSettings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    msg.set_content(body)
    return msg


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
