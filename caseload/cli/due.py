"""`caseload due`: the day's due list, for paper, screens and scripts (the cron path).

It opens the store on a raw keyed connection and imports neither SQLAlchemy nor
rich (tables are plain text, io/tables.py), so a cron run costs little more than the query.
"""

from __future__ import annotations

from pathlib import Path

import typer

from caseload.cli.common import choices, open_output, parse_date_option, state
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
    from datetime import date

    from caseload.io import dueprint as writer

    st = state(ctx)
    day = parse_date_option(on, "date") or date.today()
    cfg = st.config()
    helper = _helper(st, cfg) if fmt.value in writer.FAST else None
    try:
        _produce(st, day, days, fmt, redacted, output, overdue_days, cfg, helper)
    finally:
        if helper is not None:
            helper.close()


def _helper(st, cfg):
    """A second process for half the list (io.duehelper), forked before the store opens."""
    from caseload.io.duehelper import Helper
    from caseload.store.connect import connect

    key = st.key()  # resolved (and prompted for) once, before the fork
    return Helper.start(lambda: connect(st.db, key, busy_timeout_ms=cfg.busy_timeout_ms))


def _produce(st, day, days, fmt, redacted, output, overdue_days, cfg, helper) -> None:
    from caseload.io import dueprint as writer

    writer.produce(
        st.raw(),
        day,
        days,
        fmt.value,
        lambda: open_output(output),
        exported=output is not None and str(output) != "-",
        windows=cfg.windows,
        redacted=redacted,
        coordinator=cfg.coordinator_name,
        overdue_days=cfg.due_overdue_days if overdue_days is None else overdue_days,
        note=lambda line: typer.echo(line, err=True),
        attempts_needed=cfg.attempts_before_unable,
        helper=helper,
    )


def register(app: typer.Typer) -> None:
    app.command("due")(due)
