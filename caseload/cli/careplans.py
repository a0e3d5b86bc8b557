"""`caseload careplans …`."""

from __future__ import annotations

import typer

app = typer.Typer(rich_markup_mode=None, help="Careplans.", no_args_is_help=True)
