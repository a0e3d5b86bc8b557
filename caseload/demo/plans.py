"""A demo patient's care plans (problems, goals, interventions, progress notes) and referrals."""

from __future__ import annotations

from caseload.demo import pools as P
from caseload.demo.rows import CREATED_BY, NULL


def care_plans(b, p: dict, rows: dict) -> list[int]:
    """Version 1 (and for some a current version 2); returns the current plan's goal ids."""
    r, light = b.r, b.light
    topics = p["programs"] + p["needs"]
    versions = 2 if r() < (0.05 if light else 0.15) else 1
    created = p["enrolled"] + 7
    goals: list[int] = []
    for version in range(1, versions + 1):
        if version == 2:
            created = min(-1, created + 60 + int(r() * 140))
        current = version == versions
        plan_id = b.next_id("care_plan")
        n = 1 if light else 1 + int(r() * min(3, len(topics)))
        chosen = [b.one(topics)] if n == 1 else b.rng.sample(topics, n)
        focus = [P.PLAN_TEMPLATES[t][0] for t in chosen]
        summary = "Focus: " + "; ".join(f[0].lower() + f[1:] for f in focus) + "."
        rows["care_plan"].append(
            (plan_id, p["id"], version, int(current), b.day(created + 90), summary,
             b.stamp(created), CREATED_BY)
        )  # fmt: skip
        for topic in chosen:
            problem, category, goal_texts, actions = P.PLAN_TEMPLATES[topic]
            prob_id = b.next_id("care_plan_problem")
            rows["care_plan_problem"].append((prob_id, plan_id, problem, category))
            for goal_text in goal_texts[: 1 if light else 1 + int(r() * len(goal_texts))]:
                gid = b.next_id("goal")
                target = created + 30 + int(r() * 150)
                if target < 0:
                    status = b.one(("achieved", "achieved", "not_achieved", "in_progress"))
                else:
                    status = b.one(("in_progress", "in_progress", "not_started", "achieved"))
                if not current and status in ("in_progress", "not_started"):
                    status = "cancelled"
                rows["goal"].append((gid, prob_id, goal_text, b.day(target), status))
                if current:
                    goals.append(gid)
                for who, action in actions[: 1 if light else len(actions)]:
                    rows["intervention"].append(
                        (b.next_id("intervention"), gid, action, who,
                         b.one(("planned", "active", "active", "done")))
                    )  # fmt: skip
                for _ in range(int(r() * (1.3 if light else 3))):
                    at = created + 1 + int(r() * max(1, -created - 1))
                    rows["goal_progress"].append(
                        (b.next_id("goal_progress"), gid, b.stamp(min(-1, at)),
                         b.one(P.PROGRESS_NOTES))
                    )  # fmt: skip
    return goals


def referral(b, p: dict, rows: dict) -> None:
    r = b.r
    to_name, org, reason = b.one(P.REFERRALS)
    status = b.ref_status()
    sent = -(3 + int(r() * 120))
    accepted = min(0, sent + 1 + int(r() * 10))
    completed = min(0, accepted + 5 + int(r() * 35))
    closed = min(0, completed + 1 + int(r() * 7))
    reached = {"sent": 0, "declined": 0, "accepted": 1, "completed": 2, "closed": 3}[status]
    rows["referral"].append(
        (b.next_id("referral"), p["id"], to_name, org, reason, status, b.day(sent),
         b.day(accepted) if reached >= 1 else NULL,
         b.day(sent + 2) if status == "declined" else NULL,
         b.day(completed) if reached >= 2 else NULL,
         b.day(closed) if reached >= 3 else NULL,
         "Patient asked for an afternoon slot." if r() < 0.1 else NULL, b.stamp(sent),
         b.day(sent + 14))
    )  # fmt: skip
