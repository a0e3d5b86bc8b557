"""The domain's enumerated values, importable without SQLModel (the CLI's options use them).

``caseload.models`` re-exports them; this module stays free of heavy imports so
that building the command line costs nothing.
"""

from __future__ import annotations

from enum import StrEnum


class Risk(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class PatientStatus(StrEnum):
    active = "active"
    on_hold = "on_hold"
    discharged = "discharged"


class ContactMethod(StrEnum):
    phone = "phone"
    text = "text"
    home_visit = "home_visit"
    clinic_visit = "clinic_visit"
    video = "video"
    email = "email"
    provider = "provider"


class ContactParty(StrEnum):
    patient = "patient"
    caregiver = "caregiver"
    provider = "provider"


class ContactOutcome(StrEnum):
    reached = "reached"
    no_answer = "no_answer"
    left_message = "left_message"
    wrong_number = "wrong_number"
    declined = "declined"


class FollowUpKind(StrEnum):
    call = "call"
    visit = "visit"
    med_review = "med_review"
    screening = "screening"
    appointment = "appointment"
    transition_call = "transition_call"
    transition_visit = "transition_visit"
    care_plan_review = "care_plan_review"
    other = "other"


class FollowUpStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class UnableReason(StrEnum):
    """Why a follow-up was closed as "unable to reach" (the report counts these apart)."""

    no_answer_after_repeated_calls = "no_answer_after_repeated_calls"
    phone_not_working = "phone_not_working"
    moved = "moved"
    declined = "declined"
    deceased = "deceased"
    other = "other"


class GoalStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    achieved = "achieved"
    not_achieved = "not_achieved"
    cancelled = "cancelled"


class ProblemCategory(StrEnum):
    medical = "medical"
    behavioral = "behavioral"
    social = "social"
    other = "other"


class InterventionStatus(StrEnum):
    planned = "planned"
    active = "active"
    done = "done"
    stopped = "stopped"


class ReferralStatus(StrEnum):
    sent = "sent"
    accepted = "accepted"
    completed = "completed"
    closed = "closed"
    declined = "declined"


class ReminderStatus(StrEnum):
    sent = "sent"
    failed = "failed"
    deferred = "deferred"
    skipped = "skipped"
