"""`caseload contacts …`: log, list, addendum, edit."""

from __future__ import annotations

import typer

from caseload.cli.common import (
    FORMAT_OPTION,
    LIMIT_OPTION,
    Format,
    audit_printout,
    emit,
    parse_date_option,
    parse_when_option,
    say,
    state,
)
from caseload.enums import ContactMethod, ContactOutcome, ContactParty
from caseload.io.tables import Col

app = typer.Typer(
    rich_markup_mode=None,
    help="Contacts: log, list, addendum, edit.",
    no_args_is_help=True,
)

# Kept in step with caseload.services.contacts.FIELDS (not imported: that costs SQLModel).
COLUMNS = [
    "id",
    "patient_external_id",
    "at",
    "method",
    "party",
    "outcome",
    "duration_min",
    "note",
    "followup_id",
    "addendum_to",
    "goal_ids",
]
# `--format table` (io/tables.py): the note takes the width left; at 80 columns
# and less, amends goes first, then method (docs/cli.md).
TABLE_COLUMNS = [
    Col("id", right=True),
    Col("at"),
    Col("patient_external_id", "patient"),
    Col("method", drop=2),
    Col("outcome"),
    Col("addendum_to", "amends", right=True, drop=1),
    Col("note", text=True, min_width=16),
]
_AT_HELP = "When (15:00, yesterday 3pm, 2h ago, 2026-11-20 14:30, yesterday…); default now."


@app.command("log")
def log(
    ctx: typer.Context,
    patient_id: str = typer.Argument(..., metavar="ID", help="The patient's external id."),
    method: ContactMethod = typer.Option(..., "--method", help="How the contact happened."),
    outcome: ContactOutcome = typer.Option(..., "--outcome", help="What came of it."),
    note: str = typer.Option(None, "--note", help="What was said or done."),
    at: str = typer.Option(None, "--at", metavar="WHEN", help=_AT_HELP),
    party: ContactParty = typer.Option(ContactParty.patient, "--party", help="Who was contacted."),
    duration: int = typer.Option(None, "--duration", min=0, metavar="MIN", help="Minutes."),
    followup: int = typer.Option(
        None, "--followup", metavar="FOLLOWUP_ID", help="The follow-up this contact was for."
    ),
    goals: list[int] = typer.Option(
        None, "--goal", metavar="GOAL_ID", help="A care-plan goal it worked on (repeatable)."
    ),
) -> None:
    """Log a contact with (or about) a patient."""
    when = parse_when_option(at, "at")
    from caseload.services import contacts

    with state(ctx).session(write=True) as s:
        c = contacts.log(
            s,
            patient_id,
            method=method.value,
            outcome=outcome.value,
            at=when,
            party=party.value,
            duration_min=duration,
            note=note,
            followup_id=followup,
            goal_ids=goals or (),
        )
    say(f"Logged contact {c['id']} for patient {patient_id}.")


@app.command("list")
def list_(
    ctx: typer.Context,
    patient_id: str = typer.Argument(
        None, metavar="[PATIENT_ID]", help="Only this patient's contacts."
    ),
    since: str = typer.Option(None, "--since", metavar="D", help="Only contacts on or after D."),
    fmt: Format = FORMAT_OPTION,
    limit: int = LIMIT_OPTION,
) -> None:
    """List contacts, newest first, each followed by its addenda."""
    since_on = parse_date_option(since, "since")
    from caseload.services import contacts

    with state(ctx).session() as s:
        rows = contacts.list_contacts(s, patient_id, since=since_on, limit=limit)
    emit(rows, fmt, columns=COLUMNS, table_columns=TABLE_COLUMNS)
    audit_printout(ctx, "contacts.list", len(rows), fmt)


@app.command("addendum")
def addendum(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="CONTACT_ID"),
    note: str = typer.Option(..., "--note", help="The correction or addition."),
) -> None:
    """Add a correction to a contact (the way to amend one older than 24 hours)."""
    from caseload.services import contacts

    with state(ctx).session(write=True) as s:
        a = contacts.addendum(s, contact_id, note)
    say(f"Added addendum {a['id']} to contact {a['addendum_to']}.")


@app.command("edit")
def edit(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., metavar="CONTACT_ID"),
    note: str = typer.Option(None, "--note", help="Replace the note (empty clears it)."),
    outcome: ContactOutcome = typer.Option(None, "--outcome"),
    duration: int = typer.Option(None, "--duration", min=0, metavar="MIN", help="Minutes."),
    method: ContactMethod = typer.Option(None, "--method"),
    party: ContactParty = typer.Option(None, "--party"),
    at: str = typer.Option(None, "--at", metavar="WHEN", help="Correct when it happened."),
) -> None:
    """Fix a contact recorded in the last 24 hours (older ones take an addendum)."""
    fields: dict = {}
    if note is not None:
        fields["note"] = note
    if outcome is not None:
        fields["outcome"] = outcome.value
    if duration is not None:
        fields["duration_min"] = duration
    if method is not None:
        fields["method"] = method.value
    if party is not None:
        fields["party"] = party.value
    if at is not None:
        fields["at"] = parse_when_option(at, "at")
    if not fields:
        raise typer.BadParameter("give at least one field to change", param_hint="options")
    from caseload.services import contacts

    with state(ctx).session(write=True) as s:
        contacts.edit(s, contact_id, **fields)
    say(f"Updated contact {contact_id}.")
