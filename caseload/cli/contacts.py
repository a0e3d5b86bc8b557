"""`caseload contacts …`."""

from __future__ import annotations

import typer

app = typer.Typer(rich_markup_mode=None, help="Contacts.", no_args_is_help=True)
