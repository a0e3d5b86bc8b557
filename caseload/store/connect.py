"""A keyed SQLCipher connection, with no SQLAlchemy: the base of the engine and of fast paths.

The key is the first statement on every connection; the key is checked with a
read before anything could write, so a wrong key leaves the file untouched.
"""

from __future__ import annotations

import os
import stat
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


# Stores this process created with create_file: the only empty files that may be opened
# (and so given a schema). Any other empty file is "not a caseload database".
_CREATED: set[Path] = set()


def create_file(path: Path) -> None:
    """Create an empty store file with mode 0600 (SQLite gives its -wal/-shm the same mode).

    Only `caseload init` (and the demo) call this: it is what allows the empty
    file to be opened and given a schema.
    """
    from caseload.paths import ensure_private_dir

    try:
        ensure_private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:  # a folder that is a file, a read-only disk: say so, no traceback
        raise CaseloadError(f"cannot create the store at {path}: {exc.strerror}") from None
    os.close(fd)
    _CREATED.add(path.absolute())


def check_store_file(path: Path) -> None:
    """The store must be a regular, non-empty file; a missing one may be recovered.

    SQLCipher opens an empty file with any key as a new database, and SQLite
    writes a ``-journal`` beside whatever it opens (``/dev/null-journal``), so
    both are refused here, before the driver sees the path.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        from caseload.store.recovery import recover_missing

        recover_missing(path)  # puts back what an interrupted restore left, or raises
        st = path.stat()
    except OSError as exc:
        raise StoreMissing(f"the store at {path} cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise StoreMissing(f"{path} is a folder, not a caseload store")
    if not stat.S_ISREG(st.st_mode):
        raise StoreMissing(
            f"{path} is not a regular file, so not a caseload store",
            hint="point --db / CASELOAD_DB at your store file",
        )
    if st.st_size == 0 and path.absolute() not in _CREATED:
        raise StoreLocked(
            f"{path} is empty: not a caseload database",
            hint="only `caseload init` creates a store; if an interrupted init left this file, "
            "remove it and run init again",
        )


def connect_reader(path: Path, raw_key: str):
    """A read-only connection to a store another connection of ours has already opened
    (and so checked, recovered and upgraded): the due list's helper process. Nothing is
    set up on the file, which is never created or changed; a wrong key raises."""
    import urllib.parse

    db = _driver()
    uri = "file:" + urllib.parse.quote(str(Path(path).absolute())) + "?mode=ro"
    conn = db.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{raw_key.lower()}'\"")
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute("PRAGMA temp_store = MEMORY")  # never spill plaintext temp files
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def connect(path: Path, key: Key, *, busy_timeout_ms: int = 10000):
    """Open ``path`` with ``key``; raise StoreMissing / StoreLocked / StoreBusy cleanly."""
    check_store_file(path)
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
