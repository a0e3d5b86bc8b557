"""Schema migrations on real encrypted stores: upgrade to head, the fast check, the guards."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from caseload.store.schema import HEAD, KNOWN

RAW_KEY = "5a" * 32


@pytest.fixture
def key():
    from caseload.store.keys import Key

    return Key(RAW_KEY, raw=True, source="test")


@pytest.fixture
def empty_store(tmp_path, key) -> Path:
    from caseload.store.connect import create_file

    path = tmp_path / "m" / "caseload.db"
    create_file(path)
    # Keyed but without a schema: only the process that created a file may open it empty.
    raw_conn(path, key).close()
    return path


def raw_conn(path: Path, key):
    from caseload.store.connect import connect

    return connect(path, key)


def test_upgrade_from_empty_builds_every_table_and_column(empty_store, key):
    from caseload.models import metadata
    from caseload.store.engine import open_store

    open_store(empty_store, key).dispose()
    conn = raw_conn(empty_store, key)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        tables = {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        }
        assert set(metadata.tables) <= tables
        for name, table in metadata.tables.items():
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({name})").fetchall()}
            assert columns == {c.name for c in table.columns}, name
        # Indexes and uniques named by the metadata's naming convention exist too.
        indexes = {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'").fetchall()
        }
        for table in metadata.tables.values():
            for index in table.indexes:
                assert index.name in indexes, index.name
    finally:
        conn.close()


def test_head_and_known_match_alembics_own_history():
    from alembic.script import ScriptDirectory

    from caseload.store.schema import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() == HEAD
    assert len(script.get_heads()) == 1  # no forked history
    oldest_first = [rev.revision for rev in script.walk_revisions()][::-1]
    assert list(KNOWN) == oldest_first
    assert KNOWN[-1] == HEAD


def test_the_open_check_does_not_import_alembic_at_head(empty_store, key):
    from caseload.store.engine import open_store

    open_store(empty_store, key).dispose()
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from caseload.store.engine import open_store
        from caseload.store.keys import Key
        engine = open_store(Path({str(empty_store)!r}), Key({RAW_KEY!r}, raw=True, source="t"))
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM patient").fetchone()
        engine.dispose()
        print("alembic" in sys.modules, "sqlalchemy" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_the_open_check_does_import_alembic_when_an_upgrade_is_due(empty_store):
    """The control for the test above: on an empty store Alembic does load."""
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from caseload.store.engine import open_store
        from caseload.store.keys import Key
        open_store(Path({str(empty_store)!r}), Key({RAW_KEY!r}, raw=True, source="t")).dispose()
        print("alembic" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr


def _claim_revision(path: Path, key, rev: str) -> None:
    conn = raw_conn(path, key)
    try:
        conn.execute("UPDATE alembic_version SET version_num = ?", (rev,))
    finally:
        conn.close()


def test_a_store_from_a_newer_caseload_is_refused_cleanly(empty_store, key):
    from caseload.errors import CaseloadError
    from caseload.store.engine import open_store

    open_store(empty_store, key).dispose()
    _claim_revision(empty_store, key, "9999")
    with pytest.raises(CaseloadError) as caught:
        open_store(empty_store, key)
    assert caught.value.exit_code == 1
    assert caught.value.message == (
        "this store is at schema revision 9999, newer than this caseload knows"
    )
    assert caught.value.hint == "upgrade caseload (pip install -U caseload)"
    conn = raw_conn(empty_store, key)  # nothing was changed or backed up
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999",)
    finally:
        conn.close()
    assert not (empty_store.parent / (empty_store.name + ".backups")).exists()
    # The refused store was let go: no connection left holding its WAL open.
    assert not empty_store.with_name(empty_store.name + "-wal").exists()


def test_the_cli_reports_a_newer_store_with_exit_1(cli):
    from caseload.store.keys import read_key_file

    _claim_revision(cli.db, read_key_file(cli.key), "abc123future")
    result = cli("patients", "list")
    assert result.exit_code == 1
    assert result.stderr == (
        "caseload: this store is at schema revision abc123future, newer than this caseload knows\n"
        "  upgrade caseload (pip install -U caseload)\n"
    )


def test_the_audit_table_refuses_update_and_delete(cli, write):
    import sqlcipher3

    from caseload.services import patients
    from caseload.store.keys import read_key_file

    with write() as s:
        patients.add(s, external_id="A-1", given_name="Ada", family_name="Lovel")
    conn = raw_conn(cli.db, read_key_file(cli.key))
    try:
        count = conn.execute("SELECT count(*) FROM audit_event").fetchone()[0]
        assert count == 2  # store.init, patient.add
        with pytest.raises(sqlcipher3.IntegrityError, match="the audit log is append-only"):
            conn.execute("UPDATE audit_event SET actor = 'someone else'")
        with pytest.raises(sqlcipher3.IntegrityError, match="the audit log is append-only"):
            conn.execute("DELETE FROM audit_event WHERE id = 1")
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone()[0] == count
        conn.execute(  # appending is allowed: that is what the log is for
            "INSERT INTO audit_event (at, actor, action, entity, detail, prev_hash, hash) "
            "VALUES ('2026-01-01 00:00:00', 'u', 'x', 'y', '{}', 'p', 'h')"
        )
    finally:
        conn.close()


def test_opening_a_store_at_head_takes_no_backup(cli, engine):
    from caseload.store.engine import open_store
    from caseload.store.keys import read_key_file

    open_store(cli.db, read_key_file(cli.key)).dispose()
    cli.ok("patients", "list")
    assert not (cli.db.parent / (cli.db.name + ".backups")).exists()


def test_upgrade_runs_with_foreign_keys_off_and_turns_them_back_on(empty_store, key):
    from sqlalchemy import event

    from caseload.store.engine import open_store
    from caseload.store.schema import upgrade

    engine = open_store(empty_store, key, upgrade=False)
    seen: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _watch(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            raw = conn.connection.dbapi_connection
            seen.append(raw.execute("PRAGMA foreign_keys").fetchone()[0])

    try:
        upgrade(engine)
        assert seen and set(seen) == {0}
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
    finally:
        engine.dispose()


def test_backup_before_writes_a_verified_encrypted_copy(cli, engine, write):
    import sqlite3

    from caseload.services import patients
    from caseload.store.backup import KEEP_AUTOMATIC, backup_before
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    with write() as s:
        patients.add(s, external_id="B-1", given_name="Bea", family_name="Kowalczyk")
    copies = [backup_before(engine, "test") for _ in range(KEEP_AUTOMATIC + 2)]
    folder = copies[-1].parent
    assert folder.stat().st_mode & 0o777 == 0o700
    kept = sorted(folder.glob("*.db"))
    assert kept == copies[-KEEP_AUTOMATIC:]  # older automatic copies pruned
    latest = copies[-1]
    assert latest.stat().st_mode & 0o777 == 0o600
    assert b"Kowalczyk" not in latest.read_bytes()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(latest).execute("SELECT * FROM sqlite_master").fetchall()
    conn = connect(latest, read_key_file(cli.key))
    try:
        assert conn.execute("SELECT external_id FROM patient").fetchall() == [("B-1",)]
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)
    finally:
        conn.close()


@pytest.mark.skipif(len(KNOWN) < 2, reason="only one revision exists")
def test_a_store_made_at_the_first_revision_upgrades_with_its_data(empty_store, key):
    from alembic import command

    from caseload.store.engine import open_store
    from caseload.store.schema import alembic_config

    engine = open_store(empty_store, key, upgrade=False)
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, KNOWN[0])
        conn.exec_driver_sql(
            "INSERT INTO patient (external_id, given_name, family_name, may_call, may_text, "
            "may_email, may_voicemail, risk, programs, conditions, social_needs, status, "
            "search_name, phone_digits, created_at, updated_at) VALUES ('OLD-1', 'Ada', "
            "'Lovel', 1, 0, 0, 0, 'medium', 'chf', '', '', 'active', 'lovel ada', '', "
            "'2025-01-01 00:00:00', '2025-01-01 00:00:00')"
        )
        conn.commit()
    engine.dispose()

    engine = open_store(empty_store, key)  # upgrades, after a backup
    try:
        from caseload.services import patients
        from caseload.store.engine import session

        with session(engine) as s:
            assert patients.get(s, "OLD-1")["programs"] == ["chf"]
        with engine.connect() as conn:
            rev = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            assert rev == HEAD
    finally:
        engine.dispose()
    backups = list((empty_store.parent / (empty_store.name + ".backups")).glob("*.db"))
    assert len(backups) == 1 and f"upgrade-from-{KNOWN[0]}" in backups[0].name
