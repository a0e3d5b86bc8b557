"""The import run: read, validate every row, then write all of it in one transaction.

Writes go through the raw DBAPI connection (Core-level SQL, no ORM objects):
100k patients as ORM objects would take seconds. Values are stored in the
forms SQLAlchemy itself writes (dates ISO, timestamps ``STORED_FORMAT``,
booleans 0/1) so the services read them back unchanged. One ``BEGIN
IMMEDIATE`` … ``COMMIT`` holds the rows and the audit event, so a kill at any
point leaves the store as it was.
"""

from __future__ import annotations

import csv
from pathlib import Path

from caseload.errors import Invalid, UsageError
from caseload.io.fields import match_headers
from caseload.io.importing.base import KINDS, Checked, Progress, Report, Settings
from caseload.io.importing.check import Checker
from caseload.io.importing.patients import PatientWriter
from caseload.io.importing.rows import CareTeamWriter, ContactWriter, FollowUpWriter
from caseload.io.readers import Table, open_table

WRITERS = {
    "patients": PatientWriter,
    "contacts": ContactWriter,
    "followups": FollowUpWriter,
    "careteam": CareTeamWriter,
}


def run(conn, source: str | Path, s: Settings, progress: Progress | None = None) -> Report:
    """Import ``source`` into the store on ``conn``; the report says what happened."""
    import gc

    # Millions of short-lived cells and tuples, none of them cyclic: the cyclic
    # collector would rescan them again and again (half the time at 100k rows).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(conn, source, s, progress)
    finally:
        if enabled:
            gc.enable()


def _run(conn, source: str | Path, s: Settings, progress: Progress | None) -> Report:
    if s.kind not in KINDS:
        raise UsageError(f"cannot import {s.kind!r}; kinds: {', '.join(KINDS)}")
    if s.skip_invalid and s.rejects is None:
        raise UsageError("--skip-invalid needs --rejects FILE to keep the rows it leaves out")
    if s.rejects is not None:
        from caseload.io.private import check_writable

        check_writable(s.rejects)  # before anything is read or committed
    table = open_table(source, s.fmt, sheet=s.sheet)
    if table.fmt == "fhir" and s.kind != "patients":
        raise Invalid("FHIR files import patients only")
    mapping = match_headers(s.kind, table.headers, s.overrides)
    s.options.unneutralise = table.fmt in ("csv", "xlsx")
    checker = Checker.build(s.kind, mapping, s.options)
    report = Report(s.kind, table.unit, ignored=mapping.ignored, notes=list(table.notes))
    report.dry_run = s.dry_run
    report.all_or_nothing = not s.skip_invalid
    good, bad = _validate(table, checker, report, progress)
    writer = WRITERS[s.kind](conn, checker, s, report)
    # A large page cache keeps the transaction's pages in memory until COMMIT (temp_store
    # is MEMORY, so nothing spills as plaintext). No PRAGMA threads: with temp_store
    # MEMORY an index build sorts in memory on one thread (measured: no change).
    conn.execute("PRAGMA cache_size = -131072")
    _begin(conn)  # the lookups and the writes see one state of the store
    from caseload.io.private import Staged

    staged = Staged()  # the rejects, renamed into place once the rows are committed
    try:
        good = writer.resolve(good, bad)
        report.failed = len(bad)
        report.errors.sort(key=lambda e: e[0])
        if bad and not s.skip_invalid:
            conn.execute("ROLLBACK")
            return report
        keep = bool(bad) and s.rejects is not None and not s.dry_run
        if s.dry_run or not good:
            conn.execute("ROLLBACK")
            if keep:
                write_rejects(staged, s.rejects, table.headers, bad)
                staged.commit()
            return report
        writer.write(good, progress)
        _audit(conn, report)
        if keep:  # written before COMMIT: rejects that cannot be kept undo the import
            write_rejects(staged, s.rejects, table.headers, bad)
        conn.execute("COMMIT")
        report.written = True
        staged.commit()
    except BaseException:
        # A Ctrl-C can land just after COMMIT returned: then there is nothing to undo,
        # and a ROLLBACK would raise over the KeyboardInterrupt.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        staged.discard()
    return report


def _begin(conn) -> None:
    """BEGIN IMMEDIATE; past the busy timeout, the same StoreBusy the ORM path gives."""
    from caseload.store.connect import busy_error, is_busy

    try:
        conn.execute("BEGIN IMMEDIATE")
    except Exception as exc:
        if is_busy(exc):
            raise busy_error() from None
        raise


def _validate(table: Table, checker: Checker, report: Report, progress: Progress | None):
    # The CSV parse happens in this comprehension (table.rows is the reader).
    if table.blank_rows:  # a JSON object or FHIR Patient that carries nothing is a record
        rows: list[tuple[int, list[str]]] = list(table.rows)
    else:
        rows = [
            r for r in table.rows if r[1] and (r[1][0] or any(c.strip() for c in r[1]))
        ]  # blank lines are not records
    report.rows = len(rows)
    if progress is not None:
        progress("checking", 0, len(rows))
    numbers, cells = zip(*rows, strict=True) if rows else ((), ())
    cols, errs = checker.check_columns(cells)
    good: Checked | list[tuple[int, tuple, list[str]]] = []
    bad: list[tuple[int, list[str], list[str]]] = []
    if not errs:
        good = Checked(numbers, cols, cells)
    else:
        values = zip(*cols, strict=True)
        for k, (n, row, v) in enumerate(zip(numbers, cells, values, strict=True)):
            e = errs.get(k)
            if e is None:
                good.append((n, v, row))
            else:
                bad.append((n, row, [f"{c}: {r}" for c, r in e]))
                report.errors.extend((n, c, r) for c, r in e)
    if progress is not None:
        progress("checking", len(rows), len(rows))
    return good, bad


def write_rejects(staged, path: Path, headers: list[str], bad: list) -> None:
    """The rows left out, as they were, with a ``reason`` column; mode 0600 (patient data)."""
    import io

    with staged.open(path) as raw:
        f = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        w = csv.writer(f)
        w.writerow([*headers, "reason"])
        for _n, cells, reasons in sorted(bad, key=lambda b: b[0]):
            row = list(cells[: len(headers)]) + [""] * (len(headers) - len(cells))
            w.writerow([*row, "; ".join(reasons)])
        f.flush()
        f.detach()


def _audit(conn, report: Report) -> None:
    """One event for the whole import, in the import's transaction: counts only."""
    from caseload.services.auditchain import append_raw

    entity = report.kind.rstrip("s") if report.kind != "careteam" else "care_team_member"
    append_raw(
        conn,
        f"import.{report.kind}",
        entity,
        begin=False,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=report.skipped,
        failed=report.failed,
    )
