"""`caseload import` and `caseload export`: bulk data in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from caseload.cli.common import choices, say, state
from caseload.io import fields, formats

ImportKind = choices("ImportKind", (*fields.IMPORT_KINDS, "discharges"))
ExportKind = choices("ExportKind", (*fields.EXPORT_NAMED, "all"))
InFormat = choices("InFormat", formats.IMPORT_FORMATS)
OutFormat = choices("OutFormat", formats.EXPORT_FORMATS)
Conflict = choices("Conflict", fields.CONFLICTS)


def _maps(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        src, sep, dst = v.rpartition("=")
        if not sep or not src.strip() or not dst.strip():
            raise typer.BadParameter(f"{v!r} is not SOURCE=FIELD", param_hint="'--map'")
        out[src.strip()] = dst.strip().lower()
    return out


def _progress():
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, update


def import_(
    ctx: typer.Context,
    kind: ImportKind = typer.Argument(
        ..., help="patients, contacts, followups, careteam or discharges."
    ),
    file: str = typer.Argument(None, help="The file to read; - reads stdin."),
    fmt: InFormat = typer.Option(InFormat.auto, "--format", help="Detected when auto."),
    sheet: str = typer.Option(None, "--sheet", help="XLSX: the sheet (default: the first)."),
    maps: list[str] = typer.Option([], "--map", help="SOURCE=FIELD (repeatable)."),
    nulls: list[str] = typer.Option([], "--null", help="A placeholder read as blank (repeatable)."),
    dayfirst: bool = typer.Option(False, "--dayfirst", help="03/04/2025 is 3 April."),
    monthfirst: bool = typer.Option(False, "--monthfirst", help="03/04/2025 is 4 March."),
    on_conflict: Conflict = typer.Option(
        Conflict.update, "--on-conflict", help="What an existing record gets."
    ),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid rows."),
    rejects: Path = typer.Option(None, "--rejects", help="Where --skip-invalid puts bad rows."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Report what would happen; write nothing."
    ),
    folder: Path = typer.Option(None, "--from-folder", help="discharges: import each new file."),
    add_unknown: bool = typer.Option(False, "--add-unknown", help="discharges: add new patients."),
    allow_old: bool = typer.Option(False, "--allow-old", help="discharges: accept old ones."),
) -> None:
    """Import records from CSV, XLSX, JSON, NDJSON or FHIR R4 (all or nothing by default).

    discharges: HL7 v2 ADT, FHIR R4 Encounters, CSV/XLSX encounters (docs/import-export.md).
    """
    from caseload.io.importing import base, run
    from caseload.io.validate import Options

    if kind is ImportKind.discharges:
        from caseload.cli import discharges

        return discharges.run(
            ctx, file, folder=folder, add_unknown=add_unknown, allow_old=allow_old,
            skip_invalid=skip_invalid, rejects=rejects, dry_run=dry_run, progress=_progress,
        )  # fmt: skip
    if file is None or folder is not None or add_unknown or allow_old:
        raise typer.BadParameter(
            "FILE is needed; --from-folder, --add-unknown, --allow-old are for discharges",
            param_hint="'FILE'",
        )

    if dayfirst and monthfirst:
        raise typer.BadParameter(
            "give --dayfirst or --monthfirst, not both", param_hint="'--dayfirst'"
        )
    settings = base.Settings(
        kind=kind.value,
        fmt=fmt.value,
        sheet=sheet,
        overrides=_maps(maps),
        options=Options(
            nulls=frozenset(n.strip() for n in nulls),
            dayfirst=True if dayfirst else False if monthfirst else None,
        ),
        on_conflict=on_conflict.value,
        skip_invalid=skip_invalid,
        rejects=rejects,
        dry_run=dry_run,
    )
    st = state(ctx)
    conn = st.raw()
    bar, update = _progress()
    if bar is not None:
        bar.start()
    try:
        report = run.run(conn, file, settings, update)
    finally:
        if bar is not None:
            bar.stop()
    for line in report.lines():
        say(line)
    if report.failed and not skip_invalid:
        raise typer.Exit(1)


def export(
    ctx: typer.Context,
    kind: ExportKind = typer.Argument(..., help="patients, contacts, followups, careplans or all."),
    fmt: OutFormat = typer.Option(OutFormat.csv, "--format", "-f", help="The file format."),
    output: Path = typer.Option(
        None, "--output", "-o", help="The file (default stdout); a folder for `all`."
    ),
    redact: bool = typer.Option(
        False, "--redact", help="Initials for names; contact details masked."
    ),
) -> None:
    """Export records (files are created with mode 0600); every export is audited."""
    import os

    from caseload.errors import UsageError
    from caseload.io import exporters
    from caseload.io.private import Staged
    from caseload.services import audit

    if fmt is OutFormat.ics and kind is not ExportKind.followups:
        raise UsageError("--format ics exports follow-ups only")
    if kind is ExportKind.all and output is None:
        raise UsageError("export all needs --output DIR (one file per kind goes there)")
    if fmt is OutFormat.xlsx and output is None and sys.stdout.isatty():
        raise UsageError("an XLSX workbook is not for a terminal: give --output FILE")
    st = state(ctx)
    kinds = list(exporters.KINDS) if kind is ExportKind.all else [kind.value]
    with st.session() as s:
        data = {k: exporters.collect(s, k) for k in kinds}
    if redact:
        from caseload.services.redaction import redact_rows

        data = {k: redact_rows(rows) for k, rows in data.items()}
    if kind is not ExportKind.all and output is not None and str(output) == "-":
        output = None
    staged = Staged()
    try:
        if kind is ExportKind.all:
            try:
                os.makedirs(output, mode=0o700, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create the folder {output}: {exc.strerror}") from None
            if fmt is OutFormat.fhir:
                with staged.open(output / "bundle.json") as out:
                    exporters.write_bundle(data, out)
            else:
                for k, rows in data.items():
                    with staged.open(output / f"{k}.{exporters.EXTENSIONS[fmt.value]}") as out:
                        exporters.write(k, rows, fmt.value, out)
        elif output is not None:
            with staged.open(output) as out:
                exporters.write(kind.value, data[kind.value], fmt.value, out)
        else:
            try:
                exporters.write(kind.value, data[kind.value], fmt.value, sys.stdout.buffer)
            finally:
                sys.stdout.buffer.flush()
        counts = {k: len(rows) for k, rows in data.items()}
        # Audited before the files take their names: no export lands unrecorded.
        with st.session(write=True) as s:
            audit.record(
                s, f"export.{kind.value}", "export", None, format=fmt.value, redacted=redact,
                **counts,
            )  # fmt: skip
        staged.commit()
    finally:
        staged.discard()
    if output is not None:
        say("exported " + ", ".join(f"{n} {k}" for k, n in counts.items()) + f" to {output}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
