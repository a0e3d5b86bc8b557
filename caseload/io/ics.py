"""The one iCalendar builder: VTODOs for `export --format ics` and for `remind --channel ics`.

Patients are named by external id only: calendars sync to places a store does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

# RFC 5545 PRIORITY: 1 highest … 9 lowest; caseload's 1 (urgent) … 4 (low).
_PRIORITY = {1: 1, 2: 3, 3: 5, 4: 9}


@dataclass(frozen=True)
class Todo:
    uid: str
    summary: str
    due: date
    kind: str
    priority: int | None = None  # caseload's 1..4
    description: str | None = None


def calendar(todos: Iterable[Todo], *, what: str) -> bytes:
    """One VCALENDAR of ``todos``; ``what`` names the source in PRODID (follow-ups, reminders)."""
    from icalendar import Calendar
    from icalendar import Todo as VTodo

    cal = Calendar()
    cal.add("prodid", f"-//caseload//{what}//EN")
    cal.add("version", "2.0")
    now = datetime.now(UTC)
    for t in todos:
        todo = VTodo()
        todo.add("uid", t.uid)
        todo.add("dtstamp", now)
        todo.add("summary", t.summary)
        todo.add("due", t.due)
        todo.add("status", "NEEDS-ACTION")
        if t.priority is not None:
            todo.add("priority", _PRIORITY.get(t.priority, 5))
        todo.add("categories", [t.kind])
        if t.description:
            todo.add("description", t.description)
        cal.add_component(todo)
    return cal.to_ical()


def followups(rows: list[dict]) -> bytes:
    """Open follow-ups (export): one to-do each, summarised as ``title (external id)``."""
    return calendar(
        (
            Todo(
                uid=f"followup-{f['id']}@caseload",
                summary=f"{f['title']} ({f['patient_external_id']})",
                due=f["due_on"],
                kind=f["kind"],
                priority=f.get("priority") or 3,
                description=f.get("notes"),
            )
            for f in rows
            if f["status"] == "open"
        ),
        what="follow-ups",
    )


def reminders(messages) -> bytes:
    """One to-do per reminded follow-up (remind --channel ics): kind and external id only,
    no title or notes."""
    return calendar(
        (
            Todo(
                uid=f"reminder-{i.followup_id}-{i.due_on.isoformat()}@caseload",
                summary=f"{i.kind.replace('_', ' ')} ({i.patient_external_id})",
                due=i.due_on,
                kind=i.kind,
            )
            for m in messages
            for i in m.items
        ),
        what="reminders",
    )
