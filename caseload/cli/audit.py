"""`caseload audit …`: read and verify the hash-chained audit log."""

from __future__ import annotations

import typer

from caseload.cli.common import FORMAT_OPTION, LIMIT_OPTION, Format, emit, state
from caseload.io.tables import Col
from caseload.labels import plural

app = typer.Typer(rich_markup_mode=None, help="The audit log.", no_args_is_help=True)

COLUMNS = [
    "id",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "detail",
    "prev_hash",
    "hash",
]
# `--format table` (io/tables.py): the detail takes the width left; at 80 columns
# and less, entity id goes first, then patient, then entity (docs/cli.md).
TABLE_COLUMNS = [
    Col("id", right=True),
    Col("at"),
    Col("actor"),
    Col("action"),
    Col("entity", drop=3),
    Col("entity_id", "entity id", right=True, drop=1),
    Col("patient_id", "patient", right=True, drop=2),
    Col("detail", text=True, min_width=16),
]


@app.command("list")
def list_(
    ctx: typer.Context,
    patient: str = typer.Option(None, "--patient", help="Only events about this patient (ID)."),
    fmt: Format = FORMAT_OPTION,
    limit: int = LIMIT_OPTION,
) -> None:
    """List audit events, oldest first (with --limit, the latest N)."""
    from caseload.services import audit, patients

    with state(ctx).session() as s:
        patient_id = patients.get_row(s, patient).id if patient is not None else None
        rows = audit.list_events(s, patient_id=patient_id, limit=limit)
    emit(rows, fmt, columns=COLUMNS, table_columns=TABLE_COLUMNS)


@app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Check the log: the hash chain, its guards, and its length and head against the store.

    Prints the count and the head hash: compare them with a printout or a backup's.
    """
    from caseload.errors import CaseloadError
    from caseload.services import audit

    with state(ctx).session() as s:
        report = audit.check_log(s)
    if report.problems:
        for line in report.problems:
            typer.echo(line)
        raise CaseloadError(
            f"the audit log is broken: {plural(len(report.problems), 'problem')} "
            f"among {report.count} events",
            hint="the log was changed outside caseload; compare with a backup",
        )
    typer.echo(f"audit log OK: {report.count} events, head {report.head}")
