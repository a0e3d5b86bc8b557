"""The follow-ups of a demo patient, and the hospital discharges with their standard two.

A million rows go through ``followups`` in a big demo, so it draws a random
"shape" (kind, title, window, priority, notes…) from a prepared pool and only the
dates per row; everything in its loop is a local name.
"""

from __future__ import annotations

from datetime import timedelta

from caseload.demo import pools as P
from caseload.demo.rows import CREATED_BY, NULL, PAST_DAYS
from caseload.services.schedule import transition_followups


def followup_shapes(b, n: int = 4096) -> list[tuple]:
    """Random combinations of everything about a follow-up but its dates and ids.

    The hot loop of a big demo (a million rows) picks one shape per row
    instead of drawing a dozen random numbers; 4,096 shapes are variety enough.
    """
    r, out = b.r, []
    reached = P.CONTACT_NOTES["reached"]
    for _ in range(n):
        kind, titles, method = b.kind_titles()
        window = r() < 0.2
        rp = r()
        out.append(
            (
                kind,
                b.one(titles),
                method,
                b.one((1, 2, 3, 7)) if window else NULL,
                b.one((2, 3, 7, 14)) if window else NULL,
                1 if rp < 0.04 else 2 if rp < 0.2 else 3 if rp < 0.8 else 4,
                1 if rp < 0.15 else 2 if rp < 0.45 else 3 if rp < 0.9 else 4,
                b.one(P.FOLLOWUP_NOTES) if r() < 0.1 else NULL,
                "caregiver" if r() < 0.1 else "patient",
                5 + int(r() * 40),
                b.one(reached),
                b.one(b.times),
                b.one(b.times),
                r() < 0.12,
                (NULL, "FREQ=WEEKLY", "FREQ=MONTHLY")[1 if r() < 0.3 else 2],
                int(r() < 0.3),
                1 + int(r() * 30),
                b.one(P.CANCEL_REASONS),
                int(r() * 4),
            )
        )
    return out


def followups(b, p: dict, rows: dict) -> None:
    """Done (each with the contact that completed it), cancelled, overdue, due, upcoming."""
    r, fpp, index, pid, enrolled = b.r, b.fpp, p["index"], p["id"], p["enrolled"]
    days, base, shapes = b.days, PAST_DAYS, b.shapes
    out, contacts = rows["followup"], rows["contact"]
    fid, cid = b.ids["followup"], b.ids["contact"]
    prio_at = 6 if p["risk"] == "high" else 5
    discharged = p["status"] == "discharged"
    for slot in range(fpp):
        # Slot 0 is the patient's current follow-up: 10% overdue, 6% due today, the rest
        # coming up within 60 days. Later slots are history (mostly done) and a few
        # far-off ones, as in a real caseload, where a day's list is a small slice.
        x = r()
        if slot == 0 and index < 3:
            x = (0.05, 0.13, 0.60)[index]  # the first three patients: overdue, due, upcoming
        sh = shapes[int(x * 8_388_608) & 4095]  # bits of x that the thresholds ignore
        status, done_at = "open", NULL
        contact_id = cancel = rrule = series = NULL
        if slot > 0 and x < 0.85:
            status, due = "done", -(1 + int(r() * 180))
            done_at = days[min(-1, due + sh[18]) + base] + sh[11]
            contacts.append(
                (cid, pid, done_at, sh[2], sh[8], "reached", sh[9], sh[10], fid, NULL,
                 done_at, CREATED_BY)
            )  # fmt: skip
            contact_id = cid
            cid += 1
        elif slot > 0 and x < 0.90:
            status, due, cancel = "cancelled", -30 + int(r() * 60), sh[17]
        else:
            if slot > 0:
                due = 31 + int(r() * 90)  # planned well ahead
            elif x < 0.10:
                due = -(1 + int(r() * r() * 28))  # mostly a few days late, some weeks
            elif x < 0.16:
                due = 0
            else:
                due = 1 + int(r() * 60)
            if discharged:
                status, cancel = "cancelled", "patient discharged from the program"
            elif sh[13]:
                rrule, series = sh[14], fid
        created = (due if due < 0 else 0) - sh[16]
        if created < enrolled:
            created = enrolled
        out.append(
            (fid, pid, sh[1], sh[0], days[due + base], sh[3], sh[4], sh[prio_at], rrule,
             sh[15] if series != NULL else 0, series, status, done_at, contact_id, cancel,
             NULL, sh[7], days[created + base] + sh[12], NULL)
        )  # fmt: skip
        fid += 1
    b.ids["followup"], b.ids["contact"] = fid, cid


def transition_row(b, p: dict, rows: dict, off: int, created: str, setting: str) -> int:
    """A discharged transition ``off`` days from today (facility and reason drawn from the
    pools, in that order); returns its id. Shared with demo.discharges' past ones."""
    tid = b.next_id("transition")
    rows["transition"].append(
        (tid, p["id"], b.day(off), b.one(P.FACILITIES), b.one(P.ADMIT_REASONS), created,
         setting, "discharged", NULL, NULL, "manual", NULL, NULL)
    )  # fmt: skip
    return tid


def transition(b, p: dict, rows: dict) -> None:
    """A discharge 1-5 days ago and its two standard follow-ups (SPEC: transitions of care)."""
    off = -(1 + int(b.r() * 5))
    created = b.stamp(off)
    tid = transition_row(b, p, rows, off, created, "inpatient")
    # The follow-ups the real rule makes for this discharge (SPEC: transitions of care),
    # so the demo's dates, kinds, titles and priorities never drift from the CLI's.
    discharged = b.today + timedelta(days=off)
    for planned in transition_followups(discharged, p["risk"], "inpatient"):
        due = (planned.due_on - b.today).days
        rows["followup"].append(
            (b.next_id("followup"), p["id"], planned.title, planned.kind, b.day(due), NULL,
             NULL, planned.priority, NULL, 0, NULL, "open", NULL, NULL, NULL, tid, NULL,
             created, NULL)
        )  # fmt: skip
