"""Encounters from CSV/XLSX: our columns, or Synthea's ``encounters.csv`` names."""

from __future__ import annotations

from datetime import date, datetime

from caseload.io.discharges import Item, Parsed, local
from caseload.services.feeds import Event

FIELDS = ("patient_external_id", "discharged_on", "facility", "reason", "setting",
          "admitted_at", "disposition", "visit_id")  # fmt: skip
ALIASES = {
    "patient": "patient_external_id", "patient_id": "patient_external_id",
    "external_id": "patient_external_id", "mrn": "patient_external_id",
    "stop": "discharged_on", "discharge_date": "discharged_on", "discharged": "discharged_on",
    "organization": "facility", "hospital": "facility",
    "encounterclass": "setting", "class": "setting",
    "reasondescription": "reason", "start": "admitted_at", "id": "visit_id",
    "visit_number": "visit_id", "encounter_id": "visit_id",
}  # fmt: skip
SETTINGS = {
    "inpatient": "inpatient", "i": "inpatient", "imp": "inpatient", "acute": "inpatient",
    "emergency": "emergency", "e": "emergency", "emer": "emergency", "ed": "emergency",
    "er": "emergency", "urgentcare": "outpatient", "ambulatory": "outpatient",
    "outpatient": "outpatient", "wellness": "outpatient", "o": "outpatient",
    "amb": "outpatient", "home": "outpatient", "virtual": "outpatient", "hospice": "outpatient",
    "snf": "outpatient",
}  # fmt: skip


def _key(header: str) -> str:
    h = header.strip().lower().replace(" ", "_").replace("-", "_")
    return h if h in FIELDS else ALIASES.get(h, "")


def when(text: str) -> datetime | date:
    """ISO date or date-time, else ValueError; a time with an offset (Synthea writes ``Z``)
    is taken to this computer's local time, so a late-evening discharge keeps its day."""
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return local(datetime.fromisoformat(text.replace("Z", "+00:00")))


def parse(table) -> Parsed:
    out = Parsed("csv", headers=list(table.headers))
    cols = {}
    for i, h in enumerate(table.headers):
        k = _key(h)
        if k and k not in cols:
            cols[k] = i
    missing = [k for k in ("patient_external_id", "discharged_on") if k not in cols]
    if missing:
        from caseload.errors import Invalid

        raise Invalid("the file has no " + " or ".join(missing) + " column")
    for n, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue
        item = Item(f"row {n}", ",".join(cells), cells=list(cells))
        out.items.append(item)
        row = {k: (cells[i].strip() if i < len(cells) else "") for k, i in cols.items()}
        _read(row, item)
    return out


def _read(row: dict, item: Item) -> None:
    mrn = row["patient_external_id"]
    if not mrn:
        item.errors.append(("patient_external_id", "blank"))
    raw = row.get("setting", "")
    setting = SETTINGS.get(raw.lower() or "inpatient")
    if setting is None:
        item.errors.append(("setting", f"{raw!r} is not inpatient or emergency"))
    elif setting == "outpatient":
        item.note = f"{item.where}: an encounter of class {raw.lower()} is not a transition"
        return
    discharged = admitted = None
    try:
        discharged = when(row["discharged_on"]) if row["discharged_on"] else None
    except ValueError:
        item.errors.append(("discharged_on", "not a date"))
    if not row["discharged_on"]:
        item.errors.append(("discharged_on", "blank"))  # a row is a discharge
    try:
        admitted = when(row["admitted_at"]) if row.get("admitted_at") else None
    except ValueError:
        item.errors.append(("admitted_at", "not a date"))
    if item.errors:
        return
    day = discharged.date() if isinstance(discharged, datetime) else discharged
    if isinstance(admitted, date) and not isinstance(admitted, datetime):
        admitted = datetime(admitted.year, admitted.month, admitted.day)
    facility = row.get("facility") or None
    visit = row.get("visit_id") or ""
    stamp = discharged.isoformat() if discharged else (admitted.isoformat() if admitted else "")
    item.event = Event(
        external_id=mrn,
        visit_key=f"{mrn}|{visit}" if visit else f"{mrn}|{facility or ''}|{stamp}",
        source="csv",
        discharged_on=day,
        admitted_at=admitted,
        facility=facility,
        reason=row.get("reason") or None,
        setting=setting,
        disposition=row.get("disposition") or None,
        numbered=bool(visit),
    )
    item.patient = {"external_id": mrn}
