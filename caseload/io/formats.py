"""Record formats by name: the one place a record becomes CSV, JSON, NDJSON, XLSX, a table or Markdown.

Every list (`patients list --format csv`), every export and the due list's
long-hand writer go through here, so they cannot drift apart again:

- one formula neutraliser (``neutralise``): a CSV or XLSX cell a spreadsheet
  would run as a formula gets a leading apostrophe, which ``import`` removes;
- one timestamp policy (``plain``): ISO 8601 in local time with its UTC offset
  (``2025-03-04T04:30:00.123456-05:00``): shown in local time as SPEC asks, yet
  one instant whatever the reader's zone; microseconds kept, so ``import``
  recognises the contacts it already holds; dates as ``YYYY-MM-DD``. Tables,
  for people, show local time to the minute (``table_cell``);
- one JSON writer (``write_json``): an array, one object a line, with the C
  encoder (``indent=`` would fall back to the pure-Python one, ten times slower).

The due list's SQL-built fast path (io.duelist_fast) builds the same bytes in
SQL; it takes its formula starts from ``FORMULA`` here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, BinaryIO, TextIO

NAMES = ("csv", "json", "ndjson", "xlsx", "table", "markdown")
# The formats each command takes (the CLI builds its --format choices from these).
LIST_FORMATS = ("table", "csv", "json")
DOCUMENT_FORMATS = ("table", "json")  # one nested record (a care plan)
DUE_FORMATS = ("text", "table", "csv", "json", "markdown")
EXPORT_FORMATS = ("csv", "json", "ndjson", "xlsx", "fhir", "ics")
IMPORT_FORMATS = ("auto", "csv", "xlsx", "json", "ndjson", "fhir")
# A cell starting with one of these is a formula to a spreadsheet.
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A leading apostrophe on text a spreadsheet would run as a formula (also after
    apostrophes, so ``import``'s ``unneutralise()`` removes exactly one); other text as it is."""
    if text and text.lstrip("'")[:1] in FORMULA:
        return "'" + text
    return text


def timestamp(value: datetime) -> str:
    """ISO 8601 in local time with its offset; a naive timestamp is taken as UTC (the store's)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone().isoformat()


def plain(value: Any) -> Any:
    """A JSON-ready value: dates ISO, timestamps by ``timestamp``, lists and dicts deep."""
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def text(value: Any) -> str:
    """A value as one line of text: '' for none, yes/no, lists joined with ';'."""
    value = plain(value)
    if value is None:
        return ""
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def cell(value: Any) -> str:
    """A value as a CSV or XLSX cell: ``text``, neutralised."""
    return neutralise(text(value))


def record(row: dict, columns: Sequence[str] | None = None) -> dict:
    """``row`` (only ``columns``, in their order, when given) ready for JSON."""
    if columns is None:
        return plain(row)
    return {c: plain(row.get(c)) for c in columns}


# --- writers ---------------------------------------------------------------------------


def write_json(out: TextIO, objects: Iterable[dict]) -> None:
    """A JSON array, one object a line: readable, and fast on big lists."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    out.write("[")
    first = True
    for obj in objects:
        out.write("\n " if first else ",\n ")
        out.write(dumps(obj))
        first = False
    out.write("\n]\n" if not first else "]\n")


def write_document(out: TextIO, obj: Any, *, indent: int = 1) -> None:
    """One JSON document for people to read (a record, a care plan, a FHIR bundle): indented."""
    out.write(json.dumps(plain(obj), ensure_ascii=False, indent=indent) + "\n")


def write_ndjson(out: TextIO, objects: Iterable[dict]) -> None:
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for obj in objects:
        out.write(dumps(obj) + "\n")


def write_csv(
    out: TextIO, columns: Sequence[str], rows: Iterable[dict], *, line_end: str = "\n"
) -> None:
    w = csv.writer(out, lineterminator=line_end)
    w.writerow(columns)
    for r in rows:
        w.writerow([cell(r.get(c)) for c in columns])


def write_xlsx(out: BinaryIO, sheet: str, columns: Sequence[str], rows: Iterable[dict]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(columns))
    for r in rows:
        # Every cell as text: Excel must not turn "0123" into 123 or a date into a number.
        ws.append([cell(r.get(c)) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    out.write(buf.getvalue())


def markdown_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, one line."""
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def write_markdown(out: TextIO, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A Markdown table: ``columns`` as the header, each row's cells escaped."""
    out.write("| " + " | ".join(columns) + " |\n")
    out.write("|" + "---|" * len(columns) + "\n")
    for r in rows:
        out.write("| " + " | ".join(markdown_cell(v) for v in r) + " |\n")


def write(fmt: str, out, columns: Sequence[str], rows: Iterable[dict], **opts) -> None:
    """``rows`` in the format named ``fmt``: a text stream for csv/json/ndjson/markdown, a
    binary one for xlsx. ``opts``: ``line_end`` (csv), ``sheet`` (xlsx), ``whole`` (json and
    ndjson: every field of each row, nested, instead of only ``columns``)."""
    whole = opts.get("whole", False)
    if fmt == "csv":
        write_csv(out, columns, rows, line_end=opts.get("line_end", "\n"))
    elif fmt in ("json", "ndjson"):
        objects = (record(r, None if whole else columns) for r in rows)
        (write_json if fmt == "json" else write_ndjson)(out, objects)
    elif fmt == "xlsx":
        write_xlsx(out, opts.get("sheet", "records"), columns, rows)
    elif fmt == "markdown":
        write_markdown(out, columns, ([text(r.get(c)) for c in columns] for r in rows))
    else:
        raise ValueError(f"unknown record format {fmt!r}")


# --- tables, for people ------------------------------------------------------------------

# Shorter headers where the field name would crowd an 80-column table.
TABLE_LABELS = {
    "patient_external_id": "patient",
    "addendum_to": "amends",
    "priority": "pri",
    "rrule": "repeats",
}
# Columns whose codes a table shows as words (CSV/JSON keep the codes).
LABELLED = {
    "kind", "method", "outcome", "party", "status", "risk", "category", "setting", "unable_reason",
}  # fmt: skip


def table_cell(value: Any, column: str = "") -> str:
    """A cell for people: timestamps in local time to the minute, words for codes."""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    from caseload import labels

    if column == "rrule":
        return labels.describe_rrule(value)
    if column == "detail":
        return labels.describe_detail(value)
    if column in LABELLED and isinstance(value, str):
        return labels.label(value)
    return text(value)


def write_table(out: TextIO, rows: list[dict], spec: Sequence, *, title: str | None = None):
    """``rows`` as a table fitted to ``out`` (io.tables); returns the note on columns left
    out, or None. ``spec``: ``io.tables.Col``s, or plain keys (never cut, never left out)."""
    from caseload.io import tables

    cols = [
        c if isinstance(c, tables.Col) else tables.Col(c, TABLE_LABELS.get(c, "")) for c in spec
    ]
    width = tables.width_for(out)
    shown = [{c.key: table_cell(r.get(c.key), c.key) for c in cols} for r in rows]
    table = tables.render(cols, shown, width=width, cell=str, title=title)
    out.write("\n".join(table.lines) + "\n")
    return tables.dropped_note(table.dropped, width) if table.dropped else None
