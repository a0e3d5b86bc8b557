"""FHIR R4 Encounters (alone, in any Bundle incl. a message Bundle, or NDJSON) as feed items."""

from __future__ import annotations

import json
from datetime import datetime

from caseload.io.discharges import Item, Parsed, local
from caseload.services.feeds import Event

CLASSES = {"IMP": "inpatient", "ACUTE": "inpatient", "NONAC": "inpatient",
           "EMER": "emergency", "AMB": "outpatient", "VR": "outpatient", "HH": "outpatient"}  # fmt: skip
_SEX = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def looks_like(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n")[:1] == "{" and '"resourceType"' in text[:4096]


def _resources(text: str) -> list:
    """The top-level resources: one JSON document, else one per NDJSON line.

    A file whose first line is not a whole JSON value is one (broken) document: it
    gets one error, not one per line."""
    try:
        return [json.loads(text)]
    except (ValueError, RecursionError) as exc:
        whole = exc
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return [_unreadable(whole, 1)]
    out = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except (ValueError, RecursionError) as exc:
                out.append(_unreadable(exc, n))
    return out


def _unreadable(exc: Exception, line: int) -> ValueError:
    if isinstance(exc, RecursionError):
        return ValueError(f"line {line}: nested too deeply to read")
    at = exc.lineno if isinstance(exc, json.JSONDecodeError) and line == 1 else line
    return ValueError(f"line {at}: not valid JSON")


def _entries(resources: list) -> tuple[list, dict[str, dict]]:
    """Every resource (Bundles opened, of any type), and the Patients by the references
    an Encounter may use: ``Patient/ID`` and the entry's ``fullUrl`` (``urn:uuid:…``)."""
    entries: list = []
    people: dict[str, dict] = {}
    for res in resources:
        if isinstance(res, dict) and res.get("resourceType") == "Bundle":
            for e in res.get("entry") if isinstance(res.get("entry"), list) else []:
                got = e.get("resource") if isinstance(e, dict) else None
                entries.append(got)
                if _is_patient(got) and isinstance(e.get("fullUrl"), str):
                    people[e["fullUrl"]] = got
        else:
            entries.append(res)
    for res in entries:
        if _is_patient(res) and res.get("id"):
            people[f"Patient/{res['id']}"] = res
    return entries, people


def _is_patient(res) -> bool:
    return isinstance(res, dict) and res.get("resourceType") == "Patient"


def parse(text: str) -> Parsed:
    out = Parsed("fhir")
    entries, people = _entries(_resources(text))
    n = 0
    for res in entries:
        if isinstance(res, ValueError):
            n += 1
            out.items.append(Item(f"entry {n}", "", errors=[("json", str(res))]))
            continue
        if not isinstance(res, dict) or res.get("resourceType") != "Encounter":
            continue  # MessageHeader, Patient, Location …: read for context only
        n += 1
        item = Item(f"entry {n}", json.dumps(res, ensure_ascii=False))
        out.items.append(item)
        try:
            _read(res, item, people)
        except (AttributeError, TypeError, KeyError, IndexError):
            item.errors.append(("Encounter", "malformed resource"))
    return out


def _mrn(patient: dict) -> str:
    ids = [i for i in patient.get("identifier") or [] if isinstance(i, dict) and i.get("value")]
    for i in ids:
        codes = [c.get("code") for c in (i.get("type") or {}).get("coding") or []]
        if "MR" in codes:
            return str(i["value"]).strip()
    return str(ids[0]["value"]).strip() if ids else str(patient.get("id") or "").strip()


def _subject(res: dict, people: dict) -> tuple[str, dict]:
    ref = str((res.get("subject") or {}).get("reference") or "").strip()
    contained = {f"#{c.get('id')}": c for c in res.get("contained") or [] if isinstance(c, dict)}
    # An absolute reference (https://hie.example/fhir/Patient/7) ends in Patient/ID.
    tail = "Patient/" + ref.rsplit("Patient/", 1)[1] if "Patient/" in ref else ref
    patient = contained.get(ref) or people.get(ref) or people.get(tail)
    if patient is not None:
        return _mrn(patient), patient
    if tail.startswith("Patient/"):
        return tail.split("/", 1)[1].split("/_history", 1)[0].strip(), {}
    return "", {}


def _time(text) -> datetime | None:
    """A FHIR dateTime as naive local time; ValueError when it is not one."""
    if not text:
        return None
    if not isinstance(text, str):
        raise ValueError(text)
    return local(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _text(concept) -> str:
    if not isinstance(concept, dict):
        return ""
    codings = concept.get("coding") or [{}]
    return str(concept.get("text") or codings[0].get("display") or codings[0].get("code") or "")


def _read(res: dict, item: Item, people: dict) -> None:
    mrn, patient = _subject(res, people)
    if not mrn:
        item.errors.append(("subject", "no patient (Patient in the file or Patient/ID)"))
    klass = res.get("class") or {}
    if isinstance(klass, list):  # R5 and some R4 servers: a list of CodeableConcepts
        first = klass[0] if klass and isinstance(klass[0], dict) else {}
        klass = (first.get("coding") or [{}])[0]
    code = str(klass.get("code") or "").upper()
    setting = CLASSES.get(code)
    if setting is None:
        item.errors.append(("class", f"class {code or '(blank)'} is not IMP, EMER or ACUTE"))
    elif setting == "outpatient":
        item.note = f"{item.where}: an outpatient encounter ({code}) is not a transition"
        return
    status = res.get("status")
    period = res.get("period") or {}
    end = start = None
    try:
        start = _time(period.get("start"))
    except ValueError:
        item.errors.append(("period.start", "not a date"))
    try:
        end = _time(period.get("end"))
    except ValueError:
        item.errors.append(("period.end", "not a date"))
    if status == "finished" and end is None and not item.errors:
        item.errors.append(("period.end", "a finished encounter needs period.end"))
    if status not in ("finished", "in-progress", "arrived", "triaged", "onleave"):
        item.note = f"{item.where}: an encounter with status {status} is not imported"
        return
    if item.errors:
        return
    ident = [i for i in res.get("identifier") or [] if isinstance(i, dict) and i.get("value")]
    visit = str(ident[0]["value"]) if ident else f"Encounter/{res.get('id') or ''}"
    if visit == "Encounter/":
        item.errors.append(("identifier", "no identifier or id to know the visit again"))
        return
    hosp = res.get("hospitalization") or {}
    locations = [x.get("location") or {} for x in res.get("location") or [] if isinstance(x, dict)]
    facility = (res.get("serviceProvider") or {}).get("display") or next(
        (x.get("display") for x in locations if x.get("display")), None
    )
    facility = str(facility) if facility is not None else None
    item.event = Event(
        external_id=mrn,
        visit_key=f"{mrn}|{visit}",
        source="fhir",
        discharged_on=end.date() if status == "finished" else None,
        admitted_at=start,
        facility=facility,
        reason="; ".join(t for t in (_text(c) for c in res.get("reasonCode") or []) if t) or None,
        setting=setting,
        disposition=_text(hosp.get("dischargeDisposition")) or None,
    )
    item.patient = _patient(patient, mrn)


def _patient(p: dict, mrn: str) -> dict:
    names = p.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    phones = [t.get("value") for t in p.get("telecom") or [] if t.get("system") == "phone"]
    addr = (p.get("address") or [{}])[0]
    comm = sorted(p.get("communication") or [], key=lambda c: not c.get("preferred"))
    lang = ""
    if comm:
        lang = ((comm[0].get("language") or {}).get("coding") or [{}])[0].get("code") or ""
    return {
        "external_id": mrn,
        "given_name": " ".join(name.get("given") or []),
        "family_name": name.get("family") or "",
        "birth_date": p.get("birthDate") or "",
        "sex": _SEX.get(p.get("gender") or "", ""),
        "phone": phones[0] if phones else "",
        "address": ", ".join(
            [
                *(addr.get("line") or []),
                *(str(addr.get(k) or "") for k in ("city", "state", "postalCode")),
            ]
        ).strip(", "),
        "language": lang,
    }
