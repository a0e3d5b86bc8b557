"""Import from XLSX, JSON, NDJSON and FHIR R4, and of contacts, follow-ups and care teams."""

from __future__ import annotations

import json
from datetime import date, datetime

from test_import_patients import patients, write


def add_patient(cli, ext="P-1"):
    cli.ok(
        "patients", "add", "--external-id", ext, "--given-name", "Amina", "--family-name", "Okafor"
    )


def test_xlsx_first_sheet_or_named_sheet_typed_cells(cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Notes"
    ws.append(["nothing here"])
    ws2 = wb.create_sheet("Caseload")
    ws2.append([None])
    ws2.append(["MRN", "First Name", "Last Name", "DOB", "Phone", "may_text"])
    ws2.append(["X-1", "Amina", "Okafor", datetime(1960, 4, 2), "0123 456", True])
    ws2.append([1002, "Bo", "Li", date(1970, 1, 31), None, False])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    r = cli("import", "patients", str(path))
    assert r.exit_code == 1
    assert r.stderr.startswith("caseload: missing required columns: external_id, given_name")
    r = cli("import", "patients", str(path), "--sheet", "Nope")
    assert r.stderr == f"caseload: {path} has no sheet named 'Nope' (sheets: Notes, Caseload)\n"
    cli.ok("import", "patients", str(path), "--sheet", "Caseload")
    rows = {p["external_id"]: p for p in patients(cli)}
    assert rows["X-1"]["birth_date"] == "1960-04-02" and rows["X-1"]["may_text"] is True
    assert rows["1002"]["birth_date"] == "1970-01-31" and rows["1002"]["phone"] is None


def test_xlsx_errors_name_the_sheet_row(cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["external_id", "given_name", "family_name", "risk"])
    ws.append(["A", "B", "C", "extreme"])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    r = cli("import", "patients", str(path))
    assert r.stderr.splitlines()[0] == "row 2, column risk: must be one of high, medium, low"


def test_json_array_and_ndjson(cli, tmp_path):
    data = [
        {"external_id": "J-1", "given_name": "A", "family_name": "B", "programs": ["bh", "sud"],
         "may_email": True, "extra": {"x": 1}},
        {"external_id": "J-2", "given_name": "C", "family_name": "D", "birth_date": None},
    ]  # fmt: skip
    r = cli("import", "patients", str(write(tmp_path, "p.json", json.dumps(data))))
    assert r.exit_code == 0
    assert r.stderr.splitlines()[0] == "ignored columns: extra"
    rows = {p["external_id"]: p for p in patients(cli)}
    assert rows["J-1"]["programs"] == ["bh", "sud"] and rows["J-1"]["may_email"] is True
    nd = '{"external_id": "N-1", "given_name": "A", "family_name": "B"}\n\n{"external_id": "N-2"}\n'
    r = cli("import", "patients", str(write(tmp_path, "p.ndjson", nd)))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == "line 3, column given_name: required"


def fhir_patient(rid: str, **extra) -> dict:
    return {"resourceType": "Patient", "id": rid, **extra}


def test_fhir_bundle_identifiers_names_language(cli, tmp_path):
    mr = {"type": {"coding": [{"code": "MR"}]}, "value": "MRN-7"}
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": fhir_patient(
                "a", identifier=[{"value": "SSN-1"}, mr],
                name=[{"use": "usual", "given": ["Mimi"]},
                      {"use": "official", "family": "Okafor", "given": ["Amina", "N."]}],
                communication=[{"language": {"coding": [{"code": "en"}]}},
                               {"language": {"coding": [{"code": "so"}]}, "preferred": True}],
                birthDate="1960-04-02", gender="female",
                telecom=[{"system": "phone", "value": "0123"}, {"system": "email", "value": "a@b.c"}],
            )},
            {"resource": fhir_patient("b", identifier=[{"value": "X-2"}],
                                      name=[{"family": "Li", "given": ["Bo"]}])},
            {"resource": fhir_patient("res-3", name=[{"family": "Ng", "given": ["Al"]}])},
            {"resource": {"resourceType": "Observation", "id": "o1"}},
        ],
    }  # fmt: skip
    r = cli("import", "patients", str(write(tmp_path, "b.json", json.dumps(bundle))))
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines()[0] == "note: skipped 1 FHIR resources that are not Patients"
    rows = {p["external_id"]: p for p in patients(cli)}
    assert set(rows) == {"MRN-7", "X-2", "res-3"}
    a = rows["MRN-7"]
    assert (a["given_name"], a["family_name"], a["preferred_name"]) == (
        "Amina N.",
        "Okafor",
        "Mimi",
    )
    assert (a["language"], a["birth_date"], a["sex"], a["phone"], a["email"]) == (
        "so", "1960-04-02", "female", "0123", "a@b.c",
    )  # fmt: skip


def test_fhir_single_patient_and_ndjson(cli, tmp_path):
    one = fhir_patient("s1", name=[{"family": "Okafor", "given": ["Amina"]}])
    cli.ok("import", "patients", str(write(tmp_path, "p.json", json.dumps(one))))
    lines = "\n".join(
        json.dumps(fhir_patient(f"n{i}", name=[{"family": "F", "given": ["G"]}])) for i in range(3)
    )
    cli.ok("import", "patients", str(write(tmp_path, "p.ndjson", lines)))
    assert sorted(p["external_id"] for p in patients(cli)) == ["n0", "n1", "n2", "s1"]


def test_contacts_import_unknown_patient_and_rerun(cli, tmp_path):
    add_patient(cli)
    text = (
        "patient_external_id,at,method,outcome,duration_min,note\n"
        "P-1,2025-03-04T10:30:00+00:00,phone,reached,12,'=talked\n"
        "P-9,2025-03-04T11:00:00+00:00,phone,reached,,\n"
    )
    f = write(tmp_path, "c.csv", text)
    r = cli("import", "contacts", str(f))
    assert r.exit_code == 1
    assert (
        r.stderr.splitlines()[0] == "row 3, column patient_external_id: unknown patient_external_id"
    )
    f = write(tmp_path, "c.csv", "\n".join(text.splitlines()[:2]) + "\n")
    cli.ok("import", "contacts", str(f))
    r = cli.ok("import", "contacts", str(f))
    assert r.stderr == "imported contacts: created 0, updated 0, unchanged 1, skipped 0, failed 0\n"
    [c] = json.loads(cli.ok("contacts", "list", "--format", "json").stdout)
    assert (c["method"], c["outcome"], c["duration_min"], c["note"]) == (
        "phone",
        "reached",
        12,
        "=talked",
    )
    assert c["at"].startswith("2025-03-04")


def test_contacts_in_the_future_and_bad_method(cli, tmp_path):
    add_patient(cli)
    text = "patient_external_id,at,method,outcome\nP-1,2999-01-01T00:00,phone,reached\nP-1,2025-01-01,fax,reached\n"
    r = cli("import", "contacts", str(write(tmp_path, "c.csv", text)))
    assert r.stderr.splitlines()[:2] == [
        "row 2, column at: in the future",
        "row 3, column method: must be one of phone, text, home_visit, clinic_visit, video, email, provider",
    ]


def test_followups_import(cli, tmp_path):
    add_patient(cli)
    text = (
        "MRN,Task,Due Date,kind,priority,rrule\n"
        "P-1,Call about meds,2025-06-01,call,2,weekly\n"
        "P-1,Visit,2025-06-03,visit,9,\n"
    )
    r = cli("import", "followups", str(write(tmp_path, "f.csv", text)))
    assert r.stderr.splitlines()[0] == "row 3, column priority: must be 1 (urgent) to 4 (low)"
    cli.ok("import", "followups", str(write(tmp_path, "f.csv", "\n".join(text.splitlines()[:2]))))
    [f] = json.loads(cli.ok("followups", "list", "--format", "json").stdout)
    assert (f["title"], f["due_on"], f["priority"], f["rrule"]) == (
        "Call about meds", "2025-06-01", 2, "FREQ=WEEKLY",
    )  # fmt: skip
    assert f["series_id"] == f["id"]


def test_careteam_import_links_members(cli, tmp_path):
    add_patient(cli)
    text = "name,role,organization,phone,patient_external_id,relationship\nDr Ade,PCP,Clinic,0123,P-1,PCP\nSam,caregiver,,,P-1,son\n"
    cli.ok("import", "careteam", str(write(tmp_path, "t.csv", text)))
    r = cli.ok("import", "careteam", str(write(tmp_path, "t.csv", text)))
    assert "created 0" in r.stderr
    team = json.loads(cli.ok("careteam", "list", "P-1", "--format", "json").stdout)
    assert sorted((m["name"], m["relationship"]) for m in team) == [
        ("Dr Ade", "PCP"),
        ("Sam", "son"),
    ]


def test_fhir_is_for_patients_only(cli, tmp_path):
    f = write(tmp_path, "b.json", json.dumps(fhir_patient("x")))
    r = cli("import", "contacts", str(f))
    assert r.exit_code == 1
    assert r.stderr == "caseload: FHIR files import patients only\n"


def test_cp1252_is_detected_for_other_kinds_too(cli, tmp_path):
    add_patient(cli)
    data = "MRN,title,due_on\nP-1,Café visit,2025-06-01\n".encode("cp1252")
    cli.ok("import", "followups", str(write(tmp_path, "f.csv", data)))
    [f] = json.loads(cli.ok("followups", "list", "--format", "json").stdout)
    assert f["title"] == "Café visit"


def test_followup_update_leaves_columns_the_file_lacks(cli, tmp_path):
    add_patient(cli)
    cli.ok("followups", "add", "P-1", "--title", "Call", "--due", "2025-06-01")
    cli.ok("followups", "done", "1", "--outcome", "reached")
    f = write(tmp_path, "f.csv", "MRN,title,due_on,kind,priority\nP-1,Call,2025-06-01,call,1\n")
    r = cli.ok("import", "followups", str(f))
    assert (
        r.stderr == "imported followups: created 0, updated 1, unchanged 0, skipped 0, failed 0\n"
    )
    rows = json.loads(cli.ok("followups", "list", "--status", "all", "--format", "json").stdout)
    assert [(x["status"], x["priority"]) for x in rows] == [("done", 1)]
