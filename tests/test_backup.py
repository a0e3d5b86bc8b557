"""`caseload backup` and `restore` on real encrypted stores: equal data back, bad backups refused."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

WRONG_KEY_LINE = "caseload: wrong key or not a caseload database\n"
RECOVERY = re.compile(r"\b(?:[A-Z2-7]{4}-){12}[A-Z2-7]{4}\b")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add(cli, ext: str) -> None:
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Ola", "--family-name", "Berg")


def snapshot(cli) -> tuple[list, list]:
    people = json.loads(cli.ok("patients", "list", "--format", "json").stdout)
    due = json.loads(cli.ok("followups", "list", "--status", "all", "--format", "json").stdout)
    return people, due


@pytest.fixture
def filled(cli):
    for ext in ("B-1", "B-2"):
        add(cli, ext)
    cli.ok("followups", "add", "B-1", "--title", "Call", "--due", "2030-01-02")
    return cli


def test_backup_then_restore_gives_the_same_data(filled, tmp_path):
    before = snapshot(filled)
    dest = tmp_path / "b.db"
    made = filled.ok("backup", str(dest))
    assert (
        made.stderr
        == f"Backed up the store to {dest} (encrypted with the store's key; verified).\n"
    )
    assert dest.stat().st_mode & 0o777 == 0o600
    assert b"Berg" not in dest.read_bytes()

    add(filled, "B-3")  # work after the backup, which the restore takes back
    filled.ok("followups", "add", "B-2", "--title", "Visit", "--due", "2030-02-03")
    assert snapshot(filled) != before

    done = filled.ok("restore", str(dest), "--yes")
    aside = next(filled.db.parent.glob("caseload.db.before-restore-*"))
    assert done.stderr.splitlines() == [
        f"Restored the store at {filled.db} from {dest} (checked and verified).",
        f"The store it replaced is kept at {aside}; delete it once you are satisfied.",
    ]
    assert snapshot(filled) == before
    assert filled.ok("audit", "verify").stdout.startswith("audit log OK: ")
    actions = [
        e["action"]
        for e in json.loads(filled.ok("audit", "list", "--format", "json").stdout)
        if e["entity"] != "printout"  # the listings that compared the data are audited too
    ]
    assert actions[-1] == "store.restore"
    assert "store.backup" not in actions  # recorded after the copy, in the store replaced
    # The store set aside is whole and still opens with the key: nothing lost.
    assert (
        filled.ok("--db", str(aside), "patients", "list", "--format", "csv").stdout.count("B-3")
        == 1
    )


def test_backup_is_recorded_in_the_audit_log(filled, tmp_path):
    filled.ok("backup", str(tmp_path / "b.db"))
    last = json.loads(filled.ok("audit", "list", "--limit", "1", "--format", "json").stdout)[0]
    assert (last["action"], last["detail"]) == (
        "store.backup",
        '{"key":"store key","kind":"manual"}',
    )


def test_backup_refuses_an_existing_file_unless_forced(filled, tmp_path):
    dest = tmp_path / "b.db"
    dest.write_text("precious")
    result = filled("backup", str(dest))
    assert result.exit_code == 1
    assert result.stderr == f"caseload: {dest} exists already\n  pass --force to replace it\n"
    assert dest.read_text() == "precious"
    filled.ok("backup", str(dest), "--force")
    assert dest.read_bytes()[:8] != b"precious"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("b.db")) == ["b.db"]
    filled.ok("restore", str(dest), "--yes")


def test_a_backup_opened_with_the_wrong_key_fails_with_exit_3(filled, tmp_path):
    dest = tmp_path / "b.db"
    filled.ok("backup", str(dest))
    wrong = tmp_path / "wrong.key"
    wrong.write_text("ab" * 32 + "\n")
    wrong.chmod(0o600)
    store_before = digest(filled.db)
    result = filled("restore", str(dest), "--yes", "--backup-key-file", str(wrong))
    assert (result.exit_code, result.stderr) == (3, WRONG_KEY_LINE)
    assert digest(filled.db) == store_before
    opened = filled("--db", str(dest), "--key-file", str(wrong), "patients", "list")
    assert (opened.exit_code, opened.stderr) == (3, WRONG_KEY_LINE)


def test_a_tampered_backup_is_refused_and_the_store_untouched(filled, tmp_path):
    dest = tmp_path / "b.db"
    filled.ok("backup", str(dest))
    data = bytearray(dest.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 16):
        data[i] ^= 0xFF
    dest.write_bytes(bytes(data))
    store_before = digest(filled.db)
    result = filled("restore", str(dest), "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        f"caseload: the backup {dest} is damaged (it failed its integrity check)\n"
        "  nothing was changed; try an older backup\n"
    )
    assert digest(filled.db) == store_before
    assert [p.name for p in filled.db.parent.iterdir() if "restor" in p.name] == []


def test_restore_without_a_terminal_needs_yes(filled, tmp_path):
    dest = tmp_path / "b.db"
    filled.ok("backup", str(dest))
    store_before = digest(filled.db)
    result = filled("restore", str(dest))
    assert (result.exit_code, result.stderr) == (
        2,
        "caseload: restore replaces the store: pass --yes to confirm\n",
    )
    assert digest(filled.db) == store_before


def test_restore_of_a_missing_or_foreign_file_is_refused(filled, tmp_path):
    missing = filled("restore", str(tmp_path / "none.db"), "--yes")
    assert (missing.exit_code, missing.stderr) == (
        1,
        f"caseload: no backup at {tmp_path / 'none.db'}\n",
    )
    from caseload.store.connect import connect, create_file
    from caseload.store.keys import read_key_file

    foreign = tmp_path / "foreign.db"
    create_file(foreign)
    conn = connect(foreign, read_key_file(filled.key))
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    result = filled("restore", str(foreign), "--yes")
    assert (result.exit_code, result.stderr) == (
        1,
        f"caseload: {foreign} is not a caseload backup (it has no caseload schema)\n",
    )


def test_a_backup_under_a_new_key_file(filled, tmp_path):
    dest, new_key = tmp_path / "b.db", tmp_path / "backup.key"
    filled.ok("backup", str(dest), "--new-key-file", str(new_key))
    assert new_key.stat().st_mode & 0o777 == 0o600
    assert new_key.read_text() != filled.key.read_text()
    result = filled("--db", str(dest), "patients", "list")  # the store's key does not open it
    assert (result.exit_code, result.stderr) == (3, WRONG_KEY_LINE)
    filled.ok("--db", str(dest), "--key-file", str(new_key), "patients", "list")
    before = snapshot(filled)
    add(filled, "B-9")
    filled.ok("restore", str(dest), "--yes", "--backup-key-file", str(new_key))
    # Restored under the store's own key: its key file still opens it.
    assert snapshot(filled) == before


def test_a_backup_under_a_passphrase_from_the_environment(filled, tmp_path):
    dest = tmp_path / "b.db"
    env = {"BACKUP_PASS": "a long backup passphrase"}
    filled.ok("backup", str(dest), "--passphrase-env", "BACKUP_PASS", env=env)
    result = filled("restore", str(dest), "--yes")
    assert result.exit_code == 3
    filled.ok("restore", str(dest), "--yes", "--passphrase-env", "BACKUP_PASS", env=env)
    unset = filled("backup", str(tmp_path / "c.db"), "--passphrase-env", "NOT_SET_HERE")
    assert (unset.exit_code, unset.stderr) == (
        2,
        "caseload: --passphrase-env names NOT_SET_HERE, which is not set or empty\n",
    )


def test_a_passphrase_stores_backup_opens_with_its_recovery_key(db_path, tmp_path):
    from conftest import Cli

    from caseload.store.connect import connect
    from caseload.store.keys import Key, decode_recovery_key

    cli = Cli(db_path, tmp_path / "unused.key")
    env = {"CASELOAD_KEY_FILE": None, "CASELOAD_PASSPHRASE": "correct horse battery staple"}
    made = cli.ok("init", env=env)
    recovery = RECOVERY.findall(made.stderr)[0]
    dest = tmp_path / "b.db"
    cli.ok("backup", str(dest), env=env)
    raw = Key(decode_recovery_key(recovery), raw=True, source="test")
    connect(dest, raw).close()  # the recovery key opens the backup (the salt was kept)
    connect(dest, Key(env["CASELOAD_PASSPHRASE"], raw=False, source="test")).close()
    cli.ok("restore", str(dest), "--yes", env=env)
    connect(db_path, raw).close()  # and the restored store: the recovery key still works


def test_backup_onto_the_store_itself_is_refused(cli):
    before = cli.db.read_bytes()
    for target in (cli.db, cli.db.with_name(cli.db.name + "-wal")):
        r = cli("backup", str(target), "--force")
        assert r.exit_code == 1
        assert "is the store itself" in r.stderr
    assert cli.db.read_bytes() == before
    cli.ok("patients", "list")
