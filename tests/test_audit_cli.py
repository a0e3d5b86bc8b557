"""`caseload audit list|verify` on a real store, with the chain broken through raw SQLCipher."""

from __future__ import annotations

import json

import pytest


def add(cli, ext: str) -> None:
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Ines", "--family-name", "Roe")


def raw(cli, *statements: str) -> None:
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(cli.db, read_key_file(cli.key))
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def tamper(cli, *statements: str) -> None:
    """Edit the log as an attacker with the key would: drop the guards, write, put them back."""
    from caseload.services.auditchain import TRIGGERS

    guards = ("audit_event_no_update", "audit_event_no_delete")
    raw(
        cli,
        *(f"DROP TRIGGER {name}" for name in guards),
        *statements,
        *(TRIGGERS[name] for name in guards),
    )


def stored_head(cli) -> str:
    """The last event's hash, read straight from the store."""
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(cli.db, read_key_file(cli.key))
    try:
        return conn.execute("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def logged(cli):
    """init + three patients: four events."""
    for ext in ("A-1", "A-2", "A-3"):
        add(cli, ext)
    return cli


def test_list_json_oldest_first_with_spec_keys(logged):
    rows = json.loads(logged.ok("audit", "list", "--format", "json").stdout)
    assert [r["action"] for r in rows] == [
        "store.init",
        "patient.add",
        "patient.add",
        "patient.add",
    ]
    assert list(rows[0]) == [
        "id",
        "at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "patient_id",
        "detail",
        "prev_hash",
        "hash",
    ]
    assert rows[0]["prev_hash"] == "0" * 64
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert "Ines" not in json.dumps(rows) and "Roe" not in json.dumps(rows)


def test_list_by_patient_and_limit(logged):
    rows = json.loads(logged.ok("audit", "list", "--patient", "A-2", "--format", "json").stdout)
    assert len(rows) == 1 and rows[0]["action"] == "patient.add"
    last = json.loads(logged.ok("audit", "list", "--limit", "2", "--format", "json").stdout)
    assert [r["id"] for r in last] == [3, 4]
    csv_lines = logged.ok("audit", "list", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("id,at,actor,action,entity")
    assert len(csv_lines) == 5


def test_list_for_an_unknown_patient_is_not_found(logged):
    result = logged("audit", "list", "--patient", "NOPE")
    assert (result.exit_code, result.stderr) == (1, "caseload: no patient with external id NOPE\n")


def test_verify_ok_prints_the_count_and_the_head(logged):
    result = logged.ok("audit", "verify")
    assert result.stdout == f"audit log OK: 4 events, head {stored_head(logged)}\n"


def test_verify_finds_an_edited_event(logged):
    tamper(logged, "UPDATE audit_event SET action = 'patient.view' WHERE id = 3")
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout == "event 3 (id 3): its content was changed\n"
    assert result.stderr.splitlines()[0] == (
        "caseload: the audit log is broken: 1 problem among 4 events"
    )


def test_verify_finds_a_deleted_event(logged):
    tamper(logged, "DELETE FROM audit_event WHERE id = 2")
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "event 2 (id 3): events 2..2 are missing",
        "event 2 (id 3): does not follow the event before it",
        "the log holds 3 events but the store recorded 4: events were removed (or added) "
        "outside caseload",
    ]
    assert "3 problems among 3 events" in result.stderr


def test_the_append_only_guard_holds_without_tampering(logged):
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(logged.db, read_key_file(logged.key))
    try:
        with pytest.raises(Exception, match="the audit log is append-only"):
            conn.execute("DELETE FROM audit_event WHERE id = 2")
    finally:
        conn.close()
    logged.ok("audit", "verify")


# --- the log's guards, its length and its head (issue 10) --------------------------------


def test_a_dropped_guard_is_reported(logged):
    raw(logged, "DROP TRIGGER audit_event_no_delete")
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout == "the trigger audit_event_no_delete that guards the log is missing\n"
    doctor = logged("doctor")
    assert doctor.exit_code == 1
    assert "FAIL  audit chain: 1 problem(s) among 4 events; the first: the trigger" in doctor.stdout


def test_a_replaced_guard_and_an_extra_trigger_are_reported(logged):
    raw(
        logged,
        "DROP TRIGGER audit_event_no_update",
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "WHEN 0 BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER audit_event_quiet AFTER INSERT ON audit_event BEGIN SELECT 1; END",
    )
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "the trigger audit_event_no_update that guards the log was replaced",
        "an unexpected trigger audit_event_quiet is on the log",
    ]


def test_deleting_every_event_is_not_an_empty_ok_log(logged):
    tamper(logged, "DELETE FROM audit_event")
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "the log is empty: every store keeps at least its first event",
        "the log holds 0 events but the store recorded 4: events were removed (or added) "
        "outside caseload",
    ]
    assert "FAIL  audit chain" in logged("doctor").stdout


def test_deleting_the_last_events_shows_against_the_recorded_length_and_head(logged):
    before = stored_head(logged)
    tamper(logged, "DELETE FROM audit_event WHERE id > 2")
    result = logged("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "the log holds 2 events but the store recorded 4: events were removed (or added) "
        "outside caseload",
        "the last event is not the head the store recorded: the end of the log changed",
    ]
    assert stored_head(logged) != before


def test_the_recorded_length_follows_every_kind_of_append(logged, tmp_path):
    """ORM events, raw appends (printouts, imports) and backups all move store_meta."""
    logged.ok("patients", "list", "--format", "csv")
    source = tmp_path / "p.csv"
    source.write_text("external_id,given_name,family_name\nB-1,Ann,Lee\n")
    logged.ok("import", "patients", str(source))
    logged.ok("backup", str(tmp_path / "b.db"))
    assert logged.ok("audit", "verify").stdout.startswith("audit log OK: ")
