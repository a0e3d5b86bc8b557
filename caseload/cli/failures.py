"""How a run's failures reach the person: one or two lines on stderr and an exit code.

Free of typer, so the typer app (cli/main.py) and the fast path for `caseload due`
(cli/duefast.py) say the same words for the same failure.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path

from caseload.errors import CaseloadError, UsageError

INTERRUPTED = "caseload: interrupted; work in progress was rolled back"


def say(message: str) -> None:
    """A message for the person (stderr), never data; flushed, as typer.echo does."""
    print(message, file=sys.stderr, flush=True)


def report(exc: CaseloadError) -> None:
    say(f"caseload: {exc.message}")
    if exc.hint:
        say(f"  {exc.hint}")


def interrupted(exc: BaseException) -> str:
    """What Ctrl-C leaves to say: cancelled at a prompt, else the work was rolled back."""
    return cancelled() if at_prompt(exc) else INTERRUPTED


def cancelled() -> str:
    """On a terminal the cursor is still after the prompt: the message starts a line."""
    try:
        fresh_line = sys.stderr.isatty()
    except (AttributeError, ValueError):
        fresh_line = False
    return ("\n" if fresh_line else "") + "caseload: cancelled"


def at_prompt(exc: BaseException) -> bool:
    """Whether Ctrl-C came while asking for a key or a confirmation (getpass, click prompt)."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and Path(last).stem in ("getpass", "termui")


def translate(exc: Exception) -> CaseloadError | None:
    """Low-level store errors a person can act on, rewritten (sqlite-utils does the same)."""
    text = str(getattr(exc, "orig", exc))
    if type(exc).__module__.startswith(("sqlalchemy", "sqlcipher3")):
        from caseload.store.connect import busy_error, is_busy

        if is_busy(exc):
            return busy_error()
        if "malformed" in text or "not a database" in text:
            return CaseloadError(
                "the store is damaged", hint="run `caseload doctor`; restore a backup if it fails"
            )
        if "disk I/O" in text or "readonly" in text or "read-only" in text:
            return CaseloadError(f"the store could not be written: {text}")
    return None


def settle(exc: BaseException) -> int | None:
    """Say what an expected failure means and return its exit code; None for any other
    (a bug, or an exit already decided: the caller lets it raise). The typer app and the
    fast path for `caseload due` both settle their failures here."""
    if isinstance(exc, CaseloadError):
        report(exc)
        return exc.exit_code
    if isinstance(exc, OverflowError):
        report(UsageError("a date or number is out of range"))
        return UsageError.exit_code
    if isinstance(exc, KeyboardInterrupt):
        say(interrupted(exc))  # "cancelled" at a prompt: nothing had started
        return 130
    translated = translate(exc) if isinstance(exc, Exception) else None
    if translated is not None:
        report(translated)
        return translated.exit_code
    return None


class _PacifyFlush:
    """stdout/stderr whose final flush on a closed pipe stays quiet (click's wrapper, copied
    here so the fast path does not import typer for it)."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str):
        return getattr(self.wrapped, attr)


def broken_pipe() -> int:
    """`caseload due | head`: the reader left; exit 1 without a traceback, as typer's main does."""
    sys.stdout = _PacifyFlush(sys.stdout)
    sys.stderr = _PacifyFlush(sys.stderr)
    return 1
