"""The due list's JSON, CSV and text output built from the SQL-scored rows (the cron path).

JSON objects and CSV lines are built by SQLite itself (``json_object``, string
concatenation), so Python only joins finished lines: a 70k-item list costs no
per-item Python. The text printout's lines are built in SQL too when a row is
plain printable ASCII and fits (nearly every row); any other row goes through
the long-hand writer in io.duelist, so wide characters, ellipses and wrapping
are exactly as before. tests/test_due_sql.py holds both paths to the same bytes.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import TextIO

from caseload.io.formats import FORMULA
from caseload.services import duelist_sql

RANKS = ("overdue", "due", "upcoming")
STATUS_SQL = "CASE rank WHEN 0 THEN 'overdue' WHEN 1 THEN 'due' ELSE 'upcoming' END"


def _rows(conn, select: str, day, days, overdue_days, windows, redacted, derived="") -> list:
    """``select`` over the scored list, in list order. ``derived`` columns (``expr AS x``)
    are computed once, in a level of their own, for a ``select`` that mentions them often."""
    if redacted:
        duelist_sql.register_redaction(conn)
    inner = duelist_sql.scored_sql(windows, redacted)
    if derived:
        inner = f"SELECT *, {derived} FROM ({inner}) LIMIT -1 OFFSET 0"
    sql = f"SELECT rank, {select} FROM ({inner}) {duelist_sql.ORDER}"
    return conn.execute(sql, duelist_sql.params(day, days, overdue_days)).fetchall()


class Joined:
    """A whole list as one string (SQLite's ordered group_concat) and its counts: a 70k-item
    list crosses into Python as one value instead of 70k rows."""

    def __init__(self, text: str | None, counts: dict[str, int]) -> None:
        self.text, self.counts = text, counts

    def __len__(self) -> int:
        return sum(self.counts.values())


def _joined(conn, line: str, sep: str, day, days, overdue_days, windows, redacted) -> Joined:
    if redacted:
        duelist_sql.register_redaction(conn)
    order = duelist_sql.ORDER.removeprefix("ORDER BY ")
    sql = (
        f"SELECT group_concat({line}, {sep} ORDER BY {order}), "
        "total(rank = 0), total(rank = 1), total(rank = 2) "
        f"FROM ({duelist_sql.scored_sql(windows, redacted)})"
    )
    text, *n = conn.execute(sql, duelist_sql.params(day, days, overdue_days)).fetchone()
    return Joined(text, dict(zip(RANKS, map(int, n), strict=True)))


def counts(rows) -> dict[str, int]:
    if isinstance(rows, Joined):
        return rows.counts
    c = dict.fromkeys(RANKS, 0)
    for rank, *_ in rows:
        c[RANKS[rank]] += 1
    return c


# --- JSON ---------------------------------------------------------------------------


def json_rows(conn, day, days, overdue_days=None, windows=None, *, redacted=False) -> list:
    name, phone = "name", "phone"
    # Two objects spliced around the boolean, and the reasons (already JSON text)
    # spliced at the end: json() would parse each again, a third of the query's time.
    head = f"""json_object(
        'followup_id', id, 'patient_external_id', ext, 'patient_name', {name},
        'title', title, 'kind', kind, 'due_on', due_on, 'status', {STATUS_SQL},
        'days_overdue', d)"""
    tail = f"""json_object('phone', {phone}, 'language', language, 'risk', risk,
        'last_contact_on', last_on, 'priority_score', score)"""
    obj = (
        f"rtrim({head}, '}}') || iif(missed, ',\"missed\":true,', ',\"missed\":false,') "
        f"|| ltrim(rtrim({tail}, '}}'), '{{') || ',\"priority_reasons\":' || reasons || '}}'"
    )
    return _joined(conn, obj, "',' || char(10) || ' '", day, days, overdue_days, windows, redacted)


def write_json(rows: Joined, out: TextIO) -> None:
    """The same array shape as io.formats.write_json: one object per line."""
    if not rows.text:
        out.write("[]\n")
        return
    out.write("[\n ")
    out.write(rows.text)
    out.write("\n]\n")


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


def _cell(x: str, quote: str) -> str:
    """A text CSV cell as io.formats.cell writes it: NULL as '', a formula start (after
    any apostrophes) defused with an apostrophe, then quoted as csv.writer would. Two
    GLOBs let the common cell through."""
    first = ", ".join(_lit(c) for c in STARTS)
    v = f"iif(substr(ltrim({x}, ''''), 1, 1) IN ({first}), '''' || {x}, {x})"
    test = " OR ".join(f"instr({v}, {_lit(c)})" for c in quote)
    quoted = f"""iif({test}, '"' || replace({v}, '"', '""') || '"', {v})"""
    return (
        f"CASE WHEN {x} IS NULL THEN '' WHEN {x} GLOB {_lit('*[' + quote + ']*')}"
        f" OR {x} GLOB {_lit('[' + chr(39) + STARTS + ']*')} THEN {quoted} ELSE {x} END"
    )


def csv_rows(conn, day, days, overdue_days=None, windows=None, *, redacted=False) -> list:
    q = _quote_chars()
    cells = [
        "id",
        *(_cell(c, q) for c in ("ext", "name", "title", "kind")),
        "due_on",
        STATUS_SQL,
        "d",
        "iif(missed, 'yes', 'no')",
        *(_cell(c, q) for c in ("phone", "language", "risk")),
        "coalesce(last_on, '')",
        "iif(score < 0, '''' || score, score)",
    ]
    line = " || ',' || ".join(cells)
    return _joined(conn, line, "char(10)", day, days, overdue_days, windows, redacted)


def write_csv(rows: Joined, out: TextIO, header: tuple[str, ...]) -> None:
    out.write(",".join(header) + "\n")
    if rows.text:
        out.write(rows.text)
        out.write("\n")


# --- text (paper) -------------------------------------------------------------------

# Rows whose every printed field is printable ASCII take the SQL-built lines:
# then a character is a column and printf pads exactly as io.duelist.fit does.
_ASCII = "({} NOT GLOB '*[^ -~]*')"
# Latin text up to U+02FF (accented letters, NBSP, Latin-1 controls) is one column per
# character to io.duelist.cells too: no combining marks (U+0300 on), nothing wide.
_NARROW = "({} NOT GLOB '*[^ -\u02ff]*')"
_DAYS = "'SunMonTueWedThuFriSat'"
_MONTHS = "'JanFebMarAprMayJunJulAugSepOctNovDec'"


def _fit(expr: str, width: int) -> str:
    return f"iif(length({expr}) > {width}, substr({expr}, 1, {width - 1}) || '…', {expr})"


def text_rows(conn, day, days, overdue_days=None, windows=None, *, redacted=False) -> list:
    """(rank, head line or NULL, detail line or NULL, then the item's fields for the long hand)."""
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
        " || coalesce(last_on, 'never') || ' · ' || ext AS t_detail"
    )
    # Masked phones keep their bullets: one column each, like any ASCII character.
    plain = (
        f"{_NARROW.format('t_name')} AND t_phone NOT GLOB '*[^ -\u02ff•]*'"
        f" AND {_NARROW.format('t_lang')} AND length(t_flag) <= 19"
    )
    head = (
        f"iif({plain}, rtrim(printf('[ ] %!-32s %!-18s %!-4s %19s', "
        f"{_fit('t_name', 32)}, {_fit('t_phone', 18)}, {_fit('t_lang', 4)}, t_flag), ' '), NULL)"
    )
    detail = (
        f"iif({_NARROW.format('title')} AND {_ASCII.format('kind || ext')}"
        " AND length(t_detail) <= 76"
        " AND substr(ext, -1) <> ' ', '    ' || t_detail, NULL)"
    )
    select = (
        f"{head}, {detail}, id, ext, name, pref, title, kind, due_on, d, missed, "
        "phone, language, risk, last_on"
    )
    return _rows(conn, select, day, days, overdue_days, windows, redacted, derived)


def item(row) -> dict:
    """A text row's fields as the item dict the long-hand writer takes."""
    _rank, _h, _d, fid, ext, name, pref, title, kind, due_on, d, missed, phone, lang, risk, last = (
        row
    )
    return {
        "followup_id": fid,
        "patient_external_id": ext,
        "patient_name": name,
        "preferred_name": pref,
        "title": title,
        "kind": kind,
        "due_on": date.fromisoformat(due_on),
        "status": RANKS[_rank],
        "days_overdue": d,
        "missed": bool(missed),
        "phone": phone,
        "language": lang,
        "risk": risk,
        "last_contact_on": date.fromisoformat(last) if last else None,
    }
