"""A test hook: die at a named point, as a power cut would, to prove a workflow survives it."""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """TEST HOOK: with CASELOAD_TEST_CRASH_AFTER=<name>, kill this process here with SIGKILL.

    Harmless otherwise: it only reads one environment variable. The tests use it to
    prove that a `key rotate`, `restore` or `remind` killed midway loses nothing.
    """
    if os.environ.get("CASELOAD_TEST_CRASH_AFTER") == name:
        os.kill(os.getpid(), signal.SIGKILL)
