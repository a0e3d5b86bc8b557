"""Shared by the TUI tests: a fixed day, a demo store, and waiting on the app's workers."""

from __future__ import annotations

from datetime import date

DAY = date(2026, 11, 23)


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (no sleeping on a clock)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, predicate, tries: int = 200) -> None:
    """Wait for ``predicate()`` by letting the app run (workers, messages, timers)."""
    for _ in range(tries):
        if predicate():
            return
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.01)
    raise AssertionError("the app never reached the expected state")


def sync(fn):
    """Run an async test body with asyncio (the suite has no async pytest plugin)."""
    import asyncio
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper
