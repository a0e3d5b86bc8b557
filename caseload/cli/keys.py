"""`caseload key …`: recover with the recovery key, rotate to a new key, export the key for cron."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from caseload.cli.common import say, state
from caseload.errors import CaseloadError, UsageError

app = typer.Typer(
    rich_markup_mode=None, help="Keys: recover, rotate, export.", no_args_is_help=True
)


def _read_recovery_key() -> str:
    from caseload.store.keys import stdin_is_terminal

    if stdin_is_terminal():
        return getpass.getpass("Recovery key: ")
    return sys.stdin.readline()


@app.command("recover")
def recover(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm without asking."),
) -> None:
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
    from caseload.cli.ops import confirm_or_refuse

    confirm_or_refuse(
        yes, "key recover replaces the store's key", "Give the store a fresh key now?"
    )
    timeout = st.config().keyring_timeout
    plan = rekey.plan_new_key(st.db, st.key_file, timeout=timeout, reuse_file=False)
    # As in `key rotate`: a new key file waits beside the old one until the store has
    # changed, so a failure at any point leaves the old file and the recovery key working.
    # (A keyring plan has stored its key already; the recovery key still opens the store.)
    if plan.kind == "file":
        rekey.stash_pending("file", st.db, plan.key_file, plan.key, timeout)
    else:
        rekey.keep_new_key(plan, st.db, timeout=timeout)
    rekey.rekey(st.db, old, plan.key)
    if plan.kind == "file":
        rekey.promote("file", st.db, plan.key_file, plan.key, timeout)
    engine = open_store(st.db, plan.key)
    with session(engine, write=True) as s:
        audit.record(s, "key.recover", "store", None, key_kept_in=plan.kind)
    engine.dispose()
    recovery = keys.recovery_key_for(keys.derived_raw_key(plan.key, st.db))
    say(f"The store has a fresh key, kept in {plan.where()}.")
    say("New recovery key (the old one no longer works):")
    say(f"  {recovery}")


def _new_passphrase():
    from caseload.store import keys

    value = keys.new_passphrase_from_env("CASELOAD_NEW_PASSPHRASE")
    if value is not None:
        return value
    if not keys.stdin_is_terminal():
        raise UsageError(
            "this store's key is a passphrase: set CASELOAD_NEW_PASSPHRASE to the new one"
        )
    return keys.prompt_new_passphrase()


def _show_recovery(db: Path, key) -> None:
    from caseload.store import keys

    say("New recovery key (the old one no longer opens the store; backups made")
    say("before now still need it, so keep it as long as you keep those):")
    say(f"  {keys.recovery_key_for(keys.derived_raw_key(key, db))}")


def _record(engine, action: str, **detail) -> None:
    from caseload.services import audit
    from caseload.store.engine import session

    with session(engine, write=True) as s:
        audit.record(s, action, "store", None, **detail)


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm without asking."),
) -> None:
    """Re-encrypt the store under a new key, kept where the old one was.

    An automatic backup comes first. A key file gets a new random key (written to
    FILE.new first, renamed over FILE once the store opens with it); a keyring
    entry gets a new random key; a passphrase store takes its new passphrase
    from CASELOAD_NEW_PASSPHRASE or the prompt. A new recovery key is shown.
    """
    from caseload.cli.ops import confirm_or_refuse
    from caseload.store import keys, rotation

    st = state(ctx)
    confirm_or_refuse(
        yes,
        "key rotate replaces the store's key",
        f"Re-encrypt the store at {st.db} under a new key?",
    )
    done = rotation.rotate(
        st.db,
        current_key=st.key,
        new_passphrase=_new_passphrase,
        key_file=keys.key_file_from_env(st.key_file),
        timeout=st.config().keyring_timeout,
        record=_record,
        busy_timeout_ms=st.config().busy_timeout_ms,
    )
    if done.finished_interrupted:
        say("Finished an interrupted key rotation: the new key opened the store and is now")
        say(f"kept in {done.key_file if done.key_file is not None else 'the keyring'}.")
    else:
        if done.interrupted:
            say("Interrupted after the store had taken its new key; the rotation is complete.")
        say(f"The store has a new key, kept in {done.where()}.")
        say(f"An automatic backup (with the old key) was taken first: {done.backup}")
        if done.kind == "passphrase" and st.key().source == "CASELOAD_PASSPHRASE":
            say("Set CASELOAD_PASSPHRASE to the new passphrase wherever you use it (cron too).")
    _show_recovery(st.db, done.key)


@app.command("export")
def export(
    ctx: typer.Context,
    to: Path = typer.Option(..., "--to", metavar="FILE", help="A new file for the key (0600)."),
) -> None:
    """Write the store's current key to a new 0600 file, for cron (--key-file FILE)."""
    from caseload.paths import ensure_private_dir
    from caseload.services import audit
    from caseload.store import keys
    from caseload.store.connect import connect

    st = state(ctx)
    to = to.expanduser()
    if to.exists():
        raise CaseloadError(f"{to} exists already; choose a new file")
    key = st.key()
    connect(st.db, key).close()  # only a key that opens the store is written out
    ensure_private_dir(to.parent)
    keys.write_key_file(to, key)
    with st.session(write=True) as s:
        audit.record(s, "key.export", "store", None)
    say(f"Wrote the store's key to {to} (mode 0600). Anyone with this file can read the store.")
    say(f"Use it with: caseload --key-file {to} …  (or CASELOAD_KEY_FILE={to})")
