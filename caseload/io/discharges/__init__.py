"""Discharge feeds read into the store: HL7 v2 ADT, FHIR R4 Encounters, CSV/XLSX encounters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from caseload.services.feeds import Event


@dataclass
class Item:
    """One visit read from a feed, or the reason it cannot be."""

    where: str  # "message 3", "entry 2", "row 4": named in errors
    raw: str  # the message/resource/row as read (for --rejects)
    event: Event | None = None
    patient: dict = field(default_factory=dict)  # for --add-unknown
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, reason)
    note: str | None = None  # skipped on purpose (an outpatient visit): why
    cells: list[str] | None = None  # a CSV/XLSX row as read


@dataclass
class Parsed:
    fmt: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headers: list[str] | None = None  # CSV/XLSX: the header row (the rejects file repeats it)


def local(at: datetime) -> datetime:
    """``at`` as a naive local time (converted when it carries an offset)."""
    return at.astimezone().replace(tzinfo=None) if at.tzinfo is not None else at
