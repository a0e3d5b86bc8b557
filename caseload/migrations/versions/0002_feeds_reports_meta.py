"""feeds, reports and the store's own facts

Transitions gain their setting, status (admitted / discharged), disposition,
source and a visit key (discharge feeds; follow-up after ED visits); follow-ups
an "unable to reach" reason; referrals an expected-response date; contacts an
index on `at`; `store_meta` keeps the audit chain's length and head, updated by
a trigger on every audit insert; names are refolded for diacritic-free search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Every audit insert moves the chain's recorded length and head in the same
# transaction, so deleting rows (or the whole table) shows against store_meta.
AUDIT_META_TRIGGER = (
    "CREATE TRIGGER audit_event_meta AFTER INSERT ON audit_event BEGIN "
    "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('audit_count', "
    "CAST(COALESCE((SELECT CAST(value AS INTEGER) FROM store_meta "
    "WHERE key = 'audit_count'), 0) + 1 AS TEXT)); "
    "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('audit_head', NEW.hash); "
    "END"
)


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )
    with op.batch_alter_table("transition", schema=None) as batch_op:
        batch_op.alter_column("discharged_on", existing_type=sa.Date(), nullable=True)
        batch_op.add_column(
            sa.Column("setting", sa.String(), nullable=False, server_default="inpatient")
        )
        batch_op.add_column(
            sa.Column("status", sa.String(), nullable=False, server_default="discharged")
        )
        batch_op.add_column(sa.Column("admitted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("disposition", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("source", sa.String(), nullable=False, server_default="manual")
        )
        batch_op.add_column(sa.Column("visit_key", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_transition_visit_key",
            ["visit_key"],
            unique=True,
            sqlite_where=sa.text("visit_key IS NOT NULL"),
        )
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unable_reason", sa.String(), nullable=True))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_response_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE referral SET expected_response_on = date(sent_on, '+14 days') "
        "WHERE expected_response_on IS NULL"
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index("ix_contact_at", ["at"], unique=False)

    conn = op.get_bind()
    count, head = conn.exec_driver_sql(
        "SELECT count(*), (SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1) FROM audit_event"
    ).one()
    conn.exec_driver_sql(
        "INSERT INTO store_meta (key, value) VALUES ('audit_count', ?)", (str(count),)
    )
    if head is not None:
        conn.exec_driver_sql(
            "INSERT INTO store_meta (key, value) VALUES ('audit_head', ?)", (head,)
        )
    op.execute(AUDIT_META_TRIGGER)

    # Names were lowercased only; search and sorting now fold diacritics too.
    from caseload.services.fieldnames import search_key

    rows = conn.exec_driver_sql(
        "SELECT id, given_name, family_name, preferred_name FROM patient"
    ).fetchall()
    if rows:
        conn.exec_driver_sql(
            "UPDATE patient SET search_name = ? WHERE id = ?",
            [(search_key(g or "", f or "", p), i) for i, g, f, p in rows],
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_event_meta")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_at")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("expected_response_on")
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_column("unable_reason")
    with op.batch_alter_table("transition", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_transition_visit_key", sqlite_where=sa.text("visit_key IS NOT NULL")
        )
        for name in (
            "updated_at",
            "visit_key",
            "source",
            "disposition",
            "admitted_at",
            "status",
            "setting",
        ):
            batch_op.drop_column(name)
        batch_op.alter_column("discharged_on", existing_type=sa.Date(), nullable=False)
    op.drop_table("store_meta")
