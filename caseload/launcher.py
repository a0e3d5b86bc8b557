"""The `caseload` program: runs the command line, then the TUI if a command asked for it.

The CLI and the TUI never import each other (STYLE); this module sits above both.
A command that wants the TUI (`caseload`, `caseload tui`, `caseload demo` on a
terminal) leaves a request in ``caseload.cli.setup.TUI_REQUESTS`` and returns; the
TUI opens here once the command has finished and released the store.

A plain `caseload due …` is run by cli/duefast.py before typer is imported at all:
typer's start-up was half of a cron run's (docs/architecture.md, "The CLI").
"""

from __future__ import annotations

import sys


def main() -> None:
    from caseload.cli import duefast

    code = duefast.main(sys.argv[1:])  # the cron path, without typer's start-up
    if code is not None:
        _leave(code)
    from caseload.cli import setup
    from caseload.cli.main import report, run
    from caseload.errors import CaseloadError

    try:
        run()
    except SystemExit as exc:
        if exc.code not in (0, None) or not setup.TUI_REQUESTS:
            raise
    if not setup.TUI_REQUESTS:
        return
    from caseload.store.keys import stdin_is_terminal

    if not stdin_is_terminal():  # cron, a pipe, `< /dev/null`: the TUI would wait forever
        setup.TUI_REQUESTS.clear()
        _usage()
        sys.exit(2)
    from caseload.tui.app import run_app

    try:
        run_app(setup.TUI_REQUESTS.pop())
    except CaseloadError as exc:
        report(exc)
        sys.exit(exc.exit_code)


def _leave(code: int) -> None:
    """End a `due` run at once: its store is closed and its output written, so only the
    interpreter's own teardown is left, about 10 ms after a 70k-item list (of the
    0.5 s the cron path is allowed, SPEC). Output is flushed first; a reader that has
    gone (`caseload due | head`) ends it as typer's path does: exit 1, no message."""
    import os

    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # `>&-`: started with no such stream
                stream.flush()
    except BrokenPipeError:
        code = code or 1
    os._exit(code)


def _usage() -> None:
    """The program's help on stderr, and why the TUI did not open."""
    import typer.main

    from caseload.cli.main import app

    command = typer.main.get_command(app)
    with command.make_context("caseload", [], resilient_parsing=True) as ctx:
        print(ctx.get_help(), file=sys.stderr)
    print(
        "caseload: the TUI needs a terminal (stdin is not one); give a command, as above",
        file=sys.stderr,
    )
