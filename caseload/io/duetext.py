"""The due list's paper printout (`caseload due --format text`): header, items, sections.

One writer for both ways a list is made: the long hand (io.duelist, from
``duelist.build``'s items) and the SQL-built fast path (io.duelist_fast). Each
item is a *block*: its head line, its detail line(s) and, when it has failed
attempts, "attempt 2 of 3". Lines are measured in terminal columns (wide
characters count two), so a printout never passes 80 columns.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import date
from typing import TextIO

from caseload.io.tables import cells, fit
from caseload.services.common import named
from caseload.services.duelist_sql import hidden_note

WIDTH = 80
SECTIONS = (("overdue", "Overdue"), ("due", "Due today"), ("upcoming", "Coming up"))
# textwrap's settings for a detail line; one wrapper, built once (70k items a list).
_WRAPPER = textwrap.TextWrapper(WIDTH, initial_indent="    ", subsequent_indent="      ")


def wrap(text: str) -> list[str]:
    """A detail line wrapped at 80 columns, indented 4 (then 6 on the lines it wraps to)."""
    out = []
    for line in _WRAPPER.wrap(text):
        while cells(line) > WIDTH:  # wide characters: textwrap counts code points
            out.append(fit(line, WIDTH).rstrip())
            line = "      " + line[len(out[-1]) - 1 :].lstrip()
        out.append(line)
    return out


def _flag(i: dict, day: date) -> str:
    if i["status"] == "overdue":
        return f"{i['days_overdue']}d overdue" + (" MISSED" if i.get("missed") else "")
    if i["due_on"] == day:
        return "due today"
    return "due " + i["due_on"].strftime("%a %d %b")


def item_lines(i: dict, day: date) -> list[str]:
    """The two (or more, when wrapped) printout lines of one item (a due-list item dict)."""
    head = "[ ] " + fit(named(i["patient_name"], i.get("preferred_name")), 32) + " "
    head += fit(i.get("phone") or "no phone", 18) + " "
    head += fit(i.get("language") or "", 4) + " " + _flag(i, day).rjust(19)
    last = i["last_contact_on"].isoformat() if i.get("last_contact_on") else "never"
    detail = (
        f"{i['kind'].replace('_', ' ')}: {i['title']} · due {i['due_on'].isoformat()}"
        f" · last contact {last} · {i['patient_external_id']}"
    )
    return [fit(head, WIDTH).rstrip(), *wrap(detail)]


def block(lines: list[str], attempt: str | None) -> str:
    """One item's lines as printed, with its failed attempts ("attempt 2 of 3") below."""
    if attempt:
        lines = [*lines, f"    {attempt}"]
    return "\n".join(lines)


def write(
    out: TextIO,
    day: date,
    days: int,
    sections: Sequence[Sequence[str]],
    *,
    coordinator: str = "",
    hidden: int = 0,
    minutes: str = "",
) -> None:
    """The printout: a header with the date and counts, then Overdue, Due today and Coming
    up (``sections``: each one's item blocks, in list order)."""
    counts = {s: len(blocks) for (s, _), blocks in zip(SECTIONS, sections, strict=True)}
    _header(out, day, days, counts, coordinator, hidden, minutes)
    parts: list[str] = []
    for (_, heading), blocks in zip(SECTIONS, sections, strict=True):
        title = f"{heading} ({len(blocks)})"
        parts.append(f"\n{title}\n" + "-" * cells(title))
        parts.extend(blocks or ("  nothing",))
    out.write("\n".join(parts) + "\n\n")


def _header(out: TextIO, day: date, days: int, counts, coordinator: str, hidden, minutes) -> None:
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
        lines += wrap(
            f"referral {r['referral_id']} to {r['to_name']} · sent {r['sent_on']} · answer "
            f"due {r['expected_response_on']} · {r['patient_external_id']}"
        )
    return "\n".join(lines) + "\n\n"
