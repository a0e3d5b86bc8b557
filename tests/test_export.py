"""`caseload export`: every format, neutralised cells, redaction, 0600 files, audit, and re-import."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
from test_import_patients import patients


def seed(cli):
    cli.ok("patients", "add", "--external-id", "P-1", "--given-name", "Amina", "--family-name",
           "Okafor", "--phone", "+44 20 7946 0958", "--birth-date", "1960-04-02",
           "--program", "diabetes", "--program", "chf", "--may-text", "yes")  # fmt: skip
    cli.ok("patients", "add", "--external-id", "P-2", "--given-name", "=HYPERLINK()",
           "--family-name", "@Li")  # fmt: skip
    cli.ok("followups", "add", "P-1", "--title", "Call about meds", "--due", "2030-01-02",
           "--every", "monthly")  # fmt: skip
    cli.ok("followups", "add", "P-2", "--title", "-visit", "--due", "2030-01-05", "--kind", "visit")
    cli.ok("contacts", "log", "P-1", "--method", "phone", "--outcome", "reached", "--note", "+ok")
    cli.ok("careplans", "problem", "P-1", "--description", "Diabetes control")
    cli.ok("careplans", "goal", "1", "--description", "A1c under 8", "--target", "2030-06-01")
    cli.ok("careteam", "add", "--name", "Dr Ade", "--role", "PCP")
    cli.ok("careteam", "link", "P-1", "1", "--relationship", "PCP")


def test_csv_columns_and_formula_neutralised(cli):
    seed(cli)
    out = cli.ok("export", "patients").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0].keys())[:3] == ["external_id", "given_name", "family_name"]
    by_id = {r["external_id"]: r for r in rows}
    assert by_id["P-2"]["given_name"] == "'=HYPERLINK()"
    assert by_id["P-2"]["family_name"] == "'@Li"
    assert by_id["P-1"]["phone"] == "'+44 20 7946 0958"
    assert by_id["P-1"]["programs"] == "diabetes;chf" and by_id["P-1"]["may_text"] == "yes"
    f = list(csv.DictReader(io.StringIO(cli.ok("export", "followups").stdout)))
    assert [r["patient_external_id"] for r in f] == ["P-1", "P-2"]
    assert f[1]["title"] == "'-visit"


def test_json_matches_patients_list(cli):
    seed(cli)
    assert json.loads(cli.ok("export", "patients", "--format", "json").stdout) == patients(cli)
    lines = cli.ok("export", "contacts", "--format", "ndjson").stdout.splitlines()
    [c] = [json.loads(line) for line in lines]
    assert c["patient_external_id"] == "P-1" and c["note"] == "+ok"


def test_output_file_is_0600_and_audited(cli, tmp_path, read):
    from caseload.services import audit

    seed(cli)
    out = tmp_path / "p.xlsx"
    r = cli.ok("export", "patients", "--format", "xlsx", "--output", str(out))
    assert r.stderr == f"exported 2 patients to {out}\n"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with read() as s:
        [ev] = [e for e in audit.list_events(s) if e["action"] == "export.patients"]
        assert audit.verify(s) == []
    assert json.loads(ev["detail"]) == {"format": "xlsx", "patients": 2, "redacted": False}
    from openpyxl import load_workbook

    ws = load_workbook(out).active
    assert [c.value for c in ws[1]][:2] == ["external_id", "given_name"]


def test_redact(cli):
    seed(cli)
    rows = json.loads(cli.ok("export", "patients", "--format", "json", "--redact").stdout)
    p1 = next(r for r in rows if r["external_id"] == "P-1")
    assert (p1["given_name"], p1["family_name"]) == ("A.", "O.")
    assert p1["phone"] == "••••••••••58"
    assert "Amina" not in json.dumps(rows) and "7946" not in json.dumps(rows)


def test_fhir_bundle_is_valid_r4(cli, tmp_path):
    from fhir.resources.bundle import Bundle as R5Bundle
    from fhir.resources.R4B.bundle import Bundle

    seed(cli)
    for kind in ("patients", "followups", "contacts", "careplans"):
        data = json.loads(cli.ok("export", kind, "--format", "fhir").stdout)
        assert Bundle.model_validate(data).type == "collection"
        # These resources are shaped the same in R5, which fhir.resources loads by default.
        assert R5Bundle.model_validate(data).type == "collection"
    data = json.loads(cli.ok("export", "patients", "--format", "fhir").stdout)
    types = [e["resource"]["resourceType"] for e in data["entry"]]
    assert types == ["Patient", "Patient"]
    p = next(
        e["resource"] for e in data["entry"] if e["resource"]["identifier"][0]["value"] == "P-1"
    )
    assert p["name"][0] == {"use": "official", "family": "Okafor", "given": ["Amina"]}
    out = tmp_path / "all"
    cli.ok("export", "all", "--format", "fhir", "--output", str(out))
    entries = json.loads((out / "bundle.json").read_text())["entry"]
    Bundle.model_validate(json.loads((out / "bundle.json").read_text()))
    kinds = {e["resource"]["resourceType"] for e in entries}
    assert kinds == {"Patient", "Task", "Communication", "CarePlan", "Goal", "CareTeam"}


def test_fhir_export_reimports_to_the_same_patients(cli, tmp_path):
    seed(cli)
    before = patients(cli)
    f = tmp_path / "b.json"
    cli.ok("export", "patients", "--format", "fhir", "--output", str(f))
    other = fresh(tmp_path)
    other.ok("import", "patients", str(f))
    assert patients(other) == before


def fresh(tmp_path):
    from conftest import Cli

    other = Cli(tmp_path / "other" / "c.db", tmp_path / "other" / "c.key")
    other.ok("init")
    return other


def test_export_careteam_imports_back(cli, tmp_path):
    """`export careteam` (docs/cli.md names it) writes what `import careteam` reads."""
    seed(cli)
    f = tmp_path / "team.csv"
    cli.ok("export", "careteam", "--output", str(f))
    other = fresh(tmp_path)
    other.ok("patients", "add", "--external-id", "P-1", "--given-name", "A", "--family-name", "O")
    assert "created 1" in other.ok("import", "careteam", str(f)).stderr
    team = json.loads(other.ok("careteam", "list", "--format", "json").stdout)
    assert [(m["name"], m["role"]) for m in team] == [("Dr Ade", "PCP")]


def test_ics_parses_back(cli):
    from icalendar import Calendar

    seed(cli)
    cli.ok("followups", "add", "P-2", "--title", "Later", "--due", "2030-02-01")
    fid = json.loads(cli.ok("followups", "list", "--format", "json").stdout)[-1]["id"]
    cli.ok("followups", "cancel", str(fid), "--reason", "moved")
    cal = Calendar.from_ical(cli.ok("export", "followups", "--format", "ics").stdout)
    todos = [c for c in cal.walk("VTODO")]
    assert [str(t["summary"]) for t in todos] == ["Call about meds (P-1)", "-visit (P-2)"]
    assert todos[0].decoded("due").isoformat() == "2030-01-02"
    r = cli("export", "patients", "--format", "ics")
    assert r.exit_code == 2
    assert r.stderr == "caseload: --format ics exports follow-ups only\n"


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "xlsx"])
def test_export_all_folder_imports_back(cli, tmp_path, fmt):
    seed(cli)
    out = tmp_path / "all"
    cli.ok("export", "all", "--format", fmt, "--output", str(out))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    other = fresh(tmp_path)
    for kind in ("patients", "careteam", "contacts", "followups"):
        other.ok("import", kind, str(out / f"{kind}.{fmt}"))
    assert patients(other) == patients(cli)

    def strip(rows, *drop):
        return [{k: v for k, v in r.items() if k not in drop} for r in rows]

    ids = ("id", "series_id", "completed_contact_id")
    fu = ["followups", "list", "--status", "all", "--format", "json"]
    assert strip(json.loads(other.ok(*fu).stdout), *ids) == strip(
        json.loads(cli.ok(*fu).stdout), *ids
    )
    c = ["contacts", "list", "--format", "json"]
    assert strip(json.loads(other.ok(*c).stdout), "id") == strip(
        json.loads(cli.ok(*c).stdout), "id"
    )
    # Importing the same folder again changes nothing.
    r = other.ok("import", "patients", str(out / f"patients.{fmt}"))
    assert "created 0, updated 0, unchanged 2" in r.stderr


def test_export_all_needs_a_folder(cli):
    r = cli("export", "all")
    assert r.exit_code == 2
    assert r.stderr == "caseload: export all needs --output DIR (one file per kind goes there)\n"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_unable_to_reach_survives_export_and_import(cli, tmp_path, fmt):
    """A follow-up closed as unable to reach goes out with its reason and comes back as
    unable to reach (not completed), so the report counts it the same in both stores."""
    seed(cli)
    added = cli.ok("followups", "add", "P-2", "--title", "Call back", "--due", "today")
    fid = added.stderr.split()[2]  # "Added follow-up N for patient …"
    for _ in range(2):
        cli.ok("contacts", "log", "P-2", "--method", "phone", "--outcome", "no_answer",
               "--followup", fid)  # fmt: skip
    cli.ok("followups", "done", fid, "--unable-to-reach", "phone not working",
           "--outcome", "wrong_number")  # fmt: skip
    listed = json.loads(cli.ok("followups", "list", "--status", "all", "-f", "json").stdout)
    assert [f["unable_reason"] for f in listed if str(f["id"]) == fid] == ["phone_not_working"]
    out = tmp_path / f"followups.{fmt}"
    cli.ok("export", "followups", "--format", fmt, "--output", str(out))
    if fmt == "csv":
        assert "unable_reason" in out.read_text(encoding="utf-8").splitlines()[0].split(",")
    other = fresh(tmp_path)
    cli.ok("export", "patients", "--format", fmt, "--output", str(tmp_path / f"p.{fmt}"))
    other.ok("import", "patients", str(tmp_path / f"p.{fmt}"))
    other.ok("import", "followups", str(out))
    back = json.loads(other.ok("followups", "list", "--status", "all", "-f", "json").stdout)
    assert [f["unable_reason"] for f in back if f["title"] == "Call back"] == ["phone_not_working"]

    def unable(c):
        report = json.loads(c.ok("report", "--format", "json").stdout)
        return [
            (f["numerator"], f["denominator"])
            for m in report["measures"]
            for f in m["figures"]
            if "unable" in f["key"]
        ]

    assert unable(other) == unable(cli) != []
    assert unable(cli)[0][0] == 1
    # FHIR says it too: the Task's statusReason (valid R4).
    from fhir.resources.R4B.bundle import Bundle

    bundle = json.loads(cli.ok("export", "followups", "--format", "fhir").stdout)
    Bundle.model_validate(bundle)
    reasons = [e["resource"].get("statusReason", {}).get("text") for e in bundle["entry"]]
    assert reasons.count("unable to reach: phone not working") == 1


def test_import_reads_unable_reason_labels_and_refuses_others(cli, tmp_path):
    seed(cli)
    f = tmp_path / "f.csv"
    f.write_text(
        "patient_external_id,title,due_on,status,completed_at,unable_reason\n"
        "P-1,Call A,2030-01-05,done,2025-01-06T10:00,No answer after repeated calls\n"
        "P-1,Call B,2030-01-06,done,2025-01-06T10:00,bored\n"
        "P-1,Call C,2030-01-07,open,,moved\n",
        encoding="utf-8",
    )
    r = cli("import", "followups", str(f))
    assert r.exit_code == 1
    assert "row 3, column unable_reason: must be one of no_answer_after_repeated_calls" in r.stderr
    assert "row 4, column unable_reason: needs status done" in r.stderr
    assert cli.ok("followups", "list", "--status", "all", "-f", "json").stdout.count("Call") == 1
    f.write_text(f.read_text(encoding="utf-8").splitlines()[0] + "\n"
                 + f.read_text(encoding="utf-8").splitlines()[1] + "\n", encoding="utf-8")  # fmt: skip
    cli.ok("import", "followups", str(f))
    rows = json.loads(cli.ok("followups", "list", "--status", "done", "-f", "json").stdout)
    assert [r["unable_reason"] for r in rows] == ["no_answer_after_repeated_calls"]
