"""`caseload doctor` on real stores: a clean bill, a store open to others, old and broken things."""

from __future__ import annotations

import os
import time

import pytest

from caseload.services import doctor as checks


def statuses(stdout: str) -> dict[str, str]:
    """check name -> status, from doctor's one line per check."""
    out = {}
    for line in stdout.splitlines():
        status, rest = line.split(None, 1)
        out[rest.split(":", 1)[0]] = status
    return out


def test_a_fresh_store_is_all_ok_apart_from_the_backup_age(cli):
    result = cli.ok("doctor")
    assert statuses(result.stdout) == {
        "store file mode": "OK",
        "store folder mode": "OK",
        "key file mode": "OK",
        "key rotation": "OK",
        "leftover files": "OK",
        "key": "OK",
        "keyring": "OK",
        "integrity_check": "OK",
        "cipher_integrity_check": "OK",
        "schema": "OK",
        "WAL size": "OK",
        "last backup": "WARN",
        "audit chain": "OK",
    }
    assert (
        "WARN  last backup: none found "
        "(fix: caseload backup FILE, and schedule it (docs/operations.md))\n"
    ) in result.stdout
    assert "OK    store file mode: 0600\n" in result.stdout


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_store_readable_by_others_fails_with_the_fix(cli):
    cli.db.chmod(0o644)
    result = cli("doctor")
    assert result.exit_code == 1
    assert (
        f"FAIL  store file mode: 0644, readable by others (fix: chmod 600 {cli.db})\n"
        in result.stdout
    )
    assert result.stderr == "caseload: 1 check failed; see the fixes above\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_folder_open_to_others_is_a_warning(cli):
    cli.db.parent.chmod(0o755)
    result = cli.ok("doctor")
    assert f"WARN  store folder mode: 0755: others can list it (fix: chmod 700 {cli.db.parent}" in (
        result.stdout
    )


def test_a_recent_backup_is_ok_and_an_old_one_warns(cli, tmp_path):
    cli.ok("backup", str(tmp_path / "b.db"))
    assert "OK    last backup: 0.0 days ago" in cli.ok("doctor").stdout

    from caseload.paths import backups_dir

    assert checks.last_backup_at(cli.db, None) is None  # a manual backup counts by its event
    folder = backups_dir(cli.db)
    folder.mkdir(mode=0o700)
    old = folder / "caseload-20200101T000000000000Z-upgrade-from-0000.db"
    old.write_bytes(b"x")
    ten_days = time.time() - 10 * 86400
    os.utime(old, (ten_days, ten_days))
    found = checks.last_backup_at(cli.db, None)
    from datetime import UTC, datetime

    assert checks.backup_age(found, datetime.now(UTC)).line() == (
        "WARN  last backup: 10 days ago "
        "(fix: caseload backup FILE, and schedule it (docs/operations.md))"
    )


def test_a_broken_audit_chain_fails(cli):
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(cli.db, read_key_file(cli.key))
    conn.execute("DROP TRIGGER audit_event_no_update")
    conn.execute("UPDATE audit_event SET actor = 'someone-else' WHERE id = 1")
    conn.close()
    result = cli("doctor")
    assert result.exit_code == 1
    assert (
        "FAIL  audit chain: 2 problem(s) among 1 events; the first: "
        "event 1 (id 1): its content was changed"
    ) in result.stdout


def test_a_wrong_key_is_reported_and_exits_3(cli, tmp_path):
    wrong = tmp_path / "wrong.key"
    wrong.write_text("cd" * 32)
    wrong.chmod(0o600)
    result = cli("--key-file", str(wrong), "doctor")
    assert result.exit_code == 3
    assert "FAIL  key: wrong key or not a caseload database" in result.stdout
    assert "integrity_check" not in result.stdout


def test_a_big_wal_warns_and_suggests_a_checkpoint(tmp_path):
    db = tmp_path / "x.db"
    with open(tmp_path / "x.db-wal", "wb") as fh:
        fh.truncate(checks.WAL_WARN_BYTES + 1)  # sparse: no real 64 MB written
    assert checks.wal_check(db).line() == (
        "WARN  WAL size: 64 MB (fix: caseload doctor --checkpoint (with caseload idle))"
    )


def test_checkpoint_folds_a_wal_that_holds_pages(cli, write):
    """Another connection stays open (so no close empties the WAL); only --checkpoint does."""
    from caseload.services import audit

    with write() as s:
        for n in range(50):
            audit.record(s, "test.fill", "store", n)
    wal = cli.db.with_name(cli.db.name + "-wal")
    assert wal.stat().st_size > 0
    cli.ok("doctor")
    assert wal.stat().st_size > 0  # doctor alone leaves the WAL as it is
    assert "OK    WAL size: 0.0 MB" in cli.ok("doctor", "--checkpoint").stdout
    assert wal.stat().st_size == 0


def test_leftovers_are_reported_and_removed_with_yes(cli, tmp_path):
    from caseload.paths import backups_dir
    from caseload.store.recovery import holding

    staged = cli.db.with_name(cli.db.name + ".restoring-20260101T000000000000Z")
    staged.write_bytes(b"x" * 10)
    partial = cli.db.with_name(cli.db.name + ".restoring-20260101T000000000001Z.partial")
    partial.write_bytes(b"")
    folder = backups_dir(cli.db)
    folder.mkdir(mode=0o700)
    auto = folder / "caseload-20260101T000000000000Z-rotate.db.partial"
    auto.write_bytes(b"")
    live = folder / "caseload-20260101T000000000009Z-rotate.db.partial"
    live.write_bytes(b"")
    pending = cli.key.with_name(cli.key.name + ".new")
    pending.write_bytes(b"")  # a rotate killed as it began writing the new key
    aside = cli.db.with_name(cli.db.name + ".before-restore-20260101T000000000000Z")
    aside.write_bytes(b"kept")  # the user's to delete: never a leftover

    with holding(live):  # a copy still being written by a live process
        report = cli.ok("doctor")
        assert (
            "WARN  leftover files: 4 left by interrupted work ("
            f"{pending.name}, {auto.name}, {staged.name} …) "
            "(fix: caseload doctor --yes removes them)"
        ) in report.stdout
        assert "OK    key rotation: no rotation pending" in report.stdout
        assert all(p.exists() for p in (staged, partial, auto, pending))  # only reported
        removed = cli.ok("doctor", "--yes")
        assert removed.stderr.splitlines()[-1] == "Removed 4 leftover files."
        assert live.exists()
    assert not any(p.exists() for p in (staged, partial, auto, pending))
    assert aside.read_bytes() == b"kept"
    assert "WARN  leftover files: 1 left by interrupted work" in cli.ok("doctor").stdout
    live.unlink()  # its process is gone now: the copy it held is a leftover like the rest
    assert "OK    leftover files: none" in cli.ok("doctor").stdout


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal")
def test_on_a_terminal_doctor_asks_before_removing_leftovers(cli):
    """SPEC's confirmation rule: a terminal is asked; "y" removes, anything else keeps."""
    import pty
    import subprocess
    import sys

    staged = cli.db.with_name(cli.db.name + ".restoring-20260101T000000000000Z")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASELOAD_")}
    env.update(
        CASELOAD_DB=str(cli.db),
        CASELOAD_KEY_FILE=str(cli.key),
        CASELOAD_CONFIG=os.environ["CASELOAD_CONFIG"],
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    for answer, kept in (("n", True), ("y", False)):
        staged.write_bytes(b"x")
        master, slave = pty.openpty()
        os.write(master, answer.encode() + b"\n")  # typed ahead: the line waits in the tty
        done = subprocess.run(
            [sys.executable, "-m", "caseload", "doctor"],
            stdin=slave,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        os.close(slave)
        os.close(master)
        assert done.returncode == 0, done.stderr
        assert "Remove the 1 leftover file? [y/N]" in done.stderr
        assert staged.exists() == kept
    assert done.stderr.splitlines()[-1].endswith("Removed 1 leftover file.")
