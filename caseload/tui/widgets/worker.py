"""Run a data call in a thread worker and post its result (or its error) back as a message.

The UI thread never waits on SQLite: a screen asks ``load(self, "what", fn, ...)``
and gets ``Loaded("what", data)`` or ``Failed("what", message)`` later. Workers
are exclusive per (node, what), and ``exit_on_error=False`` keeps the app alive
whatever happens in one; the message shown never carries exception text that
could hold patient data, only a CaseloadError's own message or the error's class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.worker import Worker

from caseload.errors import CaseloadError
from caseload.tui.messages import Failed, Loaded


def failure_text(exc: BaseException) -> str:
    if isinstance(exc, CaseloadError):
        return exc.message + (f" ({exc.hint})" if exc.hint else "")
    return f"something went wrong ({exc.__class__.__name__}); the store is unchanged"


def load(node: DOMNode, what: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Worker:
    """Call ``fn(*args, **kw)`` in a thread; post Loaded/Failed to ``node``."""

    def run() -> None:
        try:
            data = fn(*args, **kw)
        except Exception as exc:  # reported to the person, never raised into the app
            node.post_message(Failed(what, failure_text(exc)))
            return
        node.post_message(Loaded(what, data))

    return node.run_worker(
        run, name=what, group=what, thread=True, exclusive=True, exit_on_error=False
    )
