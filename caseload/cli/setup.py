"""`caseload init` and `caseload tui`: making a store and opening it."""

from __future__ import annotations

import typer

from caseload.cli.common import State, say, state
from caseload.errors import CaseloadError


def init(ctx: typer.Context) -> None:
    """Create an encrypted store with a new random 256-bit key."""
    from caseload.services import audit
    from caseload.store import keys, rekey
    from caseload.store.connect import create_file
    from caseload.store.engine import open_store, session

    st = state(ctx)
    db = st.db
    if db.exists():
        raise CaseloadError(
            f"a store exists already at {db}", hint="use --db to create another one elsewhere"
        )
    timeout = st.config().keyring_timeout
    plan = rekey.plan_new_key(db, st.key_file, timeout=timeout, reuse_file=True)
    created = False
    # A key file written for this store goes away with it if the store is not made.
    new_key_file = plan.kind == "file" and plan.key_file is not None and not plan.key_file.exists()
    try:
        rekey.keep_new_key(plan, db, timeout=timeout)
        create_file(db)
        created = True
        engine = open_store(db, plan.key)
        with session(engine, write=True) as s:
            audit.record(s, "store.init", "store", None, key_kept_in=plan.kind)
        engine.dispose()
    except BaseException:
        if created:
            db.unlink(missing_ok=True)
        if plan.kind == "keyring":
            keys.keyring_delete(db, timeout)
        if new_key_file and plan.key_file is not None:
            plan.key_file.unlink(missing_ok=True)
        raise
    recovery = keys.recovery_key_for(keys.derived_raw_key(plan.key, db))
    say(f"Created an encrypted store at {db}")
    say(f"Its key is kept in {plan.where()}.")
    say("")
    say("Recovery key (shown once; it alone opens the store if the key is lost):")
    say(f"  {recovery}")
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
