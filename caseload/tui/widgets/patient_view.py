"""Renderings of one patient for the Patient screen: the header line and the text tabs."""

from __future__ import annotations

import json
from datetime import date

from rich.text import Text

from caseload.tui.widgets.format import age, day, name, yes


def header(p: dict, today: date) -> Text:
    t = Text()
    t.append(name(p), style="bold")
    t.append(f"  {p['external_id']} · age {age(p.get('birth_date'), today)}")
    t.append(f" · {p.get('phone') or 'no phone'} · {p.get('language') or '?'}")
    t.append(f" · risk {p.get('risk')}", style="bold red" if p.get("risk") == "high" else "")
    if p.get("status") != "active":
        t.append(f" · {p.get('status')}", style="bold yellow")
    consent = [
        k.removeprefix("may_") for k in ("may_call", "may_text", "may_email", "may_voicemail")
    ]
    flags = " ".join(f"{c}:{yes(p.get('may_' + c))}" for c in consent)
    t.append(f"\nconsent {flags}", style="dim")
    return t


def overview(p: dict) -> str:
    rows = [
        ("Preferred contact", p.get("preferred_contact")),
        ("Birth date", day(p.get("birth_date"))),
        ("Sex", p.get("sex")),
        ("Email", p.get("email")),
        ("Address", p.get("address")),
        ("Alt phone", p.get("alt_phone")),
        ("Programs", ", ".join(p.get("programs") or [])),
        ("Conditions", ", ".join(p.get("conditions") or [])),
        ("Social needs", ", ".join(p.get("social_needs") or [])),
        ("PCP", p.get("pcp")),
        ("Payer", p.get("payer")),
        ("Enrolled", day(p.get("enrolled_on"))),
        ("Status", f"{p.get('status')} {p.get('status_reason') or ''} {day(p.get('status_on'))}"),
        ("Notes", p.get("notes")),
    ]
    return "\n".join(f"{k + ':':<18} {v}" for k, v in rows if v not in (None, ""))


def care_plan(plan: dict | None, versions: list[dict]) -> str:
    if plan is None:
        return "No care plan yet. Add a problem with 'n'."
    lines = [
        f"Version {plan.get('version')} · review due {day(plan.get('review_on')) or 'not set'}",
    ]
    if plan.get("summary"):
        lines.append(plan["summary"])
    for prob in plan.get("problems", []):
        lines.append(f"\n● [{prob['category']}] {prob['description']}  (problem {prob['id']})")
        for g in prob.get("goals", []):
            target = f", target {day(g.get('target_on'))}" if g.get("target_on") else ""
            lines.append(f"   ◦ {g['description']} ({g['status']}{target})  (goal {g['id']})")
            for n in g.get("progress", []):
                lines.append(f"       {day(n['at'])}: {n['note']}")
            for i in g.get("interventions", []):
                who = f" — {i['responsible']}" if i.get("responsible") else ""
                lines.append(f"       → {i['description']} [{i['status']}]{who}")
    if versions:
        lines.append("\nVersions:")
        for v in versions:
            mark = " (current)" if v.get("is_current") else ""
            lines.append(
                f"  v{v['version']}{mark} {day(v.get('created_at'))}: {v['problems']} problems,"
                f" {v['goals']} goals, {v['interventions']} interventions"
            )
    return "\n".join(lines)


def history_detail(event: dict) -> str:
    try:
        detail = json.loads(event.get("detail") or "{}")
    except ValueError:
        return ""
    return ", ".join(f"{k}={v}" for k, v in sorted(detail.items()))
