"""Renderings of one patient for the Patient screen: the header line, the text tabs and the
rows of its tables.

Long lines wrap under their own text, not under the label or bullet before them
(a two-column grid per line), and codes show as words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from caseload.tui.render import action, age, day, label, name, repeats, yes

LABEL_WIDTH = 19


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def header(p: dict, today: date) -> Text:
    t = Text()
    t.append(name(p), style="bold")
    t.append(f"  {p['external_id']} · age {age(p.get('birth_date'), today)}")
    t.append(f" · {p.get('phone') or 'no phone'} · {p.get('language') or '?'}")
    t.append(f" · risk {p.get('risk')}", style="bold red" if p.get("risk") == "high" else "")
    if p.get("status") != "active":
        t.append(f" · {label(p.get('status'))}", style="bold yellow")
    consent = [
        k.removeprefix("may_") for k in ("may_call", "may_text", "may_email", "may_voicemail")
    ]
    flags = " ".join(f"{c}:{yes(p.get('may_' + c))}" for c in consent)
    t.append(f"\nconsent {flags}", style="dim")
    return t


def hang(prefix: str, text: str | Text, style: str = "") -> Table:
    """``prefix`` then ``text``; wrapped lines of ``text`` start under its first letter."""
    grid = Table.grid(expand=True)
    grid.add_column(width=cell_len(prefix), no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text(prefix, style=style), text if isinstance(text, Text) else Text(text))
    return grid


def _step(t: Mapping, step: str, name: str) -> str:
    """A transition's call or visit (``transitions.listing`` keys): due, done or cancelled."""
    status = t.get(f"{step}_status")
    if status is None:
        return ""
    if status == "done":
        return f"{name} done {day(t.get(f'{step}_done_on'))}".strip()
    if status == "cancelled":
        return f"{name} cancelled"
    return f"{name} due {day(t.get(f'{step}_due_on'))}"


def discharge_line(t: Mapping) -> str:
    """One hospital discharge: when, where from, why, and its call and visit."""
    where = t.get("facility") or "facility not recorded"
    if t.get("setting") and t.get("setting") != "inpatient":
        where += f" ({label(t['setting'])})"
    reason = f": {t['reason']}" if t.get("reason") else ""
    steps = (
        _step(t, "call", "call"),
        _step(t, "visit", "visit"),
        _step(t, "followup_call", "follow-up call"),
    )
    return " · ".join((f"{day(t.get('discharged_on'))} from {where}{reason}", *filter(None, steps)))


def overview(p: dict, transitions: Iterable[Mapping] = ()) -> Group:
    status = " ".join(
        x for x in (label(p.get("status")), p.get("status_reason"), day(p.get("status_on"))) if x
    )
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
        ("Status", status),
    ]
    # transitions.listing gives them newest first.
    rows += [("Left hospital", discharge_line(t)) for t in transitions]
    rows.append(("Notes", p.get("notes")))
    return Group(
        *(hang(f"{k + ':':<{LABEL_WIDTH}}", str(v)) for k, v in rows if v not in (None, ""))
    )


def care_plan(plan: dict | None, versions: list[dict]) -> RenderableType:
    if plan is None:
        return Text("No care plan yet. Add a problem with 'n'.")
    lines: list[RenderableType] = [
        Text(
            f"Version {plan.get('version')} · review due {day(plan.get('review_on')) or 'not set'}"
        ),
    ]
    if plan.get("summary"):
        lines.append(Text(plan["summary"]))
    for prob in plan.get("problems", []):
        lines.append(Text(""))
        lines.append(
            hang("● ", f"[{label(prob['category'])}] {prob['description']}  (problem {prob['id']})")
        )
        for g in prob.get("goals", []):
            target = f", target {day(g.get('target_on'))}" if g.get("target_on") else ""
            goal = f"{g['description']} ({label(g['status'])}{target})  (goal {g['id']})"
            lines.append(hang("   ◦ ", goal))
            for n in g.get("progress", []):
                lines.append(hang(f"       {day(n['at'])}: ", n["note"]))
            for i in g.get("interventions", []):
                who = f" — {i['responsible']}" if i.get("responsible") else ""
                lines.append(hang("       → ", f"{i['description']} [{label(i['status'])}]{who}"))
    if versions:
        lines.append(Text(""))
        lines.append(Text("Versions:"))
        for v in versions:
            mark = " (current)" if v.get("is_current") else ""
            counts = ", ".join(
                (
                    plural(v["problems"], "problem"),
                    plural(v["goals"], "goal"),
                    plural(v["interventions"], "intervention"),
                )
            )
            made = day(v.get("created_at"))
            lines.append(hang(f"  v{v['version']}{mark} ", f"{made}: {counts}" if made else counts))
    return Group(*lines)


def _value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(label(v) for v in value)
    if value is True:
        return "yes"
    return label(value)


def history_detail(event: Mapping, transitions: Mapping[str, Mapping] | None = None) -> str:
    """An audit event's detail in words: empty and zero values left out; a recorded
    discharge names its facility and reason."""
    if event.get("entity") == "transition" and transitions:
        t = transitions.get(str(event.get("entity_id")))
        if t is not None:
            return discharge_line(t)
    try:
        detail = json.loads(event.get("detail") or "{}")
    except ValueError:
        return ""
    if not isinstance(detail, dict):
        return ""
    return ", ".join(
        f"{label(k)} {_value(v)}"
        for k, v in sorted(detail.items())
        if v not in (None, "", 0, [], False)
    )


# --- the Patient screen's tables: rows keyed by record id --------------------------


def standing(f: Mapping, today: date) -> str:
    """A follow-up's status, with an open one past its date called overdue."""
    if f["status"] == "open" and f["due_on"] < today:
        return "overdue"
    return label(f["status"])


def contact_rows(contacts: Iterable[Mapping]) -> dict[str, tuple]:
    return {
        str(c["id"]): (
            day(c["at"]) + (" +" if c.get("addendum_to") else ""),
            label(c["method"]),
            label(c["party"]),
            label(c["outcome"]),
            ("addendum: " if c.get("addendum_to") else "") + (c.get("note") or ""),
        )
        for c in contacts
    }


def followup_rows(
    followups: Iterable[Mapping], today: date, contacts: Iterable[Mapping] = (), needed: int = 3
) -> dict[str, tuple]:
    """The Follow-ups tab; an open one with failed attempts (its patient's contacts logged
    against it that reached no one) says "attempt 2 of 3" after its title."""
    from caseload.services.duelist_referrals import attempt_text

    failed: dict[int, int] = {}
    for c in contacts:
        if c.get("followup_id") and c["outcome"] != "reached" and not c.get("addendum_to"):
            failed[c["followup_id"]] = failed.get(c["followup_id"], 0) + 1

    def what(f: Mapping) -> str:
        text = f"{label(f['kind'])}: {f['title']}"
        if f["status"] == "open" and failed.get(f["id"]):
            text += f" ({attempt_text(failed[f['id']], needed)})"
        return text

    return {
        str(f["id"]): (
            str(f["id"]),
            day(f["due_on"]),
            what(f),
            standing(f, today),
            repeats(f.get("rrule")),
        )
        for f in followups
    }


def team_rows(team: Iterable[Mapping]) -> dict[str, tuple]:
    return {
        str(m["id"]): (
            m["name"],
            label(m["role"]),
            m.get("relationship") or "",
            m.get("phone") or "",
        )
        for m in team
    }


def referral_rows(referrals: Iterable[Mapping]) -> dict[str, tuple]:
    return {
        str(r["id"]): (
            str(r["id"]),
            r["to_name"],
            r["reason"],
            label(r["status"]),
            day(r["sent_on"]),
        )
        for r in referrals
    }


def history_rows(events: Sequence[Mapping], transitions: Iterable[Mapping]) -> dict[str, tuple]:
    """Audit events newest first, each detail in words."""
    by_id = {str(t["id"]): t for t in transitions}
    return {
        str(e["id"]): (day(e["at"]), e["actor"], action(e["action"]), history_detail(e, by_id))
        for e in reversed(events)
    }


# --- what the goal and intervention forms offer to pick from ------------------------


def problem_choices(plan: Mapping | None) -> list[tuple[str, int]]:
    """The current plan's problems as (label, id), oldest first."""
    return [
        (f"{p['description']} (problem {p['id']})", p["id"])
        for p in (plan or {}).get("problems", [])
    ]


def goal_choices(plan: Mapping | None) -> list[tuple[str, int]]:
    """The current plan's goals as (label, id), problem by problem."""
    return [
        (f"{g['description']} (goal {g['id']})", g["id"])
        for p in (plan or {}).get("problems", [])
        for g in p.get("goals", [])
    ]
