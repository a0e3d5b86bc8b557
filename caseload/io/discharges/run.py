"""`caseload import discharges`: read a feed file, apply every visit in one transaction.

All or nothing by default (one bad message and nothing is written); with
``skip_invalid`` the good ones are written and the bad ones go to the rejects
file. Each visit goes through ``services.feeds.apply`` (the one rule), so a
re-run or an updated message never duplicates a transition or its follow-ups.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from caseload.errors import CaseloadError, Invalid, UsageError
from caseload.io.discharges import Item, Parsed

SHOWN_ERRORS = 20
Progress = Callable[[str, int, int | None], None]


@dataclass
class Options:
    add_unknown: bool = False
    skip_invalid: bool = False
    rejects: Path | None = None
    dry_run: bool = False
    allow_old: bool = False
    max_age_days: int = 30
    holidays: frozenset[date] = frozenset()
    today: date | None = None


@dataclass
class Report:
    fmt: str = ""
    items: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    patients_added: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    all_or_nothing: bool = True

    def lines(self) -> list[str]:
        # A Synthea file is mostly wellness visits: their notes are counted, not all listed.
        out = [f"note: {n}" for n in self.notes[:SHOWN_ERRORS]]
        if len(self.notes) > SHOWN_ERRORS:
            out.append(f"… and {len(self.notes) - SHOWN_ERRORS} more notes")
        for where, what, reason in self.errors[:SHOWN_ERRORS]:
            out.append(f"{where}, {what}: {reason}")
        if len(self.errors) > SHOWN_ERRORS:
            out.append(f"… and {len(self.errors) - SHOWN_ERRORS} more errors")
        if self.errors:
            counts: dict[str, int] = {}
            for _w, what, reason in self.errors:
                counts[f"{what}: {reason}"] = counts.get(f"{what}: {reason}", 0) + 1
            out.append("errors by reason:")
            out += [f"  {k} ({v})" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
        if self.items == 0:
            out.append("no discharges in the file: nothing to import")
            return out
        if self.dry_run:
            head = "dry run (nothing written)"
        elif self.written or not self.all_or_nothing:
            head = f"imported discharges ({self.fmt})"
        else:
            head = "nothing written (all or nothing)"
        added = f", patients added {self.patients_added}" if self.patients_added else ""
        out.append(
            f"{head}: created {self.created}, updated {self.updated}, unchanged "
            f"{self.unchanged}, skipped {self.skipped}, failed {self.failed}{added}"
        )
        if self.failed and self.all_or_nothing and not self.dry_run:
            out.append("  fix those, or import the valid ones with --skip-invalid --rejects FILE")
        return out


def read(source: str | Path, progress: Progress | None = None) -> Parsed:
    """The feed items of ``source``, its format detected from the content (HL7 messages,
    the slow part of a big file, report their progress as the stage "reading")."""
    from caseload.io import readers
    from caseload.io.discharges import fhir, hl7, tabular

    data = readers.read_bytes(source)
    name = "stdin" if str(source) == "-" else str(source)
    data, note = readers._transcode(data, name)
    if not data or data.isspace():
        raise Invalid(f"{name} is empty")
    if data[:4] == b"PK\x03\x04":
        parsed = tabular.parse(readers.read_xlsx(data, name, None))
    else:
        text = readers._decode(data, [])
        if hl7.looks_like(text):
            tick = None if progress is None else (lambda k, n: progress("reading", k, n))
            parsed = hl7.parse(text, tick)
        elif fhir.looks_like(text):
            parsed = fhir.parse(text)
        elif b"\x00" in data[:8192]:
            raise Invalid(f"{name} holds binary data: expected HL7 v2, FHIR JSON, CSV or XLSX")
        else:
            parsed = tabular.parse(readers.read_csv(data, name))
    if note:
        parsed.notes.insert(0, note)
    return parsed


def run(session_factory, source, opts: Options, progress: Progress | None = None) -> Report:
    """Import ``source``; ``session_factory()`` gives a write session context manager.

    The rejects file is checked before anything is read and written before COMMIT
    (under a temporary name, renamed once committed), as the other imports do.
    """
    from caseload.io.private import Staged, check_writable

    if opts.skip_invalid and opts.rejects is None:
        raise UsageError("--skip-invalid needs --rejects FILE to keep the messages it leaves out")
    if opts.rejects is not None:
        check_writable(opts.rejects)
    parsed = read(source, progress)
    report = Report(fmt=parsed.fmt, notes=list(parsed.notes), dry_run=opts.dry_run)
    report.all_or_nothing = not opts.skip_invalid
    report.items = len(parsed.items)
    bad: list[Item] = []
    staged = Staged()
    try:
        with session_factory() as s:
            _apply_all(s, parsed.items, opts, report, bad, progress)
            report.failed = len(bad)
            if opts.dry_run or (bad and not opts.skip_invalid):
                raise _Abort
            if report.created or report.updated:
                from caseload.services import audit

                audit.record(
                    s, "import.discharges", "transition", None, format=parsed.fmt,
                    created=report.created, updated=report.updated,
                    unchanged=report.unchanged, skipped=report.skipped, failed=report.failed,
                    patients_added=report.patients_added,
                )  # fmt: skip
            if bad and opts.rejects is not None:
                write_rejects(staged, opts.rejects, parsed, bad)
        report.written = True
        staged.commit()
    except _Abort:
        pass
    finally:
        staged.discard()
    return report


class _Abort(Exception):
    """Leave the session without committing (dry run; all or nothing)."""


def _apply_all(s, items: list[Item], opts: Options, report: Report, bad: list, progress) -> None:
    """Every item's outcome counted, or its errors kept (in the file's order)."""
    from caseload.services import feeds

    ready: list[Item] = []
    for item in items:
        if item.note and not item.errors:
            report.skipped += 1
            report.notes.append(item.note)
        elif not item.errors and item.event is not None:
            ready.append(item)
    if opts.add_unknown:
        for item in ready:
            try:
                _ensure_patient(s, item, report, opts)
            except CaseloadError as exc:
                item.errors.append((_field(item, str(exc)), _reason(str(exc), opts)))
        ready = [i for i in ready if not i.errors]
    tick = None if progress is None else (lambda k: progress("importing", k, len(ready)))
    outcomes = feeds.apply_many(
        s, [i.event for i in ready], holidays=opts.holidays, today=opts.today,
        max_age_days=None if opts.allow_old else opts.max_age_days, progress=tick,
    )  # fmt: skip
    for item, outcome in zip(ready, outcomes, strict=True):
        if isinstance(outcome, CaseloadError):
            item.errors.append((_field(item, str(outcome)), _reason(str(outcome), opts)))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    for item in items:
        if item.errors:
            bad.append(item)
            report.errors += [(item.where, f, r) for f, r in item.errors]


def _field(item: Item, message: str) -> str:
    hl7 = item.where.startswith("message")
    if "patient" in message:
        return (
            "PID-3"
            if hl7
            else "subject"
            if item.where.startswith("entry")
            else "patient_external_id"
        )
    if "discharge date" in message:
        return (
            "PV1-45" if hl7 else "period.end" if item.where.startswith("entry") else "discharged_on"
        )
    return "message" if hl7 else "record"


def _reason(message: str, opts: Options) -> str:
    if message.startswith("no patient with external id"):
        return "patient not in the caseload (--add-unknown creates it)"
    if "days ago" in message and not opts.allow_old:
        return message + " (--allow-old imports it)"
    return message


def _ensure_patient(s, item: Item, report: Report, opts: Options) -> None:
    from caseload.services import patients, transitions

    ext = item.event.external_id
    if patients._by_external_id(s, ext) is not None:
        return
    if item.event.discharged_on is not None:  # a discharge refused adds no patient either
        transitions.check_discharge(
            item.event.discharged_on, today=opts.today,
            max_age_days=None if opts.allow_old else opts.max_age_days,
        )  # fmt: skip
    values = {k: str(v).strip() for k, v in item.patient.items() if v}
    try:
        if "birth_date" in values:
            values["birth_date"] = date.fromisoformat(values["birth_date"])
    except ValueError:
        values.pop("birth_date")
    values.setdefault("given_name", "Unknown")
    values.setdefault("family_name", "Unknown")
    try:
        patients.add(s, **values)
    except Invalid:  # a field the feed wrote oddly: the patient with the names only
        patients.add(s, external_id=ext, given_name=values["given_name"],
                     family_name=values["family_name"])  # fmt: skip
    report.patients_added += 1


def write_rejects(staged, path: Path, parsed: Parsed, bad: list[Item]) -> None:
    """The left-out records with the reason: CSV/XLSX rows as they were with a ``reason``
    column (fix and re-import), else where/reason/record (the message or resource)."""
    import io

    with staged.open(path) as raw:
        f = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        w = csv.writer(f)
        heads = parsed.headers
        w.writerow([*heads, "reason"] if heads is not None else ["where", "reason", "record"])
        for item in bad:
            reason = "; ".join(f"{a}: {b}" for a, b in item.errors)
            if heads is not None and item.cells is not None:
                cells = list(item.cells[: len(heads)]) + [""] * (len(heads) - len(item.cells))
                w.writerow([*cells, reason])
            else:
                w.writerow([item.where, reason, item.raw])
        f.flush()
        f.detach()
