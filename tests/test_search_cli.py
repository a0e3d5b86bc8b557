"""`patients list --search` and the TUI share one finder: folded, index-only, folded order."""

from __future__ import annotations

import json

import pytest

PEOPLE = [
    ("W-1", "Anna", "Woźniak", None, "0161 555 0134"),
    ("T-2", "Minh", "Trần", None, None),
    ("B-3", "Lan", "Bùi", "Lanny", None),
    ("C-4", "Joël", "Célestin", None, None),
    ("N-5", "Ana", "Núñez", None, "+1 (212) 555-0199"),
    ("C-6", "Carl", "Cole", None, None),
    ("D-7", "Dan", "Dew", None, None),
    ("S-8", "Jürgen", "Strauß", None, None),
    ("L-9", "Łukasz", "Wiśniewski", None, None),
    ("D-10", "Đức", "Phạm", None, None),
]


@pytest.fixture
def people(cli, tmp_path):
    """Everyone in one import (one command: ten `patients add` made this file slow)."""
    import csv

    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["external_id", "given_name", "family_name", "preferred_name", "phone"])
        out.writerows([[v or "" for v in person] for person in PEOPLE])
    cli.ok("import", "patients", str(path))
    return cli


def ids(cli, *args):
    out = cli.ok("patients", "list", *args, "--format", "json").stdout
    return [p["external_id"] for p in json.loads(out)]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("wozniak", ["W-1"]),
        ("tran", ["T-2"]),
        ("bui", ["B-3"]),
        ("celestin", ["C-4"]),
        ("nunez", ["N-5"]),
        ("WOZNIAK", ["W-1"]),
        ("Woźniak", ["W-1"]),
        ("joel", ["C-4"]),  # the given name
        ("lanny", ["B-3"]),  # the preferred name
        ("ana nunez", ["N-5"]),  # given then family
        ("strauss", ["S-8"]),  # ß → ss
        ("lukasz", ["L-9"]),  # Ł → l
        ("wisniewski", ["L-9"]),
        ("duc pham", ["D-10"]),  # Đ → d
        ("PHAM", ["D-10"]),
        ("n-5", ["N-5"]),  # external id, any case
        ("c-", ["C-4", "C-6"]),  # an id prefix without a digit
        ("5550134", ["W-1"]),  # phone digits, however written
        ("555 0199", ["N-5"]),
    ],
)
def test_search_folds_case_and_diacritics(people, typed, found):
    assert ids(people, "--search", typed) == found


def test_names_sort_by_the_folded_key(people):
    # Bùi with B, Célestin with C (before Cole), Núñez with N, Woźniak last.
    assert ids(people) == ["B-3", "C-4", "C-6", "D-7", "N-5", "D-10", "S-8", "T-2", "L-9", "W-1"]
    table = people.ok("patients", "list", "--search", "celestin").stdout
    assert "Célestin" in table and "Cole" not in table


def test_search_with_filters_and_limit(people):
    people.ok("patients", "hold", "C-6")
    assert ids(people, "--search", "c", "--status", "active") == ["C-4"]
    assert ids(people, "--limit", "3") == ["B-3", "C-4", "C-6"]
    assert ids(people, "--search", "nobody-like-this") == []


def test_search_pages_agree_with_find(people, read):
    from caseload.services import patients

    with read() as s:
        first = patients.search(s, limit=3)
        rest = patients.search(s, after=first.next_after)
        conn = s.connection().connection.driver_connection
        found = patients.find(conn, "", limit=100).rows
    assert [r["external_id"] for r in first.rows + rest.rows] == [r["external_id"] for r in found]
    assert rest.next_after is None


class Recorder:
    """A DBAPI connection that remembers each query ``find`` sends."""

    def __init__(self, conn):
        self.conn, self.queries = conn, []

    def execute(self, sql, args=()):
        self.queries.append((sql, list(args)))
        return self.conn.execute(sql, args)


def plans(read, typed, **filters):
    """The query plans of the queries ``find`` ran for ``typed``, one list per query."""
    from caseload.services import patients

    with read() as s:
        conn = s.connection().connection.driver_connection
        rec = Recorder(conn)
        patients.find(rec, typed, limit=50, **filters)
        return [
            [r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
            for sql, args in rec.queries
        ]


@pytest.mark.parametrize("typed", ["wozniak", "ana nunez", "N-5", "5550134", ""])
def test_find_reads_indexes_only(people, read, typed):
    """Each arm walks a covering index in order; the rows shown are then fetched by id."""
    *arms, fetch = plans(read, typed)
    assert arms
    for plan in arms:
        reads = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
        assert reads and all("USING COVERING INDEX" in step for step in reads), plan
    assert fetch == ["SEARCH patient USING INTEGER PRIMARY KEY (rowid=?)"], fetch


def test_find_with_a_filter_still_walks_the_index_in_order(people, read):
    *arms, _ = plans(read, "c", status="active")
    for plan in arms:
        assert plan == ["SCAN patient USING INDEX ix_patient_search_name"], plan
