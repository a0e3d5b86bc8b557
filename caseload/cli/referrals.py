"""`caseload referrals …`."""

from __future__ import annotations

import typer

app = typer.Typer(rich_markup_mode=None, help="Referrals.", no_args_is_help=True)
