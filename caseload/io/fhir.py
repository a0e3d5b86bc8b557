"""FHIR R4 in and out: a Patient resource as import fields, and the export Bundle.

Fields FHIR has no element for (risk, programs, consent flags…) travel as
extensions under ``EXT`` so a caseload export reads back to the same data; other
systems' Patients import with what FHIR itself carries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

EXT = "https://caseload.invalid/fhir/StructureDefinition/"
# Patient fields carried as extensions (valueString / valueBoolean / valueDate).
_EXT_FIELDS = (
    "preferred_contact", "may_call", "may_text", "may_email", "may_voicemail", "risk",
    "programs", "conditions", "social_needs", "pcp", "payer", "enrolled_on", "status",
    "status_reason", "status_on", "notes",
)  # fmt: skip
_BOOL = ("may_call", "may_text", "may_email", "may_voicemail")
_DATE = ("enrolled_on", "status_on")


def _is_mr(identifier: dict) -> bool:
    for coding in (identifier.get("type") or {}).get("coding") or []:
        if coding.get("code") == "MR":
            return True
    return False


def patient_fields(r: dict) -> dict:
    """The caseload fields a Patient resource carries (text values, as a CSV would)."""
    out: dict = {}
    ids = [i for i in r.get("identifier") or [] if isinstance(i, dict) and i.get("value")]
    mr = [i for i in ids if _is_mr(i)]
    out["external_id"] = (mr or ids)[0]["value"] if ids else (r.get("id") or "")
    names = [n for n in r.get("name") or [] if isinstance(n, dict)]
    official = [n for n in names if n.get("use") == "official"]
    usual = [n for n in names if n.get("use") in ("usual", "nickname")]
    name = (official or names or [{}])[0]
    out["given_name"] = " ".join(name.get("given") or [])
    out["family_name"] = name.get("family") or ""
    if not out["given_name"] and not out["family_name"] and name.get("text"):
        out["full_name"] = name["text"]
    if usual and usual[0] is not name and usual[0].get("given"):
        out["preferred_name"] = " ".join(usual[0]["given"])
    out["birth_date"] = r.get("birthDate") or ""
    out["sex"] = r.get("gender") or ""
    phones = [t for t in r.get("telecom") or [] if t.get("system") == "phone" and t.get("value")]
    phones.sort(key=lambda t: t.get("rank") or 99)
    if phones:
        out["phone"] = phones[0]["value"]
    if len(phones) > 1:
        out["alt_phone"] = phones[1]["value"]
    emails = [t for t in r.get("telecom") or [] if t.get("system") == "email" and t.get("value")]
    if emails:
        out["email"] = emails[0]["value"]
    addresses = [a for a in r.get("address") or [] if isinstance(a, dict)]
    if addresses:
        a = addresses[0]
        out["address"] = a.get("text") or ", ".join(
            p
            for p in [*(a.get("line") or []), a.get("city"), a.get("state"), a.get("postalCode")]
            if p
        )
    comms = [c for c in r.get("communication") or [] if isinstance(c, dict)]
    comms.sort(key=lambda c: not c.get("preferred"))
    if comms:
        lang = comms[0].get("language") or {}
        codes = [c.get("code") for c in lang.get("coding") or [] if c.get("code")]
        out["language"] = codes[0] if codes else (lang.get("text") or "")
    for ext in r.get("extension") or []:
        url = ext.get("url") or ""
        if url.startswith(EXT) and url[len(EXT) :] in (*_EXT_FIELDS, "sex"):
            key = url[len(EXT) :]
            for vk in ("valueString", "valueBoolean", "valueDate"):
                if vk in ext:
                    out[key] = ext[vk]
    return out


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def patient_resource(p: dict) -> dict:
    ref = f"Patient/{_rid(p['external_id'])}"
    r: dict = {
        "resourceType": "Patient",
        "id": ref.split("/")[1],
        "identifier": [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "value": p["external_id"],
            }
        ],
        "active": p.get("status") != "discharged",
        "name": [{"use": "official", "family": p["family_name"], "given": [p["given_name"]]}],
    }
    if p.get("preferred_name"):
        r["name"].append({"use": "usual", "given": [p["preferred_name"]]})
    telecom = []
    for rank, key in enumerate(("phone", "alt_phone"), 1):
        if p.get(key):
            telecom.append({"system": "phone", "value": p[key], "rank": rank})
    if p.get("email"):
        telecom.append({"system": "email", "value": p["email"]})
    if telecom:
        r["telecom"] = telecom
    if p.get("sex") in ("male", "female", "other", "unknown"):
        r["gender"] = p["sex"]
    if p.get("birth_date"):
        r["birthDate"] = _iso(p["birth_date"])
    if p.get("address"):
        r["address"] = [{"text": p["address"]}]
    if p.get("language"):
        r["communication"] = [{"language": {"text": p["language"]}, "preferred": True}]
    ext = []
    for key in _EXT_FIELDS:
        v = p.get(key)
        if isinstance(v, list):
            v = ";".join(v)
        if v is None or v == "":
            continue
        vk = "valueBoolean" if key in _BOOL else "valueDate" if key in _DATE else "valueString"
        ext.append({"url": EXT + key, vk: _iso(v) if key in _DATE else v})
    if p.get("sex") and "gender" not in r:
        ext.append({"url": EXT + "sex", "valueString": p["sex"]})
    if ext:
        r["extension"] = ext
    return r


def _rid(external_id: str) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) derived from the external id."""
    import re

    rid = re.sub(r"[^A-Za-z0-9.-]", "-", external_id)[:64]
    return rid or "patient"


# --- the export Bundle -------------------------------------------------------------------

_TASK_STATUS = {"open": "requested", "done": "completed", "cancelled": "cancelled"}
_TASK_PRIORITY = {1: "asap", 2: "urgent", 3: "routine", 4: "routine"}
_GOAL_STATUS = {
    "not_started": "planned",
    "in_progress": "active",
    "achieved": "completed",
    "not_achieved": "completed",
    "cancelled": "cancelled",
}


def _ref(external_id: str) -> dict:
    return {"reference": f"Patient/{_rid(external_id)}"}


def _task(f: dict) -> dict:
    t = {
        "resourceType": "Task",
        "id": f"followup-{f['id']}",
        "status": _TASK_STATUS.get(f["status"], "requested"),
        "intent": "plan",
        "priority": _TASK_PRIORITY.get(f.get("priority") or 3, "routine"),
        "code": {"text": f["kind"]},
        "description": f["title"],
        "for": _ref(f["patient_external_id"]),
        "executionPeriod": {"end": _iso(f["due_on"])},
    }
    if f.get("unable_reason"):  # closed as unable to reach: Task.statusReason says why
        t["statusReason"] = {
            "coding": [{"system": EXT + "unable-reason", "code": f["unable_reason"]}],
            "text": "unable to reach: " + f["unable_reason"].replace("_", " "),
        }
    if f.get("notes"):
        t["note"] = [{"text": f["notes"]}]
    return t


def _communication(c: dict) -> dict:
    r = {
        "resourceType": "Communication",
        "id": f"contact-{c['id']}",
        "status": "completed",
        "subject": _ref(c["patient_external_id"]),
        "sent": _iso(c["at"]),
        "medium": [{"text": c["method"]}],
        "topic": {"text": c["outcome"]},
    }
    if c.get("note"):
        r["note"] = [{"text": c["note"]}]
    return r


def _plan(p: dict) -> list[dict]:
    goals = []
    notes = []
    for prob in p.get("problems") or []:
        for g in prob.get("goals") or []:
            goal = {
                "resourceType": "Goal",
                "id": f"goal-{g['id']}",
                "lifecycleStatus": _GOAL_STATUS.get(g["status"], "active"),
                "description": {"text": g["description"]},
                "subject": _ref(p["patient_external_id"]),
            }
            if g.get("target_on"):
                goal["target"] = [{"dueDate": _iso(g["target_on"])}]
            if g["status"] in ("achieved", "not_achieved"):
                code = g["status"].replace("_", "-")
                goal["achievementStatus"] = {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                         "code": code}
                    ]
                }  # fmt: skip
            goals.append(goal)
            notes += [{"text": f"intervention: {i['description']}"} for i in g["interventions"]]
    plan = {
        "resourceType": "CarePlan",
        "id": f"careplan-{p['id']}",
        "status": "active",
        "intent": "plan",
        "subject": _ref(p["patient_external_id"]),
        "goal": [{"reference": f"Goal/{g['id']}"} for g in goals],
    }
    if p.get("summary"):
        plan["description"] = p["summary"]
    if notes:
        plan["note"] = notes
    if not plan["goal"]:
        del plan["goal"]
    return [plan, *goals]


def _care_teams(rows: list[dict]) -> list[dict]:
    teams: dict[str, list[dict]] = {}
    for m in rows:
        if m.get("patient_external_id"):
            teams.setdefault(m["patient_external_id"], []).append(m)
    out = []
    for ext, members in teams.items():
        out.append(
            {
                "resourceType": "CareTeam",
                "id": f"careteam-{_rid(ext)}",
                "status": "active",
                "subject": _ref(ext),
                "participant": [
                    {"role": [{"text": m["role"]}], "member": {"display": m["name"]}}
                    for m in members
                ],
            }
        )
    return out


def bundle(records: dict[str, list[dict]]) -> dict:
    """A Bundle (type collection) of the given kinds' records as FHIR R4 resources."""
    resources: list[dict] = []
    for kind, rows in records.items():
        if kind == "patients":
            resources += [patient_resource(p) for p in rows]
        elif kind == "contacts":
            resources += [_communication(c) for c in rows]
        elif kind == "followups":
            resources += [_task(f) for f in rows]
        elif kind == "careplans":
            for p in rows:
                resources += _plan(p)
        elif kind == "careteam":
            resources += _care_teams(rows)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "entry": [{"resource": r} for r in resources],
    }
