"""What every command shares: the global state (store path, key), date options, output.

Stdout carries data only; messages go to stderr. The store is opened lazily, on
the first command that needs it, so `--help` and `--version` never ask for a key.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from caseload.cli.state import State, make_state  # State re-exported for the commands
from caseload.io.formats import LIST_FORMATS
from caseload.io.private import open_output  # noqa: F401 (re-exported: cli.report)

if TYPE_CHECKING:
    from caseload.io.tables import Col


def choices(name: str, values: Iterable[str]) -> type[StrEnum]:
    """An option's choices as an enum built from the io/services tuple that defines them."""
    return StrEnum(name, [(str(v), str(v)) for v in values])


Format = choices("Format", LIST_FORMATS)


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):  # a sub-app invoked on its own (tests)
        root.obj = make_state(None, None)
    return root.obj


def say(message: str) -> None:
    """A message for the person (stderr), never data."""
    typer.echo(message, err=True)


# --- parsing ---------------------------------------------------------------------


def option_hint(name: str) -> str:
    return "'--" + name.replace("_", "-") + "'"


# Which forms an option's error message offers (services/dates.py FORMS): a birth date never
# suggests "tomorrow", a due date suggests what lies ahead, a discharge what lies behind.
_DATE_KINDS = {
    "birth_date": "birth",
    "due": "future",
    "target": "future",
    "enrolled_on": "past",
    "discharged_on": "past",
    "since": "past",
    "sent": "past",
    "on": "past",
}


def parse_date_option(
    value: str | None, name: str = "date", kind: str | None = None
) -> date | None:
    """A date option as people type it; a bad one is a usage error (exit 2) naming the option."""
    if value is None:
        return None
    from caseload.services.dates import parse_date

    try:
        return parse_date(value, kind=kind or _DATE_KINDS.get(name, "date"))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option_hint(name)) from None


def parse_when_option(value: str | None, name: str = "at") -> datetime | None:
    if value is None:
        return None
    from caseload.services.dates import parse_when

    try:
        return parse_when(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option_hint(name)) from None


def parse_bool(value: str | None, name: str = "value") -> bool | None:
    if value is None:
        return None
    from caseload.services.common import FALSE_WORDS, TRUE_WORDS

    v = value.strip().lower()
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    raise typer.BadParameter(
        f"{value!r} is not yes/no/true/false/y/n/1/0", param_hint=option_hint(name)
    )


# --- output ----------------------------------------------------------------------


def emit(
    rows: list[dict],
    fmt: Format,
    *,
    columns: list[str] | None = None,
    table_columns: Sequence[str | Col] | None = None,
    title: str | None = None,
) -> None:
    """Print ``rows`` as a table (for people), CSV or JSON (exact, for programs): io.formats.

    ``table_columns`` are ``io.tables.Col`` specs (or plain keys: never cut, never
    left out); the table fits the terminal as io/tables.py says.
    """
    from caseload.io import formats

    columns = columns or (list(rows[0].keys()) if rows else [])
    if fmt is Format.table:
        print_table(rows, table_columns or columns, title=title)
        if not rows:
            say("(none)")
    else:
        formats.write(fmt.value, sys.stdout, columns, rows)


def print_table(rows: list[dict], spec: Sequence[str | Col], *, title: str | None = None) -> None:
    """The one table path of the CLI: fit to the terminal, say what was left out."""
    from caseload.io import formats

    note = formats.write_table(sys.stdout, rows, spec, title=title)
    if note:
        say(note)


def show_record(record: dict, fmt: Format, title: str | None = None) -> None:
    """One record: JSON object, CSV of one row, or a two-column table."""
    from caseload.io import formats

    if fmt is Format.json:
        formats.write_document(sys.stdout, record, indent=2)
    elif fmt is Format.csv:
        emit([record], fmt)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for k, v in record.items():
            table.add_row(k.replace("_", " "), formats.table_cell(v, k))
        Console(highlight=False).print(table)


def audit_printout(ctx: typer.Context, action: str, count: int, fmt: str) -> None:
    """SPEC: printouts of patient data are audited (what and how many; never the data)."""
    from caseload.services import auditchain

    auditchain.append_raw(state(ctx).raw(), action, "printout", None, count=count, format=str(fmt))


FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="table, csv or json.")
LIMIT_OPTION = typer.Option(None, "--limit", min=1, help="Print at most N records.")
