"""The store's schema revision: which one this caseload writes, and how to read a store's.

Both the schema check at open (``store.schema``) and the backup checks
(``store.backup``) need these; keeping them here, below both, means neither
imports the other for them.
"""

from __future__ import annotations

from caseload.errors import CaseloadError

HEAD = "0003"
KNOWN = ("0001", "0002", "0003")


def read_revision(dbapi_conn) -> str | None:
    """The store's Alembic revision, or None for a store with no schema yet."""
    row = dbapi_conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()
    if row is None:
        return None
    row = dbapi_conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def check_revision(rev: str | None) -> bool:
    """True when the store is at head; raise when it was written by a newer caseload."""
    if rev == HEAD:
        return True
    if rev is not None and rev not in KNOWN:
        raise CaseloadError(
            f"this store is at schema revision {rev}, newer than this caseload knows",
            hint="upgrade caseload (pip install -U caseload)",
        )
    return False
