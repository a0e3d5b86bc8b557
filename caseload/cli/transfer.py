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
    from caseload.io.importing import run

    if kind is ImportKind.discharges:
        from caseload.cli import discharges

        _only_record_options(fmt, sheet, maps, nulls, dayfirst, monthfirst, on_conflict)

        return discharges.run(
            ctx, file, folder=folder, add_unknown=add_unknown, allow_old=allow_old,
            skip_invalid=skip_invalid, rejects=rejects, dry_run=dry_run, progress=_progress,
        )  # fmt: skip
    if file is None or folder is not None or add_unknown or allow_old:
        raise typer.BadParameter(
            "FILE is needed; --from-folder, --add-unknown, --allow-old are for discharges",
            param_hint="'FILE'",
        )

    settings = _settings(
        kind, fmt, sheet, maps, nulls, dayfirst, monthfirst, on_conflict,
        skip_invalid=skip_invalid, rejects=rejects, dry_run=dry_run,
    )  # fmt: skip
    conn = state(ctx).raw()
    report = _with_progress(lambda update: run.run(conn, file, settings, update))
    for line in report.lines():
        say(line)
    if report.failed and not skip_invalid:
        raise typer.Exit(1)


def _only_record_options(fmt, sheet, maps, nulls, dayfirst, monthfirst, on_conflict) -> None:
    """Discharge feeds detect their format and map their own fields: the options that shape
    a record import would be silently ignored there, so they are refused (exit 2)."""
    given = [
        name
        for name, used in (
            ("--format", fmt is not InFormat.auto),
            ("--sheet", sheet is not None),
            ("--map", bool(maps)),
            ("--null", bool(nulls)),
            ("--dayfirst", dayfirst),
            ("--monthfirst", monthfirst),
            ("--on-conflict", on_conflict is not Conflict.update),
        )
        if used
    ]
    if given:
        raise typer.BadParameter(
            f"{', '.join(given)}: not for discharges (their format is detected, their "
            "fields mapped as docs/import-export.md says)",
            param_hint=f"'{given[0]}'",
        )


def _settings(kind, fmt, sheet, maps, nulls, dayfirst, monthfirst, on_conflict, **flags):
    """The import's options as ``base.Settings`` (usage errors for what cannot go together)."""
    from caseload.io.importing import base
    from caseload.io.validate import Options

    if dayfirst and monthfirst:
        raise typer.BadParameter(
            "give --dayfirst or --monthfirst, not both", param_hint="'--dayfirst'"
        )
    return base.Settings(
        kind=kind.value,
        fmt=fmt.value,
        sheet=sheet,
        overrides=_maps(maps),
        options=Options(
            nulls=frozenset(n.strip() for n in nulls),
            dayfirst=True if dayfirst else False if monthfirst else None,
        ),
        on_conflict=on_conflict.value,
        **flags,
    )


def _with_progress(work):
    """``work(update)`` with a progress bar on stderr while it runs (when it is a terminal)."""
    bar, update = _progress()
    if bar is None:
        return work(update)
    bar.start()
    try:
        return work(update)
    finally:
        bar.stop()


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
    from caseload.io import export as exporting

    req = exporting.Export(kind.value, fmt.value, output, redact)
    done = exporting.run(req, state(ctx).session, sys.stdout.buffer)
    if done.output is not None:
        say(f"exported {', '.join(f'{n} {k}' for k, n in done.counts.items())} to {done.output}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
