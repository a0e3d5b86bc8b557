"""`caseload due`: the day's due list, for paper, screens and scripts (the cron path).

The body is cli/duefast.py's ``run``, which a plain `caseload due …` reaches without
typer at all (the launcher tries duefast first); this is the typer face of it, for
the command lines duefast declines (help, mistakes) and for the tests' CliRunner.
"""

from __future__ import annotations

from pathlib import Path

import typer

from caseload.cli.common import choices, parse_date_option, state
from caseload.cli.duefast import DueArgs, run
from caseload.io.formats import DUE_FORMATS

DueFormat = choices("DueFormat", DUE_FORMATS)


def due(
    ctx: typer.Context,
    on: str = typer.Option(None, "--date", help="The day (default today); any date form."),
    days: int = typer.Option(0, "--days", min=0, help="Look ahead N days for 'Coming up'."),
    overdue_days: int = typer.Option(
        None,
        "--overdue-days",
        min=0,
        help="Leave off items overdue more than N days, counted in a note "
        "(default [due] overdue_days, 90; 0 lists all).",
    ),
    fmt: DueFormat = typer.Option(DueFormat.text, "--format", "-f", help="Output format."),
    redacted: bool = typer.Option(
        False, "--redact", help="Initials instead of names; phone numbers masked."
    ),
    output: Path = typer.Option(
        None, "--output", "-o", help="Write to FILE (mode 0600) instead of stdout."
    ),
) -> None:
    """Print the due list: Overdue, Due today and Coming up, ranked by priority."""
    st = state(ctx)
    args = DueArgs(
        day=parse_date_option(on, "date"),
        days=days,
        overdue_days=overdue_days,
        fmt=fmt.value,
        redacted=redacted,
        output=output,
    )
    run(st, args)


def register(app: typer.Typer) -> None:
    app.command("due")(due)
