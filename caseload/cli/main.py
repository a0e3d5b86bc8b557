"""The `caseload` command: global options, the command groups, and error handling.

Expected failures (CaseloadError) print one or two lines on stderr and exit with
their code; no traceback, no locals, no patient data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup

from caseload import __version__
from caseload.cli import audit as audit_cli
from caseload.cli import careplans as careplans_cli
from caseload.cli import careteam as careteam_cli
from caseload.cli import contacts as contacts_cli
from caseload.cli import demo as demo_cli
from caseload.cli import due as due_cli
from caseload.cli import followups as followups_cli
from caseload.cli import keys as keys_cli
from caseload.cli import ops as ops_cli
from caseload.cli import patients as patients_cli
from caseload.cli import referrals as referrals_cli
from caseload.cli import remind as remind_cli
from caseload.cli import report as report_cli
from caseload.cli import setup as setup_cli
from caseload.cli import transfer as transfer_cli
from caseload.cli.failures import cancelled, report, say, settle
from caseload.cli.state import State, hoist_global_options, make_state
from caseload.errors import CaseloadError
from caseload.labels import choice_error, normalize


class CaseloadGroup(TyperGroup):
    """Turns expected failures anywhere below into a message and an exit code."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:  # a choice mistyped: list the words it takes
            exc.message = choice_error(exc.message)
            raise
        except typer.Abort:  # Ctrl-C or end of input at a typer/click prompt
            say(cancelled())
            ctx.exit(130)
        except BaseException as exc:
            code = settle(exc)
            if code is None:
                raise
            ctx.exit(code)
        finally:
            obj = ctx.obj
            if isinstance(obj, State):
                obj.close()


app = typer.Typer(
    rich_markup_mode=None,
    cls=CaseloadGroup,
    name="caseload",
    help="A caseload manager for care coordinators, over an encrypted local store.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    # Every enumerated option takes its code or its label, in any case ("No answer").
    context_settings={"help_option_names": ["-h", "--help"], "token_normalize_func": normalize},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"caseload {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Path = typer.Option(
        None,
        "--db",
        envvar="CASELOAD_DB",
        help="The store file (default: the platform's user data dir).",
        show_default=False,
    ),
    key_file: Path = typer.Option(
        None,
        "--key-file",
        help="A file holding the key (or set CASELOAD_KEY_FILE).",
        show_default=False,
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    ctx.obj = make_state(db, key_file)
    if ctx.invoked_subcommand is None:
        from caseload.cli.setup import open_tui

        open_tui(ctx.obj)


setup_cli.register(app)
demo_cli.register(app)
due_cli.register(app)
remind_cli.register(app)
report_cli.register(app)
transfer_cli.register(app)
ops_cli.register(app)
app.add_typer(patients_cli.app, name="patients")
app.add_typer(contacts_cli.app, name="contacts")
app.add_typer(followups_cli.app, name="followups")
app.add_typer(careplans_cli.app, name="careplans")
app.add_typer(careteam_cli.app, name="careteam")
app.add_typer(referrals_cli.app, name="referrals")
app.add_typer(keys_cli.app, name="key")
app.add_typer(audit_cli.app, name="audit")


def run() -> None:
    """Console-script entry point."""
    os.umask(0o077)  # anything caseload writes is private unless it says otherwise
    try:
        app()
    except CaseloadError as exc:  # raised outside a command (e.g. in the callback)
        report(exc)
        sys.exit(exc.exit_code)
