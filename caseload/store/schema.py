"""The schema check at open: a cheap revision read, and Alembic only when an upgrade is due.

HEAD names the newest migration; a test keeps it equal to Alembic's own head,
so the fast path never needs to import Alembic.
"""

from __future__ import annotations

from caseload.errors import CaseloadError

HEAD = "0002"
KNOWN = ("0001", "0002")


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


def ensure_schema(engine) -> None:
    with engine.connect() as conn:
        rev = read_revision(conn.connection.dbapi_connection)
    if check_revision(rev):
        return
    if rev is not None:
        from caseload.store.backup import backup_before

        backup_before(engine, f"upgrade-from-{rev}")
    upgrade(engine)


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "caseload:migrations")
    return cfg


def upgrade(engine, target: str = "head") -> None:
    """Run Alembic with foreign keys off (batch table copies would otherwise cascade)."""
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
            conn.commit()
            problems = raw.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise CaseloadError(
                    f"the schema upgrade left {len(problems)} broken reference(s); "
                    "the backup taken before it is in the backups folder"
                )
        finally:
            raw.execute("PRAGMA foreign_keys = ON")
