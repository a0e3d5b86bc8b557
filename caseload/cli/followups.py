"""`caseload followups …`."""

from __future__ import annotations

import typer

app = typer.Typer(rich_markup_mode=None, help="Followups.", no_args_is_help=True)
