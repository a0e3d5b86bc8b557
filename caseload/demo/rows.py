"""The row builder behind `caseload demo`: synthetic patients and everything around them.

Rows are plain tuples in the column order of COLUMNS, with every value already
in the form SQLAlchemy stores (dates 'YYYY-MM-DD', timestamps
'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, booleans 0/1), so a bulk insert needs no
conversion and the ORM reads them back like its own. Ids are assigned here so
rows can point at each other without reading anything back.
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect
from collections.abc import Callable
from datetime import date
from itertools import accumulate

from caseload.demo import pools as P
from caseload.services.patients import phone_digits, search_key

# Above this many patients, plans, history contacts and referrals get lighter per
# patient (every patient still has a plan, contacts and all its follow-ups).
LIGHT_ABOVE = 20_000
CREATED_BY = "demo"
PAST_DAYS, FUTURE_DAYS = 1500, 400  # the day offsets from today that rows can use
# The driver binds None through its adapter lookup, which raises and swallows two
# AttributeErrors per value: ten times the cost of a string. Rows carry "" for
# NULL instead, and the nullable columns are written through NULLIF(?, '').
NULL = ""
_DONE_METHOD = {"visit": "home_visit", "appointment": "clinic_visit", "screening": "clinic_visit"}

# fmt: off
COLUMNS = {
    "care_team_member": ("id", "name", "role", "organization", "phone", "email", "created_at"),
    "patient": (
        "id", "external_id", "given_name", "family_name", "preferred_name", "birth_date", "sex",
        "phone", "alt_phone", "email", "address", "language", "preferred_contact", "may_call",
        "may_text", "may_email", "may_voicemail", "risk", "programs", "conditions",
        "social_needs", "pcp", "payer", "enrolled_on", "status", "status_reason", "status_on",
        "notes", "search_name", "phone_digits", "created_at", "updated_at",
    ),
    "patient_care_team": ("patient_id", "member_id", "relationship"),
    "transition": (
        "id", "patient_id", "discharged_on", "facility", "reason", "created_at", "setting",
        "status", "admitted_at", "disposition", "source", "visit_key", "updated_at",
    ),
    "contact": (
        "id", "patient_id", "at", "method", "party", "outcome", "duration_min", "note",
        "followup_id", "addendum_to", "created_at", "created_by",
    ),
    "followup": (
        "id", "patient_id", "title", "kind", "due_on", "window_before", "window_after",
        "priority", "rrule", "from_completion", "series_id", "status", "completed_at",
        "completed_contact_id", "cancelled_reason", "transition_id", "notes", "created_at",
        "unable_reason",
    ),
    "care_plan": (
        "id", "patient_id", "version", "is_current", "review_on", "summary", "created_at",
        "created_by",
    ),
    "care_plan_problem": ("id", "plan_id", "description", "category"),
    "goal": ("id", "problem_id", "description", "target_on", "status"),
    "intervention": ("id", "goal_id", "description", "responsible", "status"),
    "goal_progress": ("id", "goal_id", "at", "note"),
    "contact_goal": ("contact_id", "goal_id"),
    "referral": (
        "id", "patient_id", "to_name", "to_organization", "reason", "status", "sent_on",
        "accepted_on", "declined_on", "completed_on", "closed_on", "note", "created_at",
        "expected_response_on",
    ),
}
# fmt: on
WITH_ID = [t for t, cols in COLUMNS.items() if cols[0] == "id"]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in folded.lower() if c.isalnum())


class RowBuilder:
    """Builds rows chunk by chunk; ids are assigned here so rows can point at each other."""

    def __init__(self, rng: random.Random, today: date, fpp: int, total: int, ids: dict):
        self.rng, self.r, self.today, self.fpp, self.total = rng, rng.random, today, fpp, total
        self.light = total > LIGHT_ABOVE
        self.ids = ids
        base = today.toordinal()
        self.days = [
            date.fromordinal(base + o).isoformat() for o in range(-PAST_DAYS, FUTURE_DAYS + 1)
        ]
        self.times = [f" {h:02d}:{m:02d}:00.000000" for h in range(13, 23) for m in range(0, 60, 5)]
        self.counts = dict.fromkeys(COLUMNS, 0)
        self.cultures = [
            (
                c[0],
                self.pick(*zip(*c[2], strict=True)),
                P.split_names(c[3]),
                P.split_names(c[4]),
                P.split_names(c[5]),
                c[6],
            )
            for c in P.CULTURES
        ]
        self.culture = self.pick(self.cultures, [c[1] for c in P.CULTURES])
        self.phone_fmt = self.pick(P.PHONE_FORMATS, P.PHONE_WEIGHTS)
        self.program = self.pick(P.PROGRAMS, P.PROGRAM_WEIGHTS)
        self.payer = self.pick(P.PAYERS, P.PAYER_WEIGHTS)
        self.method = self.pick(P.CONTACT_METHODS, P.CONTACT_METHOD_WEIGHTS)
        self.outcome = self.pick(P.CONTACT_OUTCOMES, P.CONTACT_OUTCOME_WEIGHTS)
        # A follow-up kind, its titles, and how a completed one was done.
        self.kind_titles = self.pick(
            [(k, P.FOLLOWUP_TITLES[k], _DONE_METHOD.get(k, "phone")) for k in P.FOLLOWUP_KINDS],
            P.FOLLOWUP_KIND_WEIGHTS,
        )
        self.ref_status = self.pick(P.REFERRAL_STATUSES, P.REFERRAL_WEIGHTS)
        self.slugs: dict[str, str] = {}

    # --- small helpers --------------------------------------------------------------

    def pick(self, items, weights=None) -> Callable:
        """A fast weighted choice from ``items`` (bisect over cumulative weights)."""
        items = tuple(items)
        r = self.r
        if weights is None:
            n = len(items)
            return lambda: items[int(r() * n)]
        cum = list(accumulate(weights))
        top = cum[-1]
        return lambda: items[bisect(cum, r() * top)]

    def one(self, items):
        return items[int(self.r() * len(items))]

    def next_id(self, table: str) -> int:
        i = self.ids[table]
        self.ids[table] = i + 1
        return i

    def day(self, offset: int) -> str:
        return self.days[max(-PAST_DAYS, min(FUTURE_DAYS, offset)) + PAST_DAYS]

    def stamp(self, offset: int) -> str:
        return self.day(offset) + self.times[int(self.r() * len(self.times))]

    def phone(self) -> str:
        return self.phone_fmt().format(a=self.one(P.AREA_CODES), n=int(self.r() * 100))

    def slug(self, name: str) -> str:
        s = self.slugs.get(name)
        if s is None:
            s = self.slugs[name] = _ascii(name) or "x"
        return s

    # --- the care team pool ---------------------------------------------------------

    def team_pool(self, rows: dict) -> dict[str, list[tuple[int, str]]]:
        """PCPs, specialists, behavioral health, social workers, pharmacists, sized to the caseload."""
        sizes = {
            "PCP": max(6, self.total // 250),
            "specialist": max(3, self.total // 1000),
            "behavioral health": max(2, self.total // 1500),
            "social worker": max(3, self.total // 800),
            "pharmacist": max(2, self.total // 2000),
        }
        pool: dict[str, list[tuple[int, str]]] = {}
        for role, n in sizes.items():
            orgs = P.TEAM_ROLES[role]
            pool[role] = []
            for _ in range(n):
                c = self.culture()
                given, family = self.one(c[2] + c[3]), self.one(c[4]).split("/")[0]
                name = (
                    f"Dr. {given} {family}"
                    if role in ("PCP", "specialist")
                    else f"{given} {family}"
                )
                mid = self.next_id("care_team_member")
                email = f"{self.slug(given)}.{self.slug(family)}{mid}@example.org"
                rows["care_team_member"].append(
                    (mid, name, role, self.one(orgs), self.phone(), email, self.stamp(-1400))
                )
                pool[role].append((mid, name))
        return pool

    def patient(self, index: int, rows: dict, pool: dict) -> dict:
        """One patient row; returns what the rest of its rows (plans, follow-ups…) need."""
        r = self.r
        key, language, females, males, families, nicknames = self.culture()
        female = r() < 0.55
        given = self.one(females if female else males)
        family = self.one(families)
        if "/" in family:
            family = family.split("/")[1 if female else 0]
        preferred = nicknames.get(given, NULL) if r() < 0.5 else NULL
        pid = self.next_id("patient")
        risk = "high" if r() < 0.2 else ("medium" if r() < 0.5625 else "low")
        age = 19 + int(r() * 76)
        birth = date.fromordinal(
            self.today.toordinal() - int((age + r() * 0.99) * 365.2425)
        ).isoformat()
        programs, conditions, needs = self._health(female, age)
        phone, alt, email, contact_pref = self._reach(given, family, pid)
        enrolled = -(30 + int(r() * 1000))
        transition = (index == 3 and self.total >= 5) or r() < 0.02
        status, reason, status_on = self._status(index < 4 or transition, enrolled)
        pcp_id, pcp = self.one(pool["PCP"])
        created = self.stamp(enrolled)
        sex = ("female" if female else "male") if r() > 0.005 else "other"
        address = (
            f"{1 + int(r() * 240)} {self.one(P.STREETS)}"
            + (f", Apt {1 + int(r() * 12)}" if r() < 0.3 else "")
            + f", {self.one(P.CITIES)}"
        )
        # In COLUMNS["patient"] order; the draws run left to right, as they always have.
        rows["patient"].append(
            (pid, f"DEMO-{pid:06d}", given, family, preferred, birth, sex, phone, alt, email,
             address, language(), contact_pref, int(r() < 0.93),
             int(contact_pref == "text" or r() < 0.6), int(email != NULL and r() < 0.8),
             int(r() < 0.55), risk, ";".join(programs), ";".join(conditions), ";".join(needs),
             pcp, self.payer(), self.day(enrolled), status, reason,
             NULL if status_on is None else self.day(status_on),
             self.one(P.PATIENT_NOTES) if r() < 0.2 else NULL,
             search_key(given, family, preferred), phone_digits(phone, alt), created,
             created if status_on is None else self.stamp(status_on))
        )  # fmt: skip
        return {
            "id": pid, "index": index, "culture": key, "family": family, "risk": risk,
            "programs": programs, "needs": needs, "status": status, "enrolled": enrolled,
            "transition": transition, "females": females, "males": males, "pcp_id": pcp_id,
        }  # fmt: skip

    # Each helper draws its random numbers in the order ``patient`` always did, so a
    # seed still makes the same store.

    def _health(self, female: bool, age: int) -> tuple[list[str], list[str], list[str]]:
        """Programs (prenatal only for women under 45), their conditions, social needs."""
        r = self.r
        programs: list[str] = []
        for _ in range(1 + (r() < 0.45) + (r() < 0.15)):
            prog = self.program()
            if prog == "prenatal" and not (female and age < 45):
                prog = "hypertension"
            if prog not in programs:
                programs.append(prog)
        conditions = [self.one(P.CONDITIONS[prog]) for prog in programs]
        if r() < 0.3:
            extra = self.one(P.EXTRA_CONDITIONS)
            if extra not in conditions:
                conditions.append(extra)
        needs: list[str] = []
        for _ in range((r() < 0.45) + (r() < 0.15)):
            need = self.one(P.SOCIAL_NEEDS)
            if need not in needs:
                needs.append(need)
        return programs, conditions, needs

    def _reach(self, given: str, family: str, pid: int) -> tuple[str, str, str, str]:
        """Phone, alternate phone, email and the preferred way to be contacted."""
        r = self.r
        phone = self.phone() if r() < 0.96 else NULL
        alt = self.phone() if r() < 0.15 else NULL
        email = NULL
        if r() < 0.4:
            email = f"{self.slug(given)}.{self.slug(family)}{pid}@example.org"
        contact_pref = "text" if r() < 0.25 else ("email" if email and r() < 0.15 else "phone")
        if r() < 0.08:
            contact_pref = "visit"
        return phone, alt, email, contact_pref

    def _status(self, keep_active: bool, enrolled: int) -> tuple[str, str, int | None]:
        """Mostly active; 9% on hold or discharged (never the first four or a discharge)."""
        r = self.r
        status, reason, status_on = "active", NULL, None
        roll = r()
        if not keep_active and roll < 0.09:
            status = "discharged" if roll < 0.04 else "on_hold"
            reason = self.one(P.DISCHARGE_REASONS if status == "discharged" else P.HOLD_REASONS)
            status_on = -(1 + int(r() * min(90, -enrolled - 1)))
        return status, reason, status_on

    def team_links(self, p: dict, rows: dict, pool: dict) -> None:
        r, pid = self.r, p["id"]
        links = rows["patient_care_team"]
        links.append((pid, p["pcp_id"], "PCP"))
        if p["needs"]:
            links.append((pid, self.one(pool["social worker"])[0], "social worker"))
        if {"chf", "diabetes", "ckd"} & set(p["programs"]) and r() < 0.5:
            links.append((pid, self.one(pool["pharmacist"])[0], "pharmacist"))
        if {"bh", "sud"} & set(p["programs"]):
            links.append((pid, self.one(pool["behavioral health"])[0], "behavioral health"))
        if r() < 0.3:
            links.append((pid, self.one(pool["specialist"])[0], "specialist"))
        if r() < 0.12:
            mid = self.next_id("care_team_member")
            given = self.one(p["females"] + p["males"])
            rows["care_team_member"].append(
                (mid, f"{given} {p['family']}", "caregiver", NULL, self.phone(), NULL,
                 self.stamp(p["enrolled"]))
            )  # fmt: skip
            links.append((pid, mid, self.one(P.CAREGIVER_RELATIONS)))

    def contact(self, p: dict, rows: dict, off: int, method: str, outcome: str) -> tuple:
        cid = self.next_id("contact")
        at = self.stamp(off)
        party = (
            "provider" if method == "provider" else ("caregiver" if self.r() < 0.1 else "patient")
        )
        duration = 5 + int(self.r() * 40) if outcome == "reached" else NULL
        row = (cid, p["id"], at, method, party, outcome, duration,
               self.one(P.CONTACT_NOTES[outcome]), NULL, NULL, at, CREATED_BY)  # fmt: skip
        rows["contact"].append(row)
        return row

    def history(self, p: dict, rows: dict, goals: list[int]) -> None:
        """Months of contacts: 2-8 over the last six months (0-2 at scale, besides completions)."""
        r = self.r
        n = int(r() * 3) if self.light else 2 + int(r() * 7)
        for _ in range(n):
            row = self.contact(p, rows, -(1 + int(r() * 183)), self.method(), self.outcome())
            if goals and row[5] == "reached" and r() < 0.25:
                rows["contact_goal"].append((row[0], self.one(goals)))
