"""Where `remind` puts the outbox and the calendar: stdout, or a file that is added to, never truncated.

An outbox file is a hand-off: the SMS tool (or a person) takes the messages
from it later, and `remind` has already recorded them as sent. So a run

- appends its new messages to an existing outbox (checked first: its header
  must be the outbox header, else nothing is claimed and the run stops);
- leaves an existing file untouched when it has nothing new;
- adds to an existing calendar the to-dos it does not hold yet (a calendar is
  one VCALENDAR, so it is rewritten whole under a temporary name and renamed).

Writes go through ``io.private`` (mode 0600, never the store or a key).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from pathlib import Path
from typing import TextIO

from caseload.errors import CaseloadError
from caseload.io import private
from caseload.io.reminders_out import OUTBOX_COLUMNS, calendar, outbox_text
from caseload.services.reminders import Message


def open_sink(channel: str, path: Path | None, stdout: TextIO):
    """The sink for ``channel`` (outbox or ics): stdout, or the file at ``path``."""
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


class StreamSink:
    """Stdout: the whole outbox (header included) or calendar of this run."""

    def __init__(self, channel: str, stream: TextIO) -> None:
        self.channel, self.stream = channel, stream

    def write(self, messages: list[Message]) -> None:
        if self.channel == "ics":
            self.stream.write(calendar(messages).decode("utf-8"))
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


class OutboxFile:
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


class CalendarFile:
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

        new = Calendar.from_ical(calendar(messages))
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
