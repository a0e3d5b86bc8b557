"""`caseload remind`: batch reminders to patients (outbox or email) or to the coordinator (ics).

Parse, call ``io.reminders.remind``, print: planning and recording live in
``services.reminders``, delivery in ``services.reminders_delivery`` over the
transports of ``io.reminders``. Stdout carries the outbox CSV or the calendar (or, with
``--dry-run``, the listing of what would go); the summary goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from caseload.cli.common import choices, option_hint, parse_date_option, say, state
from caseload.services.reminder_text import CHANNELS

Channel = choices("Channel", CHANNELS)


def _parse_now(value: str | None):
    if value is None:
        return None
    from datetime import datetime

    try:
        now = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            "use YYYY-MM-DDTHH:MM (local time)", param_hint=option_hint("now")
        ) from None
    return now if now.tzinfo is None else now.astimezone().replace(tzinfo=None)


def remind(
    ctx: typer.Context,
    on: str = typer.Option(None, "--date", help="The day (default today); any date form."),
    days_ahead: int = typer.Option(
        1, "--days-ahead", min=0, help="Remind follow-ups due up to N days after --date."
    ),
    channel: Channel = typer.Option(
        Channel.outbox, "--channel", help="outbox (CSV for an SMS tool), email, or ics."
    ),
    output: Path = typer.Option(
        None, "--output", "-o", help="outbox/ics: write to FILE (mode 0600) instead of stdout."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would go; send and record nothing."
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="Send at most N messages this run."),
    digest: str = typer.Option(
        None, "--digest", metavar="ADDRESS", help="Also email the day's due list to ADDRESS."
    ),
    now_text: str = typer.Option(None, "--now", hidden=True, help="Local time (tests)."),
) -> None:
    """Send reminders for follow-ups due soon, once per follow-up and channel."""
    from datetime import date, datetime

    from caseload.io import reminders
    from caseload.testhooks import crash_point

    st = state(ctx)
    now = _parse_now(now_text) or datetime.now()
    day = parse_date_option(on, "date") or (now.date() if now_text else date.today())
    if output is not None and channel.value == "email":
        raise typer.BadParameter(
            "--output is for the outbox and ics channels", param_hint=option_hint("output")
        )
    run = reminders.remind(
        st.session, st.raw, st.db, st.config(), day=day, now=now, channel=channel.value,
        days_ahead=days_ahead, output=output, dry_run=dry_run, limit=limit, digest=digest,
        stdout=sys.stdout, after_claim=lambda: crash_point("reminder-recorded"),
    )  # fmt: skip
    if run.outcome is None:
        _show_dry_run(run.plan, digest, run.elsewhere)
    else:
        _report(run.outcome, digest, run.elsewhere, run.summary)


def _line(verb: str, item, detail: str) -> str:
    return f"  {verb} {item.patient_external_id} follow-up {item.followup_id}: {detail}"


def unknown_detail(item, elsewhere: bool) -> str:
    """Why a reminder left `sending` is not sent now (no address, no server reply)."""
    if item.reason:
        return f"may have been sent ({item.reason}); not resent"
    if elsewhere:
        return "in progress elsewhere (another remind run is at work on it); not sent by this run"
    return "may have been sent (an earlier run stopped); not resent"


def _report(outcome, digest: str | None, elsewhere: bool, summary: str | None) -> None:
    from caseload.errors import CaseloadError

    plan, c = outcome.plan, outcome.counts()
    say(
        f"remind {plan.day.isoformat()} (+{plan.days_ahead}d, {plan.channel}): "
        f"sent {c['sent']} in {c['messages']} messages, failed {c['failed']}, "
        f"deferred {c['deferred']}, skipped {c['skipped']}, already sent {c['already_sent']}, "
        f"unknown {c['unknown']}"
    )
    if summary:
        say(summary)
    if plan.quiet and outcome.deferred:
        say("  quiet hours: reminders deferred to the next run outside them")
    for item in plan.skipped:
        say(_line("skipped", item, item.reason or ""))
    for msg, error in outcome.failed:
        for item in msg.items:
            say(_line("failed", item, f"{error}; retried on the next run"))
    for item in plan.unknown:
        say(_line("unknown", item, unknown_detail(item, elsewhere)))
    for msg, why in outcome.unknown:
        for item in msg.items:
            say(_line("unknown", item, f"may have been sent ({why}); not resent"))
    for msg in outcome.raced:
        for item in msg.items:
            say(_line("not sent", item, "in progress elsewhere (another remind run claimed it)"))
    if c["held"]:
        say(f"  {c['held']} more left for a later run (--limit)")
    if outcome.digest_error:
        raise CaseloadError(f"the digest to the coordinator was not sent ({outcome.digest_error})")
    if digest:
        say("  digest sent")
    if outcome.failed:
        n = c["failed"]
        raise CaseloadError(f"{n} reminder{'s' if n != 1 else ''} failed; retried on the next run")


def _show_dry_run(plan, digest: str | None, elsewhere: bool) -> None:
    """What would go, on stdout; nothing is recorded."""
    w = sys.stdout.write
    w(
        f"Dry run: reminders for {plan.day.isoformat()} (+{plan.days_ahead}d) "
        f"by {plan.channel}; nothing is sent or recorded\n"
    )
    verb = "would defer" if plan.quiet and plan.channel != "ics" else "would send"
    for m in plan.messages:
        ids = ", ".join(str(i.followup_id) for i in m.items)
        to = f" to {m.to}" if m.to else ""
        w(f"{verb}: {m.patient_external_id}{to} (follow-up {ids})\n")
        for line in m.text.splitlines():
            w(f"    {line}\n")
    for item in plan.skipped:
        w(f"would skip: {item.patient_external_id} (follow-up {item.followup_id}): {item.reason}\n")
    for item in plan.already:
        w(f"already sent: {item.patient_external_id} (follow-up {item.followup_id})\n")
    for item in plan.unknown:
        w(f"unknown: {item.patient_external_id} (follow-up {item.followup_id}): ")
        w(unknown_detail(item, elsewhere) + "\n")
    for m in plan.held:
        w(f"over --limit: {m.patient_external_id}\n")
    if digest:
        w(f"would email the due list to {digest}\n")
    say(
        f"dry run: {sum(len(m.items) for m in plan.messages)} to {verb.split()[1]}, "
        f"{len(plan.skipped)} to skip, {len(plan.already)} already sent; nothing recorded"
    )


def register(app: typer.Typer) -> None:
    app.command("remind")(remind)
