"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "care_team_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("organization", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_team_member")),
    )
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("given_name", sa.String(), nullable=False),
        sa.Column("family_name", sa.String(), nullable=False),
        sa.Column("preferred_name", sa.String(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("alt_phone", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("preferred_contact", sa.String(), nullable=True),
        sa.Column("may_call", sa.Boolean(), nullable=False),
        sa.Column("may_text", sa.Boolean(), nullable=False),
        sa.Column("may_email", sa.Boolean(), nullable=False),
        sa.Column("may_voicemail", sa.Boolean(), nullable=False),
        sa.Column("risk", sa.String(), nullable=False),
        sa.Column("programs", sa.String(), nullable=False),
        sa.Column("conditions", sa.String(), nullable=False),
        sa.Column("social_needs", sa.String(), nullable=False),
        sa.Column("pcp", sa.String(), nullable=True),
        sa.Column("payer", sa.String(), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_reason", sa.String(), nullable=True),
        sa.Column("status_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("search_name", sa.String(), nullable=False),
        sa.Column("phone_digits", sa.String(), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("external_id", name=op.f("uq_patient_external_id")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patient_family_given", ["family_name", "given_name"], unique=False
        )
        batch_op.create_index("ix_patient_phone_digits", ["phone_digits"], unique=False)
        batch_op.create_index("ix_patient_search_name", ["search_name"], unique=False)
        batch_op.create_index("ix_patient_status_risk", ["status", "risk"], unique=False)

    op.create_table(
        "care_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_care_plan_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan")),
        sa.UniqueConstraint("patient_id", "version", name="uq_care_plan_patient_version"),
    )
    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_plan_patient_current", ["patient_id", "is_current"], unique=False
        )

    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("party", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("addendum_to", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["addendum_to"],
            ["contact.id"],
            name=op.f("fk_contact_addendum_to_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_contact_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_addendum_to"), ["addendum_to"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_followup_id"), ["followup_id"], unique=False)
        batch_op.create_index("ix_contact_patient_at", ["patient_id", "at"], unique=False)

    op.create_table(
        "patient_care_team",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("relationship", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["care_team_member.id"],
            name=op.f("fk_patient_care_team_member_id_care_team_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_patient_care_team_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "member_id", name=op.f("pk_patient_care_team")),
    )
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("to_name", sa.String(), nullable=False),
        sa.Column("to_organization", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("declined_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_referral_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=False),
        sa.Column("facility", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_transition_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transition")),
    )
    with op.batch_alter_table("transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transition_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "care_plan_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["care_plan.id"],
            name=op.f("fk_care_plan_problem_plan_id_care_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan_problem")),
    )
    with op.batch_alter_table("care_plan_problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_plan_problem_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("window_before", sa.Integer(), nullable=True),
        sa.Column("window_after", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("rrule", sa.String(), nullable=True),
        sa.Column("from_completion", sa.Boolean(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_contact_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_reason", sa.String(), nullable=True),
        sa.Column("transition_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["completed_contact_id"],
            ["contact.id"],
            name=op.f("fk_followup_completed_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_followup_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transition_id"],
            ["transition.id"],
            name=op.f("fk_followup_transition_id_transition"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup")),
    )
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.create_index(
            "ix_followup_open_due",
            [
                "due_on",
                "kind",
                "window_before",
                "window_after",
                "patient_id",
                "priority",
                "transition_id",
                "title",
            ],
            unique=False,
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.create_index("ix_followup_patient_status", ["patient_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_series_id"), ["series_id"], unique=False)
        batch_op.create_index(
            "ix_followup_status_due", ["status", "due_on", "kind", "window_before"], unique=False
        )

    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["care_plan_problem.id"],
            name=op.f("fk_goal_problem_id_care_plan_problem"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
    )
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followup.id"],
            name=op.f("fk_reminder_followup_id_followup"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_reminder_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
        sa.UniqueConstraint(
            "followup_id", "occurrence", "channel", name="uq_reminder_followup_occurrence_channel"
        ),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "contact_goal",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_contact_goal_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_contact_goal_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("contact_id", "goal_id", name=op.f("pk_contact_goal")),
    )
    op.create_table(
        "goal_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_goal_progress_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_progress")),
    )
    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_progress_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "intervention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("responsible", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_intervention_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intervention")),
    )
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intervention_goal_id"), ["goal_id"], unique=False)

    # The audit log is append-only: the store itself refuses edits and deletions.
    op.execute(
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    # patient.last_contact_at / last_reached_at follow the contacts (addenda excluded),
    # whoever writes them: the services, the demo generator or a bulk import.
    op.execute(
        "CREATE TRIGGER contact_last_insert AFTER INSERT ON contact "
        "WHEN NEW.addendum_to IS NULL BEGIN "
        "UPDATE patient SET "
        "last_contact_at = CASE WHEN last_contact_at IS NULL OR NEW.at > last_contact_at "
        "THEN NEW.at ELSE last_contact_at END, "
        "last_reached_at = CASE WHEN NEW.outcome = 'reached' AND "
        "(last_reached_at IS NULL OR NEW.at > last_reached_at) "
        "THEN NEW.at ELSE last_reached_at END "
        "WHERE id = NEW.patient_id; END"
    )
    recompute = (
        "UPDATE patient SET "
        "last_contact_at = (SELECT max(c.at) FROM contact c "
        "WHERE c.patient_id = patient.id AND c.addendum_to IS NULL), "
        "last_reached_at = (SELECT max(c.at) FROM contact c WHERE c.patient_id = patient.id "
        "AND c.addendum_to IS NULL AND c.outcome = 'reached') "
    )
    op.execute(
        "CREATE TRIGGER contact_last_update AFTER UPDATE OF at, outcome, patient_id, addendum_to "
        "ON contact BEGIN " + recompute + "WHERE id IN (OLD.patient_id, NEW.patient_id); END"
    )
    op.execute(
        "CREATE TRIGGER contact_last_delete AFTER DELETE ON contact BEGIN "
        + recompute
        + "WHERE id = OLD.patient_id; END"
    )


def downgrade() -> None:
    for name in (
        "contact_last_delete",
        "contact_last_update",
        "contact_last_insert",
        "audit_event_no_delete",
        "audit_event_no_update",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intervention_goal_id"))

    op.drop_table("intervention")
    with op.batch_alter_table("goal_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_progress_goal_id"))

    op.drop_table("goal_progress")
    op.drop_table("contact_goal")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_patient_id"))

    op.drop_table("reminder")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_problem_id"))

    op.drop_table("goal")
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index("ix_followup_status_due")
        batch_op.drop_index(batch_op.f("ix_followup_series_id"))
        batch_op.drop_index("ix_followup_patient_status")
        batch_op.drop_index("ix_followup_open_due", sqlite_where=sa.text("status = 'open'"))

    op.drop_table("followup")
    with op.batch_alter_table("care_plan_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_plan_problem_plan_id"))

    op.drop_table("care_plan_problem")
    with op.batch_alter_table("transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transition_patient_id"))

    op.drop_table("transition")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_patient_id"))

    op.drop_table("referral")
    op.drop_table("patient_care_team")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_patient_at")
        batch_op.drop_index(batch_op.f("ix_contact_followup_id"))
        batch_op.drop_index(batch_op.f("ix_contact_addendum_to"))

    op.drop_table("contact")
    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_care_plan_patient_current")

    op.drop_table("care_plan")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_status_risk")
        batch_op.drop_index("ix_patient_search_name")
        batch_op.drop_index("ix_patient_phone_digits")
        batch_op.drop_index("ix_patient_family_given")

    op.drop_table("patient")
    op.drop_table("care_team_member")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_patient_id"))

    op.drop_table("audit_event")
