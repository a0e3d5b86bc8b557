"""The follow-up engine's pure rules: windows, classification, business days, priority score.

Nothing here touches the store: every function is a function of its arguments
(including "today"), which is what lets hypothesis check them against plain
reference implementations. *Overdue* and *missed* are computed here, never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import NamedTuple

# Default windows per kind: (days before due it shows as due, days after due until missed).
# Chosen from how programs run them: a transition call has no slack (the 2-business-day
# rule is the window), screenings and plan reviews have weeks.
DEFAULT_WINDOWS: dict[str, tuple[int, int]] = {
    "call": (0, 3),
    "visit": (2, 7),
    "med_review": (3, 14),
    "screening": (7, 30),
    "appointment": (0, 0),
    "transition_call": (0, 0),
    "transition_visit": (1, 3),
    "care_plan_review": (7, 14),
    "other": (0, 7),
}
FALLBACK_WINDOW = (0, 7)

OVERDUE = "overdue"
DUE = "due"
UPCOMING = "upcoming"
LATER = "later"


def window_for(
    kind: str,
    before: int | None,
    after: int | None,
    overrides: Mapping[str, tuple[int, int]] | None = None,
) -> tuple[int, int]:
    """The follow-up's own window, else the configured one for its kind, else the default."""
    base = (overrides or {}).get(kind) or DEFAULT_WINDOWS.get(kind, FALLBACK_WINDOW)
    return (base[0] if before is None else before, base[1] if after is None else after)


class Standing(NamedTuple):
    status: str  # overdue | due | upcoming | later
    days_overdue: int
    missed: bool


def classify(
    due_on: date, today: date, window: tuple[int, int], lookahead_days: int = 0
) -> Standing:
    """Where an open follow-up stands on ``today``.

    overdue: past its due date (and missed once more than ``after`` days past it);
    due: due on ``today``;
    upcoming: due later, and either its window is open (it shows from ``before``
    days ahead) or it falls within ``lookahead_days``;
    later: not on the list yet.
    """
    before, after = window
    days = (today - due_on).days
    if days > 0:
        return Standing(OVERDUE, days, days > after)
    if days == 0:
        return Standing(DUE, 0, False)
    if -days <= max(before, lookahead_days):
        return Standing(UPCOMING, 0, False)
    return Standing(LATER, 0, False)


# --- rules the services and the TUI forms share (pure, so the forms need no SQLModel) ---

# Recurrence presets and the RRULE each stands for.
RRULE_PRESETS = {
    "daily": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
    "quarterly": "FREQ=MONTHLY;INTERVAL=3",
    "yearly": "FREQ=YEARLY",
    "annually": "FREQ=YEARLY",
}
# The contact method a completion records when none is given.
DEFAULT_METHOD = {
    "call": "phone",
    "transition_call": "phone",
    "med_review": "phone",
    "visit": "home_visit",
    "transition_visit": "home_visit",
    "appointment": "clinic_visit",
    "screening": "clinic_visit",
}
# Calls and visits are done by reaching someone: completing one always records its
# contact (a not-reached outcome is a contact attempt). Other kinds (paperwork, a
# plan review, an appointment kept elsewhere) may be done with no contact at all.
CONTACT_KINDS = ("call", "visit", "transition_call", "transition_visit")


def may_skip_contact(kind: str) -> bool:
    """Whether a follow-up of ``kind`` can be completed with no contact recorded."""
    return kind not in CONTACT_KINDS


def records_contact(kind: str, *, no_contact: bool | None, contact_given: bool) -> bool:
    """Whether completing a follow-up records a contact: the one rule for CLI and TUI.

    ``no_contact`` True: none (refused for calls and visits); False: one. None
    (not said): one when an outcome or method was given (``contact_given``) or the
    kind has a natural method (``DEFAULT_METHOD``: calls, visits, reviews,
    appointments, screenings); none for the rest (``care_plan_review``, ``other``),
    so a paperwork task is never logged as a phone call that reached the patient.
    """
    if no_contact:
        if not may_skip_contact(kind):
            raise ValueError(
                f"a {kind.replace('_', ' ')} is done by a contact: "
                "record its outcome (no answer, left message…) instead"
            )
        if contact_given:
            raise ValueError("a follow-up done with no contact takes no outcome or method")
        return False
    if no_contact is False or contact_given:
        return True
    return kind in DEFAULT_METHOD


# Where a referral may go next. A declined referral is closed to end the loop.
REFERRAL_NEXT: dict[str, tuple[str, ...]] = {
    "sent": ("accepted", "declined"),
    "accepted": ("completed", "declined"),
    "completed": ("closed",),
    "declined": ("closed",),
    "closed": (),
}
# Transition of care (SPEC): a call within 2 business days, a visit within 7 days for
# high-risk patients, 14 otherwise.
CALL_BUSINESS_DAYS = 2
VISIT_DAYS = {"high": 7}
VISIT_DAYS_DEFAULT = 14


# The settings a discharge is recorded from. An emergency-department visit gets a
# follow-up call within 7 days instead of the visit (HEDIS FUA/FUM count 7 and 30 days
# after an ED visit); outpatient encounters are not transitions of care.
TRANSITION_SETTINGS = ("inpatient", "emergency")
EMERGENCY_CALL_DAYS = 7
DISCHARGE_FUTURE = "the discharge date is in the future"


def transition_due_dates(
    discharged_on: date, risk: str | None, holidays: frozenset[date] = frozenset()
) -> tuple[date, date]:
    """The post-discharge call's and visit's due dates."""
    call = add_business_days(discharged_on, CALL_BUSINESS_DAYS, holidays)
    visit = discharged_on + timedelta(days=VISIT_DAYS.get(risk or "", VISIT_DAYS_DEFAULT))
    return call, visit


class PlannedFollowUp(NamedTuple):
    kind: str
    title: str
    due_on: date
    priority: int


def transition_followups(
    discharged_on: date,
    risk: str | None,
    setting: str = "inpatient",
    holidays: frozenset[date] = frozenset(),
) -> list[PlannedFollowUp]:
    """The follow-ups a discharge creates: the one rule for the CLI, the TUI and the feeds.

    Every discharge: a call within 2 business days. Inpatient: a visit within 7 days
    (high risk) or 14. Emergency: a follow-up call within 7 days instead of the visit.
    """
    if setting not in TRANSITION_SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(TRANSITION_SETTINGS)}")
    call, visit = transition_due_dates(discharged_on, risk, holidays)
    first = PlannedFollowUp("transition_call", "Post-discharge call", call, 1)
    if setting == "emergency":
        week = discharged_on + timedelta(days=EMERGENCY_CALL_DAYS)
        return [first, PlannedFollowUp("call", "7-day follow-up call after ED visit", week, 2)]
    return [first, PlannedFollowUp("transition_visit", "Post-discharge visit", visit, 2)]


def discharge_date_problem(
    discharged_on: date, today: date, max_age_days: int | None = None
) -> str | None:
    """Why a discharge date cannot be recorded, or None: never in the future.

    ``max_age_days`` (the feeds' limit) also refuses discharges too old for the
    2-business-day call to mean anything.
    """
    if discharged_on > today:
        return DISCHARGE_FUTURE
    if max_age_days is not None and (today - discharged_on).days > max_age_days:
        return f"the discharge date is more than {max_age_days} days ago"
    return None


# --- business days --------------------------------------------------------------


def parse_holidays(values: Iterable[str | date]) -> frozenset[date]:
    out = set()
    for v in values:
        out.add(v if isinstance(v, date) else date.fromisoformat(str(v)))
    return frozenset(out)


def is_business_day(d: date, holidays: frozenset[date] = frozenset()) -> bool:
    return d.weekday() < 5 and d not in holidays


def add_business_days(start: date, n: int, holidays: frozenset[date] = frozenset()) -> date:
    """The n-th business day after ``start`` (n >= 0; n = 0 is ``start`` itself)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    d = start
    while n > 0:
        d += timedelta(days=1)
        if is_business_day(d, holidays):
            n -= 1
    return d


# --- priority score -----------------------------------------------------------------

RISK_POINTS = {"high": 30, "medium": 15, "low": 0}
KIND_POINTS = {
    "transition_call": 25,
    "transition_visit": 20,
    "med_review": 10,
    "visit": 8,
    "appointment": 8,
    "call": 5,
    "screening": 3,
    "care_plan_review": 3,
}
PRIORITY_POINTS = {1: 20, 2: 10, 3: 0, 4: -5}


def priority_breakdown(
    *,
    risk: str,
    kind: str,
    priority: int,
    days_overdue: int,
    transition: bool,
    days_since_reached: int | None,
) -> list[tuple[str, int]]:
    """The parts of the priority score, each named, so people can see why an item ranks high."""
    parts: list[tuple[str, int]] = [
        (f"risk {risk}", RISK_POINTS.get(risk, 0)),
        (f"kind {kind}", KIND_POINTS.get(kind, 0)),
    ]
    if PRIORITY_POINTS.get(priority, 0):
        parts.append((f"priority {priority}", PRIORITY_POINTS[priority]))
    if days_overdue > 0:
        parts.append((f"{days_overdue} days overdue", min(2 * days_overdue, 40)))
    if transition:
        parts.append(("transition of care", 20))
    if days_since_reached is None:
        parts.append(("never reached", 15))
    elif days_since_reached > 60:
        parts.append((f"not reached for {days_since_reached} days", 15))
    elif days_since_reached > 30:
        parts.append((f"not reached for {days_since_reached} days", 8))
    return [(label, pts) for label, pts in parts if pts]


def priority_score(**kwargs) -> int:
    return sum(p for _, p in priority_breakdown(**kwargs))
