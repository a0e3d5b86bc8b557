"""Encrypted copies of the store through ``sqlcipher_export`` (SQLCipher 4 disables the backup API).

A copy is written to a temporary name, reopened with its key to verify it,
then renamed into place with mode 0600. A restore checks the backup first,
stages an encrypted copy under the store's own key, puts the current store
aside, and puts it back if the restored one does not verify.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from caseload.errors import CaseloadError
from caseload.store.connect import connect
from caseload.store.keys import Key, derived_raw_key
from caseload.store.recovery import (
    RESTORING,
    SET_ASIDE,
    holding,
    move_with_sidecars,
    remove_with_sidecars,
)
from caseload.store.revision import check_revision, read_revision
from caseload.testhooks import crash_point

KEEP_AUTOMATIC = 5


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def salted(key: Key, db_path: Path) -> Key:
    """The key for a copy of ``db_path`` that keeps the store's salt.

    A passphrase given to ``ATTACH … KEY`` would draw a fresh salt, so the copy
    would open with the passphrase but no longer with the recovery key. The raw
    derived key plus the store's salt (``x'<key><salt>'``) gives a copy that
    opens with both. A raw key does not depend on the salt and is used as is.
    """
    if key.raw:
        return key
    with open(db_path, "rb") as fh:
        salt = fh.read(16)
    return Key(derived_raw_key(key, db_path) + salt.hex(), raw=True, source=key.source)


def export_copy(dbapi_conn, dest: Path, key: Key) -> None:
    """Write an encrypted copy of the open store to ``dest`` (which must not exist)."""
    if dest.exists():
        raise CaseloadError(f"{dest} exists already; choose another file")
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:  # from the moment the file exists, an interrupt must remove it
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CaseloadError(f"cannot write {dest}: {exc.strerror}") from None
        os.close(fd)
        with holding(tmp):  # `doctor --yes` leaves a .partial alone while it is written
            _fill(dbapi_conn, tmp, dest, key)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _fill(dbapi_conn, tmp: Path, dest: Path, key: Key) -> None:
    """Export the open store into ``tmp`` and check the copy opens and is whole."""
    path_literal = "'" + str(tmp).replace("'", "''") + "'"
    dbapi_conn.execute(
        f"ATTACH DATABASE {path_literal} AS caseload_copy KEY {key.pragma_literal()}"
    )
    try:
        dbapi_conn.execute("SELECT sqlcipher_export('caseload_copy')")
        version = dbapi_conn.execute("PRAGMA user_version").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA caseload_copy.user_version = {int(version)}")
    finally:
        dbapi_conn.execute("DETACH DATABASE caseload_copy")
    check = connect(tmp, key)
    try:
        ok = check.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        check.close()
    if ok != "ok":
        raise CaseloadError(f"the copy at {dest} failed its check; nothing was kept")


def backup_before(engine, reason: str) -> Path:
    """An automatic backup before a risky operation, keeping the last few."""
    from caseload.paths import backups_dir, ensure_private_dir

    path: Path = engine.info["path"]
    folder = backups_dir(path)
    ensure_private_dir(folder)
    dest = folder / f"{path.stem}-{_stamp()}-{reason}.db"
    with engine.connect() as conn:
        export_copy(conn.connection.dbapi_connection, dest, salted(engine.info["key"], path))
    automatic = sorted(folder.glob(f"{path.stem}-*.db"))
    for old in automatic[:-KEEP_AUTOMATIC]:
        old.unlink(missing_ok=True)
    return dest


def manual_backup(engine, dest: Path, key: Key, *, force: bool) -> None:
    """``caseload backup FILE``: a verified encrypted copy at ``dest`` (0600)."""
    if dest.is_dir():
        raise CaseloadError(f"{dest} is a folder; name the backup file")
    live: Path = engine.info["path"]
    from caseload.paths import sidecars

    if dest.resolve() in {p.resolve() for p in (live, *sidecars(live))}:
        raise CaseloadError(f"{dest} is the store itself; name a file elsewhere for the backup")
    if not dest.parent.is_dir():
        raise CaseloadError(f"the folder {dest.parent} does not exist")
    if dest.exists() and not force:
        raise CaseloadError(f"{dest} exists already", hint="pass --force to replace it")
    # With --force the old file stays whole until the new copy has verified.
    staged = dest.with_name(dest.name + f".new-{os.getpid()}") if dest.exists() else dest
    try:
        with engine.connect() as conn:
            export_copy(conn.connection.dbapi_connection, staged, key)
        if staged != dest:
            os.replace(staged, dest)
    except BaseException:
        if staged != dest:  # interrupted between the copy and the rename
            staged.unlink(missing_ok=True)
        raise


# --- restore ---------------------------------------------------------------------


def check_backup(path: Path, key: Key):
    """Open a backup with its key and check it: pages, HMACs, a schema this caseload knows.

    Returns the open connection and the backup's schema revision. A wrong key
    raises StoreLocked (exit 3); a damaged or foreign file raises CaseloadError.
    """
    import sqlcipher3

    if not path.is_file():
        raise CaseloadError(f"no backup at {path}")
    conn = connect(path, key)
    try:
        try:
            pages = conn.execute("PRAGMA integrity_check").fetchall()
            hmacs = conn.execute("PRAGMA cipher_integrity_check").fetchall()
        except sqlcipher3.DatabaseError:
            pages, hmacs = [("unreadable",)], []
        if pages != [("ok",)] or hmacs:
            raise CaseloadError(
                f"the backup {path} is damaged (it failed its integrity check)",
                hint="nothing was changed; try an older backup",
            )
        revision = read_revision(conn)
        if revision is None:
            raise CaseloadError(f"{path} is not a caseload backup (it has no caseload schema)")
        check_revision(revision)
    except BaseException:
        conn.close()
        raise
    return conn, revision


def verify_store(db: Path, key: Key) -> None:
    conn = connect(db, key)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise CaseloadError(f"the restored store at {db} failed its check")
    finally:
        conn.close()


def restore(db: Path, backup: Path, backup_key: Key, store_key: Key) -> Path | None:
    """Replace the store at ``db`` by the backup; returns where the old store was put aside.

    The backup is re-encrypted under the store's own key (so the key source and,
    for a raw key, the recovery key keep working). Nothing changes until the
    backup has passed its checks; the old store comes back if the new one fails.
    Between the two renames there is no store at ``db``: the staged copy is held
    (``recovery.holding``) so that another process waits instead of "recovering",
    and a kill there is undone by ``recovery.recover_missing`` at the next open.
    """
    stamp = _stamp()
    conn, _revision = check_backup(backup, backup_key)
    staged = db.with_name(f"{db.name}{RESTORING}{stamp}")
    try:
        new_key = salted(store_key, db) if db.exists() else store_key
        export_copy(conn, staged, new_key)
    finally:
        conn.close()
    aside = db.with_name(f"{db.name}{SET_ASIDE}{stamp}") if db.exists() else None
    try:
        with holding(staged):
            if aside is not None:
                move_with_sidecars(db, aside)
            crash_point("restore-aside")
            os.replace(staged, db)
        verify_store(db, store_key)
    except BaseException:
        if aside is None:
            remove_with_sidecars(db)  # there was no store before: leave none
        elif aside.exists():  # the old store was moved: bring it back
            remove_with_sidecars(db)
            move_with_sidecars(aside, db)
        raise
    finally:
        remove_with_sidecars(staged)
    return aside
