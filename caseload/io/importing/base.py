"""What the importers share: settings, the report, and the lookups every writer does.

``run`` reads and checks; the writers (``patients``, ``rows``) write; both take
these. Nothing here imports the writers, so the package has no import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from caseload.io import fields
from caseload.io.fields import IMPORT_KINDS
from caseload.io.validate import Options
from caseload.services.auditchain import STORED_FORMAT

CHUNK = 5000
LOOKUP = 500  # ids per "IN (...)": well under SQLite's bound-parameter limit
KINDS = IMPORT_KINDS
CONFLICTS = fields.CONFLICTS
SHOWN_ERRORS = 20


@dataclass
class Settings:
    kind: str
    fmt: str = "auto"
    sheet: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    on_conflict: str = "update"
    skip_invalid: bool = False
    rejects: Path | None = None
    dry_run: bool = False


@dataclass
class Report:
    kind: str
    unit: str = "row"
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    all_or_nothing: bool = True

    def groups(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for _n, _col, reason in self.errors:
            key = re.sub(r"\b(row|line|item|entry) \d+", r"an earlier \1", reason)
            counts[key] = counts.get(key, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def lines(self) -> list[str]:
        """The summary for people (stderr), without patient data."""
        out = [f"note: {n}" for n in self.notes]
        if self.ignored:
            out.append("ignored columns: " + ", ".join(self.ignored))
        for n, column, reason in self.errors[:SHOWN_ERRORS]:
            out.append(f"{self.unit} {n}, column {column}: {reason}")
        if len(self.errors) > SHOWN_ERRORS:
            out.append(f"… and {len(self.errors) - SHOWN_ERRORS} more errors")
        if self.errors:
            out.append("errors by reason:")
            for reason, count in self.groups():
                out.append(f"  {reason} ({count} {self.unit}{'s' if count != 1 else ''})")
        if self.rows == 0:
            out.append(f"no data rows: nothing to import ({self.kind})")
            return out
        if self.dry_run:
            head = "dry run (nothing written)"
        elif self.written or not self.all_or_nothing:
            head = f"imported {self.kind}"
        else:
            head = "nothing written (all or nothing)"
        out.append(
            f"{head}: created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}, failed {self.failed}"
        )
        if self.failed and self.all_or_nothing and not self.dry_run:
            out.append(
                "  fix those rows, or import the valid ones with --skip-invalid --rejects FILE"
            )
        return out


Progress = Callable[[str, int, int | None], None]


class Checked:
    """The rows that passed, when every row did: kept as the checker's columns.

    Iterating gives ``(n, values, cells)`` like the lists of the error path, built
    one at a time; the patients writer reads ``columns`` directly and never asks.
    """

    def __init__(self, numbers: tuple, columns: list[list], cells: tuple) -> None:
        self.numbers = numbers
        self.columns = columns
        self.cells = cells

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self):
        values = zip(*self.columns, strict=True) if self.columns else [()] * len(self.numbers)
        return zip(self.numbers, values, self.cells, strict=True)


def reject(bad: list, report: Report, n: int, cells, column: str, reason: str) -> None:
    bad.append((n, cells, [f"{column}: {reason}"]))
    report.errors.append((n, column, reason))


def stamp() -> str:
    return datetime.now(UTC).replace(tzinfo=None).strftime(STORED_FORMAT)


def lookup(conn, sql: str, keys: list) -> list[tuple]:
    """``sql`` has one ``{}`` for the placeholders; run it over ``keys`` in chunks."""
    out: list[tuple] = []
    for start in range(0, len(keys), LOOKUP):
        chunk = keys[start : start + LOOKUP]
        out += conn.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
    return out


def patient_ids(conn, external_ids) -> dict[str, int]:
    keys = list(dict.fromkeys(external_ids))
    rows = lookup(conn, "SELECT external_id, id FROM patient WHERE external_id IN ({})", keys)
    return dict(rows)
