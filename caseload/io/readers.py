"""Reading import files: format detection, decoding, and rows of text cells for CSV/XLSX/JSON/FHIR.

Every reader returns a ``Table``: the header row and the data rows as lists of
strings ("" for blank), each with the number a person would look for (the
spreadsheet row, the NDJSON line, the JSON item). Values from typed formats
(JSON numbers, Excel dates) are turned into the text a CSV would hold, so one
validation path serves every format.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from caseload.errors import Invalid
from caseload.io.formats import IMPORT_FORMATS

FORMATS = IMPORT_FORMATS
_SNIFF = 8192
# What str.splitlines breaks lines at besides \r and \n (a newline="" file does not).
_OTHER_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
# A line fed to the CSV reader after the file's last one: it comes back as a record of
# its own unless a quote is still open, and then it ends up inside the open cell.
_EOF = "\U0010fffdcaseload-end-of-file\U0010fffd"
# UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)  # fmt: skip
# Python refuses to turn longer digit strings into ints; longer JSON integers stay text.
_MAX_DIGITS = 4300


@dataclass
class Table:
    headers: list[str]
    rows: Iterable[tuple[int, list[str]]]
    unit: str = "row"  # how errors name a record: row (CSV/XLSX), line (NDJSON), item (JSON)
    fmt: str = "csv"
    notes: list[str] = field(default_factory=list)
    total: int | None = None  # records, when known up front (for the progress bar)
    # A JSON object or FHIR resource is a record even when it carries nothing; a blank
    # CSV/XLSX line is not.
    blank_rows: bool = False


def read_bytes(source: str | Path) -> bytes:
    if str(source) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except IsADirectoryError:
        raise Invalid(f"{source} is a folder; give a file") from None
    except OSError as exc:
        raise Invalid(f"cannot read {source}: {exc.strerror}") from None


def open_table(source: str | Path, fmt: str = "auto", *, sheet: str | None = None) -> Table:
    """The rows of ``source`` ("-" for stdin) in ``fmt`` (detected from the content when auto)."""
    data = read_bytes(source)
    name = "stdin" if str(source) == "-" else str(source)
    data, note = _transcode(data, name)
    if not data or data.isspace():  # (not data.strip(): that copies the whole file)
        raise Invalid(f"{name} is empty: expected a header row and data rows")
    if fmt == "auto":
        fmt = detect(data, name)
    if fmt == "xlsx":
        table = read_xlsx(data, name, sheet)
    elif fmt == "csv":
        table = read_csv(data, name)
    elif fmt == "fhir":
        table = read_fhir(_decode(data, []), name)
    else:
        table = read_json(_decode(data, []), name, ndjson=(fmt == "ndjson"))
    if note:
        table.notes.insert(0, note)
    return table


def _transcode(data: bytes, name: str) -> tuple[bytes, str | None]:
    """UTF-16/UTF-32 with a BOM (Excel's "Unicode text", PowerShell) as UTF-8, and a note."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)  # the codec reads and drops the BOM
            except UnicodeDecodeError:
                what = codec.upper()
                raise Invalid(f"{name} starts as {what} but is not valid {what}") from None
            return text.encode("utf-8"), f"read as {codec.upper()} (the file has a BOM)"
    return data, None


def _loads(text: str, name: str):
    """``json.loads`` for untrusted text: nesting too deep or huge numbers are a clean error."""
    try:
        return json.loads(text, parse_int=_int)
    except RecursionError:
        raise Invalid(f"{name} is nested too deeply to be records") from None


def detect(data: bytes, name: str) -> str:
    head = data[:_SNIFF]
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if b"\x00" in head:
        raise Invalid(
            f"{name} holds binary data: expected CSV, XLSX, JSON, NDJSON or FHIR",
        )
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        fhir = b'"resourceType"' in head
        if stripped[:1] == b"[":
            return "fhir" if fhir else "json"
        try:
            _loads(data.decode("utf-8-sig"), name)
            single = True
        except (ValueError, Invalid):
            single = False  # several objects: one per line (each is read on its own)
        if fhir:
            return "fhir"
        return "json" if single else "ndjson"
    return "csv"


def _decode(data: bytes, notes: list[str]) -> str:
    """UTF-8 (BOM or not); Windows-1252 when UTF-8 fails, as Excel on Windows writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        notes.append("read as Windows-1252 (the file is not UTF-8)")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        text = data.decode("latin-1")
        notes.append("read as Latin-1 (the file is neither UTF-8 nor Windows-1252)")
    return text


def _int(digits: str) -> int | str:
    return int(digits) if len(digits) <= _MAX_DIGITS else digits


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def read_csv(data: bytes, name: str) -> Table:
    notes: list[str] = []
    text = _decode(data, notes)
    nul = text.find("\x00")  # past the sniffed head: a damaged file, or not a text one
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise Invalid(f"{name} line {line} holds a NUL byte: damaged, or not a CSV file")
    first = text.split("\n", 1)[0]
    # Excel in much of Europe writes ';', and tab-separated exports are common.
    delimiter = ","
    if "," not in first:
        if "\t" in first:
            delimiter = "\t"
        elif ";" in first:
            delimiter = ";"
    # No limit on a cell: the file is in memory already, and an oversized cell is a row
    # error naming its row and column ("longer than 20000 characters"), not a crash.
    csv.field_size_limit(sys.maxsize)
    # Lines split at \r, \n and \r\n with their ends kept, as a newline="" file gives them
    # (so quoted newlines survive). splitlines is ~10% faster than a StringIO but also
    # splits at _OTHER_BREAKS, so a text holding one (a C-level scan each) reads as a file.
    if any(b in text for b in _OTHER_BREAKS):
        lines: Iterable[str] = io.StringIO(text, newline="")
    else:
        lines = text.splitlines(True)
    reader = csv.reader(itertools.chain(lines, (_EOF,)), delimiter=delimiter)
    headers: list[str] | None = None
    number = 0
    for cells in reader:
        number += 1
        if not _blank(cells):
            headers = [c.strip().lstrip("\ufeff") for c in cells]  # a BOM written twice
            break
    if headers is None or headers == [_EOF]:
        raise Invalid(f"{name} has no header row")
    if _EOF in headers[-1]:  # (the header's own text would hold the rest of the file)
        raise _open_quote(name, number, len(headers) - 1, [])
    # enumerate numbers the records in C; each record counts one row, as a sheet shows it.
    rows = _until_eof(enumerate(reader, number + 1), name, headers)
    return Table(headers, rows, "row", "csv", notes, total=max(text.count("\n") - number, 0))


def _until_eof(rows: Iterator[tuple[int, list[str]]], name: str, headers: list[str]):
    """The records before the end-of-file line; a quote still open there is an error.

    Without this, a cell whose opening quote is never closed swallows the rest of the
    file and the import reports success on the rows before it.
    """
    prev = next(rows, None)
    if prev is None:  # (the end-of-file line always comes; this is for safety only)
        return
    for row in rows:
        yield prev
        prev = row
    n, cells = prev
    if cells != [_EOF]:
        raise _open_quote(name, n, len(cells) - 1, headers)


def _open_quote(name: str, n: int, col: int, headers: list[str]) -> Invalid:
    column = headers[col] if col < len(headers) and headers[col] else f"number {col + 1}"
    return Invalid(
        f"{name} row {n}, column {column}: a quote opens a cell that is never closed "
        "(it runs to the end of the file); nothing imported"
    )


def _cell(value) -> str:
    """A typed value as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def read_xlsx(data: bytes, name: str, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    unreadable = f"{name} is not a readable XLSX workbook"
    # openpyxl lets a damaged part surface as whatever failed inside it (zlib.error,
    # an XML ParseError, KeyError, TypeError…): all of them mean the same to a person.
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise Invalid(unreadable) from None
    if sheet is None:
        if not wb.worksheets:
            raise Invalid(f"{unreadable}: it has no sheets")
        ws = wb.worksheets[0]
    elif sheet in wb.sheetnames:
        ws = wb[sheet]
    else:
        raise Invalid(f"{name} has no sheet named {sheet!r} (sheets: {', '.join(wb.sheetnames)})")
    damaged = f"{unreadable}: sheet {ws.title!r} is damaged"
    it = ws.iter_rows(values_only=True)
    headers: list[str] | None = None
    number = 0
    try:
        for values in it:
            number += 1
            cells = [_cell(v) for v in values]
            if not _blank(cells):
                while cells and not cells[-1].strip():
                    cells.pop()
                headers = [c.strip() for c in cells]
                break
        total = (ws.max_row - number) if ws.max_row else None
    except Exception:
        raise Invalid(damaged) from None
    if headers is None:
        raise Invalid(f"{name} has no header row in sheet {ws.title!r}")

    def rows() -> Iterator[tuple[int, list[str]]]:
        n = number
        try:
            for values in it:
                n += 1
                yield n, [_cell(v) for v in values]
        except Exception:
            raise Invalid(f"{damaged} after row {n}; nothing imported") from None
        finally:
            wb.close()

    return Table(headers, rows(), "row", "xlsx", total=total)


def _records(text: str, name: str, ndjson: bool) -> tuple[list[tuple[int, object]], str]:
    if not ndjson:
        try:
            data = _loads(text, name)
        except ValueError as exc:
            raise Invalid(f"{name} is not valid JSON ({_where(exc)})") from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise Invalid(f"{name} holds JSON but not an array of records")
        return list(enumerate(data, 1)), "item"
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((n, _loads(line, f"{name} line {n}")))
        except ValueError as exc:
            why = getattr(exc, "msg", "unreadable value")
            raise Invalid(f"{name} line {n} is not valid JSON ({why})") from None
    return out, "line"


def _where(exc: ValueError) -> str:
    lineno = getattr(exc, "lineno", None)
    return f"line {lineno}: {exc.msg}" if lineno is not None else "unreadable value"


def _as_table(
    records: list[tuple[int, dict]], unit: str, fmt: str, notes: list[str], name: str
) -> Table:
    headers: dict[str, None] = {}
    for _n, rec in records:
        headers.update(dict.fromkeys(rec))
    cols = list(headers)
    rows = []
    for n, rec in records:
        try:
            rows.append((n, [_cell(rec.get(c)) for c in headers]))
        except RecursionError:  # lists in lists, a few hundred deep
            raise Invalid(f"{name} {unit} {n} is nested too deeply to be a record") from None
    return Table(cols, rows, unit, fmt, notes, total=len(rows), blank_rows=True)


def read_json(text: str, name: str, *, ndjson: bool) -> Table:
    records, unit = _records(text, name, ndjson)
    for n, rec in records:
        if not isinstance(rec, dict):
            raise Invalid(f"{name} {unit} {n} is not a JSON object")
    return _as_table(records, unit, "ndjson" if ndjson else "json", [], name)


def _patient(resource: dict, name: str, unit: str, n: int) -> dict:
    from caseload.io.fhir import patient_fields

    try:
        return patient_fields(resource)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError):
        raise Invalid(f"{name} {unit} {n}: a Patient resource not in FHIR R4 shape") from None


def read_fhir(text: str, name: str) -> Table:
    """FHIR R4 Patients from a Bundle (any type), a single Patient, or NDJSON of resources."""
    try:
        data = _loads(text, name)
        resources = [(1, data)] if not isinstance(data, list) else list(enumerate(data, 1))
        unit = "item"
    except ValueError:
        resources, unit = _records(text, name, ndjson=True)
    found: list[tuple[int, dict]] = []
    skipped = 0
    # Untrusted shapes: a Bundle whose entries are not objects, a Patient whose
    # name is a number… Anything but the FHIR shape is skipped or refused cleanly.
    for n, res in resources:
        if isinstance(res, dict) and res.get("resourceType") == "Bundle":
            unit = "entry"
            entries = res.get("entry") or []
            if not isinstance(entries, list):
                raise Invalid(f"{name} {unit} {n}: the Bundle's entry is not a list")
            for i, entry in enumerate(entries, 1):
                r = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(r, dict) and r.get("resourceType") == "Patient":
                    found.append((i, _patient(r, name, unit, i)))
                else:
                    skipped += 1
        elif isinstance(res, dict) and res.get("resourceType") == "Patient":
            found.append((n, _patient(res, name, unit, n)))
        else:
            skipped += 1
    notes = [f"skipped {skipped} FHIR resources that are not Patients"] if skipped else []
    if not found and not skipped:
        raise Invalid(f"{name} holds no FHIR resources")
    table = _as_table(found, unit, "fhir", notes, name)
    if not found:
        from caseload.io.fields import PATIENT_FIELDS

        table.headers = list(PATIENT_FIELDS)
    return table
