"""The SQL-scored due list (services.duelist_sql, io.duelist_fast) against the long hand.

Random stores (names with commas, quotes, formula starts, wide and combining
characters; every kind, window, priority; contacts at any hour; patients on
hold) are written into a real encrypted store inside a transaction that is
rolled back after each example. For each, `caseload due`'s json, csv and text
from the SQL path must equal what io.duelist.write makes of duelist.build, which
classifies and scores item by item through services.schedule (the rules the
property tests in test_schedule_props.py hold to their reference versions).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload.io import duelist as writer
from caseload.io import duelist_fast
from caseload.io.duehelper import HELPERS, PARENTS
from caseload.services import duelist, duelist_sql, schedule

TODAY = date(2026, 11, 23)
NOW = "2026-11-23 10:00:00.000000"

text = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ ,\"'=+-@;|\t\n\r·éüßÿ\xa0\x85\xad王伟ｱ\u0301…•0123456789ứĐ\x1e")
    ),
    min_size=1,
    max_size=40,
)
plain = st.text(alphabet=st.sampled_from(list("abcXYZ '-éßÿứ")), min_size=1, max_size=40)
# Titles long enough that the printout wraps their detail line onto two lines or more.
long_title = st.text(alphabet=st.sampled_from(list("abc -_")), min_size=30, max_size=90)
name = st.one_of(st.sampled_from(["Ana", "Wei", "Fadumo", "O'Neil", "=SUM(A1)"]), plain, text)
stamp = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(2026, 6, 1), max_value=datetime(2026, 11, 25)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f")
    ),
)
patient = st.fixed_dictionaries(
    {
        "given": name,
        "family": name,
        "pref": st.one_of(st.none(), st.just(""), name),
        "phone": st.one_of(
            st.none(), st.just(""), st.sampled_from(["+1 555 0101", "0161 555"]), text
        ),
        "language": st.one_of(st.none(), st.sampled_from(["en", "es", "zh", "spanish"])),
        "risk": st.sampled_from(["high", "medium", "low"]),
        "status": st.sampled_from(["active", "active", "active", "on_hold", "discharged"]),
        "last_contact": stamp,
        "last_reached": stamp,
    }
)
followup = st.fixed_dictionaries(
    {
        "patient": st.integers(0, 5),
        "title": st.one_of(
            st.sampled_from(["Call", "Home visit", "-5 units", "Post-discharge call"]),
            plain,
            text,
            long_title,
        ),
        "kind": st.sampled_from(sorted(schedule.DEFAULT_WINDOWS)),
        "offset": st.integers(-130, 75),
        "before": st.one_of(st.none(), st.integers(0, 60)),
        "after": st.one_of(st.none(), st.integers(0, 60)),
        "priority": st.integers(1, 4),
        "transition": st.booleans(),
        "status": st.sampled_from(["open", "open", "open", "done", "cancelled"]),
        # IDs textwrap breaks inside (a space, a hyphen before a letter or a hyphen) or not
        "ext_suffix": st.sampled_from(["", " ", ",x", "-ab", "--1", "a b", "_x", "-" + "9" * 40]),
    }
)
options = st.fixed_dictionaries(
    {
        "days": st.integers(0, 14),
        "overdue_days": st.one_of(st.none(), st.just(0), st.integers(1, 120)),
        "redacted": st.booleans(),
        # the list built whole, or in parts by patient id and merged (io.duehelper's way)
        "parts": st.sampled_from([1, 2, 3]),
        "windows": st.one_of(
            st.just({}),
            st.dictionaries(
                st.sampled_from(["call", "visit", "screening", "other"]),
                st.tuples(st.integers(0, 60), st.integers(0, 60)),
                max_size=2,
            ),
        ),
    }
)


@pytest.fixture
def conn(cli):
    """A raw keyed connection on a fresh store (foreign keys off: no transition rows)."""
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    c = connect(cli.db, read_key_file(cli.key))
    c.execute("PRAGMA foreign_keys = OFF")
    yield c
    c.close()


def _fill(conn, patients, followups) -> None:
    for n, p in enumerate(patients):
        conn.execute(
            "INSERT INTO patient (id, external_id, given_name, family_name, preferred_name,"
            " phone, language, may_call, may_text, may_email, may_voicemail, risk, programs,"
            " conditions, social_needs, status, search_name, phone_digits, last_contact_at,"
            " last_reached_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, 0, 0, ?, '', '', '', ?, '', '', ?, ?, ?, ?)",
            (
                n + 1,
                f"P-{n}{followups[0]['ext_suffix'] if followups else ''}",
                p["given"],
                p["family"],
                p["pref"],
                p["phone"],
                p["language"],
                p["risk"],
                p["status"],
                p["last_contact"],
                p["last_reached"],
                NOW,
                NOW,
            ),
        )
    for f in followups:
        conn.execute(
            "INSERT INTO followup (patient_id, title, kind, due_on, window_before,"
            " window_after, priority, from_completion, status, transition_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            (
                f["patient"] % len(patients) + 1,
                f["title"],
                f["kind"],
                (TODAY + timedelta(days=f["offset"])).isoformat(),
                f["before"],
                f["after"],
                f["priority"],
                f["status"],
                1 if f["transition"] else None,
                NOW,
            ),
        )


def _fast(conn, fmt: str, days: int = 0, *, overdue_days=None, windows=None, redacted=False,
          parts: int = 1) -> str:  # fmt: skip
    """The SQL path's output of one format, built in ``parts`` parts and merged."""
    kw = {"redacted": redacted, "block": 1}  # a few patients: blocks of one
    # parts=2 is how a helper and its parent share a list out (io.duehelper)
    shares = (
        [PARENTS, HELPERS] if parts == 2 else [{"part": k, "parts": parts} for k in range(parts)]
    )
    built = [
        duelist_fast.part(conn, fmt, TODAY, days, overdue_days, windows, **share, **kw)
        for share in shares
    ]
    hidden = duelist_sql.older_overdue(conn, TODAY, overdue_days)
    out = io.StringIO()
    duelist_fast.write(duelist_fast.merge(built), fmt, out, TODAY, days, coordinator="Jo",
                       hidden=hidden)  # fmt: skip
    return out.getvalue()


def _both(conn, fmt: str, opts: dict) -> tuple[str, str]:
    """(long hand, SQL path) output of one format."""
    kw = {"windows": opts["windows"], "overdue_days": opts["overdue_days"]}
    hidden = duelist_sql.older_overdue(conn, TODAY, opts["overdue_days"])
    built = duelist.build(conn, TODAY, opts["days"], **kw)
    slow = io.StringIO()
    writer.write(built, fmt, slow, redacted=opts["redacted"], coordinator="Jo", hidden=hidden)
    fast = _fast(conn, fmt, opts["days"], redacted=opts["redacted"], parts=opts["parts"], **kw)
    return slow.getvalue(), fast


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(patient, min_size=1, max_size=6),
    st.lists(followup, min_size=0, max_size=14),
    options,
)
def test_sql_path_matches_the_long_hand(conn, patients, followups, opts):
    conn.execute("BEGIN")
    try:
        _fill(conn, patients, followups)
        slow, fast = _both(conn, "json", opts)
        assert json.loads(fast) == json.loads(slow)
        # same keys in the same order, item by item
        assert [list(i) for i in json.loads(fast)] == [list(i) for i in json.loads(slow)]
        for fmt in ("csv", "text"):
            slow, fast = _both(conn, fmt, opts)
            assert fast == slow, fmt
    finally:
        conn.execute("ROLLBACK")


def test_scores_and_reasons_in_sql_follow_the_schedule_tables(conn):
    """One item per rule of the score, checked against priority_breakdown directly."""
    patients = [
        {"given": "Ana", "family": "Silva", "pref": None, "phone": "555", "language": "en",
         "risk": "high", "status": "active", "last_contact": None, "last_reached": None},
        {"given": "Wei", "family": "Chen", "pref": "W", "phone": None, "language": None,
         "risk": "low", "status": "active", "last_contact": "2026-10-09 12:00:00.000000",
         "last_reached": "2026-10-09 12:00:00.000000"},
    ]  # fmt: skip
    base = {"before": None, "after": None, "transition": False, "status": "open", "ext_suffix": ""}
    followups = [
        {**base, "patient": 0, "title": "a", "kind": "transition_call", "offset": -25,
         "priority": 1, "transition": True},
        {**base, "patient": 1, "title": "b", "kind": "other", "offset": 0, "priority": 4},
    ]  # fmt: skip
    conn.execute("BEGIN")
    try:
        _fill(conn, patients, followups)
        got = json.loads(_fast(conn, "json"))
    finally:
        conn.execute("ROLLBACK")
    reached = datetime(2026, 10, 9, 12, tzinfo=UTC).astimezone().date()
    expected = [
        schedule.priority_breakdown(
            risk="high", kind="transition_call", priority=1, days_overdue=25,
            transition=True, days_since_reached=None,
        ),
        schedule.priority_breakdown(
            risk="low", kind="other", priority=4, days_overdue=0,
            transition=False, days_since_reached=(TODAY - reached).days,
        ),
    ]  # fmt: skip
    assert [i["priority_score"] for i in got] == [sum(p for _, p in e) for e in expected]
    assert got[0]["priority_reasons"] == [
        "risk high +30",
        "kind transition_call +25",
        "priority 1 +20",
        "25 days overdue +40",
        "transition of care +20",
        "never reached +15",
    ]
    assert got[1]["priority_reasons"] == [
        "priority 4 -5",
        f"not reached for {(TODAY - reached).days} days +8",
    ]
    assert [(i["status"], i["days_overdue"], i["missed"]) for i in got] == [
        ("overdue", 25, True),
        ("due", 0, False),
    ]


def test_csv_quotes_as_the_csv_module_does(conn):
    """Cells with commas, quotes, line ends and formula starts, read back by csv.reader."""
    tricky = 'Call, then "visit"\nnext =1'
    patients = [
        {"given": "=cmd", "family": "O'Neil, Jr", "pref": None, "phone": "+1 555", "language": "en",
         "risk": "medium", "status": "active", "last_contact": None, "last_reached": None},
    ]  # fmt: skip
    followups = [
        {"patient": 0, "title": tricky, "kind": "call", "offset": 0, "before": None,
         "after": None, "priority": 3, "transition": False, "status": "open", "ext_suffix": ""},
    ]  # fmt: skip
    conn.execute("BEGIN")
    try:
        _fill(conn, patients, followups)
        out = _fast(conn, "csv")
    finally:
        conn.execute("ROLLBACK")
    header, row = list(csv.reader(io.StringIO(out)))
    cells = dict(zip(header, row, strict=True))
    assert cells["title"] == tricky
    assert cells["patient_name"] == "'=cmd O'Neil, Jr"
    assert cells["phone"] == "'+1 555"
    assert cells["missed"] == "no" and cells["last_contact_on"] == ""


@pytest.mark.parametrize(
    "ext",
    ["P-1", "DEMO-028768", "AB-cd", "AB-_c", "A--1", "A B", *("X" * n for n in (50, 66, 68, 70))],
)
def test_wrapped_detail_lines_break_where_textwrap_does(conn, ext):
    """Every title length from 1 to 90 (so the detail line fits, wraps onto two lines, or
    onto three), words with hyphens, each kind, last contact never or a date: the SQL
    path's printout equals the long hand's, line for line."""
    patients = [
        {"given": "Ana", "family": "Silva", "pref": None, "phone": "555", "language": "en",
         "risk": "high", "status": "active", "last_contact": last, "last_reached": None}
        for last in (None, "2026-10-09 12:00:00.000000")
    ]  # fmt: skip
    words = "Post-discharge call re-check ab-cd e--f gh " * 3
    kinds = sorted(schedule.DEFAULT_WINDOWS)
    base = {"before": None, "after": None, "transition": False, "status": "open", "ext_suffix": ""}
    followups = [
        {**base, "patient": n % 2, "title": words[: n % 91 + 1].strip() or "x",
         "kind": kinds[n % len(kinds)], "offset": n % 9 - 4, "priority": 3}
        for n in range(182)
    ]  # fmt: skip
    conn.execute("BEGIN")
    try:
        _fill(conn, patients, followups)
        conn.execute("UPDATE patient SET external_id = ? || id", (ext,))
        slow, fast = _both(conn, "text", {"days": 7, "overdue_days": None, "windows": {},
                                          "redacted": False, "parts": 1})  # fmt: skip
        wrapped = sum(line.startswith("      ") for line in fast.splitlines())
    finally:
        conn.execute("ROLLBACK")
    assert fast == slow
    assert wrapped > 50  # most details here wrap


def test_ids_below_zero_are_neither_lost_nor_misplaced_when_shared_out(conn):
    """Only a hand-edited store holds them, but every item still lands in exactly one
    share, in the long hand's order (ties broken by id, below zero first)."""
    patients = [
        {"given": g, "family": "Silva", "pref": None, "phone": "555", "language": "en",
         "risk": "high", "status": "active", "last_contact": None, "last_reached": None}
        for g in ("Ana", "Wei", "Kofi", "Olga")
    ]  # fmt: skip
    base = {"before": None, "after": None, "transition": False, "status": "open", "ext_suffix": ""}
    followups = [
        {**base, "patient": n % 4, "title": "Call", "kind": "call", "offset": 0, "priority": 3}
        for n in range(8)
    ]  # fmt: skip
    conn.execute("BEGIN")
    try:
        _fill(conn, patients, followups)
        for old, new in ((1, -1300), (2, -5), (4, 1030)):
            conn.execute("UPDATE patient SET id = ? WHERE id = ?", (new, old))
            conn.execute("UPDATE followup SET patient_id = ? WHERE patient_id = ?", (new, old))
        conn.execute("UPDATE followup SET id = -id - 100 WHERE id % 2 = 0")
        opts = {"days": 0, "overdue_days": None, "windows": {}, "redacted": False}
        for parts in (1, 2):
            for fmt in ("json", "csv", "text"):
                slow, fast = _both(conn, fmt, {**opts, "parts": parts})
                if fmt == "json":  # the long hand's JSON is spaced; the values and order agree
                    slow, fast = json.loads(slow), json.loads(fast)
                assert fast == slow, (fmt, parts)
        assert len(json.loads(_both(conn, "json", {**opts, "parts": 2})[1])) == 8
    finally:
        conn.execute("ROLLBACK")
