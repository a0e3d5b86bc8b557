"""Small formatting helpers for the screens: names, ages, dates, local times."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def name(p: dict) -> str:
    pref = p.get("preferred_name")
    full = f"{p.get('given_name', '')} {p.get('family_name', '')}".strip()
    return f"{full} ({pref})" if pref and pref != p.get("given_name") else full


def age(born: date | None, today: date) -> str:
    if born is None:
        return "?"
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return str(years)


def day(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def yes(flag: Any) -> str:
    return "yes" if flag else "no"
