"""One `remind` run after planning: record skips and deferrals, claim, deliver, finish, audit.

Shared by the CLI (and any other front end): it takes a factory of short write
sessions, so each claim and each outcome is its own committed unit of work,
which is what makes delivery at-most-once (see ``services.reminders``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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


class RunLock:
    """Held (shared) by every `remind` run for its whole life, on ``<store>.remind-lock``.

    A reminder left ``sending`` is either a run at work right now or a run that
    stopped. ``others_live()`` tells them apart: it asks for the lock exclusively
    without waiting, which only succeeds when no other run holds it. POSIX
    record locks are dropped by the kernel when a process dies, so a killed run
    never looks alive.
    """

    def __init__(self, db: Path, *, hold: bool = True) -> None:
        self.path = db.with_name(db.name + ".remind-lock")
        self.hold = hold
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        import fcntl

        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return self  # a read-only folder: no lock, and claims read as stopped runs
        if self.hold:
            fcntl.lockf(self.fd, fcntl.LOCK_SH)
        return self

    def others_live(self) -> bool:
        import fcntl

        if self.fd is None:
            return False
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        # Back to shared (atomic for POSIX locks), or released for a probe.
        fcntl.lockf(self.fd, fcntl.LOCK_SH if self.hold else fcntl.LOCK_UN)
        return False

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


def run(
    session_factory: Callable,
    plan: Plan,
    *,
    sink=None,
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
            if channel == "outbox":  # nothing to send yet (an existing outbox stays as it is)
                sink.write([])
        elif channel == "email":
            _email(session_factory, plan.messages, sender, outcome, after_claim)
        else:
            _batch(session_factory, plan.messages, sink, outcome, after_claim)
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
        except out.MaybeSent as exc:
            why = f"the server took it, then {exc}"
            with session_factory() as s:
                svc.finish(s, owned, svc.SENDING, why)  # stays claimed: never sent again
            outcome.unknown.append((owned, why))
            continue
        except out.SendFailed as exc:
            with session_factory() as s:
                svc.finish(s, owned, svc.FAILED, str(exc))
            outcome.failed.append((owned, str(exc)))
            continue
        with session_factory() as s:
            svc.finish(s, owned, svc.SENT)
            svc.log_sent(s, owned)
        outcome.sent.append(owned)


def _batch(session_factory, messages, sink, outcome: Outcome, after_claim) -> None:
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
        sink.write(owned)  # durable (fsynced) before anything is marked sent
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
