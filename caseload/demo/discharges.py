"""Past discharges with what followed them, so every program measure has something to count.

A few patients in a hundred had a hospital stay or an emergency visit in the last
four months. What happened next varies as it does in a program: most were
reached within two business days, some only after attempts, a few never (their
call closed as unable to reach after three tries), some late; most inpatients
got their home visit in time, some late, some declined it. Their follow-ups are
all closed, so the day's due list is untouched.
"""

from __future__ import annotations

import random
from datetime import timedelta

from caseload.demo import pools as P
from caseload.demo.followups import transition_row
from caseload.demo.rows import CREATED_BY, NULL
from caseload.services.schedule import add_business_days, transition_followups

SHARE = 0.03  # patients with a past discharge
SHARE_LIGHT = 0.02  # at program scale
# A small caseload still gets about this many past discharges (over four months, a few
# a month), so the report's transition measures count something at the default 60.
AT_LEAST = 16
EMERGENCY = 0.2  # of discharges, ED visits
# How the post-discharge call went: reached within 2 business days; two attempts then
# reached late; three attempts then closed as unable to reach; reached late.
CALL_OUTCOMES = ((0.62, "in_time"), (0.77, "attempts"), (0.87, "unable"), (1.0, "late"))


class _Own:
    """The builder's helpers over a generator of this patient's own: the main one's
    sequence (and so the rest of the store for a seed) stays as it was without this."""

    def __init__(self, b, rng: random.Random) -> None:
        self._b, self.r = b, rng.random
        self.today, self.light = b.today, b.light

    def __getattr__(self, name):
        return getattr(self._b, name)

    def one(self, items):
        return items[int(self.r() * len(items))]

    def stamp(self, offset: int) -> str:
        return self._b.day(offset) + self.one(self._b.times)


def history(b, p: dict, rows: dict) -> None:
    """Maybe one past discharge for an active patient, with its contacts and follow-ups."""
    seed = getattr(b, "seed", 0)
    # A multiplicative hash picks the patients (no draw, no generator for the other 97%).
    pick = ((p["id"] + seed * 7919) * 2654435761 % 2**32) / 2**32
    # The first few patients are the hand-picked ones the docs and screenshots show.
    share = SHARE_LIGHT if b.light else max(SHARE, min(0.4, AT_LEAST / max(b.total - 10, 1)))
    if p["index"] < 10 or p["status"] != "active" or pick >= share:
        return
    b = _Own(b, random.Random(seed * 1_000_003 + p["id"]))
    off = -(8 + int(b.r() * 112))
    on = b.today + timedelta(days=off)
    setting = "emergency" if b.r() < EMERGENCY else "inpatient"
    created = b.stamp(off + (1 if b.r() < 0.8 else 4))  # a few are recorded late
    tid = transition_row(b, p, rows, off, created, setting)
    for planned in transition_followups(on, p["risk"], setting):
        fid = b.next_id("followup")
        due = (planned.due_on - b.today).days
        status, done_at, cid, cancel, unable = _outcome(b, p, rows, on, planned, fid)
        rows["followup"].append(
            (
                fid,
                p["id"],
                planned.title,
                planned.kind,
                b.day(due),
                NULL,
                NULL,
                planned.priority,
                NULL,
                0,
                NULL,
                status,
                done_at,
                cid,
                cancel,
                tid,
                NULL,
                created,
                unable,
            )
        )


def _offset(b, on, business_days: int) -> int:
    """Days from today to the ``business_days``-th business day after ``on``."""
    return (add_business_days(on, business_days) - b.today).days


def _contact(b, p, rows, off: int, method: str, outcome: str, fid: int) -> tuple:
    cid = b.next_id("contact")
    at = b.stamp(min(off, -1))
    party = "caregiver" if b.r() < 0.15 else "patient"
    minutes = 5 + int(b.r() * 30) if outcome == "reached" else 2
    rows["contact"].append(
        (
            cid,
            p["id"],
            at,
            method,
            party,
            outcome,
            minutes,
            b.one(P.CONTACT_NOTES[outcome]),
            fid,
            NULL,
            at,
            CREATED_BY,
        )
    )
    return cid, at


def _outcome(b, p, rows, on, planned, fid) -> tuple:
    """(status, completed_at, contact id, cancelled reason, unable reason) of one follow-up,
    logging the contacts that led there."""
    if planned.kind == "transition_call":
        x = b.r()
        how = next(name for limit, name in CALL_OUTCOMES if x < limit)
        if how in ("attempts", "unable"):
            for n in range(2 if how == "attempts" else 3):
                miss = "no_answer" if b.r() < 0.6 else "left_message"
                _contact(b, p, rows, _offset(b, on, n), "phone", miss, fid)
            if how == "unable":
                return (
                    "done",
                    b.stamp(_offset(b, on, 3)),
                    NULL,
                    NULL,
                    "no_answer_after_repeated_calls",
                )
        day = int(b.r() * 3) if how == "in_time" else 3 + int(b.r() * 3)
        cid, at = _contact(b, p, rows, _offset(b, on, day), "phone", "reached", fid)
        return "done", at, cid, NULL, NULL
    window = (planned.due_on - on).days
    x = b.r()
    if x < 0.25 and planned.kind == "transition_visit":
        return "cancelled", NULL, NULL, "patient declined the visit", NULL
    late = x > 0.8
    day = window + 1 + int(b.r() * 7) if late else 1 + int(b.r() * window)
    method = "home_visit" if planned.kind == "transition_visit" else "phone"
    cid, at = _contact(b, p, rows, (on - b.today).days + day, method, "reached", fid)
    return "done", at, cid, NULL, NULL
