"""Hostile discharge feeds: each malformed HL7 v2 / FHIR / CSV file gets named error lines, exit
1 and no traceback, and the store does not move (transitions, follow-ups, patients, audit).

The CLI cases are a handful of real runs; the sweep below cuts and mangles a valid message
and a valid Bundle at many points and runs the readers in-process (no store): every piece
must come back as items with errors or notes, never as an exception.
"""

from __future__ import annotations

import json
import random

import pytest
from test_discharges_hl7 import msg, patient

MSH = "MSH|^~\\&|ADT|SMH|CL|CHW|20250101||ADT^A03|1|P|2.5"
CASES = [
    # (id, file name, bytes, the first stderr line)
    ("msh-only", "a.hl7", b"MSH", "message 1, MSH: not an HL7 v2 message"),
    ("no-type", "a.hl7", b"MSH|^~\\&|A|B\rPID|1||MRN-1", "message 1, MSH-9: no message type"),
    ("no-pv1", "a.hl7", (MSH + "\rPID|1||MRN-1").encode(), "message 1, PV1: segment missing"),
    ("no-pid3", "a.hl7", (MSH + "\rPID|1\rPV1|1|I").encode(),
     "message 1, PID-3: no patient identifier"),
    ("bad-class", "a.hl7", (MSH + "\rPID|1||MRN-1\rPV1|1|Q").encode(),
     "message 1, PV1-2: patient class Q is not I, E or O"),
    ("no-time", "a.hl7", (MSH + "\rEVN|A03\rPID|1||MRN-1\rPV1|1|I").encode(),
     "message 1, PV1-45: no discharge time (PV1-45 or EVN-2)"),
    ("bad-evn", "a.hl7", (MSH + "\rEVN|A03|2025-01-01\rPID|1||MRN-1\rPV1|1|I").encode(),
     "message 1, EVN-2: not a date"),
    ("bad-offset", "a.hl7", (MSH + "\rEVN|A03|202501011200+9900\rPID|1||MRN-1\rPV1|1|I").encode(),
     "message 1, EVN-2: not a date"),
    ("mllp-garbage", "a.hl7", b"\x0bMSH|\x1c\r", "message 1, MSH: not an HL7 v2 message"),
    ("json-cut", "a.json", b'{"resourceType": "Bundle", "entry": [',
     "entry 1, json: line 1: not valid JSON"),
    ("json-deep", "a.json", b'{"resourceType": "Encounter", "x": ' + b"[" * 100000,
     "entry 1, json: line 1: nested too deeply to read"),
    ("enc-types", "a.json",
     json.dumps({"resourceType": "Encounter", "status": "finished", "class": {"code": "IMP"},
                 "subject": {"reference": "Patient/MRN-1"}, "period": {"end": 20250101}}).encode(),
     "entry 1, period.end: not a date"),
    ("csv-no-columns", "a.csv", b"foo,bar\n1,2\n",
     "caseload: the file has no patient_external_id or discharged_on column"),
    ("binary", "a.bin", b"\x00\x01\x02\x03",
     "caseload: a.bin holds binary data: expected HL7 v2, FHIR JSON, CSV or XLSX"),
    ("empty", "a.hl7", b"  \r\n", "caseload: a.hl7 is empty"),
]  # fmt: skip


def counts(read) -> tuple[int, ...]:
    """Rows of every table a discharge import writes to (audit events too)."""
    from sqlalchemy import text

    with read() as s:
        return tuple(
            s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("transition", "followup", "patient", "audit_event")
        )


@pytest.fixture
def store(cli):
    patient(cli)
    return cli


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_file(store, read, tmp_path, monkeypatch, case):
    _id, name, data, first = case
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(data)
    before = counts(read)
    r = store("import", "discharges", name, "--add-unknown")
    assert r.exit_code == 1, r.stderr
    assert r.stderr.splitlines()[0] == first
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert counts(read) == before


def test_a_good_message_beside_bad_ones_is_not_written(store, read, tmp_path):
    before = counts(read)
    f = tmp_path / "mixed.hl7"
    f.write_text("\n".join([msg("A03"), MSH, "garbage line", msg("A03", visit="V2")]))
    r = store("import", "discharges", str(f))
    assert r.exit_code == 1 and r.stderr.splitlines()[0] == "message 2, PID: segment missing"
    assert counts(read) == before


def _pieces(text: str, rnd: random.Random) -> list[str]:
    cuts = [text[:n] for n in range(0, len(text), 7)]
    mangled = []
    for _ in range(150):
        chars = list(text)
        for _ in range(rnd.randint(1, 6)):
            i = rnd.randrange(len(chars))
            chars[i] = rnd.choice('|^~\\&\r\n{}[]":,0Z-+ \x00\x0b\x1cé')
        mangled.append("".join(chars))
    return cuts + mangled


def test_cut_and_mangled_feeds_never_raise():
    from test_discharges_fhir import PATIENT, encounter, message_bundle

    from caseload.io.discharges import fhir, hl7, tabular
    from caseload.io.readers import read_csv

    rnd = random.Random(13)
    seen = 0
    for piece in _pieces(msg("A03", extra="\rZPV|x\\T\\y"), rnd):
        for item in hl7.parse(piece).items:
            seen += 1
            assert item.errors or item.note or item.event is not None
    doc = json.dumps(message_bundle(encounter(), PATIENT))
    for piece in _pieces(doc, rnd):
        for item in fhir.parse(piece).items:
            seen += 1
            assert item.errors or item.note or item.event is not None
    sheet = "PATIENT,STOP,ENCOUNTERCLASS,ORGANIZATION\nMRN-1,2025-01-01T10:00:00Z,inpatient,X\n"
    for piece in _pieces(sheet, rnd):
        try:
            table = read_csv(piece.encode("utf-8"), "in.csv")
            items = tabular.parse(table).items
        except Exception as exc:  # only the file-level refusals a person is shown
            assert type(exc).__name__ in ("Invalid", "CaseloadError"), repr(exc)
            continue
        for item in items:
            seen += 1
            assert item.errors or item.note or item.event is not None
    assert seen > 300
