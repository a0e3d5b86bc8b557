"""The due list's JSON, CSV and text output built from the SQL-scored rows (the cron path).

JSON objects and CSV lines are built by SQLite itself (``json_object``, string
concatenation), so Python only joins finished lines: a 70k-item list costs no
per-item Python work beyond a sort of finished strings. The printout's item
blocks are built in SQL too when a row is plain text that fits (nearly every
row); any other row goes through the long hand (io.duetext), so wide characters,
ellipses and wrapping are exactly as before. tests/test_due_sql.py holds both
paths to the same bytes.

Each item carries its place in the list as one string (``KEY``), so a list can be
built in parts, by patient id, on separate connections (a second process on a
two-core machine: io.duehelper) and merged by a sort of already-sorted runs.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from bisect import bisect_left
from datetime import date
from typing import TextIO

from caseload.io import duetext
from caseload.io.duelist import CSV_KEYS
from caseload.io.formats import FORMULA
from caseload.services import duelist_sql

RANKS = ("overdue", "due", "upcoming")
STATUS_SQL = "CASE rank WHEN 0 THEN 'overdue' WHEN 1 THEN 'due' ELSE 'upcoming' END"
FORMATS = ("json", "csv", "text")
# An item's place in the list as one fixed-width string: rank, score descending, due date,
# id (the order of services.duelist.build). Each item's text follows its key, so sorting
# the keyed texts sorts the items, and parts built apart merge by a plain sort.
# (An id below zero, which only a hand-edited store could hold, sorts first, as in SQL.)
KEY = (
    "printf('%d%07d%-10.10s%d%019d', rank, 5000000 - score, due_on, id >= 0,"
    " iif(id >= 0, id, 9223372036854775807 + id))"
)
KEY_WIDTH = 38  # 1 + 7 + 10 + 1 + 19
# JSON and CSV lines cross into Python (and from the helper) joined by this character, as
# one string: a 70k-item list is then one object, not 70k rows. A line that holds it (it
# is a control character: JSON escapes it, and a CSV cell would need it stored) makes
# a part fall back to rows.
BSEP = b"\x1e"


def part(
    conn, fmt: str, day: date, days: int, overdue_days=None, windows=None, *,
    redacted: bool = False, part: int = 0, parts: int = 1, attempts_needed: int = 3,
    block: int = duelist_sql.BLOCK,
) -> Part:  # fmt: skip
    """The list's items, keyed (``KEY`` then the text: a JSON object, a CSV line or a
    printout block). With ``parts`` > 1, only the items of the patients in every
    ``parts``-th block of ``block`` ids, from block ``part``: a share of the work, the
    rest for another process (io.duehelper)."""
    select, derived = _SELECTS[fmt]()
    if redacted:
        duelist_sql.register_redaction(conn)
    inner = duelist_sql.scored_sql(windows, redacted, split=parts > 1)
    for level in derived:  # columns computed once, in a level of their own
        inner = f"SELECT *, {level} FROM ({inner}) LIMIT -1 OFFSET 0"
    bound = duelist_sql.params(day, days, overdue_days)
    if parts > 1:
        bound.update(part=part, parts=parts, block=block)
    if fmt == "text":  # each block has Python work to do (attempts, the long hand)
        sql = f"SELECT {KEY} AS sort_key, {select} FROM ({inner}) ORDER BY sort_key"
        return Part(_blocks(conn, conn.execute(sql, bound).fetchall(), day, attempts_needed))
    keyed = f"SELECT {KEY} || {select} AS line FROM ({inner}) ORDER BY line"
    factory, conn.text_factory = conn.text_factory, bytes  # UTF-8 as stored, as written
    try:
        joined, count = conn.execute(
            f"SELECT group_concat(line, char(30)), count(*) FROM ({keyed})", bound
        ).fetchone()
        if not count:
            return Part(b"")
        # JSON escapes every control character; a CSV cell could hold BSEP.
        if fmt == "json" or joined.count(BSEP) == count - 1:
            return Part(joined)
        return Part([line for (line,) in conn.execute(keyed, bound)])
    finally:
        conn.text_factory = factory


class Part:
    """One part of a list: its keyed texts, as a list (the printout's blocks, str; or
    JSON/CSV lines that hold ``BSEP``), or as one ``BSEP``-joined UTF-8 string (JSON and
    CSV, the usual case). ``payload`` is what crosses between processes."""

    def __init__(self, payload: bytes | bytearray | list) -> None:
        self.payload = payload
        self._lines: list | None = None

    def lines(self) -> list:
        """The keyed texts, one a line (split once, then kept)."""
        if self._lines is None:
            if isinstance(self.payload, list):
                self._lines = self.payload
            else:
                self._lines = self.payload.split(BSEP) if self.payload else []
        return self._lines


class Listing:
    """A whole list in order: its keyed lines, and where each rank's items start."""

    def __init__(self, lines: list) -> None:
        ranks = ("1", "2") if not lines or isinstance(lines[0], str) else (b"1", b"2")
        self.lines = lines
        self.cuts = (0, *(bisect_left(lines, r) for r in ranks), len(lines))
        self.counts = {r: self.cuts[n + 1] - self.cuts[n] for n, r in enumerate(RANKS)}

    def __len__(self) -> int:
        return len(self.lines)

    def section(self, rank: int) -> list:
        """The texts (keys taken off) of one rank's items."""
        return [line[KEY_WIDTH:] for line in self.lines[self.cuts[rank] : self.cuts[rank + 1]]]


def merge(parts: list[Part]) -> Listing:
    """The parts of one list as the whole list, in list order (a part is in list order
    in practice, which makes this sort a merge of sorted runs; it is right either way)."""
    lines = [line for p in parts for line in p.lines()]
    lines.sort()
    return Listing(lines)


def write(
    listing: Listing, fmt: str, out: TextIO, day: date, days: int, *,
    coordinator: str = "", hidden: int = 0, minutes: str = "",
) -> None:  # fmt: skip
    """The same bytes as io.duelist.write of the built list (json: the same values and
    key order, one object a line as io.formats.write_json writes them)."""
    if fmt == "json":
        _emit(out, listing.lines, b"[\n ", b",\n ", b"\n]\n", b"[]\n")
    elif fmt == "csv":
        header = ",".join(CSV_KEYS).encode() + b"\n"
        _emit(out, listing.lines, header, b"\n", b"\n", header)
    else:
        sections = [listing.section(n) for n in range(len(RANKS))]
        duetext.write(out, day, days, sections, coordinator=coordinator, hidden=hidden,
                      minutes=minutes)  # fmt: skip


def _emit(out: TextIO, lines: list[bytes], head: bytes, sep: bytes, tail: bytes, empty: bytes):
    """Keyed UTF-8 ``lines``, keys taken off, between ``head`` and ``tail`` and ``sep``
    apart (``empty`` for none), to a text stream: straight to its byte buffer when it
    writes UTF-8 with no newline translation, 2,048 lines a write (a 28 MB list is
    neither decoded and encoded again nor joined into one string)."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None) or ""
    if buffer is None or os.linesep != "\n" or codecs.lookup(encoding).name != "utf-8":
        body = sep.join(line[KEY_WIDTH:] for line in lines)
        out.write((head + body + tail if lines else empty).decode())
        return
    out.flush()
    write = buffer.write
    if not lines:
        write(empty)
        return
    write(head)
    for start in range(0, len(lines), 2048):  # a few hundred kB a write
        if start:
            write(sep)
        write(sep.join([line[KEY_WIDTH:] for line in lines[start : start + 2048]]))
    write(tail)


# --- JSON ---------------------------------------------------------------------------


def _json() -> tuple[str, tuple]:
    # Two objects spliced around the boolean, and the reasons (already JSON text)
    # spliced at the end: json() would parse each again, a third of the query's time.
    head = f"""json_object(
        'followup_id', id, 'patient_external_id', ext, 'patient_name', name,
        'title', title, 'kind', kind, 'due_on', due_on, 'status', {STATUS_SQL},
        'days_overdue', d)"""
    tail = """json_object('phone', phone, 'language', language, 'risk', risk,
        'last_contact_on', last_on, 'priority_score', score)"""
    obj = (
        f"rtrim({head}, '}}') || iif(missed, ',\"missed\":true,', ',\"missed\":false,') "
        f"|| ltrim(rtrim({tail}, '}}'), '{{') || ',\"priority_reasons\":' || reasons || '}}'"
    )
    return obj, ()


# --- CSV ----------------------------------------------------------------------------


def _quote_chars() -> str:
    """The characters that make csv.writer (QUOTE_MINIMAL, "\\n" line ends) quote a cell,
    probed once: Python versions differ on a lone carriage return."""
    probe = io.StringIO()
    csv.writer(probe, lineterminator="\n").writerow(["a\rb"])
    return ',"\n' + ("\r" if probe.getvalue().startswith('"') else "")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# io.formats.FORMULA, '-' last: a literal at the end of a GLOB set.
STARTS = "".join(c for c in FORMULA if c != "-") + "-"


def _defused(x: str) -> str:
    """A formula start (after any apostrophes) defused with an apostrophe."""
    first = ", ".join(_lit(c) for c in STARTS)
    return f"iif(substr(ltrim({x}, ''''), 1, 1) IN ({first}), '''' || {x}, {x})"


def _cell(x: str, quote: str) -> str:
    """A text CSV cell as io.formats.cell writes it: NULL as '', defused, then quoted as
    csv.writer would. Two GLOBs let the common cell through."""
    v = _defused(x)
    test = " OR ".join(f"instr({v}, {_lit(c)})" for c in quote)
    quoted = f"""iif({test}, '"' || replace({v}, '"', '""') || '"', {v})"""
    return (
        f"CASE WHEN {x} IS NULL THEN '' WHEN {x} GLOB {_lit('*[' + quote + ']*')}"
        f" OR {x} GLOB {_lit('[' + chr(39) + STARTS + ']*')} THEN {quoted} ELSE {x} END"
    )


def _plain_cell(x: str) -> str:
    """A cell known to hold nothing csv.writer quotes: only the formula check is left."""
    return (
        f"CASE WHEN {x} IS NULL THEN '' WHEN {x} GLOB {_lit('[' + chr(39) + STARTS + ']*')}"
        f" THEN {_defused(x)} ELSE {x} END"
    )


# The free-text cells; kind and risk are codes, checked against their enums on every
# write, so they never need quoting or defusing.
_FREE = ("ext", "name", "title", "phone", "language")


def _csv() -> tuple[str, tuple]:
    q = _quote_chars()

    def line(cell) -> str:
        ext, name, title, phone, language = (cell(c) for c in _FREE)
        cells = [
            "iif(id < 0, '''' || id, id)", ext, name, title, "kind", "due_on", STATUS_SQL, "d",
            "iif(missed, 'yes', 'no')", phone, language, "risk", "coalesce(last_on, '')",
            "iif(score < 0, '''' || score, score)",
        ]  # fmt: skip
        return f"printf('{','.join(['%s'] * len(cells))}', {', '.join(cells)})"

    # One scan of the row's free text for the characters that make a cell quoted: the
    # usual row has none, and its cells need only the formula check.
    free = " || ".join(f"coalesce({c}, '')" for c in _FREE)
    special = f"({free}) GLOB {_lit('*[' + q + ']*')}"
    return f"iif({special}, {line(lambda c: _cell(c, q))}, {line(_plain_cell)})", ()


# --- text (paper) -------------------------------------------------------------------

# Rows whose every printed field is printable ASCII take the SQL-built lines:
# then a character is a column and printf pads exactly as io.tables.fit does.
_ASCII = "({} NOT GLOB '*[^ -~]*')"
# Latin text up to U+02FF (accented letters, NBSP, Latin-1 controls) and Latin Extended
# Additional (Vietnamese: "Đức Huỳnh") is one column per character to io.tables.cells
# too: no combining marks (U+0300 to U+036F), nothing wide.
_LATIN = "\u02ff\u1e00-\u1eff"
_NARROW = "({} NOT GLOB '*[^ -" + _LATIN + "]*')"
_DAYS = "'SunMonTueWedThuFriSat'"
_MONTHS = "'JanFebMarAprMayJunJulAugSepOctNovDec'"
# The long hand's fields of an item, for the rows whose lines SQL does not make.
_FIELDS = "ext, name, pref, title, kind, due_on, d, missed, phone, language, risk, last_on"


def _fit(expr: str, width: int) -> str:
    return f"iif(length({expr}) > {width}, substr({expr}, 1, {width - 1}) || '…', {expr})"


def _text() -> tuple[str, tuple]:
    """(the item's block when SQL can make it, else NULL; its id; its fields as a JSON
    array when the block is NULL), and the derived columns they read."""
    flag = (
        "CASE rank WHEN 0 THEN d || 'd overdue' || iif(missed, ' MISSED', '') "
        "WHEN 1 THEN 'due today' ELSE 'due ' "
        f"|| substr({_DAYS}, 1 + 3 * strftime('%w', due_on), 3) || ' ' || strftime('%d', due_on)"
        f" || ' ' || substr({_MONTHS}, 3 * strftime('%m', due_on) - 2, 3) END"
    )
    derived = (
        "iif(pref <> '', name || ' (' || pref || ')', name) AS t_name, "
        "coalesce(nullif(phone, ''), 'no phone') AS t_phone, "
        "coalesce(language, '') AS t_lang, "
        f"{flag} AS t_flag, "
        "replace(kind, '_', ' ') || ': ' || title || ' · due ' || due_on || ' · last contact '"
        " || coalesce(last_on, 'never') || ' · ' || ext AS t_detail, "
        f"{_break()} AS t_break"
    )
    # Masked phones keep their bullets: one column each, like any ASCII character.
    plain = (
        f"{_NARROW.format('t_name')} AND t_phone NOT GLOB '*[^ -{_LATIN}•]*'"
        f" AND {_NARROW.format('t_lang')} AND length(t_flag) <= 19"
        f" AND {_NARROW.format('title')} AND {_ASCII.format('kind || ext')}"
        " AND substr(ext, -1) <> ' '"
    )
    head = (
        f"rtrim(printf('[ ] %!-32s %!-18s %!-4s %19s', "
        f"{_fit('t_name', 32)}, {_fit('t_phone', 18)}, {_fit('t_lang', 4)}, t_flag), ' ')"
    )
    detail = (
        "CASE WHEN length(t_detail) <= 76 THEN '    ' || t_detail"
        " WHEN length(t_detail) - t_break <= 75 THEN '    ' || substr(t_detail, 1, t_break)"
        " || char(10) || '      ' || substr(t_detail, t_break + 2) END"
    )
    block = f"iif({plain}, {head} || char(10) || {detail}, NULL) AS block"
    return f"block, id, iif(block IS NULL, json_array({_FIELDS}), NULL)", (derived, block)


def _break() -> str:
    """Where textwrap breaks a detail line too long for one (80 columns, indent 4): after
    the last word of its tail (" · due D · last contact L · ID") that ends by column 76,
    when the kind and title fit before it. NULL when textwrap could break elsewhere: an
    ID with a space, or with a hyphen before a letter or another hyphen (textwrap
    breaks hyphenated words), or a due date that is not ten characters."""
    h = "(length(kind) + 2 + length(title))"
    n = "length(coalesce(last_on, 'never'))"
    ends = [f"{h} + {k}" for k in (2, 6, 17, 19, 24, 32)]
    ends += [f"{h} + 33 + {n}", f"{h} + 35 + {n}"]
    cases = " ".join(f"WHEN {e} <= 76 THEN {e}" for e in reversed(ends))
    return (
        f"iif(ext NOT GLOB '* *' AND ext NOT GLOB '*-[A-Za-z_-]*' AND length(due_on) = 10,"
        f" CASE {cases} END, NULL)"
    )


def _blocks(conn, rows: list, day: date, needed: int) -> list[str]:
    """Each text row's keyed block: SQL's block, else the long hand's lines; then the
    item's failed attempts ("attempt 2 of 3") below it."""
    from caseload.services.duelist_referrals import attempts

    tries = attempts(conn, [r[2] for r in rows], needed)
    out = []
    for key, text, fid, fields in rows:
        if text is None:
            text = "\n".join(duetext.item_lines(item(key, fid, json.loads(fields)), day))
        note = tries.get(fid)
        out.append(f"{key}{text}\n    {note}" if note else key + text)
    return out


def item(key: str, fid: int, fields: list) -> dict:
    """A text row's fields as the item dict the long-hand lines take."""
    ext, name, pref, title, kind, due_on, d, missed, phone, lang, risk, last = fields
    return {
        "followup_id": fid,
        "patient_external_id": ext,
        "patient_name": name,
        "preferred_name": pref,
        "title": title,
        "kind": kind,
        "due_on": date.fromisoformat(due_on),
        "status": RANKS[int(key[0])],
        "days_overdue": d,
        "missed": bool(missed),
        "phone": phone,
        "language": lang,
        "risk": risk,
        "last_contact_on": date.fromisoformat(last) if last else None,
    }


_SELECTS = {"json": _json, "csv": _csv, "text": _text}
