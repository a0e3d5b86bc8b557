"""The public field names of each record kind and the derived search keys, without SQLModel.

The services (which need SQLModel) and the bulk importers (which must start fast)
both take their vocabulary from here, so there is one definition of each.
"""

from __future__ import annotations

import re
import unicodedata

PATIENT_FIELDS = (
    "external_id", "given_name", "family_name", "preferred_name", "birth_date", "sex",
    "phone", "alt_phone", "email", "address", "language", "preferred_contact",
    "may_call", "may_text", "may_email", "may_voicemail", "risk", "programs",
    "conditions", "social_needs", "pcp", "payer", "enrolled_on", "status",
    "status_reason", "status_on", "notes",
)  # fmt: skip
CONTACT_FIELDS = (
    "id", "patient_external_id", "at", "method", "party", "outcome", "duration_min",
    "note", "followup_id", "addendum_to", "goal_ids",
)  # fmt: skip
FOLLOWUP_FIELDS = (
    "id", "patient_external_id", "title", "kind", "due_on", "status", "priority", "rrule",
    "from_completion", "window_before", "window_after", "series_id", "completed_at",
    "completed_contact_id", "notes", "cancelled_reason", "unable_reason",
)  # fmt: skip
TAG_FIELDS = ("programs", "conditions", "social_needs")
BOOL_FIELDS = ("may_call", "may_text", "may_email", "may_voicemail")
DATE_FIELDS = ("birth_date", "enrolled_on", "status_on")
PATIENT_REQUIRED = ("external_id", "given_name", "family_name")


# Letters NFKD does not take apart: folded by hand so "Łukasz" is found as "lukasz".
_FOLD_EXTRA = str.maketrans(
    {
        "ß": "ss",
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
    }
)


# The Latin/Greek/Cyrillic combining marks, stripped in one C-level sub; only text
# still not ASCII after that (other scripts) takes the per-character loop, so the
# 100k-patient import does not pay a Python loop per letter. The class holds exactly
# the characters of those blocks that the loop would drop (combining class not 0, in
# this Python's Unicode data): a code point the blocks reserve but Unicode has not
# assigned yet (U+1ACF in Unicode 14) is kept, as the loop keeps it.
_MARK_BLOCKS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
                (0xFE20, 0xFE2F))  # fmt: skip
_MARKS = re.compile(
    "["
    + "".join(
        chr(c)
        for lo, hi in _MARK_BLOCKS
        for c in range(lo, hi + 1)
        if unicodedata.combining(chr(c))
    )
    + "]"
)


def fold(text: str | None) -> str:
    """Text as people type it: lowercase, diacritics stripped (NFKD), ß→ss, ł→l, đ→d.

    Works on a whole joined column as on one name: every step is per character.
    """
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    low = text.casefold().translate(_FOLD_EXTRA)
    out = _MARKS.sub("", unicodedata.normalize("NFKD", low))
    if out.isascii():
        return out
    return "".join(c for c in out if not unicodedata.combining(c))


def search_key(given: str, family: str, preferred: str | None) -> str:
    """Folded names for prefix search and sorting: 'family given preferred'."""
    parts = [family, given, preferred or ""]
    return " ".join(fold(p.strip()) for p in parts if p and p.strip())


_NON_DIGIT = re.compile(r"\D")


def phone_digits(*phones: str | None) -> str:
    """The digits of each phone, space-separated (for search by any part of a number)."""
    out = []
    for p in phones:
        if p:
            # isdecimal() is exactly regex \d, so an all-digit phone skips the regex.
            d = p if p.isdecimal() else _NON_DIGIT.sub("", p)
            if d:
                out.append(d)
    return " ".join(out)
