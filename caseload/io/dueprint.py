"""The due-list printout: build it, audit it, write it, say what it leaves out.

The one path for `caseload due` and the TUI's print key (STYLE habit 1): json,
csv and text come from the SQL-scored rows (io.duelist_fast), table and markdown
from ``services.duelist.build``; the writers are io/duelist.py's.
"""

from __future__ import annotations

import time
from datetime import date
from typing import NamedTuple

from caseload.io import duelist_fast
from caseload.io.duelist import write
from caseload.io.duelist_fast import FORMATS as FAST
from caseload.io.duetext import referral_section
from caseload.services import duelist_sql
from caseload.services.duelist_sql import hidden_note


class Printed(NamedTuple):
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
    helper=None,
) -> Printed:
    """Build, audit and write the due list: the one path for `caseload due` and the TUI.

    json, csv, text: SQL-built (io.duelist_fast), a share by ``helper`` (io.duehelper) if
    given; table, markdown: ``duelist.build``. Audited before anything is written (a
    store too busy to record it prints nothing). Items overdue by more than
    ``overdue_days`` are left off and counted: in the header of text/table/markdown,
    through ``note(line)`` (the CLI: stderr) for json and csv, whose stdout stays
    exact. ``open_stream()`` returns ``(stream, close_it)``."""
    fast = fmt in FAST
    try:
        helper = _ask(conn, helper if fast else None, fmt, day, days, overdue_days, windows,
                      redacted=redacted, attempts_needed=attempts_needed)  # fmt: skip
        hidden, refs = _left_off_and_referrals(conn, day, overdue_days, redacted)
        listing, result = _build(conn, fmt, day, days, overdue_days, windows, redacted,
                                 attempts_needed, helper)  # fmt: skip
        counts = listing.counts if fast else result.counts()
        total = len(listing) if fast else len(result.items)
        minutes = minutes_note(conn, day) if fmt in PAPER else ""
        _record(conn, "duelist.export" if exported else "duelist.print", day,
                format=fmt, redacted=redacted, days=days, items=total, **counts,
                **({"referrals_overdue": len(refs)} if refs else {}))  # fmt: skip
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    stream, close_it = open_stream()
    try:
        if fast:
            duelist_fast.write(listing, fmt, stream, day, days, coordinator=coordinator,
                               hidden=hidden, minutes=minutes)  # fmt: skip
        else:
            tries = _attempts(conn, fmt, result.items, attempts_needed)
            write(result, fmt, stream, redacted=redacted, coordinator=coordinator, hidden=hidden,
                  attempts=tries, minutes=minutes)  # fmt: skip
        if refs and fmt == "text":
            stream.write(referral_section(refs))
    finally:
        stream.close() if close_it else stream.flush()
    _notes(note, fmt, hidden, refs)
    return Printed(total, counts, hidden)


def _record(conn, action: str, day: date, **detail) -> None:
    """The printout's audit event (what and how many, never the data); in the open
    transaction when there is one (a list built with a helper), which it then commits."""
    from caseload.services import auditchain

    begun = conn.in_transaction
    auditchain.append_raw(conn, action, "duelist", day.isoformat(), begin=not begun, **detail)
    if begun:
        conn.execute("COMMIT")


def _ask(conn, helper, fmt, day, days, overdue_days, windows, **kw):
    """Start the helper on its share, from inside ``BEGIN IMMEDIATE``: writers wait until
    the audit event is recorded, so the helper reads this snapshot. A store whose
    patient ids all fall in this process's first block (under 512: most caseloads) gives
    the helper nothing to do: it is let go. Returns the helper still at work, or None."""
    if helper is None:
        return None
    from caseload.io.duehelper import HELPERS

    conn.execute("BEGIN IMMEDIATE")
    # (Two subqueries: each is one probe of the rowid tree; together, a scan of the table.)
    low, high = conn.execute(
        "SELECT (SELECT min(id) FROM patient), (SELECT max(id) FROM patient)"
    ).fetchone()
    first = HELPERS["part"] * duelist_sql.BLOCK
    if high is None or (high < first and low > -first):
        helper.close()
        return None
    helper.ask(fmt, day, days, overdue_days, windows, **kw)
    return helper


def _build(conn, fmt, day, days, overdue_days, windows, redacted, attempts_needed, helper):
    """(the SQL-built listing, None) for json/csv/text, (None, the built list) otherwise.
    With a helper, this process builds its share and the helper the rest; if the
    helper has no answer, this process builds the rest too."""
    if fmt not in FAST:
        from caseload.services import duelist

        return None, duelist.build(conn, day, days, windows=windows, overdue_days=overdue_days)
    kw = {"redacted": redacted, "attempts_needed": attempts_needed}
    args = (conn, fmt, day, days, overdue_days, windows)
    if helper is None:
        return duelist_fast.merge([duelist_fast.part(*args, **kw)]), None
    from caseload.io.duehelper import HELPERS, PARENTS

    started = time.perf_counter()
    reader = helper.reader()
    try:
        mine = duelist_fast.part(reader or conn, *args[1:], **kw, **PARENTS)
    finally:
        if reader is not None:
            reader.close()
    # A helper still at work long after this process finished its own share is stuck.
    theirs = helper.answer(timeout=max(1.0, 2 * (time.perf_counter() - started)))
    if theirs is None:
        theirs = duelist_fast.part(*args, **kw, **HELPERS)
    return duelist_fast.merge([mine, theirs]), None


def _notes(note, fmt: str, hidden, refs: list) -> None:
    """What the printout itself does not show, said through ``note`` (the CLI: stderr)."""
    if note is None:
        return
    if hidden and fmt in ("json", "csv"):
        note(hidden_note(hidden))
    if refs and fmt != "text":
        from caseload.labels import plural

        note(f"{plural(len(refs), 'referral')} overdue: see `caseload due --format text`")


def _attempts(conn, fmt: str, items, needed: int) -> dict[int, str]:
    """ "attempt 2 of 3" for the items of a table list that have failed attempts (the
    printout's come with its blocks: io.duelist_fast)."""
    if fmt != "table":
        return {}
    from caseload.services import duelist_referrals

    return duelist_referrals.attempts(conn, [i["followup_id"] for i in items], needed)


def _left_off_and_referrals(conn, day: date, overdue_days, redacted: bool):
    """How many old overdue items are left off, and the open referrals past their expected
    answer (a small query of their own)."""
    from caseload.services import duelist_referrals, duelist_sql

    hidden = duelist_sql.older_overdue(conn, day, overdue_days)
    return hidden, duelist_referrals.overdue(conn, day, overdue_days, redacted=redacted)
