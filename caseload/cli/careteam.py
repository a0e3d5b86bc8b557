"""`caseload careteam …`."""

from __future__ import annotations

import typer

app = typer.Typer(rich_markup_mode=None, help="Careteam.", no_args_is_help=True)
