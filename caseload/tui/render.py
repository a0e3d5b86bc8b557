"""Words for the screens: names, ages, dates and times, enum codes as people say them,
recurrence rules in words, and notification text broken at path separators rather than
mid-word.

The label table is kept tiny and local to the TUI on purpose: it only turns the
stored codes (``home_visit``, ``left_message``, ``in_progress``, ``FREQ=WEEKLY``)
into the words a coordinator reads; the codes stay what the CLI and files use.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def name(p: dict) -> str:
    """A patient's name as every screen shows it (the services' one display name)."""
    from caseload.services.patients import display_name

    return display_name(p)


def age(born: date | None, today: date) -> str:
    if born is None:
        return "?"
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return str(years)


def day(value: Any) -> str:
    """A date as ISO, a timestamp in local time to the minute; None as nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def short_day(value: date) -> str:
    """``01 Dec``: the year only crowds 80 columns."""
    return value.strftime("%d %b")


def when(at: datetime, today: date) -> str:
    """A contact's time today (``14:05``), else its day (``20 Nov``)."""
    local = at.astimezone()
    return local.strftime("%H:%M") if local.date() == today else short_day(local.date())


def yes(flag: Any) -> str:
    return "yes" if flag else "no"


# Codes whose words are not just the code with spaces.
_WORDS = {
    "pcp": "PCP",
    "transition_call": "transition call",
    "transition_visit": "transition visit",
}


def label(code: object) -> str:
    """``home_visit`` -> ``home visit``; None -> ``""``; anything else as text."""
    if code is None:
        return ""
    text = str(code)
    return _WORDS.get(text, text.replace("_", " "))


# An audit action's verb, said as what happened ("contact.log" -> "contact logged").
_DONE = {
    "add": "added", "edit": "edited", "log": "logged", "cancel": "cancelled",
    "record": "recorded", "revise": "revised", "unlink": "unlinked", "advance": "moved on",
    "export": "exported", "print": "printed", "problem": "problem added",
}  # fmt: skip
_NOUNS = {"followup": "follow-up", "careplan": "care plan", "careteam": "care team"}


def action(code: str) -> str:
    """An audit action in words: ``transition.record`` -> ``transition recorded``,
    ``careplan.goal.add`` -> ``care plan goal added``."""
    nouns, dot, verb = str(code).rpartition(".")
    if not dot:
        return label(verb)
    noun = " ".join(_NOUNS.get(n, label(n)) for n in nouns.split("."))
    return f"{noun} {_DONE.get(verb, label(verb))}".strip()


def already(followup: dict) -> str:
    """What ``d`` says about a follow-up that is not open: nothing is left to complete."""
    status = "cancelled" if followup.get("status") == "cancelled" else "done"
    return f"Follow-up {followup.get('id')} ({followup.get('title')}) is {status} already."


_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_DAYS = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}


def repeats(rule: str | None) -> str:
    """An RRULE in words: ``FREQ=WEEKLY`` -> ``every week``, ``…;INTERVAL=2`` -> ``every
    2 weeks``, ``…;BYDAY=MO,TH`` -> ``every week on Mon, Thu``; a rule with parts this
    does not know is shown as written rather than half-explained."""
    if not rule:
        return ""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    unit = _UNITS.get(parts.pop("FREQ", ""))
    if unit is None:
        return rule
    interval = parts.pop("INTERVAL", "1")
    count = parts.pop("COUNT", "")
    byday = parts.pop("BYDAY", "")
    days = [_DAYS.get(d) for d in byday.split(",")] if byday else []
    if parts or not interval.isdigit() or not (count or "1").isdigit() or None in days:
        return rule
    n = int(interval)
    text = f"every {unit}" if n == 1 else f"every {n} {unit}s"
    if days:
        text += " on " + ", ".join(d for d in days if d)
    if count:
        text += f", {count} times"
    return text


def _pieces(word: str, width: int) -> list[str]:
    """A word longer than ``width`` in pieces that end after a ``/`` where possible (else
    after a ``-`` or ``.``); only a piece with no such break in reach is cut hard."""
    out = []
    while len(word) > width:
        cut = word.rfind("/", 0, width)
        if cut <= 0:
            cut = max(word.rfind("-", 0, width), word.rfind(".", 0, width))
        cut = cut + 1 if cut > 0 else width
        out.append(word[:cut])
        word = word[cut:]
    out.append(word)
    return out


def wrap(text: str, width: int) -> str:
    """``text`` with line breaks so no line is wider than ``width``: words stay whole,
    and a path too long for one line breaks after a ``/``, never inside a name."""
    width = max(8, width)
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            for n, piece in enumerate(_pieces(word, width)):
                # The first piece of a word follows a space; the rest continue the word.
                joined = (f"{line} " if line and n == 0 else line) + piece
                if line and len(joined) > width:
                    lines.append(line)
                    line = piece
                else:
                    line = joined
        lines.append(line)
    return "\n".join(lines)
