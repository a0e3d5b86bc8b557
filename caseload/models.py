"""The SQLModel tables and the enums of the domain; no queries live here.

Enumerated values are stored as plain strings (checked by the services) so a
new value needs no table rebuild. Timestamps are timezone-aware UTC (SQLModel stores
them as UTC and returns them aware); dates are calendar
dates. Field names are the public names of SPEC (``--format json`` keys and
import columns), so exporters and importers can map them one to one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Index, MetaData, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from caseload.enums import (  # noqa: F401  (re-exported: models own the domain's vocabulary)
    ContactMethod,
    ContactOutcome,
    ContactParty,
    FollowUpKind,
    FollowUpStatus,
    GoalStatus,
    InterventionStatus,
    PatientStatus,
    ProblemCategory,
    ReferralStatus,
    ReminderStatus,
    Risk,
)

# A naming convention so that Alembic batch migrations can find constraints by name.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
metadata = SQLModel.metadata


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        Index("ix_patient_family_given", "family_name", "given_name"),
        Index("ix_patient_search_name", "search_name"),
        Index("ix_patient_phone_digits", "phone_digits"),
        Index("ix_patient_status_risk", "status", "risk"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    external_id: str = Field(sa_column_kwargs={"unique": True, "nullable": False})
    given_name: str
    family_name: str
    preferred_name: Optional[str] = None
    birth_date: Optional[date] = None
    sex: Optional[str] = None
    phone: Optional[str] = None
    alt_phone: Optional[str] = None
    email: Optional[str] = None
    address: Optional[str] = None
    language: Optional[str] = None
    preferred_contact: Optional[str] = None
    may_call: bool = True
    may_text: bool = False
    may_email: bool = False
    may_voicemail: bool = False
    risk: str = Risk.medium.value
    # Tags and lists are ';'-separated text: simple to index, import and export.
    programs: str = ""
    conditions: str = ""
    social_needs: str = ""
    pcp: Optional[str] = None
    payer: Optional[str] = None
    enrolled_on: Optional[date] = None
    status: str = PatientStatus.active.value
    status_reason: Optional[str] = None
    status_on: Optional[date] = None
    notes: Optional[str] = Field(default=None, sa_column=Column(Text))
    # Derived search keys, kept by the services: lowercased names, phone digits only.
    search_name: str = ""
    phone_digits: str = ""
    # The latest contact and the latest one that reached someone (addenda excluded).
    # Kept by triggers on `contact` (migration 0001) so every writer keeps them right;
    # they spare the due list two subqueries per row.
    last_contact_at: Optional[datetime] = None
    last_reached_at: Optional[datetime] = None
    created_at: datetime
    updated_at: datetime


class CareTeamMember(SQLModel, table=True):
    __tablename__ = "care_team_member"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    role: str
    organization: Optional[str] = None
    phone: Optional[str] = None
    email: Optional[str] = None
    created_at: datetime


class PatientCareTeam(SQLModel, table=True):
    __tablename__ = "patient_care_team"

    patient_id: int = Field(foreign_key="patient.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="care_team_member.id", primary_key=True, ondelete="CASCADE")
    # What this member is for this patient (e.g. "PCP", "daughter, caregiver").
    relationship: Optional[str] = None


class CarePlan(SQLModel, table=True):
    """One version of a patient's plan; exactly one per patient is current."""

    __tablename__ = "care_plan"
    __table_args__ = (
        UniqueConstraint("patient_id", "version", name="uq_care_plan_patient_version"),
        Index("ix_care_plan_patient_current", "patient_id", "is_current"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    version: int = 1
    is_current: bool = True
    review_on: Optional[date] = None
    summary: Optional[str] = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    created_by: str = ""


class CarePlanProblem(SQLModel, table=True):
    __tablename__ = "care_plan_problem"

    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="care_plan.id", index=True, ondelete="CASCADE")
    description: str
    # medical | behavioral | social | other
    category: str = "medical"


class Goal(SQLModel, table=True):
    __tablename__ = "goal"

    id: Optional[int] = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="care_plan_problem.id", index=True, ondelete="CASCADE")
    description: str
    target_on: Optional[date] = None
    status: str = GoalStatus.not_started.value


class GoalProgress(SQLModel, table=True):
    __tablename__ = "goal_progress"

    id: Optional[int] = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    at: datetime
    note: str = Field(sa_column=Column(Text, nullable=False))


class Intervention(SQLModel, table=True):
    __tablename__ = "intervention"

    id: Optional[int] = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True, ondelete="CASCADE")
    description: str
    responsible: Optional[str] = None
    # planned | active | done | stopped
    status: str = "planned"


class Transition(SQLModel, table=True):
    """A hospital discharge (transition of care) that spawns the standard follow-ups."""

    __tablename__ = "transition"

    __table_args__ = (
        # A feed's visit (HL7 PV1-19, an Encounter id, else patient+facility+time) is
        # imported once: a re-run or an updated message finds the same row.
        Index(
            "ix_transition_visit_key",
            "visit_key",
            unique=True,
            sqlite_where=text("visit_key IS NOT NULL"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    # None while a feed has reported an admission but not yet the discharge.
    discharged_on: Optional[date] = None
    facility: Optional[str] = None
    reason: Optional[str] = None
    # inpatient | emergency | outpatient (TransitionSetting)
    setting: str = "inpatient"
    # discharged | admitted (an A01/A04 not yet followed by its A03)
    status: str = "discharged"
    admitted_at: Optional[datetime] = None
    disposition: Optional[str] = None
    # manual | hl7 | fhir | csv
    source: str = "manual"
    visit_key: Optional[str] = None
    created_at: datetime
    updated_at: Optional[datetime] = None


class FollowUp(SQLModel, table=True):
    __tablename__ = "followup"
    __table_args__ = (
        # Covers the due list's scan: the window test needs kind and window_before,
        # so rows that fail it are rejected without reading the table.
        Index("ix_followup_status_due", "status", "due_on", "kind", "window_before"),
        # Everything the due list reads of an open follow-up, so its scan never
        # touches the million-row table: a partial index over open rows only.
        Index(
            "ix_followup_open_due",
            "due_on",
            "kind",
            "window_before",
            "window_after",
            "patient_id",
            "priority",
            "transition_id",
            "title",
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_followup_patient_status", "patient_id", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    title: str
    kind: str = FollowUpKind.call.value
    due_on: date
    # Shown from window_before days before due; missed window_after days after.
    # None means the kind's default (config, else built-in).
    window_before: Optional[int] = None
    window_after: Optional[int] = None
    # 1 (urgent) .. 4 (low); 3 is normal.
    priority: int = 3
    # RFC 5545 RRULE text (without DTSTART), e.g. "FREQ=WEEKLY;INTERVAL=2".
    rrule: Optional[str] = None
    from_completion: bool = False
    # The first follow-up of a recurring series; every occurrence points at it.
    series_id: Optional[int] = Field(default=None, index=True)
    status: str = FollowUpStatus.open.value
    completed_at: Optional[datetime] = None
    completed_contact_id: Optional[int] = Field(
        default=None, foreign_key="contact.id", ondelete="SET NULL"
    )
    cancelled_reason: Optional[str] = None
    # Set when the follow-up was closed as "unable to reach" (status done): the
    # reason from UNABLE_TO_REACH_REASONS; reports count these apart from missed.
    unable_reason: Optional[str] = None
    transition_id: Optional[int] = Field(
        default=None, foreign_key="transition.id", ondelete="SET NULL"
    )
    notes: Optional[str] = Field(default=None, sa_column=Column(Text))
    created_at: datetime


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (
        Index("ix_contact_patient_at", "patient_id", "at"),
        # Recent contacts across the caseload (Today's panel, reports by period).
        Index("ix_contact_at", "at"),
        # A month's care minutes per patient from the index alone (migration 0003).
        Index(
            "ix_contact_minutes",
            "at",
            "patient_id",
            "duration_min",
            sqlite_where=text("addendum_to IS NULL AND duration_min > 0"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    at: datetime
    method: str
    party: str = ContactParty.patient.value
    outcome: str
    duration_min: Optional[int] = None
    note: Optional[str] = Field(default=None, sa_column=Column(Text))
    followup_id: Optional[int] = Field(default=None, index=True)
    # An addendum corrects an earlier contact instead of editing it.
    addendum_to: Optional[int] = Field(
        default=None, foreign_key="contact.id", index=True, ondelete="CASCADE"
    )
    created_at: datetime
    created_by: str = ""


class ContactGoal(SQLModel, table=True):
    __tablename__ = "contact_goal"

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    goal_id: int = Field(foreign_key="goal.id", primary_key=True, ondelete="CASCADE")


class Referral(SQLModel, table=True):
    __tablename__ = "referral"

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    to_name: str
    to_organization: Optional[str] = None
    reason: str
    status: str = ReferralStatus.sent.value
    sent_on: date
    # When an answer is expected (default 14 days after sent); past it, an open
    # referral is "referral overdue" on the due list.
    expected_response_on: Optional[date] = None
    accepted_on: Optional[date] = None
    declined_on: Optional[date] = None
    completed_on: Optional[date] = None
    closed_on: Optional[date] = None
    note: Optional[str] = Field(default=None, sa_column=Column(Text))
    created_at: datetime


class Reminder(SQLModel, table=True):
    """Each reminder produced; the unique key is what makes 'never sent twice' hold."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint(
            "followup_id", "occurrence", "channel", name="uq_reminder_followup_occurrence_channel"
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    followup_id: int = Field(foreign_key="followup.id", ondelete="CASCADE")
    occurrence: date
    channel: str
    recipient: Optional[str] = None
    message: Optional[str] = Field(default=None, sa_column=Column(Text))
    at: datetime
    status: str = ReminderStatus.sent.value
    error: Optional[str] = None
    attempts: int = 1


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained: ``hash = sha256(prev_hash + canonical event)``.

    ``detail`` holds ids and counts, never patient data.
    """

    __tablename__ = "audit_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: Optional[str] = None
    # The patient the event concerns (not a foreign key: the chain outlives any row).
    patient_id: Optional[int] = Field(default=None, index=True)
    detail: str = "{}"
    prev_hash: str
    hash: str


class StoreMeta(SQLModel, table=True):
    """Small facts about the store itself, one row a key.

    ``audit_count`` and ``audit_head`` are kept by a trigger on every audit insert
    (migration 0002), so a deleted tail of the chain shows against them.
    """

    __tablename__ = "store_meta"

    key: str = Field(primary_key=True)
    value: str
