"""The schema check at open: a cheap revision read, and Alembic only when an upgrade is due.

HEAD names the newest migration; a test keeps it equal to Alembic's own head,
so the fast path never needs to import Alembic.
"""

from __future__ import annotations

from caseload.errors import CaseloadError
from caseload.store.revision import HEAD, KNOWN, check_revision, read_revision

__all__ = ["HEAD", "KNOWN", "check_revision", "ensure_schema", "read_revision", "upgrade"]


def ensure_schema(engine) -> None:
    with engine.connect() as conn:
        rev = read_revision(conn.connection.dbapi_connection)
    if check_revision(rev):
        return
    if rev is not None:
        from caseload.store.backup import backup_before  # only on an upgrade: not on the cron path

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
