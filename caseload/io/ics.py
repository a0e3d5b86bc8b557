"""Open follow-ups as an iCalendar file: one VTODO each, due on its date."""

from __future__ import annotations

from datetime import UTC, datetime

# RFC 5545 PRIORITY: 1 highest … 9 lowest; caseload's 1 (urgent) … 4 (low).
_PRIORITY = {1: 1, 2: 3, 3: 5, 4: 9}


def calendar(followups: list[dict]) -> bytes:
    from icalendar import Calendar, Todo

    cal = Calendar()
    cal.add("prodid", "-//caseload//follow-ups//EN")
    cal.add("version", "2.0")
    now = datetime.now(UTC)
    for f in followups:
        if f["status"] != "open":
            continue
        todo = Todo()
        todo.add("uid", f"followup-{f['id']}@caseload")
        todo.add("dtstamp", now)
        # Patients are named by external id only: calendars sync to places a store does not.
        todo.add("summary", f"{f['title']} ({f['patient_external_id']})")
        todo.add("due", f["due_on"])
        todo.add("status", "NEEDS-ACTION")
        todo.add("priority", _PRIORITY.get(f.get("priority") or 3, 5))
        todo.add("categories", [f["kind"]])
        if f.get("notes"):
            todo.add("description", f["notes"])
        cal.add_component(todo)
    return cal.to_ical()
