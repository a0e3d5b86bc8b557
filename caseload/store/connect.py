"""A keyed SQLCipher connection, with no SQLAlchemy: the base of the engine and of fast paths.

The key is the first statement on every connection; the key is checked with a
read before anything could write, so a wrong key leaves the file untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

from caseload.errors import CaseloadError, StoreBusy, StoreLocked, StoreMissing
from caseload.store.keys import Key

WRONG_KEY = "wrong key or not a caseload database"


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database is busy", whatever layer raised it."""
    text = str(getattr(exc, "orig", exc))
    return "locked" in text or "busy" in text


def busy_error() -> StoreBusy:
    """The one message every path (ORM session, raw fast path, import) gives past the timeout."""
    return StoreBusy(
        "the store stayed locked by another caseload process past the busy timeout",
        hint="try again in a moment; raise busy_timeout_ms in the config if it recurs",
    )


def _driver():
    import sqlcipher3

    return sqlcipher3


def create_file(path: Path) -> None:
    """Create an empty store file with mode 0600 (SQLite gives its -wal/-shm the same mode)."""
    from caseload.paths import ensure_private_dir

    try:
        ensure_private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:  # a folder that is a file, a read-only disk: say so, no traceback
        raise CaseloadError(f"cannot create the store at {path}: {exc.strerror}") from None
    os.close(fd)


def connect(path: Path, key: Key, *, busy_timeout_ms: int = 10000):
    """Open ``path`` with ``key``; raise StoreMissing / StoreLocked / StoreBusy cleanly."""
    if path.is_dir():
        raise StoreMissing(f"{path} is a folder, not a caseload store")
    if not path.exists():
        raise StoreMissing(
            f"no caseload store at {path}",
            hint="create one with `caseload init`, or point --db / CASELOAD_DB at yours",
        )
    db = _driver()
    try:
        conn = db.connect(
            str(path),
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    except db.Error as exc:
        raise StoreLocked(f"the store at {path} could not be opened: {exc}") from None
    try:
        conn.execute(f"PRAGMA key = {key.pragma_literal()}")
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except db.DatabaseError as exc:
        conn.close()
        if is_busy(exc):
            raise busy_error() from None
        raise StoreLocked(WRONG_KEY) from None
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA temp_store = MEMORY")  # never spill plaintext temp files
    # 32 MB of decrypted pages: a page decrypted once stays; the default 8 MB made the
    # due list at 100k patients decrypt the same pages again and again.
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    return conn
