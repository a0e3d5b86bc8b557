"""The audit chain's hashing and a raw-connection append, free of SQLModel for fast paths.

``hash = sha256(prev_hash + canonical JSON of the event)``; the ORM service
(``services.audit``) and the raw append here compute it the same way.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64
# How SQLAlchemy stores a DateTime in SQLite; raw writers must match it to the digit.
STORED_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


# The store's own guards on the log, exactly as the migrations create them (0001: the
# append-only pair; 0002: the count and head kept in store_meta). `audit verify` and
# `doctor` compare sqlite_master with these: a dropped or replaced trigger shows.
APPEND_ONLY = "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
TRIGGERS = {
    "audit_event_no_update": (
        f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event {APPEND_ONLY}"
    ),
    "audit_event_no_delete": (
        f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event {APPEND_ONLY}"
    ),
    "audit_event_meta": (
        "CREATE TRIGGER audit_event_meta AFTER INSERT ON audit_event BEGIN "
        "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('audit_count', "
        "CAST(COALESCE((SELECT CAST(value AS INTEGER) FROM store_meta "
        "WHERE key = 'audit_count'), 0) + 1 AS TEXT)); "
        "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('audit_head', NEW.hash); "
        "END"
    ),
}


def canonical(
    at: datetime, who: str, action: str, entity: str, entity_id, patient_id, detail: str
) -> str:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return json.dumps(
        [stamp, who, action, entity, entity_id, patient_id, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    )


def event_hash(prev_hash: str, at, who, action, entity, entity_id, patient_id, detail) -> str:
    body = canonical(at, who, action, entity, entity_id, patient_id, detail)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def detail_text(detail: dict) -> str:
    return json.dumps(detail, sort_keys=True, default=str, separators=(",", ":"))


def append_raw(
    conn, action: str, entity: str, entity_id=None, *, patient_id=None, begin=True, **detail
) -> str:
    """Append one event on a raw DBAPI connection: the one raw appender (the due list, the
    printouts, the importers). ``begin``: in its own BEGIN IMMEDIATE transaction; else in
    the caller's open one (an import's rows and its event commit together)."""
    from caseload.services.common import actor

    at = datetime.now(UTC).replace(tzinfo=None)
    who = actor()
    eid = None if entity_id is None else str(entity_id)
    text = detail_text(detail)
    if not begin:
        return _insert(conn, at, who, action, entity, eid, patient_id, text)
    conn.execute("BEGIN IMMEDIATE")
    try:
        h = _insert(conn, at, who, action, entity, eid, patient_id, text)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a Ctrl-C just after COMMIT finds none to roll back
            conn.execute("ROLLBACK")
        raise
    return h


def _insert(conn, at, who, action, entity, eid, patient_id, text) -> str:
    row = conn.execute("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    h = event_hash(prev, at, who, action, entity, eid, patient_id, text)
    conn.execute(
        "INSERT INTO audit_event (at, actor, action, entity, entity_id, patient_id, detail, "
        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at.strftime(STORED_FORMAT), who, action, entity, eid, patient_id, text, prev, h),
    )
    return h
