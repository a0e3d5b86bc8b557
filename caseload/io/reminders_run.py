"""One `remind` run after planning: record skips and deferrals, claim, deliver, finish, audit.

Shared by the CLI (and any other front end): it takes a factory of short write
sessions, so each claim and each outcome is its own committed unit of work,
which is what makes delivery at-most-once (see ``services.reminders``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from caseload.io import reminders_out as out
from caseload.services import reminders as svc
from caseload.services.reminders import Item, Message, Plan


@dataclass
class Outcome:
    plan: Plan
    sent: list[Message] = field(default_factory=list)
    failed: list[tuple[Message, str]] = field(default_factory=list)
    deferred: list[Item] = field(default_factory=list)
    raced: list[Message] = field(default_factory=list)  # claimed by a concurrent run
    digest_error: str | None = None

    def counts(self) -> dict[str, int]:
        p = self.plan
        return {
            "sent": sum(len(m.items) for m in self.sent),
            "messages": len(self.sent),
            "failed": sum(len(m.items) for m, _ in self.failed),
            "deferred": len(self.deferred),
            "skipped": len(p.skipped),
            "already_sent": len(p.already),
            "unknown": len(p.unknown),
            "held": sum(len(m.items) for m in p.held),
        }


def _durable(stream: TextIO) -> None:
    """Flush, and fsync a real file, before the reminders in it are marked sent."""
    stream.flush()
    # A pipe or an in-memory stream cannot be fsynced: nothing more to do there.
    with contextlib.suppress(OSError, ValueError):
        os.fsync(stream.fileno())


def run(
    session_factory: Callable,
    plan: Plan,
    *,
    stream: TextIO | None = None,
    smtp: out.SmtpSettings | None = None,
    digest: tuple[str, str, str] | None = None,
    after_claim: Callable[[], None] = lambda: None,
) -> Outcome:
    """Deliver ``plan`` on its channel. ``digest`` is (address, subject, body) for the coordinator."""
    outcome = Outcome(plan)
    channel = plan.channel
    sender = out.SmtpSender(smtp) if smtp is not None else None
    try:
        with session_factory() as s:
            svc.record_unsent(s, plan.skipped, channel, svc.SKIPPED)
            if plan.quiet and channel != "ics":
                outcome.deferred = [i for m in plan.messages for i in m.items]
                svc.record_unsent(s, outcome.deferred, channel, svc.DEFERRED)
        if plan.quiet and channel != "ics":
            if channel == "outbox":  # an outbox with its header only: nothing to send yet
                out.write_outbox([], stream)
        elif channel == "email":
            _email(session_factory, plan.messages, sender, outcome, after_claim)
        else:
            _batch(session_factory, plan.messages, stream, outcome, after_claim)
        if digest is not None and sender is not None:
            address, subject, body = digest
            try:
                sender.send(out.email(sender.settings, address, subject, body))
            except out.SendFailed as exc:
                outcome.digest_error = str(exc)
        with session_factory() as s:
            svc.record_run(s, plan.day, channel, days_ahead=plan.days_ahead, **outcome.counts())
            if digest is not None:
                from caseload.services import audit

                audit.record(
                    s,
                    "duelist.email",
                    "duelist",
                    plan.day.isoformat(),
                    sent=outcome.digest_error is None,
                    error=outcome.digest_error,
                )
    finally:
        if sender is not None:
            sender.close()
    return outcome


def _email(session_factory, messages, sender, outcome: Outcome, after_claim) -> None:
    for msg in messages:
        with session_factory() as s:
            owned = svc.claim(s, msg)
        if owned is None:
            outcome.raced.append(msg)
            continue
        after_claim()
        try:
            sender.send(out.email(sender.settings, owned.to, owned.subject, owned.text))
        except out.SendFailed as exc:
            with session_factory() as s:
                svc.finish(s, owned, svc.FAILED, str(exc))
            outcome.failed.append((owned, str(exc)))
            continue
        with session_factory() as s:
            svc.finish(s, owned, svc.SENT)
            svc.log_sent(s, owned)
        outcome.sent.append(owned)


def _batch(session_factory, messages, stream, outcome: Outcome, after_claim) -> None:
    """Outbox and calendar: claim all, write the file once, then mark all sent."""
    owned: list[Message] = []
    with session_factory() as s:
        for msg in messages:
            mine = svc.claim(s, msg)
            if mine is None:
                outcome.raced.append(msg)
            else:
                owned.append(mine)
    if owned:
        after_claim()
    try:
        if outcome.plan.channel == "ics":
            stream.write(out.calendar(owned).decode("utf-8"))
        else:
            out.write_outbox(owned, stream)
        _durable(stream)
    except OSError as exc:
        with session_factory() as s:
            for m in owned:
                svc.finish(s, m, svc.FAILED, type(exc).__name__)
        outcome.failed.extend((m, type(exc).__name__) for m in owned)
        return
    with session_factory() as s:
        for m in owned:
            svc.finish(s, m, svc.SENT)
            svc.log_sent(s, m)
    outcome.sent.extend(owned)
