"""`caseload referrals …`: add, update (sent → accepted → completed → closed) and list."""

from __future__ import annotations

import typer

from caseload.cli.common import (
    FORMAT_OPTION,
    LIMIT_OPTION,
    Format,
    audit_printout,
    emit,
    parse_date_option,
    say,
    state,
)
from caseload.enums import ReferralStatus
from caseload.io.tables import Col
from caseload.labels import label

app = typer.Typer(
    rich_markup_mode=None,
    help="Referrals as a closed loop: sent → accepted → completed → closed.",
    no_args_is_help=True,
)


# `--format table` (io/tables.py): "since" is the day the referral reached its
# status; to and reason share the width left; at 80 columns and less,
# organization goes first, then since, then reason (docs/cli.md).
TABLE_COLUMNS = [
    Col("id", right=True),
    Col("patient_external_id", "patient"),
    Col("to_name", "to", text=True),
    Col("reason", "for", text=True, drop=3),
    Col("to_organization", "organization", text=True, drop=1),
    Col("status"),
    Col("sent_on", "sent on"),
    Col("status_on", "since", drop=2),
]


@app.command("add")
def add(
    ctx: typer.Context,
    patient_id: str = typer.Argument(..., metavar="ID", help="The patient's external id."),
    to_name: str = typer.Option(..., "--to", help="Who the patient is referred to."),
    reason: str = typer.Option(..., "--reason", help="What for."),
    organization: str = typer.Option(None, "--organization"),
    sent: str = typer.Option(None, "--sent", help="When it was sent (default today)."),
    note: str = typer.Option(None, "--note"),
) -> None:
    """Record a referral sent for a patient."""
    sent_on = parse_date_option(sent, "sent")
    from caseload.services import referrals

    with state(ctx).session(write=True) as s:
        r = referrals.create(
            s,
            patient_id,
            to_name=to_name,
            reason=reason,
            to_organization=organization,
            sent_on=sent_on,
            note=note,
        )
    say(f"Added referral {r['id']} (sent {r['sent_on'].isoformat()}).")


@app.command("update")
def update(
    ctx: typer.Context,
    referral_id: int = typer.Argument(..., metavar="REFERRAL_ID"),
    status: ReferralStatus = typer.Argument(..., metavar="STATUS", help="The next step."),
    on: str = typer.Option(None, "--on", help="When it happened (default today)."),
    note: str = typer.Option(None, "--note"),
) -> None:
    """Move a referral to its next step: accepted, declined, completed or closed."""
    when = parse_date_option(on, "on")
    from caseload.services import referrals

    with state(ctx).session(write=True) as s:
        referrals.advance(s, referral_id, status.value, on=when, note=note)
    say(f"Referral {referral_id} is now {label(status)}.")


@app.command("list")
def list_(
    ctx: typer.Context,
    patient_id: str = typer.Argument(None, metavar="[ID]", help="Only this patient's."),
    open_only: bool = typer.Option(False, "--open", help="Only referrals not closed yet."),
    fmt: Format = FORMAT_OPTION,
    limit: int = LIMIT_OPTION,
) -> None:
    """List referrals, oldest sent first (every match unless --limit)."""
    from caseload.services import referrals

    with state(ctx).session() as s:
        rows = referrals.list_referrals(s, patient_id, open_only=open_only)
    if limit is not None:
        rows = rows[:limit]
    if fmt is Format.table:
        rows = [{**r, "status_on": r.get(f"{r['status']}_on")} for r in rows]
    emit(rows, fmt, columns=list(referrals.FIELDS), table_columns=TABLE_COLUMNS)
    audit_printout(ctx, "referrals.list", len(rows), fmt)
