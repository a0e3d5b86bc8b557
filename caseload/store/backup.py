"""Encrypted copies of the store through ``sqlcipher_export`` (SQLCipher 4 disables the backup API).

A copy is written to a temporary name, reopened with its key to verify it,
then renamed into place with mode 0600.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from caseload.errors import CaseloadError
from caseload.store.connect import connect
from caseload.store.keys import Key

KEEP_AUTOMATIC = 5


def export_copy(dbapi_conn, dest: Path, key: Key) -> None:
    """Write an encrypted copy of the open store to ``dest`` (which must not exist)."""
    if dest.exists():
        raise CaseloadError(f"{dest} exists already; choose another file")
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
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
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def backup_before(engine, reason: str) -> Path:
    """An automatic backup before a risky operation, keeping the last few."""
    from caseload.paths import backups_dir, ensure_private_dir

    path: Path = engine.info["path"]
    folder = backups_dir(path)
    ensure_private_dir(folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = folder / f"{path.stem}-{stamp}-{reason}.db"
    with engine.connect() as conn:
        export_copy(conn.connection.dbapi_connection, dest, engine.info["key"])
    automatic = sorted(folder.glob(f"{path.stem}-*.db"))
    for old in automatic[:-KEEP_AUTOMATIC]:
        old.unlink(missing_ok=True)
    return dest
