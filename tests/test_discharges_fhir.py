"""`caseload import discharges` with FHIR R4 Encounters: message Bundle, searchset, contained
Patient, NDJSON, later versions; the Bundles are checked as valid R4 with fhir.resources."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from caseload.services import schedule

DAY = date.today() - timedelta(days=4)
END = f"{DAY.isoformat()}T11:00:00Z"
START = f"{(DAY - timedelta(days=3)).isoformat()}T09:00:00Z"


@pytest.fixture(autouse=True)
def utc(local_zone):
    """FHIR times carry offsets and are read as local time: one zone for every run."""
    local_zone("UTC")


def encounter(ident="ENC-1", *, subject="urn:uuid:p-1", klass="IMP", end=END, status="finished",
              **extra) -> dict:  # fmt: skip
    res = {
        "resourceType": "Encounter",
        "id": ident.lower(),
        "identifier": [{"system": "urn:hie:visit", "value": ident}],
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
        "subject": {"reference": subject},
        "period": {"start": START, **({"end": end} if end else {})},
        "reasonCode": [{"text": "Pneumonia"}],
        "hospitalization": {"dischargeDisposition": {"coding": [{"code": "home",
                                                                 "display": "Home"}]}},
        "serviceProvider": {"display": "Riverside General"},
    }  # fmt: skip
    res.update(extra)
    return res


PATIENT = {
    "resourceType": "Patient",
    "id": "p-1",
    "identifier": [
        {"system": "urn:ssn", "value": "999-00-0000"},
        {"type": {"coding": [{"code": "MR"}]}, "system": "urn:hie:mrn", "value": "MRN-1"},
    ],
    "name": [{"use": "official", "family": "Rivera", "given": ["Ana", "Luz"]}],
    "birthDate": "1948-05-06",
    "gender": "female",
    "telecom": [{"system": "phone", "value": "0555 0101"}],
    "communication": [
        {"language": {"coding": [{"code": "en"}]}},
        {"language": {"coding": [{"code": "es"}]}, "preferred": True},
    ],
}


def message_bundle(enc: dict, patient: dict = PATIENT) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "message",
        "timestamp": f"{DAY.isoformat()}T12:00:00Z",
        "entry": [
            {
                "fullUrl": "urn:uuid:mh-1",
                "resource": {
                    "resourceType": "MessageHeader",
                    "id": "mh-1",
                    "eventCoding": {
                        "system": "http://hl7.org/fhir/us/davinci-alerts",
                        "code": "notify-discharge",
                    },
                    "source": {"endpoint": "https://hie.example/fhir"},
                    "focus": [{"reference": "urn:uuid:enc-1"}],
                },
            },
            {"fullUrl": "urn:uuid:enc-1", "resource": enc},
            {"fullUrl": "urn:uuid:p-1", "resource": patient},
        ],
    }


def valid_r4(doc: dict) -> dict:
    """The hand-built document is FHIR R4 (fhir.resources' R4B models)."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.encounter import Encounter

    model = Bundle if doc["resourceType"] == "Bundle" else Encounter
    model.model_validate(doc)
    return doc


def add(cli, ext="MRN-1", risk="medium"):
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Test", "--family-name",
           "Person", "--risk", risk)  # fmt: skip


def listing(cli):
    return json.loads(cli.ok("patients", "transitions", "--format", "json").stdout)


def followups(cli):
    rows = json.loads(cli.ok("followups", "list", "--format", "json").stdout)
    return sorted((f["kind"], f["due_on"]) for f in rows)


def test_message_bundle_creates_the_transition_and_a_rerun_changes_nothing(cli, tmp_path):
    add(cli)
    f = tmp_path / "notify.json"
    f.write_text(json.dumps(valid_r4(message_bundle(encounter()))))
    r = cli.ok("import", "discharges", str(f))
    assert r.stderr.splitlines()[-1] == (
        "imported discharges (fhir): created 1, updated 0, unchanged 0, skipped 0, failed 0"
    )
    [t] = listing(cli)
    assert (t["patient_external_id"], t["discharged_on"], t["facility"], t["reason"]) == (
        "MRN-1",
        DAY.isoformat(),
        "Riverside General",
        "Pneumonia",
    )
    assert (t["setting"], t["disposition"], t["source"]) == ("inpatient", "Home", "fhir")
    call, visit = schedule.transition_due_dates(DAY, "medium")
    assert followups(cli) == [("transition_call", call.isoformat()),
                              ("transition_visit", visit.isoformat())]  # fmt: skip
    r = cli.ok("import", "discharges", str(f))
    assert "created 0, updated 0, unchanged 1" in r.stderr
    assert len(listing(cli)) == 1 and len(followups(cli)) == 2


def test_searchset_by_patient_reference_emergency_and_skipped_entries(cli, tmp_path):
    add(cli, "MRN-2")
    ed = encounter("ENC-9", subject="https://hie.example/fhir/Patient/MRN-2", klass="EMER")
    del ed["serviceProvider"]
    ed["location"] = [{"location": {"display": "Riverside ED"}}]
    amb = encounter("ENC-10", subject="Patient/MRN-2", klass="AMB")
    planned = encounter("ENC-11", subject="Patient/MRN-2", status="planned", end=None)
    doc = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 3,
        "entry": [{"resource": e, "search": {"mode": "match"}} for e in (ed, amb, planned)],
    }
    f = tmp_path / "search.json"
    f.write_text(json.dumps(valid_r4(doc)))
    r = cli.ok("import", "discharges", str(f))
    assert r.stderr.splitlines() == [
        "note: entry 2: an outpatient encounter (AMB) is not a transition",
        "note: entry 3: an encounter with status planned is not imported",
        "imported discharges (fhir): created 1, updated 0, unchanged 0, skipped 2, failed 0",
    ]
    [t] = listing(cli)
    assert (t["facility"], t["setting"]) == ("Riverside ED", "emergency")
    call = schedule.add_business_days(DAY, 2)
    assert followups(cli) == [("call", (DAY + timedelta(days=7)).isoformat()),
                              ("transition_call", call.isoformat())]  # fmt: skip


def test_contained_patient_is_added_with_add_unknown(cli, tmp_path):
    patient = {**PATIENT, "id": "pat"}
    enc = encounter(subject="#pat", contained=[patient])
    f = tmp_path / "enc.json"
    f.write_text(json.dumps(valid_r4(enc)))
    r = cli("import", "discharges", str(f))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == (
        "entry 1, subject: patient not in the caseload (--add-unknown creates it)"
    )
    r = cli.ok("import", "discharges", str(f), "--add-unknown")
    assert r.stderr.splitlines()[-1].endswith("failed 0, patients added 1")
    p = json.loads(cli.ok("patients", "show", "MRN-1", "--format", "json").stdout)
    assert (p["given_name"], p["family_name"], p["birth_date"], p["sex"]) == (
        "Ana Luz",
        "Rivera",
        "1948-05-06",
        "female",
    )
    assert (p["phone"], p["language"]) == ("0555 0101", "es")
    assert listing(cli)[0]["patient_external_id"] == "MRN-1"


def test_ndjson_admission_then_a_later_version_discharges_then_corrects(cli, tmp_path):
    add(cli, risk="high")
    first = encounter(status="in-progress", end=None, subject="Patient/MRN-1")
    later = encounter(subject="Patient/MRN-1", meta={"versionId": "2"})
    f = tmp_path / "enc.ndjson"
    f.write_text(json.dumps(first) + "\n" + json.dumps(later) + "\n")
    r = cli.ok("import", "discharges", str(f))
    assert "created 1, updated 1, unchanged 0" in r.stderr  # the admission, then its discharge
    assert len(listing(cli)) == 1 and len(followups(cli)) == 2
    moved = DAY + timedelta(days=1)
    v3 = encounter(subject="Patient/MRN-1", end=f"{moved.isoformat()}T08:00:00Z")
    g = tmp_path / "v3.json"
    g.write_text(json.dumps(v3))
    assert "created 0, updated 1" in cli.ok("import", "discharges", str(g)).stderr
    [t] = listing(cli)
    call, visit = schedule.transition_due_dates(moved, "high")
    assert t["discharged_on"] == moved.isoformat()
    assert followups(cli) == [("transition_call", call.isoformat()),
                              ("transition_visit", visit.isoformat())]  # fmt: skip
    assert "unchanged 1" in cli.ok("import", "discharges", str(g)).stderr


def test_malformed_encounters_are_named_errors(cli, tmp_path):
    add(cli)
    bad = [
        encounter("E1", end="yesterday", subject="Patient/MRN-1"),
        encounter("E2", klass="", subject="Patient/MRN-1"),
        encounter("E3", subject=""),
        encounter("E4", end=None, subject="Patient/MRN-1"),
        {"resourceType": "Encounter", "status": "finished", "class": "IMP", "subject": 7},
    ]
    f = tmp_path / "bad.ndjson"
    f.write_text("\n".join(json.dumps(e) for e in bad) + "\n{not json\n")
    r = cli("import", "discharges", str(f))
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[:6] == [
        "entry 1, period.end: not a date",
        "entry 2, class: class (blank) is not IMP, EMER or ACUTE",
        "entry 3, subject: no patient (Patient in the file or Patient/ID)",
        "entry 4, period.end: a finished encounter needs period.end",
        "entry 5, Encounter: malformed resource",
        "entry 6, json: line 6: not valid JSON",
    ]
    assert listing(cli) == []
    g = tmp_path / "broken.json"
    g.write_text(json.dumps(message_bundle(encounter()), indent=2)[:-40])
    r = cli("import", "discharges", str(g))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0].startswith("entry 1, json: line ")
    assert r.stderr.splitlines()[0].endswith(": not valid JSON")
    assert "failed 1" in r.stderr
