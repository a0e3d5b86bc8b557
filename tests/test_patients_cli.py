"""`caseload patients …` through the real CLI on a real encrypted store."""

from __future__ import annotations

import json


def add(cli, ext="P-001", given="Amina", family="Okafor", *extra):
    return cli.add_patient(ext, given, family, *extra)


def test_add_then_show_as_json(cli):
    add(
        cli,
        "P-001",
        "Amina",
        "Okafor",
        "--phone",
        "0123 456 789",
        "--program",
        "diabetes",
        "--program",
        "chf",
        "--may-text",
        "yes",
        "--birth-date",
        "1960-04-02",
    )
    out = json.loads(cli.ok("patients", "show", "P-001", "--format", "json").stdout)
    assert out["external_id"] == "P-001"
    assert out["phone"] == "0123 456 789"  # leading zero kept
    assert out["programs"] == ["diabetes", "chf"]
    assert out["may_text"] is True and out["may_email"] is False
    assert out["birth_date"] == "1960-04-02"
    assert out["status"] == "active"


def test_list_json_has_spec_keys_and_every_record(cli):
    for i in range(25):
        add(cli, f"P-{i:03d}", f"Given{i}", f"Family{i:02d}")
    rows = json.loads(cli.ok("patients", "list", "--format", "json").stdout)
    assert len(rows) == 25
    for key in (
        "external_id",
        "given_name",
        "family_name",
        "birth_date",
        "phone",
        "language",
        "risk",
        "programs",
        "status",
    ):
        assert key in rows[0]
    limited = json.loads(cli.ok("patients", "list", "--format", "json", "--limit", "5").stdout)
    assert [r["external_id"] for r in limited] == [r["external_id"] for r in rows[:5]]


def test_list_csv_header_and_rows(cli):
    add(cli, "P-1", "Ana", "Lopez", "--phone", "0044")
    lines = cli.ok("patients", "list", "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("external_id,given_name,family_name")
    assert lines[1].startswith("P-1,Ana,Lopez")
    assert ",0044," in lines[1]


def test_search_by_name_id_and_phone(cli):
    add(cli, "A-1", "Amina", "Okafor", "--phone", "555-0101")
    add(cli, "B-2", "Bao", "Nguyen", "--phone", "555-0202")

    def ids(*args):
        return [
            r["external_id"]
            for r in json.loads(cli.ok("patients", "list", "-f", "json", *args).stdout)
        ]

    assert ids("--search", "oka") == ["A-1"]
    assert ids("--search", "bao") == ["B-2"]
    assert ids("--search", "B-") == ["B-2"]
    assert ids("--search", "0202") == ["B-2"]


def test_duplicate_external_id_exits_1(cli):
    add(cli, "P-1")
    r = cli("patients", "add", "--external-id", "P-1", "--given-name", "X", "--family-name", "Y")
    assert r.exit_code == 1
    assert r.stderr.strip() == "caseload: a patient with external id P-1 exists already"


def test_unknown_patient_exits_1(cli):
    r = cli("patients", "show", "NOPE")
    assert r.exit_code == 1
    assert r.stderr.strip() == "caseload: no patient with external id NOPE"


def test_bad_date_is_usage_error_naming_the_option(cli):
    r = cli(
        "patients",
        "add",
        "--external-id",
        "P-1",
        "--given-name",
        "A",
        "--family-name",
        "B",
        "--birth-date",
        "2025-02-30",
    )
    assert r.exit_code == 2
    assert "'--birth-date'" in r.stderr and "is not a date" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_required_option_exits_2(cli):
    r = cli("patients", "add", "--given-name", "A", "--family-name", "B")
    assert r.exit_code == 2
    assert "Missing option '--external-id'" in r.stderr


def test_bad_risk_is_usage_error_listing_choices(cli):
    r = cli(
        "patients",
        "add",
        "--external-id",
        "P-1",
        "--given-name",
        "A",
        "--family-name",
        "B",
        "--risk",
        "extreme",
    )
    assert r.exit_code == 2
    assert "'extreme' is not one of 'high', 'medium', 'low'" in r.stderr


def test_edit_changes_only_given_fields_and_can_clear(cli):
    add(cli, "P-1", "Amina", "Okafor", "--phone", "555", "--language", "yo")
    cli.ok("patients", "edit", "P-1", "--risk", "high", "--phone", "")
    out = json.loads(cli.ok("patients", "show", "P-1", "-f", "json").stdout)
    assert out["risk"] == "high" and out["phone"] is None and out["language"] == "yo"


def test_edit_without_fields_is_usage_error(cli):
    add(cli, "P-1")
    assert cli("patients", "edit", "P-1").exit_code == 2


def test_discharge_records_reason_and_date(cli):
    add(cli, "P-1")
    cli.ok("patients", "discharge", "P-1", "--reason", "moved away", "--on", "2026-01-05")
    out = json.loads(cli.ok("patients", "show", "P-1", "-f", "json").stdout)
    assert (out["status"], out["status_reason"], out["status_on"]) == (
        "discharged",
        "moved away",
        "2026-01-05",
    )
    r = cli("patients", "discharge", "P-1")
    assert r.exit_code == 1 and "discharged already" in r.stderr
    active = json.loads(cli.ok("patients", "list", "-f", "json", "--status", "active").stdout)
    assert active == []


def test_every_write_is_audited(cli, read):
    from caseload.services import audit

    add(cli, "P-1")
    cli.ok("patients", "edit", "P-1", "--risk", "low")
    with read() as s:
        actions = [e["action"] for e in audit.list_events(s)]
        assert audit.verify(s) == []
    assert actions == ["store.init", "patient.add", "patient.edit"]


def test_printouts_of_patient_data_are_audited_without_the_data(cli, read):
    from caseload.services import audit

    add(cli, "P-1", "Zebulon", "Quixley", "--phone", "555-0199")
    cli.ok("patients", "list", "--format", "csv")
    cli.ok("patients", "show", "P-1")
    with read() as s:
        events = [e for e in audit.list_events(s) if e["entity"] == "printout"]
        assert audit.verify(s) == []
    assert [(e["action"], json.loads(e["detail"])) for e in events] == [
        ("patients.list", {"count": 1, "format": "csv"}),
        ("patients.show", {"count": 1, "format": "table"}),
    ]


def test_edit_can_rename_the_external_id(cli):
    add(cli, "P-1")
    cli.ok("patients", "edit", "P-1", "--external-id", "P-9")
    assert (
        json.loads(cli.ok("patients", "show", "P-9", "-f", "json").stdout)["external_id"] == "P-9"
    )
    assert cli("patients", "show", "P-1").exit_code == 1


def test_overflowing_numbers_and_dates_are_usage_errors(cli):
    for args in (
        ("followups", "done", "9" * 25),
        ("due", "--days", "100000000000"),
        ("due", "--date", "9999-12-31", "--days", "5"),
    ):
        r = cli(*args)
        assert r.exit_code == 2, args
        assert r.stderr == "caseload: a date or number is out of range\n"


def test_a_folder_as_db_is_exit_1(cli, tmp_path):
    r = cli("--db", str(tmp_path), "patients", "list")
    assert (
        r.exit_code == 1 and r.stderr == f"caseload: {tmp_path} is a folder, not a caseload store\n"
    )


def test_caseload_alone_on_a_missing_store_says_so_without_a_traceback(tmp_path):
    """The real program (the launcher over the CLI and the TUI), as a subprocess on a
    pseudo-terminal (without one, bare `caseload` prints its usage: see the next test)."""
    import os
    import pty
    import subprocess
    import sys

    db = tmp_path / "none.db"
    primary, secondary = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "caseload", "--db", str(db)],
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == f"caseload: no caseload store at {db}"
    assert "Traceback" not in done.stderr


def test_caseload_alone_without_a_terminal_prints_usage_and_exits_2(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "caseload", "--db", str(tmp_path / "none.db")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Usage" in done.stderr and "Traceback" not in done.stderr


def test_tables_show_local_minutes_while_json_keeps_iso(cli):
    add(cli, "P-1")
    cli.ok(
        "contacts",
        "log",
        "P-1",
        "--method",
        "phone",
        "--outcome",
        "reached",
        "--at",
        "2026-11-20 14:30",
    )
    table = cli.ok("contacts", "list", "P-1").stdout
    assert "2026-11-20 14:30" in table and "14:30:00" not in table
    assert "patient" in table and "patient external id" not in table
    row = json.loads(cli.ok("contacts", "list", "P-1", "--format", "json").stdout)[0]
    assert row["at"].startswith("2026-11-20T14:30:00")
