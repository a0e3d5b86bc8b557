"""Words for people: the labels of the enumerated codes, recurrence in words, plurals.

One table for the CLI and the TUI (both import it; it imports nothing heavy).
Codes stay in storage, CSV and JSON; screens and tables show labels, and
every place that takes a code also takes its label, in any case.
"""

from __future__ import annotations

import re
from enum import StrEnum

from caseload import enums

# Codes whose label is more than the code with spaces for underscores.
_SPECIAL = {
    "med_review": "medication review",
    "care_plan_review": "care plan review",
}

ENUMS: tuple[type[StrEnum], ...] = tuple(
    v
    for v in vars(enums).values()
    if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum
)
LABELS: dict[str, str] = {
    m.value: _SPECIAL.get(m.value, m.value.replace("_", " ")) for e in ENUMS for m in e
}
_CODES: dict[str, str] = {lab: code for code, lab in LABELS.items()}


def label(code: object) -> str:
    """The label of ``code`` (``no_answer`` → ``no answer``); other values as they are."""
    if code is None:
        return ""
    text = str(code.value if isinstance(code, StrEnum) else code)
    return LABELS.get(text, text)


def normalize(text: str) -> str:
    """A code or a label as typed (``No answer``, ``no-answer``) → the code's form.

    Lower case, blanks and hyphens as underscores, a special label mapped to
    its code. Used for every enumerated CLI option (Typer's token normaliser)
    and by ``services.common.check_choice``.
    """
    t = " ".join(str(text).strip().casefold().split())
    if t in _CODES:
        return _CODES[t]
    return t.replace("-", "_").replace(" ", "_")


def choice_error(message: str) -> str:
    """Typer's "'x' is not one of 'no_answer', …" naming the labels people type instead.

    The rest of typer's wording stays (scripts and tests match it); only codes become words.
    """
    # Typer 0.2x validates through pydantic, which puts "Value error, " before the reason.
    message = message.replace("Value error, ", "", 1)
    m = re.fullmatch(r"(.*'.*' is not one of )((?:'[^']*'(?:, )?)+)(\.?)", message, re.S)
    if not m:
        return message
    words = ", ".join(f"'{label(code)}'" for code in re.findall(r"'([^']*)'", m.group(2)))
    return f"{m.group(1)}{words}{m.group(3)}"


def choices(enum: type[StrEnum]) -> str:
    """The labels of ``enum`` for an error message: ``reached, no answer, …``."""
    return ", ".join(label(m) for m in enum)


# --- recurrence in words ---------------------------------------------------------------

_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_DAYS = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
    "FR": "Friday", "SA": "Saturday", "SU": "Sunday",
}  # fmt: skip


def describe_rrule(rule: str | None) -> str:
    """``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO`` → ``every 2 weeks on Monday``; unknown parts as is."""
    if not rule:
        return ""
    parts = {}
    for item in str(rule).upper().split(";"):
        key, _, value = item.partition("=")
        parts[key.strip()] = value.strip()
    unit = _UNITS.get(parts.pop("FREQ", ""))
    if unit is None:
        return str(rule)
    n = parts.pop("INTERVAL", "1")
    text = f"every {unit}" if n in ("", "1") else f"every {n} {unit}s"
    if "BYDAY" in parts:
        days = [_DAYS.get(d) for d in parts.pop("BYDAY").split(",")]
        if None in days:
            return str(rule)
        text += " on " + _join(days)
    if "BYMONTHDAY" in parts:
        text += " on day " + _join(parts.pop("BYMONTHDAY").split(","))
    if "COUNT" in parts:
        text += ", " + plural(int(parts.pop("COUNT") or 0), "time")
    if "UNTIL" in parts:
        u = parts.pop("UNTIL")[:8]
        text += f", until {u[:4]}-{u[4:6]}-{u[6:8]}" if len(u) == 8 else f", until {u}"
    if parts:  # something this sentence cannot say: show the rule itself
        return str(rule)
    return text


def _join(words: list) -> str:
    words = [str(w) for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 problem``, ``2 problems``, ``1 recent hospital discharge`` (``many`` if irregular)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def describe_detail(detail: object) -> str:
    """An audit event's detail (a JSON object) in words, without empty parts.

    ``{"followup_id": null, "goals": 0}`` says nothing; ``{"followup_id": 3,
    "goals": 2}`` is ``follow-up 3, 2 goals``.
    """
    import json

    if isinstance(detail, str):
        try:
            detail = json.loads(detail or "{}")
        except ValueError:
            return detail
    if not isinstance(detail, dict):
        return "" if detail is None else str(detail)
    out = []
    for key, value in sorted(detail.items()):
        if value in (None, "", [], {}, 0, False):
            continue
        name = key.replace("_", " ")
        if key.endswith("_id"):
            out.append(f"{name[:-3].replace('followup', 'follow-up')} {value}")
        elif isinstance(value, bool):
            out.append(name)
        elif isinstance(value, int) and key.endswith("s"):
            out.append(plural(value, name[:-1], name))
        elif isinstance(value, list):
            out.append(f"{name}: {', '.join(label(v) for v in value)}")
        else:
            out.append(f"{name}: {label(value)}")
    return ", ".join(out)
