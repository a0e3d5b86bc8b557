"""`caseload import patients` on a corpus of ugly files the tests write, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest

HEADER = "external_id,given_name,family_name,birth_date,phone\n"


def write(tmp_path, name: str, data: str | bytes):
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def patients(cli) -> list[dict]:
    return json.loads(cli.ok("patients", "list", "--format", "json").stdout)


def test_clean_csv_imports_and_reports(cli, tmp_path):
    f = write(tmp_path, "p.csv", HEADER + "P-1,Amina,Okafor,1960-04-02,0123 456\nP-2,Bo,Li,,\n")
    r = cli("import", "patients", str(f))
    assert r.exit_code == 0
    assert r.stderr == "imported patients: created 2, updated 0, unchanged 0, skipped 0, failed 0\n"
    rows = {p["external_id"]: p for p in patients(cli)}
    assert rows["P-1"]["phone"] == "0123 456"  # the leading zero is kept
    assert rows["P-1"]["birth_date"] == "1960-04-02"
    assert rows["P-2"]["birth_date"] is None and rows["P-2"]["may_call"] is True


def test_search_keys_are_the_services(cli, tmp_path, read):
    from sqlmodel import select

    from caseload.models import Patient
    from caseload.services.patients import phone_digits, search_key

    f = write(
        tmp_path,
        "p.csv",
        "external_id,given_name,family_name,preferred_name,phone,alt_phone\n"
        "P-1, Zoë ,ÓBrien,Zo,+44 (0)20 7946-0958,\nP-2,Al,Bo,,,07700 900123\n",
    )
    cli.ok("import", "patients", str(f))
    with read() as s:
        for p in s.exec(select(Patient)):
            assert p.search_name == search_key(p.given_name, p.family_name, p.preferred_name)
            assert p.phone_digits == phone_digits(p.phone, p.alt_phone)
            assert p.created_at.tzinfo is not None


def test_bom_crlf_aliases_odd_case_extra_columns(cli, tmp_path):
    text = (
        "\ufeffMRN,FIRST NAME, last name ,Date of Birth,Phone Number,Language,Favourite Colour,Ward\r\n"
        "A-1,Amina,Okafor,1960-04-02,0123,so,blue,3\r\n"
    )
    r = cli("import", "patients", str(write(tmp_path, "p.csv", text)))
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines()[0] == "ignored columns: Favourite Colour, Ward"
    [p] = patients(cli)
    assert (p["external_id"], p["given_name"], p["family_name"]) == ("A-1", "Amina", "Okafor")
    assert p["language"] == "so" and p["phone"] == "0123"


def test_windows_1252_accented_names(cli, tmp_path):
    data = "external_id,given_name,family_name\nW-1,Zoë,Núñez\n".encode("cp1252")
    r = cli("import", "patients", str(write(tmp_path, "p.csv", data)))
    assert r.exit_code == 0
    assert r.stderr.splitlines()[0] == "note: read as Windows-1252 (the file is not UTF-8)"
    [p] = patients(cli)
    assert (p["given_name"], p["family_name"]) == ("Zoë", "Núñez")


def test_blank_lines_quoted_newlines_and_long_notes(cli, tmp_path):
    long_note = "x" * 10_000
    text = (
        "external_id,given_name,family_name,notes\n\n"
        'B-1,Amina,Okafor,"first line\nsecond line"\n'
        "\n\n"
        f"B-2,Bo,Li,{long_note}\n"
    )
    cli.ok("import", "patients", str(write(tmp_path, "p.csv", text)))
    rows = {p["external_id"]: p for p in patients(cli)}
    assert rows["B-1"]["notes"] == "first line\nsecond line"
    assert rows["B-2"]["notes"] == long_note


def test_missing_required_columns_fail_before_any_row(cli, tmp_path):
    r = cli("import", "patients", str(write(tmp_path, "p.csv", "MRN,Phone\nP-1,0123\n")))
    assert r.exit_code == 1
    assert r.stderr == (
        "caseload: missing required columns: given_name, family_name (or full_name)\n"
        "  name the columns in the header row, or use --map SOURCE=FIELD\n"
    )


def test_full_name_split_at_last_space_and_map(cli, tmp_path):
    text = "Client,Who\nC-1,Mary Ann Smith\nC-2,Cher\n"
    f = write(tmp_path, "p.csv", text)
    r = cli("import", "patients", str(f), "--map", "Client=external_id", "--map", "Who=full_name")
    assert r.exit_code == 1
    assert "row 3, column Who: full_name needs a given and a family name" in r.stderr
    f = write(tmp_path, "p.csv", "Client,Who\nC-1,Mary Ann Smith\n")
    cli.ok("import", "patients", str(f), "--map", "Client=external_id", "--map", "Who=full_name")
    [p] = patients(cli)
    assert (p["given_name"], p["family_name"]) == ("Mary Ann", "Smith")


def test_ambiguous_dates_need_dayfirst_or_monthfirst(cli, tmp_path):
    f = write(tmp_path, "p.csv", "external_id,given_name,family_name,DOB\nD-1,A,B,03/04/1990\n")
    r = cli("import", "patients", str(f))
    assert r.exit_code == 1
    assert r.stderr == (
        "row 2, column DOB: ambiguous date: give --dayfirst or --monthfirst\n"
        "errors by reason:\n"
        "  ambiguous date: give --dayfirst or --monthfirst (1 row)\n"
        "nothing written (all or nothing): created 0, updated 0, unchanged 0, skipped 0, failed 1\n"
        "  fix those rows, or import the valid ones with --skip-invalid --rejects FILE\n"
    )
    assert patients(cli) == []
    cli.ok("import", "patients", str(f), "--monthfirst")
    assert patients(cli)[0]["birth_date"] == "1990-03-04"
    cli.ok("import", "patients", str(f), "--dayfirst")
    assert patients(cli)[0]["birth_date"] == "1990-04-03"
    r = cli("import", "patients", str(f), "--dayfirst", "--monthfirst")
    assert r.exit_code == 2


def test_unambiguous_and_impossible_dates(cli, tmp_path):
    text = (
        "external_id,given_name,family_name,birth_date,enrolled_on\n"
        "E-1,A,B,25/12/1990,2024/01/31\n"
        "E-2,A,B,2025-02-30,\n"
        "E-3,A,B,yesterday-ish,\n"
        "E-4,A,B,2999-01-01,\n"
    )
    r = cli("import", "patients", str(write(tmp_path, "p.csv", text)))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert lines[:3] == [
        "row 3, column birth_date: not a real date",
        "row 4, column birth_date: not a date (use YYYY-MM-DD)",
        "row 5, column birth_date: in the future",
    ]
    assert "2025-02-30" not in r.stderr and "yesterday" not in r.stderr  # cells never echoed


def test_booleans_nulls_and_choices(cli, tmp_path):
    text = (
        "external_id,given_name,family_name,may_text,may_call,risk,language,programs\n"
        "N-1,A,B,Yes,n,HIGH,---,diabetes; chf ;diabetes\n"
        "N-2,A,B,maybe,1,severe,en,\n"
    )
    r = cli("import", "patients", str(write(tmp_path, "p.csv", text)), "--null", "---")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[:2] == [
        "row 3, column may_text: not yes/no/true/false/y/n/1/0",
        "row 3, column risk: must be one of high, medium, low",
    ]
    f = write(tmp_path, "p.csv", text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n")
    cli.ok("import", "patients", str(f), "--null", "---")
    [p] = patients(cli)
    assert (p["may_text"], p["may_call"], p["risk"], p["language"]) == (True, False, "high", None)
    assert p["programs"] == ["diabetes", "chf"]


def test_duplicate_ids_in_one_file_name_both_rows(cli, tmp_path):
    text = HEADER + "P-1,A,B,,\nP-2,C,D,,\nP-1,E,F,,\n"
    r = cli("import", "patients", str(write(tmp_path, "p.csv", text)))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == "row 4, column external_id: external_id repeats row 2"
    assert "  external_id repeats an earlier row (1 row)" in r.stderr.splitlines()


def test_skip_invalid_writes_good_rows_and_rejects_0600(cli, tmp_path):
    text = HEADER + "P-1,A,B,1990-01-01,\nP-2,C,D,1990-13-01,\n,E,F,,\n"
    rejects = tmp_path / "rejects.csv"
    r = cli(
        "import", "patients", str(write(tmp_path, "p.csv", text)),
        "--skip-invalid", "--rejects", str(rejects),
    )  # fmt: skip
    assert r.exit_code == 0
    assert r.stderr.splitlines()[-1] == (
        "imported patients: created 1, updated 0, unchanged 0, skipped 0, failed 2"
    )
    assert [p["external_id"] for p in patients(cli)] == ["P-1"]
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(rejects.read_text())))
    assert rows == [
        ["external_id", "given_name", "family_name", "birth_date", "phone", "reason"],
        ["P-2", "C", "D", "1990-13-01", "", "birth_date: not a real date"],
        ["", "E", "F", "", "", "external_id: required"],
    ]


def test_skip_invalid_needs_rejects(cli, tmp_path):
    r = cli("import", "patients", str(write(tmp_path, "p.csv", HEADER)), "--skip-invalid")
    assert r.exit_code == 2
    assert (
        r.stderr == "caseload: --skip-invalid needs --rejects FILE to keep the rows it leaves out\n"
    )


def test_dry_run_writes_nothing(cli, tmp_path, read):
    from caseload.services import audit

    def events():
        with read() as s:  # printouts (the listing below) are audited; imports are what count
            return [e for e in audit.list_events(s) if e["entity"] != "printout"]

    before = len(events())
    r = cli(
        "import", "patients", str(write(tmp_path, "p.csv", HEADER + "P-1,A,B,,\n")), "--dry-run"
    )
    assert r.exit_code == 0
    assert r.stderr == (
        "dry run (nothing written): created 1, updated 0, unchanged 0, skipped 0, failed 0\n"
    )
    assert patients(cli) == []
    assert len(events()) == before


@pytest.mark.parametrize(
    ("policy", "code", "last", "family"),
    [
        ("update", 0, "created 1, updated 1, unchanged 1, skipped 0, failed 0", "Changed"),
        ("skip", 0, "created 1, updated 0, unchanged 0, skipped 2, failed 0", "Okafor"),
        ("fail", 1, "created 1, updated 0, unchanged 0, skipped 0, failed 2", "Okafor"),
    ],
)
def test_on_conflict(cli, tmp_path, policy, code, last, family):
    cli.ok(
        "import", "patients", str(write(tmp_path, "a.csv", HEADER + "P-1,A,Okafor,,\nP-2,C,D,,\n"))
    )
    f = write(tmp_path, "b.csv", HEADER + "P-1,A,Changed,,\nP-2,C,D,,\nP-3,E,F,,\n")
    r = cli("import", "patients", str(f), "--on-conflict", policy)
    assert r.exit_code == code
    assert last in r.stderr
    rows = {p["external_id"]: p for p in patients(cli)}
    assert rows["P-1"]["family_name"] == family
    assert len(rows) == (2 if policy == "fail" else 3)
    if policy == "fail":
        assert (
            "row 2, column external_id: external_id exists in the store (--on-conflict fail)"
            in r.stderr
        )


def test_update_keeps_columns_the_file_lacks(cli, tmp_path):
    cli.ok("patients", "add", "--external-id", "P-1", "--given-name", "A", "--family-name", "B",
           "--phone", "0123", "--risk", "high")  # fmt: skip
    cli.ok(
        "import", "patients", str(write(tmp_path, "p.csv", "MRN,First Name,Last Name\nP-1,Al,B\n"))
    )
    [p] = patients(cli)
    assert (p["given_name"], p["phone"], p["risk"]) == ("Al", "0123", "high")


def test_header_only_empty_and_binary_files(cli, tmp_path):
    r = cli("import", "patients", str(write(tmp_path, "h.csv", HEADER)))
    assert r.exit_code == 0
    assert r.stderr == "no data rows: nothing to import (patients)\n"
    empty = write(tmp_path, "e.csv", "")
    r = cli("import", "patients", str(empty))
    assert r.exit_code == 1
    assert r.stderr == f"caseload: {empty} is empty: expected a header row and data rows\n"
    binary = write(tmp_path, "b.csv", b"\x00\x01\x02garbage\xff" * 10)
    r = cli("import", "patients", str(binary))
    assert r.exit_code == 1
    assert r.stderr == (
        f"caseload: {binary} holds binary data: expected CSV, XLSX, JSON, NDJSON or FHIR\n"
    )


def test_formula_looking_values_round_trip(cli, tmp_path):
    text = HEADER + "F-1,'=cmd,'-x,,'+44 20\n"
    cli.ok("import", "patients", str(write(tmp_path, "p.csv", text)))
    [p] = patients(cli)
    assert (p["given_name"], p["family_name"], p["phone"]) == ("=cmd", "-x", "+44 20")


def test_stdin(cli):
    r = cli("import", "patients", "-", input=HEADER + "S-1,A,B,,\n")
    assert r.exit_code == 0, r.stderr
    assert [p["external_id"] for p in patients(cli)] == ["S-1"]


def test_one_audit_event_with_counts_only(cli, tmp_path, read):
    from caseload.services import audit

    cli.ok("import", "patients", str(write(tmp_path, "p.csv", HEADER + "P-1,Amina,Okafor,,0123\n")))
    with read() as s:
        events = [e for e in audit.list_events(s) if e["action"] == "import.patients"]
        assert audit.verify(s) == []
    assert len(events) == 1
    assert json.loads(events[0]["detail"]) == {
        "created": 1, "failed": 0, "skipped": 0, "unchanged": 0, "updated": 0,
    }  # fmt: skip
    assert "Amina" not in events[0]["detail"]


def test_unknown_map_field_is_refused(cli, tmp_path):
    r = cli("import", "patients", str(write(tmp_path, "p.csv", HEADER)), "--map", "x=colour")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == "caseload: --map names an unknown patients field 'colour'"
    r = cli("import", "patients", str(write(tmp_path, "p.csv", HEADER)), "--map", "novalue")
    assert r.exit_code == 2


def test_missing_file_folder_and_bad_kind(cli, tmp_path):
    r = cli("import", "patients", str(tmp_path / "nope.csv"))
    assert r.exit_code == 1
    assert r.stderr == f"caseload: cannot read {tmp_path / 'nope.csv'}: No such file or directory\n"
    r = cli("import", "patients", str(tmp_path))
    assert (r.exit_code, r.stderr) == (1, f"caseload: {tmp_path} is a folder; give a file\n")
    r = cli("import", "people", str(tmp_path))
    assert r.exit_code == 2
    assert "'people' is not one of 'patients', 'contacts', 'followups', 'careteam'" in r.stderr
