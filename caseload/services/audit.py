"""The append-only, hash-chained audit log: who (OS user) did what to which record.

Each event's hash covers the previous event's hash and the event's own fields,
so an edited or deleted event breaks the chain from that point on. ``detail``
carries ids and counts only, never patient data. Writes happen inside the
caller's ``BEGIN IMMEDIATE`` unit of work, so two writers cannot fork the chain.
"""

from __future__ import annotations

from datetime import UTC

from sqlmodel import Session, col, select

from caseload.models import AuditEvent
from caseload.services.auditchain import GENESIS, detail_text, event_hash
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


def verify(session: Session) -> list[str]:
    """Walk the chain; return one line per break (empty when the chain holds)."""
    problems: list[str] = []
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
    return problems
