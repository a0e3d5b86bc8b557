"""`caseload key …`: opening a store with its recovery key and putting a fresh key in place."""

from __future__ import annotations

import getpass
import sys

import typer

from caseload.cli.common import say, state
from caseload.errors import UsageError

app = typer.Typer(
    rich_markup_mode=None, help="Keys: recover access with the recovery key.", no_args_is_help=True
)


def _read_recovery_key() -> str:
    from caseload.store.keys import stdin_is_terminal

    if stdin_is_terminal():
        return getpass.getpass("Recovery key: ")
    return sys.stdin.readline()


@app.command("recover")
def recover(ctx: typer.Context) -> None:
    """Open the store with its recovery key and give it a fresh key.

    The recovery key is read from the terminal, or from stdin's first line. The
    fresh key goes where a new store's key would (key file, CASELOAD_PASSPHRASE,
    keyring, or a typed passphrase) and a new recovery key is shown.
    """
    from caseload.services import audit
    from caseload.store import keys, rekey
    from caseload.store.connect import connect
    from caseload.store.engine import open_store, session

    st = state(ctx)
    raw = keys.decode_recovery_key(_read_recovery_key())
    if raw is None:
        raise UsageError("that is not a recovery key (13 groups of 4 letters and digits)")
    old = keys.Key(raw, raw=True, source="the recovery key")
    connect(st.db, old).close()  # wrong recovery key: exit 3 before anything changes
    timeout = st.config().keyring_timeout
    plan = rekey.plan_new_key(st.db, st.key_file, timeout=timeout, reuse_file=False)
    # The new key is saved before the store changes: if the change fails, the old
    # recovery key still opens the store; if it succeeds, the key is already kept.
    rekey.keep_new_key(plan, st.db, timeout=timeout)
    rekey.rekey(st.db, old, plan.key)
    engine = open_store(st.db, plan.key)
    with session(engine, write=True) as s:
        audit.record(s, "key.recover", "store", None, key_kept_in=plan.kind)
    engine.dispose()
    recovery = keys.recovery_key_for(keys.derived_raw_key(plan.key, st.db))
    say(f"The store has a fresh key, kept in {plan.where()}.")
    say("New recovery key (the old one no longer works):")
    say(f"  {recovery}")
