"""`caseload audit …`: read and verify the hash-chained audit log."""

from __future__ import annotations

import typer

app = typer.Typer(rich_markup_mode=None, help="The audit log.", no_args_is_help=True)
