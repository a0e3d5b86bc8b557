"""The due-list printout: build it, audit it, write it, say what it leaves out.

The one path for `caseload due` and the TUI's print key (STYLE habit 1): json,
csv and text come from the SQL-scored rows (io.duelist_fast), table and markdown
from ``services.duelist.build``; the writers are io/duelist.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from caseload.io.duelist import FAST, fast_rows, referral_section, write, write_fast
from caseload.services.duelist_sql import hidden_note


@dataclass
class Printed:
    """What `produce` wrote: the list's length and counts, and how many it kept off."""

    total: int
    counts: dict[str, int]
    hidden: int


# The formats for people, whose header carries the mid-month care-minutes warning (json and
# csv stay the list alone, and fast: the warning reads a month of contacts).
PAPER = ("text", "table", "markdown")


def minutes_note(conn, day: date) -> str:
    """The mid-month warning (issue 12's measure 3): patients within a few minutes of a
    care-minutes threshold while days are left in the month; "" when there are none."""
    from caseload.services.reports.activity import near_note, near_this_month

    count, left = near_this_month(conn, day)
    return near_note(count, left) if count else ""


def produce(
    conn,
    day: date,
    days: int,
    fmt: str,
    open_stream,
    *,
    exported: bool,
    windows=None,
    redacted: bool = False,
    coordinator: str = "",
    overdue_days: int | None = None,
    note=None,
    attempts_needed: int = 3,
) -> Printed:
    """Build, audit and write the due list: the one path for `caseload due` and the TUI.

    json, csv and text come from the SQL-scored rows (io.duelist_fast); table and
    markdown from ``duelist.build``. The audit event is recorded before anything is
    written, so a store too busy to record it prints nothing. ``open_stream()``
    returns ``(stream, close_it)``. Items overdue by more than ``overdue_days`` are left
    off and counted: in the header of text/table/markdown, through ``note(line)`` (the
    CLI: stderr) for json and csv, whose stdout stays exact. Text and table show each
    item's failed attempts out of ``attempts_needed``."""
    from caseload.io import duelist_fast as fast
    from caseload.services import auditchain, duelist

    hidden, refs = _left_off_and_referrals(conn, day, overdue_days, redacted)
    if fmt in FAST:
        rows = fast_rows(conn, fmt, day, days, overdue_days, windows, redacted=redacted)
        counts, total, result = fast.counts(rows), len(rows), None
    else:
        result = duelist.build(conn, day, days, windows=windows, overdue_days=overdue_days)
        counts, total = result.counts(), len(result.items)
    tries = _attempts(conn, fmt, rows if fmt in FAST else result.items, attempts_needed)
    minutes = minutes_note(conn, day) if fmt in PAPER else ""
    extra = {"referrals_overdue": len(refs)} if refs else {}
    auditchain.append_raw(
        conn, "duelist.export" if exported else "duelist.print", "duelist", day.isoformat(),
        format=fmt, redacted=redacted, days=days, items=total, **counts, **extra,
    )  # fmt: skip
    stream, close_it = open_stream()
    try:
        if fmt in FAST:
            write_fast(rows, fmt, stream, day, days, coordinator=coordinator, hidden=hidden,
                       attempts=tries, minutes=minutes)  # fmt: skip
        else:
            write(result, fmt, stream, redacted=redacted, coordinator=coordinator, hidden=hidden,
                  attempts=tries, minutes=minutes)  # fmt: skip
        if refs and fmt == "text":
            stream.write(referral_section(refs))
    finally:
        if close_it:
            stream.close()
        else:
            stream.flush()
    if note is not None:
        _notes(note, fmt, hidden, refs)
    return Printed(total, counts, hidden)


def _notes(note, fmt: str, hidden, refs: list) -> None:
    """What the printout itself does not show, said through ``note`` (the CLI: stderr)."""
    if hidden and fmt in ("json", "csv"):
        note(hidden_note(hidden))
    if refs and fmt != "text":
        from caseload.labels import plural

        note(f"{plural(len(refs), 'referral')} overdue: see `caseload due --format text`")


def _attempts(conn, fmt: str, items, needed: int) -> dict[int, str]:
    """ "attempt 2 of 3" for the items of a text or table list that have failed attempts."""
    if fmt not in ("text", "table"):
        return {}
    from caseload.services import duelist_referrals

    ids = [i["followup_id"] if isinstance(i, dict) else i[3] for i in items]
    return duelist_referrals.attempts(conn, ids, needed)


def _left_off_and_referrals(conn, day: date, overdue_days, redacted: bool):
    """How many old overdue items are left off, and the open referrals past their expected
    answer (a small query of their own)."""
    from caseload.services import duelist_referrals, duelist_sql

    hidden = duelist_sql.older_overdue(conn, day, overdue_days)
    return hidden, duelist_referrals.overdue(conn, day, overdue_days, redacted=redacted)
