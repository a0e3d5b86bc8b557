"""The due list's long-hand writers: text (for paper), table, CSV, JSON and Markdown.

One function per format, each writing a built list (``duelist.build``) to a text
stream: the table and Markdown formats, the TUI's and the reminder digest's
lists, and the reference the SQL-built fast path (io.duelist_fast) is tested
against. The paper printout's layout is io/duetext.py's, shared by both paths.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TextIO

from caseload.io import duetext, formats
from caseload.io.tables import Col, dropped_note, render, width_for
from caseload.services.common import named
from caseload.services.duelist import DueList
from caseload.services.duelist_sql import hidden_note
from caseload.services.redaction import redact_due_item

WIDTH = duetext.WIDTH
SECTIONS = duetext.SECTIONS
JSON_KEYS = (
    "followup_id",
    "patient_external_id",
    "patient_name",
    "title",
    "kind",
    "due_on",
    "status",
    "days_overdue",
    "missed",
    "phone",
    "language",
    "risk",
    "last_contact_on",
    "priority_score",
    "priority_reasons",
)
CSV_KEYS = tuple(k for k in JSON_KEYS if k != "priority_reasons")


def prepared(due: DueList, redacted: bool) -> list[dict]:
    return [redact_due_item(i) for i in due.items] if redacted else list(due.items)


def write(
    due: DueList,
    fmt: str,
    out: TextIO,
    *,
    redacted: bool = False,
    coordinator: str = "",
    hidden: int = 0,
    attempts: Mapping[int, str] | None = None,
    minutes: str = "",
) -> None:
    """The long-hand writers, from a built DueList (the TUI's, the reminder digest's, the
    markdown and table formats'; the reference the fast path is tested against)."""
    items = prepared(due, redacted)
    if fmt in ("json", "csv"):
        formats.write(fmt, out, JSON_KEYS if fmt == "json" else CSV_KEYS, items)
    elif fmt == "markdown":
        _markdown(due, items, out, coordinator, hidden, minutes)
    elif fmt == "text":
        sections = [
            [
                duetext.block(
                    duetext.item_lines(i, due.day), (attempts or {}).get(i["followup_id"])
                )
                for i in items
                if i["status"] == status
            ]
            for status, _ in SECTIONS
        ]
        duetext.write(out, due.day, due.days, sections, coordinator=coordinator, hidden=hidden,
                      minutes=minutes)  # fmt: skip
    elif fmt == "table":
        for line in (hidden_note(hidden) if hidden else "", minutes):
            if line:
                out.write(textwrap.fill(line, WIDTH) + "\n")
        _table(due, items, out, attempts)
    else:
        raise ValueError(f"unknown due-list format {fmt!r}")


# --- table and markdown ------------------------------------------------------------------


# `due --format table` (io/tables.py): the title and the name share the width left;
# at 80 columns and less, score goes first, then kind, lang, last contact, id, phone.
TABLE = [
    Col("standing", "status"),
    Col("name", "patient", text=True, min_width=16),
    Col("patient_external_id", "id", drop=5),
    Col("phone", drop=6),
    Col("language", "lang", drop=3),
    Col("kind", drop=2),
    Col("title", "what", text=True, min_width=16),
    Col("due_on", "due"),
    Col("last", "last contact", drop=4),
    Col("priority_score", "score", right=True, drop=1),
]


def _with_attempts(i: dict, attempts) -> str:
    note = attempts and attempts.get(i["followup_id"])
    return f"{i['title']} ({note})" if note else i["title"]


def _standing(i: dict) -> str:
    """The table's status: short, so a row keeps its name and what to do."""
    if i["status"] == "overdue":
        return f"{i['days_overdue']}d " + ("missed" if i.get("missed") else "overdue")
    return "due today" if i["status"] == "due" else "coming up"


def _table(due: DueList, items: list[dict], out: TextIO, attempts=None) -> None:
    counts = due.counts()
    title = (
        f"Due {due.day.isoformat()}: {counts['overdue']} overdue, {counts['due']} due, "
        f"{counts['upcoming']} coming up"
    )
    rows = [
        {
            "standing": _standing(i),
            "name": named(i["patient_name"], i.get("preferred_name")),
            "patient_external_id": i["patient_external_id"],
            "phone": i.get("phone") or "",
            "language": i.get("language") or "",
            "kind": i["kind"],
            "title": _with_attempts(i, attempts),
            "due_on": i["due_on"].isoformat(),
            "last": i["last_contact_on"].isoformat() if i.get("last_contact_on") else "never",
            "priority_score": str(i["priority_score"]),
        }
        for i in items
    ]
    width = width_for(out)
    table = render(TABLE, rows, width=width, title=title)
    out.write("\n".join(table.lines) + "\n")
    if table.dropped:
        out.write(textwrap.fill(dropped_note(table.dropped, width), max(width, 40)) + "\n")


def _markdown(
    due: DueList, items: list[dict], out: TextIO, coordinator: str, hidden: int, minutes=""
) -> None:
    counts = due.counts()
    out.write(f"# Due list for {due.day.isoformat()}\n\n")
    if coordinator:
        out.write(f"Coordinator: {formats.markdown_cell(coordinator)}\n\n")
    out.write(
        f"Overdue {counts['overdue']} · Due today {counts['due']} · Coming up {counts['upcoming']}\n"
    )
    if hidden:
        out.write(f"\n{hidden_note(hidden)}\n")
    if minutes:
        out.write(f"\n{minutes}\n")
    for status, heading in SECTIONS:
        section = [i for i in items if i["status"] == status]
        out.write(f"\n## {heading} ({len(section)})\n\n")
        if not section:
            out.write("Nothing.\n")
            continue
        formats.write_markdown(out, MD_COLUMNS, (_md_row(i) for i in section))


MD_COLUMNS = ("", "Patient", "Phone", "Lang", "What", "Due", "Overdue", "Last contact", "Score")


def _md_row(i: dict) -> tuple:
    """One item's cells (formats.write_markdown escapes them)."""
    return (
        "[ ]",
        f"{named(i['patient_name'], i.get('preferred_name'))} ({i['patient_external_id']})",
        i.get("phone"),
        i.get("language"),
        f"{i['kind']}: {i['title']}",
        i["due_on"].isoformat(),
        i["days_overdue"] or "",
        i["last_contact_on"].isoformat() if i.get("last_contact_on") else "never",
        i["priority_score"],
    )
