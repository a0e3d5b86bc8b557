"""What every command shares: the global state (store path, key), date options, output.

Stdout carries data only; messages go to stderr. The store is opened lazily, on
the first command that needs it, so `--help` and `--version` never ask for a key.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from caseload.errors import CaseloadError
from caseload.io.formats import LIST_FORMATS

if TYPE_CHECKING:
    from caseload.io.tables import Col


def choices(name: str, values: Iterable[str]) -> type[StrEnum]:
    """An option's choices as an enum built from the io/services tuple that defines them."""
    return StrEnum(name, [(str(v), str(v)) for v in values])


Format = choices("Format", LIST_FORMATS)


@dataclass
class State:
    db: Path
    key_file: Path | None
    _engine: Any = field(default=None, repr=False)
    _config: Any = field(default=None, repr=False)
    _key: Any = field(default=None, repr=False)
    _raw: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from caseload.io.private import protect

        protect(self.db, self.key_file)  # no output of this process may land on these

    def config(self):
        if self._config is None:
            from caseload.config import load

            self._config = load()
        return self._config

    def key(self):
        if self._key is None:
            from caseload.store.keys import resolve_key

            self._key = resolve_key(
                self.db, self.key_file, keyring_timeout=self.config().keyring_timeout
            )
        return self._key

    def rotation_hint(self, exc: Exception) -> None:
        """A wrong key next to a half-finished rotation: say how to finish it."""
        from caseload.errors import StoreLocked
        from caseload.store.keys import key_file_from_env
        from caseload.store.rekey import pending_file

        kf = key_file_from_env(self.key_file)
        if isinstance(exc, StoreLocked) and kf is not None and not exc.hint:
            pending = pending_file(kf)
            if pending.exists():
                exc.hint = f"an interrupted `caseload key rotate` left {pending}: run `caseload key rotate` to finish it"

    def raw(self):
        """A keyed DBAPI connection at schema head, without SQLAlchemy: the cron fast path."""
        if self._raw is None:
            from caseload.store import schema
            from caseload.store.connect import connect

            busy = self.config().busy_timeout_ms
            try:
                conn = connect(self.db, self.key(), busy_timeout_ms=busy)
            except CaseloadError as exc:
                self.rotation_hint(exc)
                raise
            try:
                at_head = schema.check_revision(schema.read_revision(conn))
            except BaseException:
                conn.close()
                raise
            if not at_head:
                conn.close()
                self.engine()  # upgrades the schema (with a backup first)
                self.close()
                conn = connect(self.db, self.key(), busy_timeout_ms=busy)
            self._raw = conn
        return self._raw

    def engine(self):
        """The open store (key resolved, schema at head), opened once per command."""
        if self._engine is None:
            from caseload.store.engine import open_store

            try:
                self._engine = open_store(
                    self.db, self.key(), busy_timeout_ms=self.config().busy_timeout_ms
                )
            except CaseloadError as exc:
                self.rotation_hint(exc)
                raise
        return self._engine

    def session(self, *, write: bool = False):
        from caseload.store.engine import session

        return session(self.engine(), write=write)

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):  # a sub-app invoked on its own (tests)
        from caseload import paths

        root.obj = State(db=paths.default_db(), key_file=None)
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


def open_output(path: Path | None):
    """Stdout, or ``path`` created with mode 0600 (it holds patient data; never the store)."""
    if path is None or str(path) == "-":
        return sys.stdout, False
    from caseload.io.private import open_private

    return open_private(path), True


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
