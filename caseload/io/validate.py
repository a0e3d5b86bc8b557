"""Row validation for imports: one converter per column, built once, applied to text cells.

A converter takes the cell's text and returns the stored value, or raises
``Bad(reason)``. Reasons are short and fixed ("not a real date") so the summary
can group by them, and never quote the cell: a cell may hold patient data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from caseload.io.formats import FORMULA
from caseload.services.common import (
    FALSE_WORDS,
    FUTURE_SLACK,
    MAX_TEXT,
    TRUE_WORDS,
    join_tags,
)

fromiso = date.fromisoformat
BOOLS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
AMBIGUOUS = "ambiguous date: give --dayfirst or --monthfirst"
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_ISO_COLUMN = re.compile(r"(?:\d{4}-\d\d-\d\d(?:\n|$))*")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
# Timestamps (contacts, completions) before this are typing mistakes, not history.
MIN_YEAR = 1900
OUT_OF_RANGE = f"out of range (a date and time from {MIN_YEAR} to 9999)"


class Bad(Exception):
    """A cell that cannot be stored; the argument is the reason."""


@dataclass
class Options:
    nulls: frozenset[str] = frozenset()
    dayfirst: bool | None = None  # None: ambiguous dates are errors
    # Only CSV and XLSX exports neutralise formula-looking cells, so only they are undone.
    unneutralise: bool = True
    today: date = field(default_factory=date.today)


def unneutralise(s: str) -> str:
    """Undo the apostrophe an export puts before formula-looking text.

    Export prefixes ``'`` to any text matching ``'*[=+-@\\t\\r]`` (apostrophes, then a
    formula character), so stripping one ``'`` from such text here is exact:
    ``=x`` ↔ ``'=x`` and ``'=x`` ↔ ``''=x``, while ``'x`` is left alone both ways.
    """
    if s[:1] == "'" and s.lstrip("'")[:1] in FORMULA and s.lstrip("'"):
        return s[1:]
    return s


def text(opts: Options, *, required: bool = False, limit: int = MAX_TEXT) -> Callable:
    nulls = opts.nulls
    undo = opts.unneutralise

    def conv(s: str):
        s = s.strip()
        if not s or s in nulls:
            if required:
                raise Bad("required")
            return None
        if undo and s[0] == "'":
            s = unneutralise(s)
        if len(s) > limit:
            raise Bad(f"longer than {limit} characters")
        return s

    def column(cells: list[str]) -> list:
        # C-level map and "in" scans: a comprehension only where a column needs one.
        out = list(map(str.strip, cells))
        if nulls:
            out = [None if s in nulls else s for s in out]
        given = out
        # Cells are text or None, so one all() (a C-level truth test) says whether any
        # is blank: each pass over 100k cells costs ~2.5 ms of memory reads.
        if not all(out):
            if required:
                raise Bad("required")
            out = [s or None for s in out]
            given = list(filter(None, out))
        if undo:
            joined = "\n".join(given)  # one C-level scan instead of 100k startswith calls
            if joined.startswith("'") or "\n'" in joined:
                out = [unneutralise(s) if s else s for s in out]
                given = list(filter(None, out))
        if max(map(len, given), default=0) > limit:
            raise Bad("too long")
        return out

    conv.column = column
    return conv


def parse_date(s: str, dayfirst: bool | None) -> date:
    m = _ISO.match(s) or _YMD.match(s)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _DMY.match(s)
        if not m:
            raise Bad("not a date (use YYYY-MM-DD)")
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        if a > 12 and b <= 12:
            d, mo = a, b
        elif b > 12 and a <= 12:
            mo, d = a, b
        elif a == b:
            d = mo = a
        elif dayfirst is None:
            raise Bad(AMBIGUOUS)
        else:
            d, mo = (a, b) if dayfirst else (b, a)
    try:
        return date(y, mo, d)
    except ValueError:
        raise Bad("not a real date") from None


def date_conv(opts: Options, *, required: bool = False, past: bool = False) -> Callable:
    base = text(opts, required=required, limit=40)
    dayfirst, today = opts.dayfirst, opts.today

    def conv(s: str):
        s = base(s)
        if s is None:
            return None
        d = parse_date(s, dayfirst)
        if past and d > today:
            raise Bad("in the future")
        return d.isoformat()

    base_col = base.column
    top = opts.today.isoformat()

    def column(cells: list[str]) -> list:
        """ISO dates only (anything else takes the per-cell path); kept as written.

        Dates repeat (100k birth dates hold ~25k distinct ones), so each distinct
        value is checked once.
        """
        out = base_col(cells)
        given = set(out)
        given.discard(None)
        if not _ISO_COLUMN.fullmatch("\n".join(given)):
            raise Bad("not ISO")
        try:
            list(map(fromiso, given))  # 2025-02-30 raises here
        except ValueError:
            raise Bad("not a real date") from None
        if past and max(given, default="") > top:
            raise Bad("in the future")
        return out

    conv.column = column
    return conv


def when_conv(opts: Options, *, required: bool = False, past: bool = False) -> Callable:
    """A timestamp (ISO, with or without offset; naive is local time) → stored naive UTC."""
    from caseload.services.auditchain import STORED_FORMAT

    base = text(opts, required=required, limit=60)

    def conv(s: str):
        s = base(s)
        if s is None:
            return None
        try:
            at = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            try:
                at = datetime.combine(parse_date(s, opts.dayfirst), datetime.min.time())
            except Bad:
                raise Bad("not a date and time (use YYYY-MM-DDTHH:MM)") from None
        try:  # 0001-01-01 local, or 9999-12-31 at -12:00, has no UTC time
            if at.tzinfo is None:
                at = at.astimezone()
            at = at.astimezone(UTC)
        except (ValueError, OverflowError):
            raise Bad(OUT_OF_RANGE) from None
        if at.year < MIN_YEAR:  # (strftime would also write year 999 as "999")
            raise Bad(OUT_OF_RANGE)
        if past and at > datetime.now(UTC) + FUTURE_SLACK:
            raise Bad("in the future")
        return at.replace(tzinfo=None).strftime(STORED_FORMAT)

    return conv


def bool_conv(opts: Options) -> Callable:
    base = text(opts, limit=10)

    def conv(s: str):
        s = base(s)
        if s is None:
            return None
        try:
            return BOOLS[s.lower()]
        except KeyError:
            raise Bad("not yes/no/true/false/y/n/1/0") from None

    base_col = base.column

    def column(cells: list[str]) -> list:
        out = base_col(cells)
        try:  # a handful of distinct spellings: look each up once, then map in C
            value = {v: BOOLS[v.lower()] for v in set(out) if v is not None}
        except KeyError:
            raise Bad("not yes/no/true/false/y/n/1/0") from None
        value[None] = None
        return list(map(value.__getitem__, out))

    conv.column = column
    return conv


def choice(opts: Options, enum, *, required: bool = False) -> Callable:
    base = text(opts, required=required, limit=60)
    allowed = {m.value for m in enum}
    why = "must be one of " + ", ".join(m.value for m in enum)

    def conv(s: str):
        s = base(s)
        if s is None:
            return None
        v = s.lower().replace("-", "_").replace(" ", "_")
        if v not in allowed:
            raise Bad(why)
        return v

    base_col = base.column

    def column(cells: list[str]) -> list:
        out = base_col(cells)
        given = set(out)
        given.discard(None)
        if allowed.issuperset(given):
            return out  # already as stored (the usual case): no per-cell work
        lower = {v: v.lower() for v in given}
        if not allowed.issuperset(lower.values()):
            raise Bad(why)
        lower[None] = None
        return list(map(lower.__getitem__, out))

    conv.column = column
    return conv


def tags(opts: Options) -> Callable:
    base = text(opts)

    def conv(s: str):
        s = base(s)
        return "" if s is None else join_tags(s)

    base_col = base.column

    def column(cells: list[str]) -> list:
        out = base_col(cells)
        # Tag lists repeat a lot: clean each distinct one once.
        value = {v: join_tags(v) if ";" in v else v for v in set(out) if v is not None}
        value[None] = ""
        return list(map(value.__getitem__, out))

    conv.column = column
    return conv


def integer(opts: Options, lo: int, hi: int | None, why: str) -> Callable:
    base = text(opts, limit=20)

    def conv(s: str):
        s = base(s)
        if s is None:
            return None
        try:
            n = int(s)
        except ValueError:
            raise Bad(why) from None
        if n < lo or (hi is not None and n > hi):
            raise Bad(why)
        return n

    return conv


def rrule_conv(opts: Options) -> Callable:
    """A preset (weekly…) or RRULE, normalised as ``followups add --every`` does it."""
    from caseload.errors import Invalid
    from caseload.services.followups import normalise_rrule

    base = text(opts, limit=500)

    def conv(s: str):
        s = base(s)
        try:
            return normalise_rrule(s)
        except Invalid:
            raise Bad("not a usable recurrence (see followups add --every)") from None

    return conv
