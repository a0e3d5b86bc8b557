"""`caseload followups …`: add, list, show, done, cancel."""

from __future__ import annotations

import typer

from caseload.cli.common import (
    FORMAT_OPTION,
    LIMIT_OPTION,
    Format,
    audit_printout,
    choices,
    emit,
    option_hint,
    parse_date_option,
    parse_when_option,
    say,
    show_record,
    state,
)
from caseload.enums import (
    ContactMethod,
    ContactOutcome,
    FollowUpKind,
    FollowUpStatus,
    UnableReason,
)
from caseload.io.tables import Col
from caseload.labels import plural

app = typer.Typer(
    rich_markup_mode=None,
    help="Follow-ups: add, list, show, done, cancel.",
    no_args_is_help=True,
)


StatusFilter = choices("StatusFilter", (*FollowUpStatus, "all"))


# Kept in step with caseload.services.followups.FIELDS (not imported: that costs SQLModel).
COLUMNS = [
    "id",
    "patient_external_id",
    "title",
    "kind",
    "due_on",
    "status",
    "priority",
    "rrule",
    "from_completion",
    "window_before",
    "window_after",
    "series_id",
    "completed_at",
    "completed_contact_id",
    "notes",
    "cancelled_reason",
    "unable_reason",
]
# `--format table` (io/tables.py): the title takes the width left; at 80 columns
# and less, repeats goes first, then pri, then status (docs/cli.md).
TABLE_COLUMNS = [
    Col("id", right=True),
    Col("patient_external_id", "patient"),
    Col("due_on", "due on"),
    Col("kind"),
    Col("title", text=True, min_width=16),
    Col("priority", "pri", right=True, drop=2),
    Col("status", drop=3),
    Col("rrule", "repeats", text=True, drop=1),
]


@app.command("add")
def add(
    ctx: typer.Context,
    patient_id: str = typer.Argument(..., metavar="ID", help="The patient's external id."),
    title: str = typer.Option(..., "--title", help="What is to be done."),
    due: str = typer.Option(
        ...,
        "--due",
        metavar="D",
        help="Due date (YYYY-MM-DD, fri, next week, in 2 weeks, dec 15…).",
    ),
    kind: FollowUpKind = typer.Option(FollowUpKind.call, "--kind"),
    every: str = typer.Option(
        None,
        "--every",
        metavar="RRULE",
        help="Repeat: daily, weekly, biweekly, monthly, quarterly, or an RRULE "
        "(FREQ=WEEKLY;BYDAY=MO).",
    ),
    from_completion: bool = typer.Option(
        False, "--from-completion", help="Count the next one from when this one is done."
    ),
    priority: int = typer.Option(3, "--priority", min=1, max=4, help="1 urgent .. 4 low."),
    window_before: int = typer.Option(
        None, "--window-before", min=0, metavar="N", help="Show it from N days before due."
    ),
    window_after: int = typer.Option(
        None, "--window-after", min=0, metavar="N", help="Missed N days after due."
    ),
    note: str = typer.Option(None, "--note", help="Notes for whoever does it."),
) -> None:
    """Schedule a follow-up for a patient (recurring with --every)."""
    due_on = parse_date_option(due, "due")
    rule = _rule_option(every, due_on)
    if from_completion and rule is None:
        raise typer.BadParameter("needs --every", param_hint=option_hint("from_completion"))
    from caseload.services import followups

    with state(ctx).session(write=True) as s:
        f = followups.add(
            s,
            patient_id,
            title=title,
            due_on=due_on,
            kind=kind.value,
            window_before=window_before,
            window_after=window_after,
            priority=priority,
            rrule=rule,
            from_completion=from_completion,
            notes=note,
        )
    say(f"Added follow-up {f['id']} for patient {patient_id}, due {f['due_on'].isoformat()}.")


def _rule_option(every: str | None, due_on) -> str | None:
    """Check --every before the store opens: a bad rule is bad usage (exit 2)."""
    if every is None:
        return None
    from caseload.services.followups import BadRule, check_rrule

    try:
        return check_rrule(every, due_on)
    except BadRule as exc:
        raise typer.BadParameter(exc.detail, param_hint=option_hint("every")) from None


@app.command("list")
def list_(
    ctx: typer.Context,
    patient_id: str = typer.Argument(
        None, metavar="[PATIENT_ID]", help="Only this patient's follow-ups."
    ),
    status: StatusFilter = typer.Option(StatusFilter.open, "--status", help="Which to list."),
    overdue: bool = typer.Option(
        False, "--overdue", help="Only open follow-ups past their due date (all of them)."
    ),
    fmt: Format = FORMAT_OPTION,
    limit: int = LIMIT_OPTION,
) -> None:
    """List follow-ups by due date (open ones unless --status)."""
    from datetime import date

    from caseload.services import followups

    if overdue and status is not StatusFilter.open:
        raise typer.BadParameter("--overdue lists open follow-ups only", param_hint="--status")
    with state(ctx).session() as s:
        rows = followups.list_followups(
            s,
            patient_id,
            status=None if status is StatusFilter.all else status.value,
            limit=limit,
            due_before=date.today() if overdue else None,
        )
    emit(rows, fmt, columns=COLUMNS, table_columns=TABLE_COLUMNS)
    audit_printout(ctx, "followups.list", len(rows), fmt)


@app.command("show")
def show(
    ctx: typer.Context,
    followup_id: int = typer.Argument(..., metavar="FOLLOWUP_ID"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show one follow-up."""
    from caseload.services import followups

    with state(ctx).session() as s:
        f = followups.get(s, followup_id)
    show_record(f, fmt, title=f"Follow-up {followup_id}")
    audit_printout(ctx, "followups.show", 1, fmt)


@app.command("done")
def done(
    ctx: typer.Context,
    followup_id: int = typer.Argument(..., metavar="FOLLOWUP_ID"),
    outcome: ContactOutcome = typer.Option(
        None, "--outcome", help="What came of the contact (default reached)."
    ),
    note: str = typer.Option(None, "--note", help="The note of the contact that completed it."),
    method: ContactMethod = typer.Option(
        None, "--method", help="How it was done (default from the kind: call → phone…)."
    ),
    at: str = typer.Option(
        None,
        "--at",
        metavar="WHEN",
        help="When it was done (15:00, yesterday 3pm, 2h ago…); default now.",
    ),
    no_contact: bool = typer.Option(
        None,
        "--no-contact/--contact",
        help="Done without reaching anyone (paperwork…): no contact is recorded. "
        "The default for care_plan_review and other unless --outcome or --method.",
    ),
    unable: UnableReason = typer.Option(
        None,
        "--unable-to-reach",
        metavar="REASON",
        help="Close it as unable to reach after the failed attempts ([followups] "
        "attempts_before_unable, default 3): no answer after repeated calls, phone not "
        "working, moved, declined, deceased, other. With --outcome, logs that last attempt first.",
    ),
) -> None:
    """Complete a follow-up (late is fine): records the contact, schedules the next."""
    if unable is not None:
        _done_unable(ctx, followup_id, unable, outcome, method, note, at, no_contact)
        return
    if no_contact and (outcome is not None or method is not None):
        given = "--outcome" if outcome is not None else "--method"
        raise typer.BadParameter(f"cannot go with {given}", param_hint=option_hint("no_contact"))
    when = parse_when_option(at, "at")
    from caseload.services import followups

    with state(ctx).session(write=True) as s:
        f = followups.complete(
            s,
            followup_id,
            outcome=None if outcome is None else outcome.value,
            method=None if method is None else method.value,
            note=note,
            at=when,
            no_contact=no_contact,
        )
    if f["contact_id"] is None:
        say(f"Completed follow-up {followup_id}; no contact recorded.")
    else:
        say(f"Completed follow-up {followup_id}; recorded contact {f['contact_id']}.")
    nxt = f["next"]
    if nxt is not None:
        say(f"Next follow-up {nxt['id']} due {nxt['due_on'].isoformat()}.")
    elif f["rrule"]:
        say("The series has ended.")


def _done_unable(ctx, followup_id, unable, outcome, method, note, at, no_contact) -> None:
    """`done --unable-to-reach`: parse, ``attempts.close_unable`` (the TUI's form calls it
    too), say what happened; too few attempts with one logged here is exit 1 after it
    is recorded (it happened)."""
    if no_contact is not None:
        raise typer.BadParameter("cannot go with --unable-to-reach", param_hint="'--no-contact'")
    if outcome is ContactOutcome.reached:
        raise typer.BadParameter(
            "reached cannot go with --unable-to-reach (record the contact instead)",
            param_hint="'--outcome'",
        )
    when = parse_when_option(at, "at")
    from caseload.errors import Invalid
    from caseload.services import attempts

    last = None
    if outcome is not None or method is not None:
        last = {"outcome": outcome and outcome.value, "method": method and method.value}
    with state(ctx).session(write=True) as s:
        f = attempts.close_unable(
            s, followup_id, unable.value, last_attempt=last, note=note,
            needed=state(ctx).config().attempts_before_unable, at=when,
        )  # fmt: skip
    if not f["closed"]:
        raise Invalid(
            f"recorded contact {f['contact_id']}, failed attempt {f['attempts']} of "
            f"{f['needed']}; follow-up {followup_id} stays open: {attempts.too_few(f['needed'])}"
        )
    say(
        f"Closed follow-up {followup_id} as unable to reach after {plural(f['attempts'], 'attempt')}."
    )
    if f["next"] is not None:
        say(f"Next follow-up {f['next']['id']} due {f['next']['due_on'].isoformat()}.")


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    followup_id: int = typer.Argument(..., metavar="FOLLOWUP_ID"),
    reason: str = typer.Option(None, "--reason", help="Why (kept with the follow-up)."),
    series: bool = typer.Option(
        False, "--series", help="Cancel every open one of its series: stops the recurrence."
    ),
) -> None:
    """Cancel a follow-up; a recurring one skips to the next unless --series."""
    from caseload.services import followups

    with state(ctx).session(write=True) as s:
        rows = followups.cancel(s, followup_id, reason=reason, series=series)
    if series:
        say(f"Cancelled {plural(len(rows), 'follow-up')} of the series of follow-up {followup_id}.")
    else:
        say(f"Cancelled follow-up {followup_id}.")
        nxt = rows[0].get("next")
        if nxt is not None:
            say(f"Next follow-up {nxt['id']} due {nxt['due_on'].isoformat()}.")
