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

from caseload.services import duelist, duelist_sql

RANKS = ("overdue", "due", "upcoming")
STATUS_SQL = "CASE rank WHEN 0 THEN 'overdue' WHEN 1 THEN 'due' ELSE 'upcoming' END"


def _register(conn, redacted: bool) -> tuple[str, str, str]:
    """The name, preferred-name and phone expressions (redacted through Python functions)."""
    if not redacted:
        return "name", "pref", "phone"
    conn.create_function("cl_initials", 1, duelist.initials, deterministic=True)
    conn.create_function("cl_mask_phone", 1, duelist.mask_phone, deterministic=True)
    return "cl_initials(name)", "iif(pref <> '', cl_initials(pref), NULL)", "cl_mask_phone(phone)"


def _rows(conn, select: str, day: date, days: int, overdue_days, windows) -> list:
    sql = f"SELECT rank, {select} FROM ({duelist_sql.scored_sql(windows)}) {duelist_sql.ORDER}"
    return conn.execute(sql, duelist_sql.params(day, days, overdue_days)).fetchall()


def counts(rows: list) -> dict[str, int]:
    c = dict.fromkeys(RANKS, 0)
    for rank, *_ in rows:
        c[RANKS[rank]] += 1
    return c


# --- JSON ---------------------------------------------------------------------------


def json_rows(conn, day, days, overdue_days=None, windows=None, *, redacted=False) -> list:
    name, _pref, phone = _register(conn, redacted)
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
    return _rows(conn, obj, day, days, overdue_days, windows)


def write_json(rows: list, out: TextIO) -> None:
    """The same array shape as io.jsonarray: one object per line."""
    if not rows:
        out.write("[]\n")
        return
    out.write("[\n ")
    out.write(",\n ".join([r[1] for r in rows]))
    out.write("\n]\n")


# --- CSV ----------------------------------------------------------------------------


def _quote_chars() -> tuple[str, ...]:
    """The characters that make csv.writer (QUOTE_MINIMAL, "\\n" line ends) quote a cell,
    probed once: Python versions differ on a lone carriage return."""
    probe = io.StringIO()
    csv.writer(probe, lineterminator="\n").writerow(["a\rb"])
    return (",", '"', "\n") + (("\r",) if probe.getvalue().startswith('"') else ())


def _cell(expr: str, *, neutralise: bool = True, quote: tuple[str, ...] = ()) -> str:
    """A CSV cell as io.duelist writes it: NULL as '', formula starts defused, then quoted."""
    text = f"CAST({expr} AS TEXT)"
    if neutralise:
        text = (
            f"iif(substr({text}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)), "
            f"'''' || {text}, {text})"
        )
    if quote:
        test = " OR ".join(f"instr({text}, {_sql_char(c)})" for c in quote)
        text = f"iif({test}, '\"' || replace({text}, '\"', '\"\"') || '\"', {text})"
    return f"coalesce({text}, '')"


def _sql_char(c: str) -> str:
    return {"\n": "char(10)", "\r": "char(13)", "'": "''''"}.get(c, f"'{c}'")


def csv_rows(conn, day, days, overdue_days=None, windows=None, *, redacted=False) -> list:
    name, _pref, phone = _register(conn, redacted)
    q = _quote_chars()
    cells = [
        _cell("id", neutralise=False),
        _cell("ext", quote=q),
        _cell(name, quote=q),
        _cell("title", quote=q),
        _cell("kind", quote=q),
        _cell("due_on", neutralise=False),
        _cell(STATUS_SQL, neutralise=False),
        _cell("d", neutralise=False),
        "iif(missed, 'yes', 'no')",
        _cell(phone, quote=q),
        _cell("language", quote=q),
        _cell("risk", quote=q),
        _cell("last_on", neutralise=False),
        _cell("score"),
    ]
    return _rows(conn, " || ',' || ".join(cells), day, days, overdue_days, windows)


def write_csv(rows: list, out: TextIO, header: tuple[str, ...]) -> None:
    out.write(",".join(header) + "\n")
    if rows:
        out.write("\n".join([r[1] for r in rows]))
        out.write("\n")


# --- text (paper) -------------------------------------------------------------------

# Rows whose every printed field is printable ASCII take the SQL-built lines:
# then a character is a column and printf pads exactly as io.duelist.fit does.
_ASCII = "({} NOT GLOB '*[^ -~]*')"
_DAYS = "'SunMonTueWedThuFriSat'"
_MONTHS = "'JanFebMarAprMayJunJulAugSepOctNovDec'"


def _fit(expr: str, width: int) -> str:
    return f"iif(length({expr}) > {width}, substr({expr}, 1, {width - 1}) || '…', {expr})"


def text_rows(conn, day, days, overdue_days=None, windows=None, *, redacted=False) -> list:
    """(rank, head line or NULL, detail line or NULL, then the item's fields for the long hand)."""
    name, pref, phone = _register(conn, redacted)
    shown = f"iif(pref <> '', {name} || ' (' || {pref} || ')', {name})"
    ph = f"coalesce({phone}, 'no phone')"
    lang = "coalesce(language, '')"
    flag = (
        "CASE rank WHEN 0 THEN d || 'd overdue' || iif(missed, ' MISSED', '') "
        "WHEN 1 THEN 'due today' ELSE 'due ' "
        f"|| substr({_DAYS}, 1 + 3 * strftime('%w', due_on), 3) || ' ' || strftime('%d', due_on)"
        f" || ' ' || substr({_MONTHS}, 3 * strftime('%m', due_on) - 2, 3) END"
    )
    head = (
        f"iif({_ASCII.format(shown)} AND {_ASCII.format(ph)} AND {_ASCII.format(lang)}"
        f" AND length({flag}) <= 19, rtrim(printf('[ ] %-32s %-18s %-4s %19s', "
        f"{_fit(shown, 32)}, {_fit(ph, 18)}, {_fit(lang, 4)}, {flag}), ' '), NULL)"
    )
    detail_text = (
        "replace(kind, '_', ' ') || ': ' || title || ' · due ' || due_on || ' · last contact '"
        " || coalesce(last_on, 'never') || ' · ' || ext"
    )
    detail = (
        f"iif({_ASCII.format('kind || title || ext')} AND length({detail_text}) <= 76"
        f" AND substr(ext, -1) <> ' ', '    ' || {detail_text}, NULL)"
    )
    select = (
        f"{head}, {detail}, id, ext, {name}, {pref}, title, kind, due_on, d, missed, "
        f"{phone}, language, risk, last_on"
    )
    return _rows(conn, select, day, days, overdue_days, windows)


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
