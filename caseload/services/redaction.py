"""The one set of redaction rules: what `--redact` keeps, shortens or masks, for every kind.

Ids, dates, times, numbers, flags and coded values (method, outcome, status,
kind, category, role, risk, language, tags) survive; names become initials;
phone numbers keep their last two digits; an e-mail keeps its domain only when
it is a plain ``local@domain.tld``, else it is masked whole; every other text
(notes, titles, addresses, descriptions, summaries…) is masked.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "•••"
NAMES = frozenset({"given_name", "family_name", "preferred_name", "name", "patient_name"})
PHONES = frozenset({"phone", "alt_phone"})
EMAILS = frozenset({"email", "to"})
TEXTS = frozenset(
    {
        "address", "notes", "note", "summary", "title", "description", "status_reason",
        "cancelled_reason", "pcp", "payer", "organization", "relationship", "responsible",
        "created_by", "message", "reason", "disposition",
    }
)  # fmt: skip
_EMAIL = re.compile(r"[^@\s]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def initials(name: str | None) -> str:
    parts = [p for p in (name or "").replace("-", " ").split() if p]
    return " ".join(f"{p[0].upper()}." for p in parts) or "?"


def mask_phone(phone: str | None) -> str | None:
    """Keep the last two digits only: enough to tell numbers apart, not to dial."""
    if not phone:
        return phone
    digits = [c for c in phone if c.isdigit()]
    tail = "".join(digits[-2:])
    return "•" * max(len(digits) - 2, 3) + tail


def mask_email(value: str | None) -> str | None:
    """``•••@domain.tld`` for a plain address; anything else (no "@", spaces…) masked whole."""
    if not value:
        return value
    m = _EMAIL.fullmatch(str(value).strip())
    return MASK + "@" + m.group(1) if m else MASK


def _field(key: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if key in NAMES:
        return initials(str(value))
    if key in PHONES:
        return mask_phone(str(value))
    if key in EMAILS:
        return mask_email(str(value))
    if key in TEXTS:
        return MASK
    return redact_value(value)


def redact_value(value: Any) -> Any:
    """``value`` with every dict in it (at any depth, in lists too) redacted by field name."""
    if isinstance(value, dict):
        return {k: _field(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def redact_rows(rows: list[dict]) -> list[dict]:
    return [redact_value(r) for r in rows]


def redact_due_item(item: dict) -> dict:
    """A due-list item for a printout that may be seen by others: names as initials, the
    phone masked; the title and codes stay, they say what to do (the SQL path registers
    ``initials`` and ``mask_phone`` as SQL functions to the same effect)."""
    out = dict(item)
    out["patient_name"] = initials(item["patient_name"])
    out["preferred_name"] = initials(item["preferred_name"]) if item.get("preferred_name") else None
    out["phone"] = mask_phone(item.get("phone"))
    return out
