"""Follow-ups: add, list, complete (recording the contact and scheduling the next), cancel.

Recurrence is an RFC 5545 RRULE (without DTSTART) read by python-dateutil. A
series is the chain of follow-ups sharing ``series_id`` (the id of its first
one); only one occurrence is open at a time and the next is created when the
current one is completed or skipped, so the list never fills with the future.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, func, select

from caseload.config import MAX_WINDOW_DAYS
from caseload.errors import Invalid, NotFound
from caseload.models import FollowUp, FollowUpKind, FollowUpStatus, Patient
from caseload.services import audit, contacts, schedule
from caseload.services.common import check_choice, clean_text, today, utcnow
from caseload.services.fieldnames import FOLLOWUP_FIELDS
from caseload.services.patients import get_row as patient_row

# The public field names: the keys of `--format json` and the import columns.
FIELDS = FOLLOWUP_FIELDS
# What the next occurrence of a series takes over from the one before it.
_COPIED = (
    "patient_id", "title", "kind", "window_before", "window_after", "priority", "rrule",
    "from_completion", "notes",
)  # fmt: skip

PRESETS = schedule.RRULE_PRESETS
RRULE_HELP = (
    "use daily, weekly, biweekly, monthly, quarterly or an RRULE such as "
    "FREQ=WEEKLY;BYDAY=MO or FREQ=MONTHLY;BYMONTHDAY=1;COUNT=6"
)
# Follow-ups fall on days: sub-daily frequencies and times of day would make two
# occurrences share a date.
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_NO_TIME = ("BYHOUR", "BYMINUTE", "BYSECOND")
# A rule must produce a date within this horizon; it also stops dateutil from
# scanning to the year 9999 for an impossible rule (FREQ=DAILY;BYMONTHDAY=31;BYMONTH=2).
HORIZON = timedelta(days=366 * 10)
# The longest step between two occurrences: the same ten years.
_MAX_INTERVAL = {"DAILY": 3660, "WEEKLY": 522, "MONTHLY": 120, "YEARLY": 10}
MAX_COUNT = 9999

DEFAULT_METHOD = schedule.DEFAULT_METHOD


class BadRule(Invalid):
    """A recurrence caseload cannot follow; ``detail`` is the message without the option name."""

    def __init__(self, text: str, why: str) -> None:
        self.detail = f"{text!r} is not a usable recurrence: {why}; {RRULE_HELP}"
        super().__init__(f"--every {self.detail}")


def _bad_rule(text: str, why: str) -> BadRule:
    return BadRule(text, why)


def normalise_rrule(text: str | None) -> str | None:
    """A preset name or RRULE text → canonical RRULE text (upper case, no DTSTART), or None.

    Raises Invalid naming ``--every`` when the rule is not one caseload can follow.
    """
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    preset = PRESETS.get(raw.lower())
    if preset is not None:
        return preset
    rule = re.sub(r"\s+", "", raw).upper()
    if rule.startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    if "DTSTART" in rule:
        raise _bad_rule(raw, "leave DTSTART out (the due date starts the series)")
    if ":" in rule:
        raise _bad_rule(raw, "give one RRULE only")
    parts: dict[str, str] = {}
    for part in filter(None, rule.split(";")):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise _bad_rule(raw, f"{part!r} is not NAME=VALUE")
        if key in parts:
            raise _bad_rule(raw, f"{key} is given twice")
        parts[key] = value
    if parts.get("FREQ") not in _FREQS:
        raise _bad_rule(raw, "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    for key in _NO_TIME:
        if key in parts:
            raise _bad_rule(raw, f"{key} does not apply: follow-ups are due on dates")
    for key, most in (("INTERVAL", _MAX_INTERVAL[parts["FREQ"]]), ("COUNT", MAX_COUNT)):
        value = parts.get(key, "1").lstrip("0")
        if not (value.isascii() and value.isdigit()):  # ("²" is a digit to isdigit)
            raise _bad_rule(raw, f"{key} must be a whole number of 1 or more")
        # (length first: int() of 5000 digits is refused, and of a million slow)
        if len(value) > 6 or int(value) > most:
            raise _bad_rule(raw, f"{key} must be a whole number from 1 to {most}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _bad_rule(raw, "give COUNT or UNTIL, not both")
    if "UNTIL" in parts:
        # Calendar apps write UNTIL in UTC ("...T235959Z"); the rule runs on dates, so
        # keep the date and time and drop the zone (dateutil refuses to mix them).
        parts["UNTIL"] = parts["UNTIL"].removesuffix("Z")
    rule = ";".join(f"{k}={v}" for k, v in parts.items())
    _rule(rule, date.today(), raw)
    return rule


def _rule(rule: str, start: date, shown: str | None = None):
    """The dateutil rule for ``rule`` with the series starting on ``start``."""
    from dateutil.rrule import rrulestr

    try:
        return rrulestr(rule, dtstart=datetime.combine(start, time()))
    except (ValueError, TypeError, KeyError) as exc:
        raise _bad_rule(shown or rule, str(exc) or type(exc).__name__) from None


def check_rrule(text: str | None, due_on: date) -> str | None:
    """``normalise_rrule`` plus: the series starting ``due_on`` has a date after it."""
    rule = normalise_rrule(text)
    if rule is not None:
        _check_rule_has_dates(rule, due_on, str(text))
    return rule


def _check_rule_has_dates(rule: str, start: date, shown: str) -> None:
    r = _rule(rule, start, shown)
    begin = datetime.combine(start, time())
    # An UNTIL or COUNT may legitimately end a series soon; it must still have a date.
    if not r.between(begin, begin + HORIZON, inc=True):
        raise _bad_rule(shown, f"it has no dates in the ten years from {start.isoformat()}")


def _next_after(rule: str, start: date, after: date) -> date | None:
    """The first date of the series starting ``start`` strictly after ``after`` (None: ended)."""
    r = _rule(rule, start)
    # Compare by date: the end of ``after`` so no occurrence on that day is taken again.
    nxt = r.after(datetime.combine(after, time.max), inc=False)
    return None if nxt is None else nxt.date()


_text = clean_text


def _window(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WINDOW_DAYS:
        raise Invalid(f"{name} must be a whole number of days from 0 to {MAX_WINDOW_DAYS}")
    return value


def _to_public(f: FollowUp, external_id: str) -> dict:
    d = {k: getattr(f, k, None) for k in FIELDS}
    d["patient_external_id"] = external_id
    d["completed_at"] = contacts.as_utc(f.completed_at)
    return d


def add(
    session: Session,
    external_id: str,
    *,
    title: str,
    due_on: date,
    kind: str = FollowUpKind.call.value,
    window_before: int | None = None,
    window_after: int | None = None,
    priority: int = 3,
    rrule: str | None = None,
    from_completion: bool = False,
    notes: str | None = None,
) -> dict:
    """Schedule a follow-up; with ``rrule`` it starts a series of which it is the first."""
    p = patient_row(session, external_id)
    title = _text(title, "title", required=True)
    kind = check_choice(kind, FollowUpKind, "kind")
    if isinstance(due_on, datetime) or not isinstance(due_on, date):
        raise Invalid("due_on must be a date")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 4:
        raise Invalid("priority must be 1 (urgent) to 4 (low)")
    rrule = check_rrule(rrule, due_on)
    if rrule is None and from_completion:
        raise Invalid("from_completion needs a recurrence (--every)")
    f = FollowUp(
        patient_id=p.id,
        title=title,
        kind=kind,
        due_on=due_on,
        window_before=_window(window_before, "window_before"),
        window_after=_window(window_after, "window_after"),
        priority=priority,
        rrule=rrule,
        from_completion=bool(from_completion),
        notes=_text(notes, "notes"),
        created_at=utcnow(),
    )
    session.add(f)
    session.flush()
    if rrule is not None:
        f.series_id = f.id
        session.add(f)
        session.flush()
    audit.record(
        session, "followup.add", "followup", f.id, patient_id=p.id, recurring=rrule is not None
    )
    return _to_public(f, p.external_id)


def get_row(session: Session, followup_id: int) -> FollowUp:
    f = session.get(FollowUp, followup_id)
    if f is None:
        raise NotFound(f"no follow-up with id {followup_id}")
    return f


def _external_id(session: Session, patient_id: int) -> str:
    return session.exec(select(Patient.external_id).where(Patient.id == patient_id)).one()


def get(session: Session, followup_id: int) -> dict:
    f = get_row(session, followup_id)
    return _to_public(f, _external_id(session, f.patient_id))


def list_followups(
    session: Session,
    external_id: str | None = None,
    *,
    status: str | None = FollowUpStatus.open.value,
    limit: int | None = None,
    due_before: date | None = None,
) -> list[dict]:
    """Follow-ups by due date (then id); ``status`` None or "all" lists every status;
    ``due_before`` keeps those due before that day (with status open: the overdue)."""
    stmt = select(FollowUp, Patient.external_id).join(
        Patient, col(Patient.id) == col(FollowUp.patient_id)
    )
    if external_id is not None:
        stmt = stmt.where(FollowUp.patient_id == patient_row(session, external_id).id)
    if status is not None and status != "all":
        stmt = stmt.where(FollowUp.status == check_choice(status, FollowUpStatus, "status"))
    if due_before is not None:
        stmt = stmt.where(col(FollowUp.due_on) < due_before)
    stmt = stmt.order_by(col(FollowUp.due_on), col(FollowUp.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_to_public(f, ext) for f, ext in session.exec(stmt)]


def _series_start(session: Session, f: FollowUp) -> date:
    """The series' first due date: the rule's DTSTART, so BYDAY/BYMONTHDAY stay aligned."""
    if f.series_id is None or f.series_id == f.id:
        return f.due_on
    first = session.get(FollowUp, f.series_id)
    # An imported series whose first row is gone: counting from this one is the best left.
    return f.due_on if first is None else first.due_on


def _series_size(session: Session, f: FollowUp) -> int:
    if f.series_id is None:
        return 1
    return session.exec(
        select(func.count()).select_from(FollowUp).where(FollowUp.series_id == f.series_id)
    ).one()


def _schedule_next(session: Session, f: FollowUp, done_on: date) -> FollowUp | None:
    """The next occurrence after ``f`` (completed or skipped on ``done_on``), or None."""
    if not f.rrule:
        return None
    if f.from_completion:
        # The rule restarts at each completion, so its COUNT would never run out:
        # count the occurrences the series has had instead.
        count = re.search(r"(?:^|;)COUNT=(\d+)", f.rrule)
        if count and _series_size(session, f) >= int(count.group(1)):
            return None
        nxt = _next_after(f.rrule, done_on, done_on)
    else:
        nxt = _next_after(f.rrule, _series_start(session, f), f.due_on)
    if nxt is None:
        return None
    series_id = f.series_id or f.id
    existing = session.exec(
        select(FollowUp).where(
            FollowUp.series_id == series_id,
            FollowUp.due_on == nxt,
            FollowUp.status == FollowUpStatus.open.value,
        )
    ).first()
    if existing is not None:  # never the same occurrence twice
        return existing
    copied = {k: getattr(f, k) for k in _COPIED}
    n = FollowUp(**copied, due_on=nxt, series_id=series_id, created_at=utcnow())
    session.add(n)
    session.flush()
    audit.record(
        session, "followup.next", "followup", n.id, patient_id=f.patient_id, series_id=series_id
    )
    return n


def complete(
    session: Session,
    followup_id: int,
    *,
    outcome: str | None = None,
    method: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
    no_contact: bool | None = None,
) -> dict:
    """Mark an open follow-up done (late is fine), record its contact, schedule the next.

    Whether a contact is recorded follows ``schedule.records_contact``: ``no_contact``
    True completes a task done without reaching anyone (not for calls and visits;
    ``note`` is then kept on the follow-up), False always records one, None decides
    by the kind and by whether an outcome or method was given. The result's
    ``contact_id`` is None when no contact was recorded.
    """
    f = get_row(session, followup_id)
    if f.status != FollowUpStatus.open.value:
        raise Invalid(f"follow-up {followup_id} is {f.status} already")
    try:
        with_contact = schedule.records_contact(
            f.kind, no_contact=no_contact, contact_given=outcome is not None or method is not None
        )
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    ext = _external_id(session, f.patient_id)
    contact = None
    if with_contact:
        contact = contacts.log(
            session,
            ext,
            method=method or DEFAULT_METHOD.get(f.kind, "phone"),
            outcome=outcome or "reached",
            at=at,
            note=note,
            followup_id=f.id,
        )
        done_at = contact["at"]
    else:
        done_at = contacts.checked_at(at)
        note = _text(note, "note")
    f.status = FollowUpStatus.done.value
    f.completed_at = done_at
    f.completed_contact_id = None if contact is None else contact["id"]
    session.add(f)
    session.flush()
    audit.record(
        session,
        "followup.done",
        "followup",
        f.id,
        patient_id=f.patient_id,
        contact_id=f.completed_contact_id,
        no_contact=contact is None,
    )
    # The completion date is the coordinator's local day of the contact.
    nxt = _schedule_next(session, f, done_at.astimezone().date())
    if contact is None and note:
        # Kept after the next occurrence copied the notes, so it stays with this one.
        f.notes = f"{f.notes}\n{note}" if f.notes else note
        session.add(f)
        session.flush()
    out = _to_public(f, ext)
    out["contact_id"] = f.completed_contact_id
    out["next"] = None if nxt is None else _to_public(nxt, ext)
    return out


def cancel(
    session: Session, followup_id: int, *, reason: str | None = None, series: bool = False
) -> list[dict]:
    """Cancel an open follow-up, or with ``series`` every open one of its series.

    Cancelling one occurrence of a recurring follow-up skips it: the next is
    scheduled as a completion today would schedule it, so a weekly call carries on.
    Cancelling the series leaves nothing open, which ends the recurrence. The
    skipped occurrence's dict carries the new one under ``next``.
    """
    f = get_row(session, followup_id)
    if f.status != FollowUpStatus.open.value:
        raise Invalid(f"follow-up {followup_id} is {f.status} already")
    reason = _text(reason, "reason")
    rows = [f]
    if series and f.series_id is not None:
        rows = list(
            session.exec(
                select(FollowUp)
                .where(
                    FollowUp.series_id == f.series_id,
                    FollowUp.status == FollowUpStatus.open.value,
                )
                .order_by(col(FollowUp.due_on), col(FollowUp.id))
            )
        )
    ext = _external_id(session, f.patient_id)
    out = []
    for row in rows:
        row.status = FollowUpStatus.cancelled.value
        row.cancelled_reason = reason
        session.add(row)
        session.flush()
        audit.record(
            session,
            "followup.cancel",
            "followup",
            row.id,
            patient_id=row.patient_id,
            series=series,
        )
        out.append(_to_public(row, ext))
    if not series and f.rrule:
        nxt = _schedule_next(session, f, today())
        out[0]["next"] = None if nxt is None else _to_public(nxt, ext)
    return out
