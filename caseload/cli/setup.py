"""`caseload init` and `caseload tui`: making a store and opening it."""

from __future__ import annotations

import typer

from caseload.cli.common import State, say, state
from caseload.errors import CaseloadError


def init(ctx: typer.Context) -> None:
    """Create an encrypted store with a new random 256-bit key."""
    from caseload.services.newstore import create_store

    st = state(ctx)
    made = create_store(st.db, st.key_file, timeout=st.config().keyring_timeout)
    say(f"Created an encrypted store at {made.db}")
    say(f"Its key is kept in {made.key_kept_in}.")
    say("")
    say("Recovery key (shown once; it alone opens the store if the key is lost):")
    say(f"  {made.recovery_key}")
    say("Write it down and keep it somewhere safe, away from this computer.")


# Filled by open_tui and emptied by caseload.launcher, which opens the TUI after the
# command returns: the CLI never imports the TUI (STYLE), and the store is released.
TUI_REQUESTS: list[State] = []


def open_tui(st: State) -> None:
    """Ask for the TUI on this store once the command has finished."""
    import importlib.util

    if importlib.util.find_spec("caseload.tui.app") is None:
        raise CaseloadError("the TUI is not part of this build", hint="caseload --help")
    TUI_REQUESTS.append(State(db=st.db, key_file=st.key_file))


def tui(ctx: typer.Context) -> None:
    """Open the TUI (the same as `caseload` alone)."""
    open_tui(state(ctx))


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("tui")(tui)
