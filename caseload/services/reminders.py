"""Batch reminders: who gets one, what it says, and the record that makes "never twice" hold.

The Reminder table's unique key (follow-up, occurrence, channel) is the guard:
every write here is an insert-or-update through that constraint (SQLite
``ON CONFLICT``), never a check-then-insert, so two runs racing each other
cannot both claim one reminder.

Delivery is **at most once** for patients. A reminder is *claimed* (status
``sending``) and committed before the message is handed to SMTP or written to
the outbox, and only then marked ``sent`` or ``failed``. A row a crash leaves
in ``sending`` is never sent again; `remind` reports it as "may have been
sent". ``failed``, ``deferred`` and ``skipped`` rows are reconsidered on each
run; ``sent`` rows never.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from caseload.errors import CaseloadError
from caseload.models import FollowUp, Patient, Reminder
from caseload.services import audit, reminder_text
from caseload.services.common import utcnow

# More than this many days overdue, a reminder is stale: the coordinator calls instead.
MAX_DAYS_OVERDUE = 7
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
DEFERRED = "deferred"
SKIPPED = "skipped"
# Rows that may be tried again; `sent` and `sending` are final.
RETRYABLE = (FAILED, DEFERRED, SKIPPED)
# Patient channels: the contact detail they need, the consent flag, the contact method logged.
PATIENT_CHANNELS = {
    "outbox": ("phone", "may_text", "text"),
    "email": ("email", "may_email", "email"),
}
CHANNELS = reminder_text.CHANNELS
_NO_DETAIL = {"phone": "no phone number", "email": "no email address"}
_NO_CONSENT = {"may_text": "no consent to text", "may_email": "no consent to email"}


@dataclass
class Item:
    """One follow-up occurrence that could be reminded on one channel."""

    followup_id: int
    patient_id: int
    patient_external_id: str
    kind: str
    due_on: date
    previous: str | None = None  # the status of an earlier Reminder row, if any
    reason: str | None = None  # why it is skipped
    text: str | None = None  # its rendered part of the message


@dataclass
class Message:
    """What goes to one patient (or, for ics, one calendar entry per follow-up)."""

    patient_id: int
    patient_external_id: str
    channel: str
    to: str | None
    language: str
    items: list[Item]

    @property
    def text(self) -> str:
        return "\n\n".join(i.text or "" for i in self.items)

    @property
    def subject(self) -> str:
        return reminder_text.subject(self.language)


@dataclass
class Plan:
    day: date
    days_ahead: int
    channel: str
    messages: list[Message] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    already: list[Item] = field(default_factory=list)  # sent before
    # left `sending` by a crash, a run still at work, or a server silent after DATA
    unknown: list[Item] = field(default_factory=list)
    held: list[Message] = field(default_factory=list)  # over --limit: left for a later run
    quiet: bool = False


# --- settings ---------------------------------------------------------------------------


def parse_quiet_hours(value: object) -> tuple[time, time] | None:
    """``"21:00-08:00"`` → (21:00, 08:00); None when unset. A bad value is a config error."""
    if value in (None, ""):
        return None
    try:
        start_text, end_text = str(value).split("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError:
        raise CaseloadError(
            f'[reminders] quiet_hours must look like "21:00-08:00" (got {value!r})'
        ) from None
    if start == end:
        raise CaseloadError("[reminders] quiet_hours starts and ends at the same time")
    return start, end


def in_quiet_hours(now: datetime, hours: tuple[time, time] | None) -> bool:
    """Whether local ``now`` falls in [start, end); a span may wrap past midnight."""
    if hours is None:
        return False
    start, end = hours
    t = now.time().replace(tzinfo=None)
    if start < end:
        return start <= t < end
    return t >= start or t < end


# --- selection --------------------------------------------------------------------------


def _rows(session: Session, day: date, days_ahead: int, channel: str):
    r = Reminder
    stmt = (
        select(
            FollowUp.id,
            FollowUp.kind,
            FollowUp.due_on,
            Patient.id,
            Patient.external_id,
            Patient.given_name,
            Patient.preferred_name,
            Patient.phone,
            Patient.email,
            Patient.language,
            Patient.may_text,
            Patient.may_email,
            r.status,
            r.error,
        )
        .join(Patient, col(Patient.id) == col(FollowUp.patient_id))
        .outerjoin(
            r,
            and_(
                col(r.followup_id) == col(FollowUp.id),
                col(r.occurrence) == col(FollowUp.due_on),
                col(r.channel) == channel,
            ),
        )
        .where(
            FollowUp.status == "open",
            Patient.status == "active",
            col(FollowUp.due_on) >= day - timedelta(days=MAX_DAYS_OVERDUE),
            col(FollowUp.due_on) <= day + timedelta(days=days_ahead),
        )
        .order_by(col(FollowUp.due_on), col(Patient.external_id), col(FollowUp.id))
    )
    return session.exec(stmt).all()


def plan(
    session: Session,
    *,
    day: date,
    days_ahead: int,
    channel: str,
    templates: reminder_text.Templates,
    coordinator_name: str = "",
    coordinator_phone: str = "",
    quiet: bool = False,
    limit: int | None = None,
) -> Plan:
    """Who would get what: open follow-ups of active patients due from ``day - 7``
    through ``day + days_ahead``, grouped one message per patient (most urgent first).
    Reads only; nothing is recorded."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    result = Plan(day=day, days_ahead=days_ahead, channel=channel, quiet=quiet)
    groups: dict[int, Message] = {}
    for (
        fid,
        kind,
        due_on,
        pid,
        ext,
        given,
        preferred,
        phone,
        email,
        lang,
        may_text,
        may_email,
        prev,
        prev_error,
    ) in _rows(session, day, days_ahead, channel):
        item = Item(fid, pid, ext, kind, due_on, previous=prev)
        if prev == SENT:
            result.already.append(item)
            continue
        if prev == SENDING:
            item.reason = prev_error  # set when the server took the message and went quiet
            result.unknown.append(item)
            continue
        if channel == "ics":
            # The coordinator's own calendar: no patient consent or template involved.
            item.text = f"{kind.replace('_', ' ')} ({ext})"
            result.messages.append(Message(pid, ext, channel, None, "en", [item]))
            continue
        detail, consent, _method = PATIENT_CHANNELS[channel]
        to = ((phone if detail == "phone" else email) or "").strip()
        allowed = {"may_text": may_text, "may_email": may_email}[consent]
        language = _render(item, allowed, to, consent, detail, templates, lang, preferred or given,
                           coordinator_name, coordinator_phone)  # fmt: skip
        if language is None:
            result.skipped.append(item)
            continue
        msg = groups.get(pid)
        if msg is None:
            msg = groups[pid] = Message(pid, ext, channel, to, language, [])
            result.messages.append(msg)
        msg.items.append(item)
    if limit is not None and len(result.messages) > limit:
        result.held = result.messages[limit:]
        result.messages = result.messages[:limit]
    return result


def _render(
    item: Item, allowed, to: str, consent: str, detail: str, templates, lang, first_name,
    coordinator_name: str, coordinator_phone: str,
) -> str | None:  # fmt: skip
    """Fill in ``item.text`` and return the template's language; or set ``item.reason`` (no
    consent, no contact detail, a template problem) and return None."""
    if not allowed:
        item.reason = _NO_CONSENT[consent]
        return None
    if not to:
        item.reason = _NO_DETAIL[detail]
        return None
    try:
        rendered = reminder_text.render(
            templates, language=lang, kind=item.kind, first_name=(first_name or "").strip(),
            due_on=item.due_on, coordinator_name=coordinator_name,
            coordinator_phone=coordinator_phone,
        )  # fmt: skip
    except reminder_text.TemplateProblem as exc:
        item.reason = str(exc)
        return None
    item.text = rendered.text
    return rendered.language


# --- recording ---------------------------------------------------------------------------


def _upsert(
    session: Session,
    item: Item,
    channel: str,
    status: str,
    *,
    recipient: str | None = None,
    message: str | None = None,
    error: str | None = None,
    attempt: bool = False,
) -> int | None:
    """Insert the row, or update it only if it is retryable; its id, or None if it was final."""
    table = Reminder.__table__
    now = utcnow()
    stmt = sqlite_insert(table).values(
        patient_id=item.patient_id,
        followup_id=item.followup_id,
        occurrence=item.due_on,
        channel=channel,
        recipient=recipient,
        message=message,
        at=now,
        status=status,
        error=error,
        attempts=1 if attempt else 0,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["followup_id", "occurrence", "channel"],
        set_={
            "status": status,
            "error": error,
            "at": now,
            "recipient": recipient,
            "message": message,
            "attempts": table.c.attempts + (1 if attempt else 0),
        },
        where=table.c.status.in_(RETRYABLE),
    ).returning(table.c.id)
    return session.execute(stmt).scalar_one_or_none()


def record_unsent(session: Session, items: list[Item], channel: str, status: str) -> None:
    """Record skipped (with their reason) or deferred reminders; final rows are left alone."""
    for item in items:
        _upsert(session, item, channel, status, error=item.reason)


def claim(session: Session, msg: Message) -> Message | None:
    """Mark the message's reminders ``sending`` (call in its own committed unit of work).

    Returns the message cut down to the reminders this run now owns, or None when
    another run got there first.
    """
    owned = []
    for item in msg.items:
        rid = _upsert(
            session, item, msg.channel, SENDING, recipient=msg.to, message=item.text, attempt=True
        )
        if rid is not None:
            owned.append(item)
    if not owned:
        return None
    return Message(
        msg.patient_id, msg.patient_external_id, msg.channel, msg.to, msg.language, owned
    )


def finish(session: Session, msg: Message, status: str, error: str | None = None) -> None:
    """``sending`` → ``sent`` or ``failed`` (the error is an exception class, never an address)."""
    table = Reminder.__table__
    for item in msg.items:
        session.execute(
            update(table)
            .where(
                table.c.followup_id == item.followup_id,
                table.c.occurrence == item.due_on,
                table.c.channel == msg.channel,
                table.c.status == SENDING,
            )
            .values(status=status, error=error, at=utcnow())
        )


def log_sent(session: Session, msg: Message) -> None:
    """The sent reminder, as an outbound contact on the patient (with its own audit event)."""
    from caseload.services import contacts

    if msg.channel not in PATIENT_CHANNELS:
        return
    contacts.log(
        session,
        msg.patient_external_id,
        method=PATIENT_CHANNELS[msg.channel][2],
        outcome="left_message",
        party="patient",
        note="reminder sent",
        followup_id=msg.items[0].followup_id if len(msg.items) == 1 else None,
    )


def record_run(session: Session, day: date, channel: str, **counts: object) -> None:
    audit.record(session, "reminder.run", "reminder", day.isoformat(), channel=channel, **counts)


def rows_for(session: Session, followup_id: int | None = None) -> list[dict]:
    """Reminder rows as dicts (for reports and tests)."""
    stmt = select(Reminder).order_by(col(Reminder.id))
    if followup_id is not None:
        stmt = stmt.where(Reminder.followup_id == followup_id)
    return [r.model_dump() for r in session.exec(stmt)]
