"""Test hooks that ship with the program: one home, importable from any layer.

A workflow that must survive a power cut (a key rotation, a reminder run) marks
its dangerous moments with ``crash_point``; the tests set an environment
variable to kill the process exactly there and then check that the store opens.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """TEST HOOK: with CASELOAD_TEST_CRASH_AFTER=<name>, die here as a power cut would.

    Harmless otherwise: it only reads one environment variable. The tests use it to
    prove that a `key rotate` killed midway leaves a store that opens.
    """
    if os.environ.get("CASELOAD_TEST_CRASH_AFTER") == name:
        os.kill(os.getpid(), signal.SIGKILL)
