"""The `caseload` program: runs the command line, then the TUI if a command asked for it.

The CLI and the TUI never import each other (STYLE); this module sits above both.
A command that wants the TUI (`caseload`, `caseload tui`, `caseload demo` on a
terminal) leaves a request in ``caseload.cli.setup.TUI_REQUESTS`` and returns; the
TUI opens here once the command has finished and released the store.
"""

from __future__ import annotations

import sys


def main() -> None:
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
    from caseload.tui.app import run_app

    try:
        run_app(setup.TUI_REQUESTS.pop())
    except CaseloadError as exc:
        report(exc)
        sys.exit(exc.exit_code)
