"""The export workflow: check the request, read the records, write them staged, audit, commit.

One function for every front end (habit 1: sqlite-utils and harlequin keep the
work in the library): `caseload export` parses its options into an ``Export``
and prints the result; the TUI can run the same ``run`` with its own sessions.
The serialisers themselves live in ``io.exporters`` (and ``io.fhir``, ``io.ics``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from caseload.errors import UsageError

ALL = "all"


@dataclass(frozen=True)
class Export:
    """What to export: a kind of ``exporters.KINDS`` (or ``all``), a format, and where.

    ``output`` None (or ``-``) means the stream given to ``run``; ``all`` needs a folder.
    """

    kind: str
    fmt: str = "csv"
    output: Path | None = None
    redact: bool = False


@dataclass(frozen=True)
class Exported:
    """The records written per kind, and the file or folder they went to (None: the stream)."""

    counts: dict[str, int] = field(default_factory=dict)
    output: Path | None = None


def check(req: Export, stream: BinaryIO | None) -> None:
    """The request's own rules, before any store is opened (usage errors, exit 2)."""
    if req.fmt == "ics" and req.kind != "followups":
        raise UsageError("--format ics exports follow-ups only")
    if req.kind == ALL and req.output is None:
        raise UsageError("export all needs --output DIR (one file per kind goes there)")
    if req.fmt == "xlsx" and req.output is None and stream is not None and stream.isatty():
        raise UsageError("an XLSX workbook is not for a terminal: give --output FILE")


def run(
    req: Export,
    sessions: Callable[..., AbstractContextManager],
    stream: BinaryIO | None = None,
) -> Exported:
    """Export ``req``; ``sessions()`` / ``sessions(write=True)`` open units of work on the store.

    Files are written under temporary names (mode 0600) and take their names only
    after the export's audit event is committed: no export lands unrecorded, and an
    interrupted one leaves no partial file and never truncates an earlier one.
    """
    from caseload.io import exporters
    from caseload.io.private import Staged
    from caseload.services import audit

    check(req, stream)
    kinds = list(exporters.KINDS) if req.kind == ALL else [req.kind]
    with sessions() as s:
        data = {k: exporters.collect(s, k) for k in kinds}
    if req.redact:
        from caseload.services.redaction import redact_rows

        data = {k: redact_rows(rows) for k, rows in data.items()}
    output = req.output
    if req.kind != ALL and output is not None and str(output) == "-":
        output = None
    staged = Staged()
    try:
        _write(req, data, output, staged, stream)
        counts = {k: len(rows) for k, rows in data.items()}
        # Audited before the files take their names: no export lands unrecorded.
        with sessions(write=True) as s:
            audit.record(
                s, f"export.{req.kind}", "export", None, format=req.fmt, redacted=req.redact,
                **counts,
            )  # fmt: skip
        staged.commit()
    finally:
        staged.discard()
    return Exported(counts, output)


def _write(req: Export, data: dict, output: Path | None, staged, stream) -> None:
    """Every file of the export, staged (or the one kind to ``stream`` when no output)."""
    from caseload.io import exporters

    if req.kind == ALL:
        try:
            os.makedirs(output, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create the folder {output}: {exc.strerror}") from None
        if req.fmt == "fhir":
            with staged.open(output / "bundle.json") as out:
                exporters.write_bundle(data, out)
        else:
            for k, rows in data.items():
                with staged.open(output / f"{k}.{exporters.EXTENSIONS[req.fmt]}") as out:
                    exporters.write(k, rows, req.fmt, out)
    elif output is not None:
        with staged.open(output) as out:
            exporters.write(req.kind, data[req.kind], req.fmt, out)
    else:
        try:
            exporters.write(req.kind, data[req.kind], req.fmt, stream)
        finally:
            stream.flush()
