"""`caseload audit list|verify` on a real store, with the chain broken through raw SQLCipher."""

from __future__ import annotations

import json

import pytest


def add(cli, ext: str) -> None:
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Ines", "--family-name", "Roe")


def tamper(cli, *statements: str) -> None:
    """Edit the log as an attacker with the key would: drop the guards, then write."""
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(cli.db, read_key_file(cli.key))
    try:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("DROP TRIGGER audit_event_no_delete")
        for sql in statements:
            conn.execute(sql)
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


def test_verify_ok(logged):
    result = logged.ok("audit", "verify")
    assert result.stdout == "audit log OK: 4 events\n"


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
    ]
    assert "2 problems among 3 events" in result.stderr


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
