"""`caseload demo`: a store full of synthetic patients, to try caseload."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
