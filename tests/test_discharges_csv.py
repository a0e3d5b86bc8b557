"""`caseload import discharges` with spreadsheets: Synthea's encounters.csv and our own columns
(CSV and XLSX); the rejects file keeps the rows as they were."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import pytest

from caseload.services import schedule

DAY = date.today() - timedelta(days=5)
SYNTHEA = [
    "Id", "START", "STOP", "PATIENT", "ORGANIZATION", "PROVIDER", "PAYER", "ENCOUNTERCLASS",
    "CODE", "DESCRIPTION", "BASE_ENCOUNTER_COST", "TOTAL_CLAIM_COST", "PAYER_COVERAGE",
    "REASONCODE", "REASONDESCRIPTION",
]  # fmt: skip


@pytest.fixture(autouse=True)
def utc(local_zone):
    """Synthea writes UTC times (``Z``), read as local time: one zone for every run."""
    local_zone("UTC")


def row(ident, patient, klass, stop, reason="Pneumonia"):
    start = f"{(DAY - timedelta(days=2)).isoformat()}T08:00:00Z"
    return [ident, start, stop, patient, "Org-7", "Prov-1", "Payer-1", klass, "183452005",
            "Emergency hospital admission", "129.16", "129.16", "0.00", "233604007", reason]  # fmt: skip


def write(path, rows, header=SYNTHEA):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def add(cli, *exts):
    for ext in exts:
        cli.ok("patients", "add", "--external-id", ext, "--given-name", "Test", "--family-name",
               "Person", "--risk", "low")  # fmt: skip


def listing(cli):
    return json.loads(cli.ok("patients", "transitions", "--format", "json").stdout)


def followups(cli):
    rows = json.loads(cli.ok("followups", "list", "--format", "json").stdout)
    return sorted((f["patient_external_id"], f["kind"], f["due_on"]) for f in rows)


def test_synthea_encounters_csv(cli, tmp_path):
    add(cli, "p-1", "p-2")
    stop = f"{DAY.isoformat()}T10:30:00Z"
    good = [
        row("e-1", "p-1", "inpatient", stop),
        row("e-2", "p-2", "emergency", stop, reason="Chest pain"),
        row("e-3", "p-1", "wellness", stop),
    ]
    bad = [
        row("e-4", "p-1", "inpatient", "2025-02-30T10:00:00Z"),
        row("e-5", "p-9", "inpatient", stop),
    ]
    f = write(tmp_path / "encounters.csv", good + bad)
    r = cli("import", "discharges", str(f))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "note: row 4: an encounter of class wellness is not a transition",
        "row 5, discharged_on: not a date",
        "row 6, patient_external_id: patient not in the caseload (--add-unknown creates it)",
        "errors by reason:",
        "  discharged_on: not a date (1)",
        "  patient_external_id: patient not in the caseload (--add-unknown creates it) (1)",
        "nothing written (all or nothing): created 2, updated 0, unchanged 0, skipped 1, failed 2",
        "  fix those, or import the valid ones with --skip-invalid --rejects FILE",
    ]
    assert listing(cli) == []
    rejects = tmp_path / "rejects.csv"
    r = cli.ok("import", "discharges", str(f), "--skip-invalid", "--rejects", str(rejects))
    assert r.stderr.splitlines()[-1] == (
        "imported discharges (csv): created 2, updated 0, unchanged 0, skipped 1, failed 2"
    )
    with rejects.open(newline="", encoding="utf-8") as fh:
        kept = list(csv.reader(fh))
    assert kept[0] == [*SYNTHEA, "reason"]
    assert kept[1] == [*bad[0], "discharged_on: not a date"]
    assert kept[2][:15] == bad[1] and kept[2][15].startswith("patient_external_id: patient not")
    rows = {t["patient_external_id"]: t for t in listing(cli)}
    assert (rows["p-1"]["facility"], rows["p-1"]["reason"], rows["p-1"]["setting"]) == (
        "Org-7",
        "Pneumonia",
        "inpatient",
    )
    assert (rows["p-2"]["reason"], rows["p-2"]["setting"]) == ("Chest pain", "emergency")
    call, visit = schedule.transition_due_dates(DAY, "low")
    assert followups(cli) == [
        ("p-1", "transition_call", call.isoformat()),
        ("p-1", "transition_visit", visit.isoformat()),
        ("p-2", "call", (DAY + timedelta(days=7)).isoformat()),
        ("p-2", "transition_call", call.isoformat()),
    ]
    r = cli.ok("import", "discharges", str(write(tmp_path / "again.csv", good)))
    assert "created 0, updated 0, unchanged 2, skipped 1, failed 0" in r.stderr
    assert len(followups(cli)) == 4


def test_our_columns_in_xlsx_without_visit_ids(cli, tmp_path):
    from openpyxl import Workbook

    add(cli, "MRN-1")
    wb = Workbook()
    ws = wb.active
    ws.append(["Patient External ID", "Discharged On", "Facility", "Reason", "Setting"])
    ws.append(["MRN-1", DAY.isoformat(), "Mercy", "Fall", "ED"])
    ws.append(["MRN-1", "", "Mercy", "Fall", "inpatient"])
    path = tmp_path / "discharges.xlsx"
    wb.save(path)
    r = cli("import", "discharges", str(path))
    assert r.exit_code == 1 and r.stderr.splitlines()[0] == "row 3, discharged_on: blank"
    ws.delete_rows(3)
    wb.save(path)
    cli.ok("import", "discharges", str(path))
    [t] = listing(cli)
    assert (t["discharged_on"], t["facility"], t["setting"], t["source"]) == (
        DAY.isoformat(),
        "Mercy",
        "emergency",
        "csv",
    )
    # No visit id: patient + facility + day is the visit, so a re-run finds it.
    assert "unchanged 1" in cli.ok("import", "discharges", str(path)).stderr
    assert len(followups(cli)) == 2


def test_a_file_with_neither_column_names_what_is_missing(cli, tmp_path):
    f = write(tmp_path / "x.csv", [["a", "b"]], header=["name", "when"])
    r = cli("import", "discharges", str(f))
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "caseload: the file has no patient_external_id or discharged_on column"
    )
