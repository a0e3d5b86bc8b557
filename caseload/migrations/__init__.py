"""Alembic environment and revisions for the caseload schema."""
