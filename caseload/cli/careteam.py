"""`caseload careteam …`: add, edit, link, unlink and list care team members."""

from __future__ import annotations

import typer

from caseload.cli.common import (
    FORMAT_OPTION,
    LIMIT_OPTION,
    Format,
    audit_printout,
    emit,
    say,
    state,
)
from caseload.io.tables import Col

app = typer.Typer(
    rich_markup_mode=None,
    help="Care team members (PCP, specialist, caregiver…) and their patients.",
    no_args_is_help=True,
)

# `--format table` (io/tables.py): names and organizations share the width left;
# at 80 columns and less, email goes first, then organization, then phone (docs/cli.md).
TABLE_COLUMNS = [
    Col("id", right=True),
    Col("name", text=True),
    Col("role", text=True, min_width=10),
    Col("organization", text=True, drop=2),
    Col("phone", drop=3),
    Col("email", drop=1),
]
RELATIONSHIP = Col("relationship", text=True, min_width=10, drop=4)
_ROLE_HELP = "PCP, specialist, behavioral health, social worker, pharmacist, caregiver, other."
_MEMBER = typer.Argument(..., metavar="MEMBER_ID", help="The care team member's id.")
_PATIENT = typer.Argument(..., metavar="ID", help="The patient's external id.")


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option(..., "--role", help=_ROLE_HELP),
    organization: str = typer.Option(None, "--organization"),
    phone: str = typer.Option(None, "--phone"),
    email: str = typer.Option(None, "--email"),
) -> None:
    """Add a care team member (then `careteam link` them to patients)."""
    from caseload.services import careteam

    with state(ctx).session(write=True) as s:
        m = careteam.add_member(
            s, name=name, role=role, organization=organization, phone=phone, email=email
        )
    say(f"Added care team member {m['id']}.")


@app.command("edit")
def edit(
    ctx: typer.Context,
    member_id: int = _MEMBER,
    name: str = typer.Option(None, "--name"),
    role: str = typer.Option(None, "--role", help=_ROLE_HELP),
    organization: str = typer.Option(None, "--organization"),
    phone: str = typer.Option(None, "--phone"),
    email: str = typer.Option(None, "--email"),
) -> None:
    """Change a member's fields (only those given). An empty value clears a field."""
    fields = {
        k: v
        for k, v in dict(
            name=name, role=role, organization=organization, phone=phone, email=email
        ).items()
        if v is not None
    }
    if not fields:
        raise typer.BadParameter("give at least one field to change", param_hint="options")
    from caseload.services import careteam

    with state(ctx).session(write=True) as s:
        careteam.edit_member(s, member_id, **fields)
    say(f"Updated care team member {member_id}.")


@app.command("link")
def link(
    ctx: typer.Context,
    patient_id: str = _PATIENT,
    member_id: int = _MEMBER,
    relationship: str = typer.Option(
        None, "--relationship", help="What they are for this patient (e.g. 'daughter')."
    ),
) -> None:
    """Put a member on a patient's care team."""
    from caseload.services import careteam

    with state(ctx).session(write=True) as s:
        careteam.link(s, patient_id, member_id, relationship)
    say(f"Linked care team member {member_id} to patient {patient_id}.")


@app.command("unlink")
def unlink(ctx: typer.Context, patient_id: str = _PATIENT, member_id: int = _MEMBER) -> None:
    """Take a member off a patient's care team (the member record stays)."""
    from caseload.services import careteam

    with state(ctx).session(write=True) as s:
        careteam.unlink(s, patient_id, member_id)
    say(f"Unlinked care team member {member_id} from patient {patient_id}.")


@app.command("list")
def list_(
    ctx: typer.Context,
    patient_id: str = typer.Argument(None, metavar="[ID]", help="Only this patient's care team."),
    fmt: Format = FORMAT_OPTION,
    limit: int = LIMIT_OPTION,
) -> None:
    """List care team members: everyone, or one patient's team with relationships."""
    from caseload.services import careteam

    with state(ctx).session() as s:
        rows = careteam.list_members(s, patient_id)
    rows = rows if limit is None else rows[:limit]
    columns = list(careteam.FIELDS) + (["relationship"] if patient_id is not None else [])
    table = TABLE_COLUMNS + ([RELATIONSHIP] if patient_id is not None else [])
    emit(rows, fmt, columns=columns, table_columns=table)
    audit_printout(ctx, "careteam.list", len(rows), fmt)
