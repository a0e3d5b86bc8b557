"""Delivering a reminder plan over a transport: record skips and deferrals, claim, hand over, finish.

The transports (outbox, calendar, SMTP) live in ``io.reminders``; here is only the
protocol they follow and the order of the steps that makes delivery at most once
(see ``services.reminders``): each claim and each outcome is its own committed
unit of work, from ``session_factory``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from caseload.services import reminders as svc
from caseload.services.reminders import Item, Message, Plan


class SendFailed(Exception):
    """Nothing was delivered; ``str()`` is the underlying exception's class name (never an
    address or a server reply, which may echo one)."""


class MaybeSent(SendFailed):
    """The message was handed over but never confirmed: it may have been delivered, so it
    is never sent again."""


class Transport(Protocol):
    """Where a channel's messages go. ``batch``: all of a run's messages in one ``deliver``
    (a file, written durably before anything is marked sent); else one message per call."""

    batch: bool

    def deliver(self, messages: list[Message]) -> None:
        """Hand ``messages`` over; raise ``SendFailed`` (or ``MaybeSent``) if they did not go."""
        ...


class Mailer(Protocol):
    def mail(self, to: str, subject: str, body: str) -> None: ...


@dataclass
class Outcome:
    plan: Plan
    sent: list[Message] = field(default_factory=list)
    failed: list[tuple[Message, str]] = field(default_factory=list)
    deferred: list[Item] = field(default_factory=list)
    raced: list[Message] = field(default_factory=list)  # claimed by a concurrent run
    # handed to the SMTP server, which then went quiet: left `sending`, never resent
    unknown: list[tuple[Message, str]] = field(default_factory=list)
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
            "unknown": len(p.unknown) + sum(len(m.items) for m, _ in self.unknown),
            "held": sum(len(m.items) for m in p.held),
        }


def deliver(
    session_factory: Callable,
    plan: Plan,
    transport: Transport,
    *,
    digest: tuple[Mailer, str, str, str] | None = None,
    after_claim: Callable[[], None] = lambda: None,
) -> Outcome:
    """Deliver ``plan`` over ``transport``. ``digest``: (mailer, address, subject, body), the
    coordinator's due list, sent after the reminders."""
    outcome = Outcome(plan)
    channel = plan.channel
    quiet = plan.quiet and channel != "ics"
    with session_factory() as s:
        svc.record_unsent(s, plan.skipped, channel, svc.SKIPPED)
        if quiet:
            outcome.deferred = [i for m in plan.messages for i in m.items]
            svc.record_unsent(s, outcome.deferred, channel, svc.DEFERRED)
    if quiet:
        if transport.batch:  # nothing to send yet (an existing outbox stays as it is)
            transport.deliver([])
    elif transport.batch:
        _batch(session_factory, plan.messages, transport, outcome, after_claim)
    else:
        for msg in plan.messages:
            _one(session_factory, msg, transport, outcome, after_claim)
    if digest is not None:
        mailer, address, subject, body = digest
        try:
            mailer.mail(address, subject, body)
        except SendFailed as exc:
            outcome.digest_error = str(exc)
    with session_factory() as s:
        svc.record_run(s, plan.day, channel, days_ahead=plan.days_ahead, **outcome.counts())
        if digest is not None:
            from caseload.services import audit

            audit.record(
                s, "duelist.email", "duelist", plan.day.isoformat(),
                sent=outcome.digest_error is None, error=outcome.digest_error,
            )  # fmt: skip
    return outcome


def _one(session_factory, msg: Message, transport: Transport, outcome: Outcome, after_claim):
    with session_factory() as s:
        owned = svc.claim(s, msg)
    if owned is None:
        outcome.raced.append(msg)
        return
    after_claim()
    try:
        transport.deliver([owned])
    except MaybeSent as exc:
        why = f"the server took it, then {exc}"
        with session_factory() as s:
            svc.finish(s, owned, svc.SENDING, why)  # stays claimed: never sent again
        outcome.unknown.append((owned, why))
        return
    except SendFailed as exc:
        with session_factory() as s:
            svc.finish(s, owned, svc.FAILED, str(exc))
        outcome.failed.append((owned, str(exc)))
        return
    with session_factory() as s:
        svc.finish(s, owned, svc.SENT)
        svc.log_sent(s, owned)
    outcome.sent.append(owned)


def _batch(session_factory, messages, transport: Transport, outcome: Outcome, after_claim):
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
        transport.deliver(owned)  # durable (fsynced) before anything is marked sent
    except SendFailed as exc:
        with session_factory() as s:
            for m in owned:
                svc.finish(s, m, svc.FAILED, str(exc))
        outcome.failed.extend((m, str(exc)) for m in owned)
        return
    with session_factory() as s:
        for m in owned:
            svc.finish(s, m, svc.SENT)
            svc.log_sent(s, m)
    outcome.sent.extend(owned)
