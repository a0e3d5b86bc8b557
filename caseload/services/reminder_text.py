"""What a reminder says: template lookup per language and kind, and safe rendering.

Templates are plain text with ``$placeholders`` filled by ``string.Template``:
no code runs from a template, and only the minimum necessary reaches a patient
(a first name, a date, a neutral phrase for the kind of follow-up, and the
coordinator's name and number). Titles, notes, conditions and programs are
never offered to a template, because a title like "insulin pen" is clinical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

# The ways a reminder goes (patients: outbox, email; the coordinator: ics). Here, not in
# services.reminders, so the CLI builds its --channel choices without SQLAlchemy.
CHANNELS = ("outbox", "email", "ics")
FALLBACK_LANGUAGE = "en"
PLACEHOLDERS = (
    "first_name",
    "date",
    "weekday",
    "kind_phrase",
    "coordinator_name",
    "coordinator_phone",
)

# Neutral phrases: they say what kind of contact to expect, never why.
# A medication review or a screening is "a check-in" / "an appointment" on purpose.
KIND_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "call": "a call",
        "visit": "a visit",
        "med_review": "a check-in",
        "screening": "an appointment",
        "appointment": "an appointment",
        "transition_call": "a call",
        "transition_visit": "a visit",
        "care_plan_review": "a check-in",
        "other": "a check-in",
    },
    "es": {
        "call": "una llamada",
        "visit": "una visita",
        "med_review": "una consulta de seguimiento",
        "screening": "una cita",
        "appointment": "una cita",
        "transition_call": "una llamada",
        "transition_visit": "una visita",
        "care_plan_review": "una consulta de seguimiento",
        "other": "una consulta de seguimiento",
    },
}
SUBJECTS = {"en": "Reminder", "es": "Recordatorio"}
_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
# Languages as people write them in a spreadsheet, mapped to the template code.
_LANGUAGE_NAMES = {
    "english": "en",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
}
_CODE = re.compile(r"^[a-z]{2,3}$")


class TemplateProblem(Exception):
    """A template that cannot be rendered; the message names the template, never a patient."""


@dataclass(frozen=True)
class Rendered:
    template: str  # the file name used, e.g. "es.txt"
    language: str  # the language of that template (its dates and phrases)
    text: str


def language_code(value: str | None) -> str | None:
    """``es``, ``ES``, ``es-MX``, ``Spanish`` → ``es``; anything unsafe as a file name → None."""
    v = (value or "").strip().lower()
    if not v:
        return None
    v = _LANGUAGE_NAMES.get(v, v)
    v = re.split(r"[-_]", v, maxsplit=1)[0]
    return v if _CODE.match(v) else None


def candidates(language: str | None, kind: str) -> list[tuple[str, str]]:
    """(file name, language) in lookup order: lang.kind, lang, en.kind, en."""
    lang = language_code(language)
    safe_kind = kind if re.match(r"^[a-z_]{1,40}$", kind or "") else None
    out: list[tuple[str, str]] = []
    for code in [lang, FALLBACK_LANGUAGE]:
        if code is None:
            continue
        if safe_kind:
            out.append((f"{code}.{safe_kind}.txt", code))
        out.append((f"{code}.txt", code))
    seen: set[str] = set()
    return [c for c in out if not (c[0] in seen or seen.add(c[0]))]


def _shipped(name: str) -> str | None:
    from caseload import paths

    res = paths.shipped_templates().joinpath(name)
    return res.read_text(encoding="utf-8") if res.is_file() else None


class Templates:
    """Finds templates in the user's folder first, then among the shipped ones (memoised).
    Both folders come from ``caseload.paths`` (``templates_dir``, ``shipped_templates``);
    ``user_dir=None``: the shipped ones only."""

    @classmethod
    def configured(cls) -> Templates:
        """The user's folder (``paths.templates_dir()``), then the shipped templates."""
        from caseload import paths

        return cls(paths.templates_dir())

    def __init__(self, user_dir: Path | None) -> None:
        self.user_dir = user_dir
        self._cache: dict[str, str | None] = {}

    def read(self, name: str) -> str | None:
        if name not in self._cache:
            text = None
            if self.user_dir is not None and (self.user_dir / name).is_file():
                try:
                    text = (self.user_dir / name).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise TemplateProblem(
                        f"template {name} could not be read ({type(exc).__name__})"
                    ) from None
            self._cache[name] = text if text is not None else _shipped(name)
        return self._cache[name]

    def find(self, language: str | None, kind: str) -> tuple[str, str, str]:
        """(name, language, text) of the first template that exists for this language and kind."""
        for name, code in candidates(language, kind):
            text = self.read(name)
            if text is not None:
                return name, code, text
        raise TemplateProblem(f"no template {FALLBACK_LANGUAGE}.txt found")


def long_date(day: date, language: str) -> str:
    months = _MONTHS.get(language)
    if months is None:  # a language without built-in names: an unambiguous ISO date
        return day.isoformat()
    if language == "es":
        return f"{day.day} de {months[day.month - 1]} de {day.year}"
    return f"{day.day} {months[day.month - 1]} {day.year}"


def weekday(day: date, language: str) -> str:
    return _WEEKDAYS.get(language, _WEEKDAYS[FALLBACK_LANGUAGE])[day.weekday()]


def kind_phrase(kind: str, language: str) -> str:
    phrases = KIND_PHRASES.get(language, KIND_PHRASES[FALLBACK_LANGUAGE])
    return phrases.get(kind, phrases["other"])


def subject(language: str) -> str:
    return SUBJECTS.get(language, SUBJECTS[FALLBACK_LANGUAGE])


def render(
    templates: Templates,
    *,
    language: str | None,
    kind: str,
    first_name: str,
    due_on: date,
    coordinator_name: str,
    coordinator_phone: str,
) -> Rendered:
    """One follow-up's reminder text, or TemplateProblem (nothing half-rendered escapes)."""
    name, code, text = templates.find(language, kind)
    values = {
        "first_name": first_name,
        "date": long_date(due_on, code),
        "weekday": weekday(due_on, code),
        "kind_phrase": kind_phrase(kind, code),
        "coordinator_name": coordinator_name,
        "coordinator_phone": coordinator_phone,
    }
    try:
        out = Template(text).substitute(values)
    except KeyError as exc:
        raise TemplateProblem(f"template {name}: unknown placeholder ${exc.args[0]}") from None
    except ValueError as exc:  # a lone or malformed '$'; the message gives line and column
        where = str(exc).split(":", 1)[-1].strip()
        raise TemplateProblem(f"template {name}: bad '$' ({where})") from None
    out = out.strip()
    if not out:
        raise TemplateProblem(f"template {name} is empty")
    return Rendered(template=name, language=code, text=out)
