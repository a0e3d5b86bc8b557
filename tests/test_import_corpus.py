"""A corpus of hostile import files: each gets one clear line, the right exit code, no change.

Every file is built here at run time into tmp_path (the 50 MB cell too: nothing
large is kept in git). Each case states the exit code and the exact line that
names the file, or the row and column, and checks that the store's row counts
(patients, contacts, follow-ups, care team, audit events) did not move and that
no traceback was printed. Cases that must be *read* (odd encodings, BOMs, mixed
newlines) run with --dry-run and assert the summary, so they change nothing too.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

HEAD = "external_id,given_name,family_name\n"
ROWS = "MQ1,Ann,Smith\nMQ2,Bob,Jones\n"
CONTACTS = "patient_external_id,at,method,outcome\n"
FOLLOWUPS = "patient_external_id,title,due_on,rrule\n"
ALL_OR_NOTHING = "nothing written (all or nothing): "
TWO_READ = "dry run (nothing written): created 2, updated 0, unchanged 0, skipped 0, failed 0"


@dataclass
class Case:
    id: str
    build: Callable[[Path], bytes | None]  # the file's bytes (None: build wrote it itself)
    code: int
    expect: str | list[str]  # str: the one line of a refused file; list: lines that must show
    kind: str = "patients"
    args: tuple[str, ...] = ()
    name: str = "in.csv"
    exact: bool = False  # the list is the whole of stderr
    hint: str | None = None  # the remedy a refusal may add on a second, indented line


def file_error(msg: str) -> str:
    return f"caseload: {msg}"


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _damage(data: bytes, member: str, at: float) -> bytes:
    """``data`` (a zip) with bytes in the middle of ``member``'s compressed stream spoiled."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    spot = start + int(info.compress_size * at)
    spoiled = bytearray(data)
    spoiled[spot : spot + 64] = bytes(random.Random(7).randrange(256) for _ in range(64))
    return bytes(spoiled)


def _many_rows(n: int) -> list[list]:
    rng = random.Random(3)
    rows = [["external_id", "given_name", "family_name", "notes"]]
    for i in range(n):
        rows.append([f"MQ{i}", "Ann", "Smith", "".join(rng.choices("abcdefghij ", k=40))])
    return rows


def _big_cell(path: Path) -> None:
    with path.open("w") as f:  # written in pieces: 50 MB never sits in the test's memory twice
        f.write(HEAD + "MQ1,Ann,")
        for _ in range(50):
            f.write("x" * 1_000_000)
        f.write("\nMQ2,Bob,Jones\n")


def _write(content: bytes | str) -> Callable[[Path], bytes]:
    data = content.encode() if isinstance(content, str) else content
    return lambda _p: data


def _fhir(*resources) -> str:
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in resources]})  # fmt: skip


GARBAGE = bytes(random.Random(1).randrange(256) for _ in range(4096))
DEEP = "[" * 50_000 + "]" * 50_000
HUGE_NUMBER = "9" * 5000
REQUIRED = "missing required columns: given_name, family_name (or full_name)"
NAME_THEM = "name the columns in the header row, or use --map SOURCE=FIELD"

CASES = [
    # --- the file itself ----------------------------------------------------------------
    Case("empty", _write(b""), 1, file_error("{f} is empty: expected a header row and data rows")),
    Case("whitespace only", _write(" \n\r\n\t\n"), 1,
         file_error("{f} is empty: expected a header row and data rows")),
    Case("blank csv lines", _write(",,\n,,\n"), 1, file_error("{f} has no header row")),
    Case("binary garbage", _write(b"\x00\x01" + GARBAGE), 1,
         file_error("{f} holds binary data: expected CSV, XLSX, JSON, NDJSON or FHIR")),
    Case("NUL in the head", _write(HEAD + "MQ1,A\x00nn,Smith\n"), 1,
         file_error("{f} holds binary data: expected CSV, XLSX, JSON, NDJSON or FHIR")),
    Case("NUL past the sniffed head",
         _write(HEAD + "MQ1,Ann,Smith\n" * 1000 + "MQ2,B\x00b,Jones\n"), 1,
         file_error("{f} line 1002 holds a NUL byte: damaged, or not a CSV file")),
    Case("NUL with --format csv", _write(b"\x00\x00" + GARBAGE), 1,
         file_error("{f} line 1 holds a NUL byte: damaged, or not a CSV file"),
         args=("--format", "csv")),
    Case("UTF-16 without a BOM", _write((HEAD + ROWS).encode("utf-16-le")), 1,
         file_error("{f} holds binary data: expected CSV, XLSX, JSON, NDJSON or FHIR")),
    Case("UTF-16 BOM, odd length", _write(b"\xff\xfe" + (HEAD + ROWS).encode("utf-16-le") + b"x"),
         1, file_error("{f} starts as UTF-16 but is not valid UTF-16")),
    Case("a folder", lambda p: p.mkdir() or None, 1, file_error("{f} is a folder; give a file"),
         name="folder.csv"),
    Case("header only", _write(HEAD), 0, ["no data rows: nothing to import (patients)"],
         exact=True),
    Case("header only, no newline", _write(HEAD.strip()), 0,
         ["no data rows: nothing to import (patients)"], exact=True),
    Case("no required columns", _write("colour,size\nred,9\n"), 1,
         file_error("missing required columns: external_id, given_name, family_name "
                    "(or full_name)"), hint=NAME_THEM),
    Case("only one required column", _write("MRN\nMQ1\n"), 1, file_error(REQUIRED),
         hint=NAME_THEM),
    # --- quoting ------------------------------------------------------------------------
    Case("quote open to the end of the file",
         _write('external_id,given_name,family_name\nMQ1,Ann,"Smith,x\nMQ2,Bob,Jones\nMQ3,C,D\n'),
         1, file_error("{f} row 2, column family_name: a quote opens a cell that is never "
                       "closed (it runs to the end of the file); nothing imported")),
    Case("quote open in a later row",
         _write(HEAD + 'MQ1,Ann,Smith\nMQ2,"Bob,Jones\nMQ3,C,D'), 1,
         file_error("{f} row 3, column given_name: a quote opens a cell that is never "
                    "closed (it runs to the end of the file); nothing imported")),
    Case("quote open in the header", _write('external_id,"given_name,family_name\nMQ1,A,B\n'), 1,
         file_error("{f} row 1, column number 2: a quote opens a cell that is never closed (it "
                    "runs to the end of the file); nothing imported")),
    # --- cells --------------------------------------------------------------------------
    Case("a 50 MB cell", lambda p: _big_cell(p), 1,
         ["row 2, column family_name: longer than 20000 characters"]),
    Case("a 70k cell, tab-separated",
         _write("external_id\tgiven_name\tfamily_name\nMQ1\t" + "y" * 70_000 + "\tSmith\n"), 1,
         ["row 2, column given_name: longer than 20000 characters"]),
    Case("ragged row", _write(HEAD + "MQ1,Ann\n"), 1, ["row 2, column family_name: required"]),
    Case("ambiguous date", _write(HEAD.strip() + ",DOB\nMQ1,Ann,Smith,03/04/1950\n"), 1,
         ["row 2, column DOB: ambiguous date: give --dayfirst or --monthfirst"]),
    Case("impossible date", _write(HEAD.strip() + ",birth_date\nMQ1,Ann,Smith,0000-01-01\n"), 1,
         ["row 2, column birth_date: not a real date"]),
    Case("boolean nonsense", _write(HEAD.strip() + ",may_call\nMQ1,Ann,Smith,perhaps\n"), 1,
         ["row 2, column may_call: not yes/no/true/false/y/n/1/0"]),
    Case("duplicate headers: the first wins", _write(HEAD.strip() + ",family_name\n"
                                                     "MQ1,Ann,Smith,Other\nMQ2,Bob,Jones,X\n"),
         0, ["ignored columns: family_name", TWO_READ], args=("--dry-run",), exact=True),
    Case("the same patient twice", _write(HEAD + "MQ1,Ann,Smith\nMQ1,Ann,Smith\n"), 1,
         ["row 3, column external_id: external_id repeats row 2"]),
    # --- encodings, BOMs, newlines (read, then a dry run) --------------------------------
    Case("UTF-16 LE with BOM", _write((HEAD + ROWS).encode("utf-16")), 0,
         ["note: read as UTF-16 (the file has a BOM)", TWO_READ], args=("--dry-run",), exact=True),
    Case("UTF-16 BE with BOM", _write(b"\xfe\xff" + (HEAD + ROWS).encode("utf-16-be")), 0,
         ["note: read as UTF-16 (the file has a BOM)", TWO_READ], args=("--dry-run",), exact=True),
    Case("UTF-32 with BOM", _write((HEAD + ROWS).encode("utf-32")), 0,
         ["note: read as UTF-32 (the file has a BOM)", TWO_READ], args=("--dry-run",), exact=True),
    Case("UTF-8 BOM", _write((HEAD + ROWS).encode("utf-8-sig")), 0, [TWO_READ],
         args=("--dry-run",), exact=True),
    Case("UTF-8 BOM twice", _write(b"\xef\xbb\xbf" + (HEAD + ROWS).encode("utf-8-sig")), 0,
         [TWO_READ], args=("--dry-run",), exact=True),
    Case("Windows-1252", _write((HEAD + "MQ1,Zoë,Müller\nMQ2,Bob,Jones\n").encode("cp1252")), 0,
         ["note: read as Windows-1252 (the file is not UTF-8)", TWO_READ], args=("--dry-run",),
         exact=True),
    Case("mixed newlines", _write("external_id,given_name,family_name\r\nMQ1,Ann,Smith\r"
                                  "MQ2,Bob,Jones\n\n"), 0, [TWO_READ], args=("--dry-run",),
         exact=True),
    Case("line separators in cells", _write(HEAD + "MQ1,Ann\u2028x,Smith\x85\nMQ2,Bob,Jones\n"),
         0, [TWO_READ], args=("--dry-run",), exact=True),
    Case("UTF-16 JSON", _write(json.dumps([{"external_id": "MQ1", "given_name": "Zoë",
                                            "family_name": "Smith"}]).encode("utf-16")), 0,
         ["note: read as UTF-16 (the file has a BOM)", TWO_READ.replace("created 2", "created 1")],
         args=("--dry-run",), name="in.json", exact=True),
    Case("UTF-16 FHIR NDJSON",
         _write(('{"resourceType": "Patient", "id": "p1", "name": [{"family": "Smith", '
                 '"given": ["Ann"]}]}\n{"resourceType": "Observation"}\n').encode("utf-16")), 0,
         ["note: read as UTF-16 (the file has a BOM)",
          "note: skipped 1 FHIR resources that are not Patients",
          TWO_READ.replace("created 2", "created 1")],
         args=("--dry-run",), name="in.ndjson", exact=True),
    # --- XLSX ---------------------------------------------------------------------------
    Case("XLSX that is not a zip", _write(b"PK\x03\x04" + GARBAGE), 1,
         file_error("{f} is not a readable XLSX workbook"), name="in.xlsx"),
    Case("XLSX with a damaged sheet",
         lambda _p: _damage(_xlsx(_many_rows(3)), "xl/worksheets/sheet1.xml", 0.3), 1,
         file_error("{f} is not a readable XLSX workbook"), name="in.xlsx"),
    Case("XLSX damaged deep in the sheet",
         lambda _p: _damage(_xlsx(_many_rows(3000)), "xl/worksheets/sheet1.xml", 0.6), 1,
         file_error("{f} is not a readable XLSX workbook: sheet 'Sheet' is damaged after row "),
         name="in.xlsx"),
    Case("XLSX with an empty sheet", lambda _p: _xlsx([]), 1,
         file_error("{f} has no header row in sheet 'Sheet'"), name="in.xlsx"),
    Case("CSV read as XLSX", _write(HEAD + ROWS), 1,
         file_error("{f} is not a readable XLSX workbook"), args=("--format", "xlsx")),
    Case("XLSX without the sheet asked for", lambda _p: _xlsx([["external_id"]]), 1,
         file_error("{f} has no sheet named 'Patients' (sheets: Sheet)"), name="in.xlsx",
         args=("--sheet", "Patients")),
    # --- JSON and NDJSON ----------------------------------------------------------------
    Case("JSON nested 50k deep", _write(DEEP), 1,
         file_error("{f} is nested too deeply to be records"), name="in.json"),
    Case("NDJSON line nested 50k deep", _write('{"external_id": "MQ1"}\n' + DEEP + "\n"), 1,
         file_error("{f} line 2 is nested too deeply to be records"), name="in.ndjson",
         args=("--format", "ndjson")),
    Case("a 5000-digit JSON number",
         _write('[{"external_id": ' + HUGE_NUMBER + ', "given_name": "A", "family_name": "B"}]'),
         1, ["item 1, column external_id: longer than 200 characters"], name="in.json"),
    Case("a 5000-digit NDJSON number",
         _write('{"external_id": ' + HUGE_NUMBER + ', "given_name": "A", "family_name": "B"}\n'),
         1, ["line 1, column external_id: longer than 200 characters"],
         name="in.ndjson", args=("--format", "ndjson")),
    Case("JSON cut short", _write('[{"external_id": "MQ1",'), 1,
         file_error("{f} is not valid JSON (line 1: Expecting property name enclosed in double "
                    "quotes)"), name="in.json", args=("--format", "json")),
    Case("JSON of numbers", _write("[1, 2]"), 1, file_error("{f} item 1 is not a JSON object"),
         name="in.json"),
    Case("JSON scalar", _write('"just text"'), 1,
         file_error("{f} holds JSON but not an array of records"), name="in.json",
         args=("--format", "json")),
    Case("NDJSON with a broken line", _write('{"external_id": "MQ1"}\n{not json\n'), 1,
         file_error("{f} line 2 is not valid JSON (Expecting property name enclosed in double "
                    "quotes)"), name="in.ndjson"),
    Case("JSON empty object", _write("[{}]"), 1,
         file_error("missing required columns: external_id, given_name, family_name "
                    "(or full_name)"), name="in.json", hint=NAME_THEM),
    # --- FHIR ---------------------------------------------------------------------------
    Case("FHIR Patient with nothing usable", _write('{"resourceType": "Patient"}'), 1,
         ["item 1, column external_id: required", "item 1, column given_name: required",
          "item 1, column family_name: required"], name="in.json"),
    Case("FHIR Bundle with an empty Patient",
         _write(_fhir({"resourceType": "Patient", "id": "p1",
                       "name": [{"family": "Smith", "given": ["Ann"]}]},
                      {"resourceType": "Patient", "gender": "female"})), 1,
         ["entry 2, column external_id: required"], name="in.json"),
    Case("FHIR Patient of the wrong shape",
         _write(_fhir({"resourceType": "Patient", "name": 7})), 1,
         file_error("{f} entry 1: a Patient resource not in FHIR R4 shape"), name="in.json"),
    Case("FHIR Bundle whose entry is not a list",
         _write('{"resourceType": "Bundle", "entry": {"resource": {}}}'), 1,
         file_error("{f} entry 1: the Bundle's entry is not a list"), name="in.json"),
    Case("FHIR nested 50k deep in a Patient",
         _write('{"resourceType": "Patient", "name": ' + DEEP + "}"), 1,
         file_error("{f} is nested too deeply to be records"), name="in.json"),
    Case("FHIR for contacts", _write(_fhir({"resourceType": "Patient", "id": "p1"})), 1,
         file_error("FHIR files import patients only"), kind="contacts", name="in.json"),
    # --- contacts, follow-ups, care team --------------------------------------------------
    Case("contact at year 1", _write(CONTACTS + "MQ0,0001-01-01T00:00,phone,reached\n"), 1,
         ["row 2, column at: out of range (a date and time from 1900 to 9999)"],
         kind="contacts"),
    Case("contact at the end of time, west of UTC",
         _write(CONTACTS + "MQ0,9999-12-31T23:59:59-12:00,phone,reached\n"), 1,
         ["row 2, column at: out of range (a date and time from 1900 to 9999)"],
         kind="contacts"),
    Case("contact for an unknown patient", _write(CONTACTS + "ZZ9,2025-01-02T10:00,phone,"
                                                  "reached\n"), 1,
         ["row 2, column patient_external_id: unknown patient_external_id"], kind="contacts"),
    Case("contact minutes of 5000 digits",
         _write(CONTACTS.strip() + ",duration_min\nMQ0,2025-01-02T10:00,phone,reached,"
                + HUGE_NUMBER + "\n"), 1,
         ["row 2, column duration_min: longer than 20 characters"], kind="contacts"),
    Case("follow-up every 10^20 days",
         _write(FOLLOWUPS + "MQ0,Call,2025-01-02,FREQ=DAILY;INTERVAL=99999999999999999999\n"), 1,
         ["row 2, column rrule: not a usable recurrence (see followups add --every)"],
         kind="followups"),
    Case("care team without a role", _write("name,role\nDr Who,\n"), 1,
         ["row 2, column role: required"], kind="careteam"),
]  # fmt: skip


def _counts(read) -> dict[str, int]:
    from sqlmodel import text

    tables = ("patient", "contact", "followup", "care_team_member", "audit_event")
    with read() as s:
        return {t: s.exec(text(f"SELECT count(*) FROM {t}")).one()[0] for t in tables}


@pytest.fixture
def seeded(cli):
    cli.ok("patients", "add", "--external-id", "MQ0", "--given-name", "Ida", "--family-name",
           "Moss")  # fmt: skip
    return cli


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_file(seeded, read, tmp_path, case: Case):
    source = tmp_path / case.name
    data = case.build(source)
    if data is not None:
        source.write_bytes(data)
    before = _counts(read)

    result = seeded("import", case.kind, str(source), *case.args)

    err = result.stderr
    assert "Traceback" not in err and "Error:" not in err, err
    assert result.exit_code == case.code, err
    lines = err.splitlines()
    if isinstance(case.expect, str):
        # One line, naming the file (and the row) and why; at most a remedy after it.
        assert lines[0].startswith(case.expect.format(f=source)), err
        assert lines[1:] == ([f"  {case.hint}"] if case.hint else []), err
    elif case.exact:
        assert lines == case.expect, err
    else:
        for line in case.expect:
            assert line in lines, err
        assert [x for x in lines if x.startswith(ALL_OR_NOTHING)], err
    assert _counts(read) == before


def test_absurd_every_interval_is_refused_in_one_line(seeded, read):
    before = _counts(read)

    result = seeded("followups", "add", "MQ0", "--title", "Call", "--due", "2025-01-02",
                    "--every", "FREQ=DAILY;INTERVAL=99999999999999999999")  # fmt: skip

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--every': 'FREQ=DAILY;INTERVAL=99999999999999999999' is not "
        "a usable recurrence: INTERVAL must be a whole number from 1 to 3660; use daily, "
        "weekly, biweekly, monthly, quarterly or an RRULE such as FREQ=WEEKLY;BYDAY=MO or "
        "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=6"
    )
    assert _counts(read) == before


@pytest.mark.parametrize("at", ["0001-01-01T00:00", "9999-12-31T23:59:59-12:00"])
def test_contact_log_at_out_of_range_names_the_option(seeded, read, at, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # east of UTC: year 1 local has no UTC time
    time.tzset()
    before = _counts(read)
    try:
        result = seeded("contacts", "log", "MQ0", "--method", "phone", "--outcome", "reached",
                        "--at", at)  # fmt: skip
    finally:
        monkeypatch.undo()
        time.tzset()

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--at': {at!r} is out of range; give a date and time "
        "from 1900 to 9999"
    )
    assert _counts(read) == before


def test_unknown_kind_is_a_usage_error(seeded, read, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(HEAD + ROWS)
    before = _counts(read)

    result = seeded("import", "referrals", str(source))

    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for 'kind': 'referrals' is not one of 'patients', "
        "'contacts', 'followups', 'careteam', 'discharges'."
    )
    assert _counts(read) == before
