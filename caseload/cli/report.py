"""`caseload report`: the program's monthly measures, for paper, screens and scripts.

Like `caseload due` it runs on a raw keyed connection (no SQLAlchemy, no rich),
so a month at program scale prints in well under the two seconds allowed.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from caseload.cli.common import open_output, parse_date_option, state


class ReportFormat(StrEnum):
    text = "text"
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


def _period(month: str | None, start: str | None, end: str | None, today):
    """The period from --month or --from/--to (default: this month); bad ones exit 2."""
    from caseload.services.reports import Period, parse_month

    if month is not None and (start is not None or end is not None):
        raise typer.BadParameter("give --month or --from/--to, not both", param_hint="'--month'")
    if month is not None:
        try:
            return parse_month(month)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--month'") from None
    if (start is None) != (end is None):
        given, missing = ("--from", "--to") if end is None else ("--to", "--from")
        raise typer.BadParameter(f"{given} needs {missing} too", param_hint=f"'{missing}'")
    if start is None:
        return Period.month(today.year, today.month)
    first, last = parse_date_option(start, "from"), parse_date_option(end, "to")
    if last < first:
        raise typer.BadParameter("the period ends before it starts", param_hint="'--to'")
    return Period(first, last)


def report(
    ctx: typer.Context,
    kind: str = typer.Argument(
        "monthly", metavar="monthly", help="The report (monthly is the one there is)."
    ),
    month: str = typer.Option(
        None, "--month", metavar="YYYY-MM", help="The month (default: this one)."
    ),
    start: str = typer.Option(None, "--from", metavar="DATE", help="First day of the period."),
    end: str = typer.Option(None, "--to", metavar="DATE", help="Last day of the period."),
    program: str = typer.Option(
        None, "--program", metavar="TAG", help="Only patients with this program tag."
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="Output format."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Write to FILE (mode 0600) instead of stdout."
    ),
    redacted: bool = typer.Option(
        False, "--redact", help="Initials instead of names in the detail."
    ),
    detail: bool = typer.Option(
        False, "--detail", help="List who was counted in each figure, and why."
    ),
) -> None:
    """Print the program report: the seven measures, each with numerator and denominator."""
    from datetime import date

    if kind.strip().lower() != "monthly":
        raise typer.BadParameter(
            f"{kind!r} is not a report: the one report is monthly", param_hint="'monthly'"
        )
    today = date.today()
    period = _period(month, start, end, today)
    _run(ctx, period, today, program, fmt.value, output, redacted, detail)


def _run(ctx, period, today, program, fmt: str, output, redacted: bool, detail: bool) -> None:
    """Build the report, audit it like a printout (before anything is written), write it."""
    from caseload.io import report as writer
    from caseload.services import auditchain, reports, schedule
    from caseload.store.connect import connect

    st = state(ctx)
    cfg = st.config()
    conn = st.raw()
    rep = reports.build(
        conn,
        period,
        today=today,
        program=program,
        holidays=schedule.parse_holidays(cfg.holidays),
        windows=cfg.windows,
        detail=detail,
        reconnect=lambda: connect(st.db, st.key(), busy_timeout_ms=cfg.busy_timeout_ms),
    )
    exported = output is not None and str(output) != "-"
    if exported:  # a refused output (the store, a key, no such folder) is no printout
        from caseload.io.private import check_writable

        check_writable(output)
    figures = sum(len(m.figures) for m in rep.measures)
    rows = sum(len(f.detail) for m in rep.measures for f in m.figures)
    auditchain.append_raw(
        conn, "report.export" if exported else "report.print", "report", period.label,
        format=fmt, redacted=redacted, figures=figures, detail_rows=rows,
    )  # fmt: skip
    stream, close_it = open_output(output)
    try:
        writer.write(rep, fmt, stream, redacted=redacted, detail=detail, store=str(st.db))
    finally:
        if close_it:
            stream.close()
        else:
            stream.flush()


def register(app: typer.Typer) -> None:
    app.command("report")(report)
