"""The append-only, hash-chained audit log: who (OS user) did what to which record.

Each event's hash covers the previous event's hash and the event's own fields,
so an edited or deleted event breaks the chain from that point on. ``detail``
carries ids and counts only, never patient data. Writes happen inside the
caller's ``BEGIN IMMEDIATE`` unit of work, so two writers cannot fork the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

from sqlmodel import Session, col, select, text

from caseload.models import AuditEvent
from caseload.services.auditchain import GENESIS, TRIGGERS, detail_text, event_hash
from caseload.services.common import actor, utcnow


def last_hash(session: Session) -> str:
    row = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    return row or GENESIS


def record(
    session: Session,
    action: str,
    entity: str,
    entity_id: object = None,
    *,
    patient_id: int | None = None,
    **detail: object,
) -> AuditEvent:
    """Append one event; call inside the write unit of work that made the change."""
    at = utcnow().replace(tzinfo=None)
    who = actor()
    eid = None if entity_id is None else str(entity_id)
    text = detail_text(detail)
    prev = last_hash(session)
    ev = AuditEvent(
        at=at.replace(tzinfo=UTC),
        actor=who,
        action=action,
        entity=entity,
        entity_id=eid,
        patient_id=patient_id,
        detail=text,
        prev_hash=prev,
        hash=event_hash(prev, at, who, action, entity, eid, patient_id, text),
    )
    session.add(ev)
    session.flush()
    return ev


def list_events(
    session: Session, *, patient_id: int | None = None, limit: int | None = None
) -> list[dict]:
    stmt = select(AuditEvent).order_by(col(AuditEvent.id))
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    if limit is not None:
        stmt = stmt.order_by(None).order_by(col(AuditEvent.id).desc()).limit(limit)
    rows = list(session.exec(stmt))
    if limit is not None:
        rows.reverse()
    return [r.model_dump() for r in rows]


@dataclass
class ChainReport:
    """What `audit verify` found: the events, the last one's hash, one line per problem."""

    count: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)


def verify(session: Session) -> list[str]:
    """Every check of the log; one line per problem (empty when it holds)."""
    return check_log(session).problems


def check_log(session: Session) -> ChainReport:
    """The chain walked, the store's guards on it, and its length and head against store_meta.

    The walk finds an edited or removed event in the middle; the count and head
    kept in store_meta (moved by a trigger in the same transaction as each insert)
    find removed events at the end, or all of them; the trigger check finds the
    guards dropped or replaced. A key holder who rewrites all three goes unseen.
    """
    report = _walk(session)
    if report.count == 0:
        report.problems.append("the log is empty: every store keeps at least its first event")
    report.problems += trigger_problems(session)
    report.problems += meta_problems(session, report.count, report.head)
    return report


def trigger_problems(session: Session) -> list[str]:
    """The append-only and bookkeeping triggers, present with their exact definitions."""
    rows = session.exec(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'"
        )
    ).all()
    found = {name: sql for name, sql in rows}
    expected = dict(TRIGGERS)
    if not _has_meta_table(session):  # a store at 0001 has no store_meta trigger yet
        expected.pop("audit_event_meta")
    out = []
    for name, sql in expected.items():
        if name not in found:
            out.append(f"the trigger {name} that guards the log is missing")
        elif found[name] != sql:
            out.append(f"the trigger {name} that guards the log was replaced")
    out += [f"an unexpected trigger {name} is on the log" for name in found if name not in expected]
    return out


def _has_meta_table(session: Session) -> bool:
    row = session.exec(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_meta'")
    ).first()
    return row is not None


def meta_problems(session: Session, count: int, head: str) -> list[str]:
    """The chain's length and head against what the store recorded as each event went in."""
    if not _has_meta_table(session):
        return []
    meta = dict(session.exec(text("SELECT key, value FROM store_meta")).all())
    out = []
    recorded = meta.get("audit_count")
    if recorded is None or str(count) != recorded:
        out.append(
            f"the log holds {count} events but the store recorded {recorded or 'none'}: "
            "events were removed (or added) outside caseload"
        )
    if count and meta.get("audit_head") != head:
        out.append("the last event is not the head the store recorded: the end of the log changed")
    return out


def _walk(session: Session) -> ChainReport:
    """Walk the chain; one line per break."""
    report = ChainReport()
    problems = report.problems
    prev = GENESIS
    expected_id = None
    for position, ev in enumerate(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))), 1):
        if expected_id is not None and ev.id != expected_id:
            problems.append(
                f"event {position} (id {ev.id}): events {expected_id}..{ev.id - 1} are missing"
            )
        if ev.prev_hash != prev:
            problems.append(f"event {position} (id {ev.id}): does not follow the event before it")
        at = ev.at.replace(tzinfo=None)
        h = event_hash(
            ev.prev_hash, at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.patient_id, ev.detail
        )
        if h != ev.hash:
            problems.append(f"event {position} (id {ev.id}): its content was changed")
        prev = ev.hash
        expected_id = (ev.id or 0) + 1
        report.count = position
    report.head = prev
    return report
