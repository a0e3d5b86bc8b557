"""Shared by the TUI tests: a fixed day, a demo store, and waiting on the app's workers."""

from __future__ import annotations

from datetime import date

DAY = date(2026, 11, 23)


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (no sleeping on a clock)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, predicate, seconds: float = 30.0) -> None:
    """Wait for ``predicate()`` by letting the app run (workers, messages, timers).

    Bounded by time, not by a count of rounds: on a loaded CI machine a round can
    take far longer than here, and a count that passes on a quiet laptop fails there.
    A predicate that raises (a widget not composed yet) counts as not yet true.
    """
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            if predicate():
                return
        except Exception:  # the screen may still be composing
            if time.monotonic() >= deadline:
                raise
        if time.monotonic() >= deadline:
            raise AssertionError("the app never reached the expected state")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.01)


def sync(fn):
    """Run an async test body with asyncio (the suite has no async pytest plugin)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper
