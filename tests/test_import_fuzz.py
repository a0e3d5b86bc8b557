"""Fuzzing `caseload import patients`: whatever the file, a clean outcome and never half an import.

Random bytes, CSV with random headers (aliases, duplicates, blanks) and hostile
cells, JSON and NDJSON of random shapes, with random options. The command runs
in-process with exceptions not caught, so anything but a CaseloadError (or a
usage error) fails the test. The store is shared across examples, so later
examples also meet the patients earlier ones created.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload.io.fields import PATIENT_FIELDS

SUMMARY = re.compile(
    r"^(imported patients|dry run \(nothing written\)|nothing written \(all or nothing\)): "
    r"created (\d+), updated (\d+), unchanged (\d+), skipped (\d+), failed (\d+)$"
)
HEADERS = [
    *PATIENT_FIELDS, "MRN", "Patient ID", "First Name", "Last Name", "DOB", "Date of Birth",
    "Phone Number", "Language", "Full Name", "full_name", "Name", "EXTERNAL_ID", " mrn ",
    "", "reason", "id", "alt_phone",
]  # fmt: skip
SPECIAL = [
    "", " ", "---", "=1+1", "+44 20 7946 0000", "-3", "@SUM(A1)", "'=cmd", "\t=x", "\r",
    "yes", "no", "Y", "0", "1", "maybe", "03/04/2025", "2025-02-30", "1900-01-01", "9999-12-31",
    "today", "high", "LOW", "active", "discharged", "a;b;;c", '"', '""', ",", ";", "\n", "\x00",
    "\ufeff", "é", "名字", "👩\u200d⚕️", "\u202e", "O'Brien", "x" * 70_000, "9" * 400,
    '"never closed', "\u2028", "\x85", "0001-01-01T00:00", "9999-12-31T23:59:59-12:00",
]  # fmt: skip

cells = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=30))
headers = st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=12)), max_size=12)


@st.composite
def csv_files(draw) -> bytes:
    head = draw(headers)
    width = max(len(head), 1)
    rows = draw(
        st.lists(st.lists(cells, min_size=0, max_size=width + 2), max_size=8)
    )  # ragged rows too
    if draw(st.booleans()):  # properly quoted
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=draw(st.sampled_from([",", ",", ";", "\t"])))
        w.writerow(head)
        w.writerows(rows)
        text = buf.getvalue()
    else:  # naively joined: stray quotes, separators and newlines break the grid
        text = "\n".join(",".join(r) for r in [head, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-32"]))
    return text.encode(encoding, errors="replace")


REQUIRED = [("external_id", "MRN", "Patient ID"), ("given_name", "First Name"),
            ("family_name", "Last Name", "Surname")]  # fmt: skip
good_id = st.from_regex(r"[A-Z]{1,2}-?[0-9]{1,3}", fullmatch=True)
ids = st.one_of(good_id, good_id, good_id, cells)
good_name = st.sampled_from(["Ana", "Li", "O'Brien", "名字", "Zoë", "=Eve", "x" * 70_000])
names = st.one_of(good_name, good_name, good_name, cells)


@st.composite
def near_valid_csv(draw) -> bytes:
    """The required columns (under any alias) plus random ones: rows that often import."""
    required = [draw(st.sampled_from(names)) for names in REQUIRED]
    extra = draw(st.lists(st.sampled_from(HEADERS), max_size=2))
    head = draw(st.permutations(required + extra))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        row = []
        for h in head:
            if h in REQUIRED[0]:
                row.append(draw(ids))
            elif h in REQUIRED[1] or h in REQUIRED[2]:
                row.append(draw(names))
            else:
                row.append(draw(cells))
        rows.append(row)
    buf = io.StringIO()
    csv.writer(buf).writerows([head, *rows])
    return buf.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])), errors="replace")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), cells),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(HEADERS), st.text(max_size=8)), inner, max_size=6
        ),
    ),
    max_leaves=20,
)
records = st.dictionaries(st.sampled_from(HEADERS), json_values, max_size=8)
fhir_like = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["Bundle", "Patient", "Observation", "", 7])},
    optional={
        "entry": st.lists(st.fixed_dictionaries({"resource": json_values}), max_size=3),
        "identifier": json_values,
        "name": json_values,
        "id": json_values,
        "communication": json_values,
    },
)


@st.composite
def json_files(draw) -> bytes:
    top = draw(
        st.one_of(
            st.lists(st.one_of(records, json_values), max_size=6), records, fhir_like, json_values
        )
    )
    text = json.dumps(top, ensure_ascii=draw(st.booleans()), allow_nan=True)
    return text.encode()


@st.composite
def ndjson_files(draw) -> bytes:
    lines = draw(st.lists(st.one_of(records, fhir_like, json_values), max_size=6))
    text = "\n".join(json.dumps(v) for v in lines)
    if draw(st.booleans()):
        text += "\n{not json"
    return text.encode()


files = st.one_of(
    st.tuples(
        st.binary(max_size=600), st.sampled_from(["csv", "json", "ndjson", "xlsx", "txt", ""])
    ),
    st.tuples(csv_files(), st.sampled_from(["csv", "txt", ""])),
    st.tuples(near_valid_csv(), st.just("csv")),
    st.tuples(near_valid_csv(), st.just("csv")),  # twice: imports that write are the point
    st.tuples(json_files(), st.sampled_from(["json", "fhir.json", "csv"])),
    st.tuples(ndjson_files(), st.sampled_from(["ndjson", "jsonl", "json"])),
)
options = st.lists(
    st.sampled_from(
        [
            ("--dayfirst",),
            ("--monthfirst",),
            ("--dry-run",),
            ("--on-conflict", "skip"),
            ("--on-conflict", "fail"),
            ("--null", "---"),
            ("--map", "Name=full_name"),
            ("--map", "zzz=given_name"),
            ("--format", "csv"),
            ("--format", "json"),
            ("--format", "ndjson"),
            ("--format", "fhir"),
            ("--format", "xlsx"),
            ("--skip-invalid", "--rejects", "{rejects}"),
        ]
    ),
    max_size=2,
    unique=True,
)


def _state(read) -> tuple[int, int]:
    from sqlmodel import text

    with read() as s:
        patients = s.exec(text("SELECT count(*) FROM patient")).one()[0]
        events = s.exec(text("SELECT count(*) FROM audit_event")).one()[0]
    return patients, events


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(file=files, opts=options)
def test_any_file_imports_cleanly_or_not_at_all(cli, read, tmp_path, file, opts):
    content, suffix = file
    n = next(_counter)
    source = tmp_path / (f"in{n}.{suffix}" if suffix else f"in{n}")
    source.write_bytes(content)
    rejects = tmp_path / f"rejects{n}.csv"
    args = [a.replace("{rejects}", str(rejects)) for opt in opts for a in opt]
    before = _state(read)

    result = cli("import", "patients", str(source), *args)

    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "every outcome says something"
    after = _state(read)
    if result.exit_code != 0:
        assert after == before, result.stderr
        return
    last = result.stderr.splitlines()[-1]
    if last == "no data rows: nothing to import (patients)":
        assert after == before
        return
    m = SUMMARY.match(last)
    assert m, result.stderr
    head = m.group(1)
    created, updated, _unchanged, _skipped, failed = (int(g) for g in m.groups()[1:])
    if head == "imported patients":
        assert after[0] == before[0] + created
        # One audit event for an import that wrote something; none for one that did not.
        assert (
            after[1] == before[1] + 1
            if created + updated
            else after[1] in (before[1], before[1] + 1)
        )
    else:
        assert after == before
    if failed and "--skip-invalid" in args and "--dry-run" not in args:  # a dry run writes none
        with rejects.open(newline="", encoding="utf-8") as f:
            assert len(list(csv.reader(f))) >= failed + 1  # the header and each bad row


_counter = itertools.count()
