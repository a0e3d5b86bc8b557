"""The one engine factory: SQLCipher through ``creator=``, a QueuePool, short sessions.

Write units of work begin with ``BEGIN IMMEDIATE`` so that the audit chain's
"read the last hash, append the next" cannot interleave with another writer;
reads begin deferred so the TUI never queues behind cron.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from caseload.store.connect import busy_error, connect, is_busy
from caseload.store.keys import Key

_WRITE = "caseload_write"


def open_store(path: Path, key: Key, *, busy_timeout_ms: int = 10000, upgrade: bool = True):
    """An Engine on the store at ``path``, its key checked and its schema at head."""
    import sqlcipher3
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    first = [connect(path, key, busy_timeout_ms=busy_timeout_ms)]  # fail fast, before pooling

    def creator():
        if first:
            return first.pop()
        return connect(path, key, busy_timeout_ms=busy_timeout_ms)

    engine = create_engine(
        "sqlite+pysqlite://",
        creator=creator,
        module=sqlcipher3,
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    engine.info = {"path": path, "key": key}  # type: ignore[attr-defined]
    if upgrade:
        from caseload.store.schema import ensure_schema

        try:
            ensure_schema(engine)
        except BaseException:
            engine.dispose()  # a refused store (say, from a newer caseload) is let go at once
            raise
    return engine


@contextmanager
def session(engine, *, write: bool = False) -> Iterator:
    """A short Session: commits on success when ``write``, rolls back on any error."""
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session

    bind = engine.execution_options(**{_WRITE: True}) if write else engine
    with Session(bind, expire_on_commit=False) as s:
        try:
            yield s
            if write:
                s.commit()
        except OperationalError as exc:
            s.rollback()
            if is_busy(exc):
                raise busy_error() from None
            raise
        except BaseException:
            s.rollback()
            raise
