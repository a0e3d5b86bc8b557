"""Writers for the due list: text (for paper), table, CSV, JSON and Markdown.

One function per format, each writing to a text stream; the CLI and the TUI
both print or save through ``write``. Text lines are measured in terminal
columns (wide characters count two), so a printout never passes 80 columns.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import date
from typing import TextIO

from caseload.io import formats
from caseload.io.tables import Col, cells, dropped_note, fit, render, width_for
from caseload.services.common import named
from caseload.services.duelist import DueList
from caseload.services.duelist_sql import hidden_note
from caseload.services.redaction import redact_due_item

FORMATS = formats.DUE_FORMATS
WIDTH = 80
SECTIONS = (("overdue", "Overdue"), ("due", "Due today"), ("upcoming", "Coming up"))
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
        _text_header(out, due.day, due.days, due.counts(), coordinator, hidden, minutes)
        by_status = {s: [i for i in items if i["status"] == s] for s, _ in SECTIONS}
        _text_sections(
            out,
            due.day,
            {s: [(None, None, i) for i in v] for s, v in by_status.items()},
            attempts,
        )
    elif fmt == "table":
        for line in (hidden_note(hidden) if hidden else "", minutes):
            if line:
                out.write(textwrap.fill(line, WIDTH) + "\n")
        _table(due, items, out, attempts)
    else:
        raise ValueError(f"unknown due-list format {fmt!r}")


FAST = ("json", "csv", "text")


def fast_rows(conn, fmt: str, day: date, days: int, overdue_days, windows, *, redacted=False):
    """The SQL-built rows of a json, csv or text list (io.duelist_fast)."""
    from caseload.io import duelist_fast as fast

    return getattr(fast, f"{fmt}_rows")(conn, day, days, overdue_days, windows, redacted=redacted)


def write_fast(
    rows: list,
    fmt: str,
    out: TextIO,
    day: date,
    days: int,
    *,
    coordinator="",
    hidden=0,
    attempts: Mapping[int, str] | None = None,
    minutes: str = "",
) -> None:
    """Write ``fast_rows``: the same bytes as ``write`` of the built list (json: same values)."""
    from caseload.io import duelist_fast as fast

    if fmt == "json":
        fast.write_json(rows, out)
    elif fmt == "csv":
        fast.write_csv(rows, out, CSV_KEYS)
    else:
        _text_header(out, day, days, fast.counts(rows), coordinator, hidden, minutes)
        _text_sections(out, day, _fast_sections(rows, fast), attempts)


def _fast_sections(rows: list, fast) -> dict[str, list]:
    """(head, detail, item-or-row) per section; the long hand fills in a missing line."""
    out: dict[str, list] = {s: [] for s, _ in SECTIONS}
    for row in rows:
        out[fast.RANKS[row[0]]].append((row[1], row[2], row))
    return out


# --- text (paper) -------------------------------------------------------------------


def _wrap(text: str, indent: str) -> list[str]:
    lines = textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")
    out = []
    for line in lines:
        while cells(line) > WIDTH:  # wide characters: textwrap counts code points
            out.append(fit(line, WIDTH).rstrip())
            line = indent + "  " + line[len(out[-1]) - 1 :].lstrip()
        out.append(line)
    return out


def _name(i: dict) -> str:
    pref = i.get("preferred_name")
    return named(i["patient_name"], pref)


def _flag(i: dict, day: date) -> str:
    if i["status"] == "overdue":
        return f"{i['days_overdue']}d overdue" + (" MISSED" if i.get("missed") else "")
    if i["due_on"] == day:
        return "due today"
    return "due " + i["due_on"].strftime("%a %d %b")


def _text_header(
    out: TextIO, day: date, days: int, counts, coordinator: str, hidden: int, minutes: str = ""
):
    title = f"Due list for {day.strftime('%A %d %B %Y')}"
    right = f"Coordinator: {coordinator}" if coordinator else ""
    if cells(title) + 1 + cells(right) <= WIDTH:
        out.write((title + " " * (WIDTH - cells(title) - cells(right)) + right).rstrip() + "\n")
    else:
        out.write(title + "\n" + fit(right, WIDTH).rstrip() + "\n")
    ahead = f" (next {days} days)" if days else ""
    out.write(
        f"Overdue {counts['overdue']} · Due today {counts['due']} · Coming up {counts['upcoming']}{ahead}\n"
    )
    for line in (hidden_note(hidden) if hidden else "", minutes):
        if line:
            out.write("\n".join(textwrap.wrap(line, WIDTH)) + "\n")
    out.write("=" * WIDTH + "\n")


def _text_item(i: dict, day: date) -> list[str]:
    """The two (or more, when wrapped) printout lines of one item."""
    head = "[ ] " + fit(_name(i), 32) + " " + fit(i.get("phone") or "no phone", 18) + " "
    head += fit(i.get("language") or "", 4) + " " + _flag(i, day).rjust(19)
    last = i["last_contact_on"].isoformat() if i.get("last_contact_on") else "never"
    detail = (
        f"{i['kind'].replace('_', ' ')}: {i['title']} · due {i['due_on'].isoformat()}"
        f" · last contact {last} · {i['patient_external_id']}"
    )
    return [fit(head, WIDTH).rstrip(), *_wrap(detail, "    ")]


def _text_sections(
    out: TextIO, day: date, sections: dict[str, list], attempts: Mapping[int, str] | None = None
) -> None:
    """Each section's items: (head, detail, item) with the lines already made (the SQL path),
    or None where the long hand makes them from the item (a dict, or a fast row); an
    item's failed attempts ("attempt 2 of 3") on a line of their own."""
    from caseload.io.duelist_fast import item as fast_item

    lines: list[str] = []
    for status, heading in SECTIONS:
        section = sections[status]
        lines.append(f"\n{heading} ({len(section)})\n" + "-" * cells(f"{heading} ({len(section)})"))
        if not section:
            lines.append("  nothing")
        for head, detail, i in section:
            if head is not None and detail is not None:
                lines.append(head)
                lines.append(detail)
            else:
                lines.extend(_text_item(i if isinstance(i, dict) else fast_item(i), day))
            note = attempts and attempts.get(i["followup_id"] if isinstance(i, dict) else i[3])
            if note:
                lines.append(f"    {note}")
    out.write("\n".join(lines) + "\n\n")


def referral_section(refs: list[dict]) -> str:
    """The printout's "Referrals overdue" section: open referrals past their answer date."""
    heading = f"Referrals overdue ({len(refs)})"
    lines = [heading, "-" * cells(heading)]
    for r in refs:
        head = "[ ] " + fit(r["patient_name"], 32) + " " + fit(r["phone"] or "no phone", 18) + " "
        head += (
            fit(r["language"] or "", 4) + " " + f"{r['days_overdue']}d referral overdue".rjust(19)
        )
        lines.append(fit(head, WIDTH).rstrip())
        lines += _wrap(
            f"referral {r['referral_id']} to {r['to_name']} · sent {r['sent_on']} · answer "
            f"due {r['expected_response_on']} · {r['patient_external_id']}",
            "    ",
        )
    return "\n".join(lines) + "\n\n"


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
            "name": _name(i),
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
        f"{_name(i)} ({i['patient_external_id']})",
        i.get("phone"),
        i.get("language"),
        f"{i['kind']}: {i['title']}",
        i["due_on"].isoformat(),
        i["days_overdue"] or "",
        i["last_contact_on"].isoformat() if i.get("last_contact_on") else "never",
        i["priority_score"],
    )
