"""The reminder transports: the outbox (CSV for an SMS tool), the coordinator's calendar, SMTP.

Each follows ``services.reminders_delivery.Transport``. An outbox file is a
hand-off: the SMS tool (or a person) takes the messages from it later, and
`remind` has already recorded them as sent. So a run

- appends its new messages to an existing outbox (checked first: its header
  must be the outbox header, else nothing is claimed and the run stops);
- leaves an existing file untouched when it has nothing new;
- adds to an existing calendar the to-dos it does not hold yet (a calendar is
  one VCALENDAR, so it is rewritten whole under a temporary name and renamed).

Writes go through ``io.private`` (mode 0600, never the store or a key).
``remind`` is the whole run (settings, transport, lock, plan, deliver) for any
front end; ``cli/remind.py`` parses and prints around it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from caseload import paths
from caseload.config import Config
from caseload.errors import CaseloadError, Interrupted
from caseload.io import ics, private
from caseload.io.smtp import SmtpSender, SmtpSettings, email
from caseload.services.reminders import Message, Plan
from caseload.services.reminders_delivery import Outcome, SendFailed

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


def open_transport(channel: str, path: Path | None, stdout: TextIO, smtp: SmtpSettings | None):
    """The transport for ``channel``: SMTP for email; for outbox and ics, stdout or the file
    at ``path`` (checked now, before anything is claimed)."""
    if channel == "email":
        assert smtp is not None
        return SmtpTransport(smtp)
    if path is None or str(path) == "-":
        return StreamSink(channel, stdout)
    if channel == "ics":
        return CalendarFile(path)
    return OutboxFile(path)


def _durable(stream) -> None:
    """Flush, and fsync a real file, before the reminders in it are marked sent."""
    stream.flush()
    # A pipe, a terminal or an in-memory stream cannot be fsynced: nothing more to do there.
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.fsync(stream.fileno())


class _Batch:
    """A file transport: the run's messages in one ``deliver``, durable before it returns."""

    batch = True

    def write(self, messages: list[Message]) -> None:
        raise NotImplementedError

    def deliver(self, messages: list[Message]) -> None:
        try:
            self.write(messages)
        except OSError as exc:
            raise SendFailed(type(exc).__name__) from None

    def close(self) -> None:
        pass


class StreamSink(_Batch):
    """Stdout: the whole outbox (header included) or calendar of this run."""

    def __init__(self, channel: str, stream: TextIO) -> None:
        self.channel, self.stream = channel, stream

    def write(self, messages: list[Message]) -> None:
        if self.channel == "ics":
            self.stream.write(ics.reminders(messages).decode("utf-8"))
        else:
            self.stream.write(outbox_text(messages, header=True))
        _durable(self.stream)

    def summary(self) -> str | None:
        return None


def _outbox_rows(path: Path) -> int | None:
    """How many messages the outbox at ``path`` holds; None when there is no such file (or it
    is a device or FIFO, which is never read). Anything but an outbox is refused."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                return 0
            if tuple(header) != OUTBOX_COLUMNS:
                raise CaseloadError(
                    f"{path} is not an outbox (its first row is not "
                    f"{','.join(OUTBOX_COLUMNS)}); nothing was sent: give another --output"
                )
            return sum(1 for _ in reader)
    except (UnicodeDecodeError, csv.Error):
        raise CaseloadError(
            f"{path} is not an outbox (not CSV text); nothing was sent: give another --output"
        ) from None
    except OSError as exc:
        raise CaseloadError(f"cannot read {path}: {exc.strerror}") from None


class OutboxFile(_Batch):
    """``--output FILE`` for the outbox: messages appended, earlier ones kept."""

    def __init__(self, path: Path) -> None:
        private.check_writable(path)
        self.path = path
        self.stream = private.is_stream(path)
        self.earlier = None if self.stream else _outbox_rows(path) if path.exists() else None
        self.added = 0

    def write(self, messages: list[Message]) -> None:
        self.added = len(messages)
        if self.earlier is not None and not messages:
            return  # nothing new: the file stays exactly as it was
        import fcntl

        with private.open_private(self.path, append=True) as f:
            if not self.stream:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # a concurrent run appends after us
            fresh = self.stream or os.fstat(f.fileno()).st_size == 0
            f.write(outbox_text(messages, header=fresh))
            _durable(f)

    def summary(self) -> str:
        n = self.added
        new = f"{n} new message{'s' if n != 1 else ''}"
        if self.stream:
            return f"  outbox {self.path}: {new} written"
        if self.earlier is None:
            return f"  outbox {self.path}: {new} (a new file)"
        if n == 0:
            return f"  outbox {self.path}: nothing new; left as it was ({self.earlier} messages)"
        total = self.earlier + n
        return (
            f"  outbox {self.path}: {new} added after the {self.earlier} already there "
            f"({total} in all, until the SMS tool takes them)"
        )


def _read_calendar(path: Path):
    from icalendar import Calendar

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaseloadError(f"cannot read {path}: {exc.strerror}") from None
    if not data.strip():
        return None
    try:
        cal = Calendar.from_ical(data)
    except ValueError:
        cal = None
    if cal is None or cal.name != "VCALENDAR":
        raise CaseloadError(
            f"{path} is not a calendar (no VCALENDAR); nothing was sent: give another --output"
        )
    return cal


class CalendarFile(_Batch):
    """``--output FILE`` for ics: new to-dos added to the calendar already there."""

    def __init__(self, path: Path) -> None:
        private.check_writable(path)
        self.path = path
        self.stream = private.is_stream(path)
        self.existing = None if self.stream or not path.exists() else _read_calendar(path)
        self.earlier = None if self.existing is None else len(self._todos(self.existing))
        self.added = 0

    @staticmethod
    def _todos(cal) -> list:
        return [c for c in cal.walk("VTODO")]

    def write(self, messages: list[Message]) -> None:
        from icalendar import Calendar

        new = Calendar.from_ical(ics.reminders(messages))
        if self.existing is None:
            merged = new
        else:
            merged = self.existing
            have = {str(t.get("uid")) for t in self._todos(merged)}
            for todo in self._todos(new):
                if str(todo.get("uid")) not in have:
                    merged.add_component(todo)
        self.added = len(self._todos(merged)) - (self.earlier or 0)
        if self.existing is not None and self.added == 0:
            return  # nothing new: the file stays exactly as it was
        staged = private.Staged()
        try:
            with staged.open(self.path) as f:
                f.write(merged.to_ical())
                _durable(f)
            staged.commit()
        finally:
            staged.discard()

    def summary(self) -> str:
        n = self.added
        new = f"{n} new to-do{'s' if n != 1 else ''}"
        if self.earlier is None:
            return f"  calendar {self.path}: {new}"
        if n == 0:
            return f"  calendar {self.path}: nothing new; left as it was ({self.earlier} to-dos)"
        return f"  calendar {self.path}: {new} added to the {self.earlier} already there"


class SmtpTransport:
    """Email: one message per ``deliver``, over one SMTP connection for the run; also the
    digest's mailer."""

    batch = False

    def __init__(self, settings: SmtpSettings) -> None:
        self.sender = SmtpSender(settings)

    def deliver(self, messages: list[Message]) -> None:
        for m in messages:
            self.sender.send(email(self.sender.settings, m.to or "", m.subject, m.text))

    def mail(self, to: str, subject: str, body: str) -> None:
        self.sender.send(email(self.sender.settings, to, subject, body))

    def summary(self) -> str | None:
        return None

    def close(self) -> None:
        self.sender.close()


class RunLock:
    """Held (shared) by every `remind` run for its whole life, on ``<store>.remind-lock``.

    A reminder left ``sending`` is either a run at work right now or a run that
    stopped. ``others_live()`` tells them apart: it asks for the lock exclusively
    without waiting, which only succeeds when no other run holds it. POSIX
    record locks are dropped by the kernel when a process dies, so a killed run
    never looks alive.
    """

    def __init__(self, db: Path, *, hold: bool = True) -> None:
        self.path = db.with_name(db.name + ".remind-lock")
        self.hold = hold
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        import fcntl

        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return self  # a read-only folder: no lock, and claims read as stopped runs
        if self.hold:
            fcntl.lockf(self.fd, fcntl.LOCK_SH)
        return self

    def others_live(self) -> bool:
        import fcntl

        if self.fd is None:
            return False
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        # Back to shared (atomic for POSIX locks), or released for a probe.
        fcntl.lockf(self.fd, fcntl.LOCK_SH if self.hold else fcntl.LOCK_UN)
        return False

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


# --- the run -----------------------------------------------------------------------------


@dataclass
class Run:
    """What `remind` did (``outcome``), or would do (a dry run: ``outcome`` is None)."""

    plan: Plan
    outcome: Outcome | None
    elsewhere: bool  # a reminder left `sending` may be another live run's
    summary: str | None = None  # what the outbox or calendar file now holds


def remind(
    sessions: Callable, raw: Callable, db: Path, cfg: Config, *, day: date, now: datetime,
    channel: str = "outbox", days_ahead: int = 1, output: Path | None = None,
    dry_run: bool = False, limit: int | None = None, digest: str | None = None,
    stdout: TextIO, after_claim: Callable[[], None] = lambda: None,
) -> Run:  # fmt: skip
    """One `remind` run, for any front end: check the settings, open the transport (before
    anything is claimed), plan under the run lock, deliver. ``sessions(write=…)`` gives short
    sessions; ``raw()`` the keyed DBAPI connection (the digest's due list)."""
    from caseload.io import smtp as mail
    from caseload.services import reminder_text
    from caseload.services import reminders as svc
    from caseload.services.reminders_delivery import deliver

    quiet = svc.in_quiet_hours(now, svc.parse_quiet_hours(cfg.reminders.quiet_hours))
    if channel != "ics" and not (cfg.coordinator_name and cfg.coordinator_phone):
        raise CaseloadError(
            "reminders need coordinator_name and coordinator_phone in the [caseload] table"
            f" of the config file {paths.config_file()}",
            hint="patients are told whom to call back; see docs/reminders.md",
        )
    settings = mail.settings(cfg.smtp) if channel == "email" or digest else None
    transport = None if dry_run else open_transport(channel, output, stdout, settings)
    mailer = None
    if digest and not dry_run:
        mailer = transport if isinstance(transport, SmtpTransport) else SmtpTransport(settings)
    try:
        with RunLock(db, hold=not dry_run) as lock:
            with sessions() as s:
                plan = svc.plan(
                    s, day=day, days_ahead=days_ahead, channel=channel,
                    templates=reminder_text.Templates.configured(),
                    coordinator_name=cfg.coordinator_name,
                    coordinator_phone=cfg.coordinator_phone, quiet=quiet, limit=limit,
                )  # fmt: skip
            elsewhere = bool(plan.unknown) and lock.others_live()
            if transport is None:
                return Run(plan, None, elsewhere)
            mail_digest = (
                (mailer, digest, *digest_mail(raw(), day, days_ahead, cfg)) if digest else None
            )
            try:
                outcome = deliver(
                    lambda: sessions(write=True), plan, transport,
                    digest=mail_digest, after_claim=after_claim,
                )  # fmt: skip
            except KeyboardInterrupt:
                raise Interrupted(
                    "interrupted: reminders handed over before it are recorded as sent; one in "
                    "hand at that moment shows as 'may have been sent' next run, and none is "
                    "sent twice"
                ) from None
    finally:
        for t in {id(x): x for x in (transport, mailer) if x is not None}.values():
            t.close()
    return Run(plan, outcome, elsewhere, transport.summary())


def digest_mail(conn, day: date, days_ahead: int, cfg: Config) -> tuple[str, str]:
    """(subject, body): the coordinator's own due list, as printed by `caseload due`."""
    from caseload.io import duelist as writer
    from caseload.services import duelist

    result = duelist.build(conn, day, days_ahead, windows=cfg.windows)
    body = io.StringIO()
    writer.write(result, "text", body, coordinator=cfg.coordinator_name)
    return f"Due list for {day.isoformat()}", body.getvalue()
