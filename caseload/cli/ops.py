"""`caseload backup`, `restore` and `doctor`: keeping the store safe and healthy."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
