"""`caseload backup`, `restore` and `doctor`: keeping the store safe and healthy."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from caseload.cli.common import say, state
from caseload.errors import CaseloadError, UsageError
from caseload.labels import plural

YES_OPTION = typer.Option(False, "--yes", "-y", help="Confirm without asking.")


def confirm_or_refuse(yes: bool, what: str, question: str) -> None:
    """SPEC: destructive commands ask on a terminal; without one they need --yes."""
    if yes:
        return
    from caseload.store.keys import stdin_is_terminal

    if not stdin_is_terminal():
        raise UsageError(f"{what}: pass --yes to confirm")
    if not typer.confirm(question, default=False, err=True):
        raise CaseloadError("cancelled; nothing was changed")


def passphrase_from_env(var: str) -> object:
    from caseload.store.keys import Key

    value = os.environ.get(var)
    if not value:
        raise UsageError(f"--passphrase-env names {var}, which is not set or empty")
    return Key(value, raw=False, source=var)


def backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="Where to write the backup."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
    new_key_file: Path = typer.Option(
        None,
        "--new-key-file",
        help="Encrypt with the key in PATH (a new random key is written there if missing).",
    ),
    passphrase_env: str = typer.Option(
        None, "--passphrase-env", metavar="VAR", help="Encrypt with the passphrase in env VAR."
    ),
) -> None:
    """Write an encrypted, verified copy of the store to FILE (mode 0600)."""
    from caseload.services import audit
    from caseload.store import keys
    from caseload.store.backup import manual_backup, salted

    if new_key_file is not None and passphrase_env is not None:
        raise UsageError("give --new-key-file or --passphrase-env, not both")
    st = state(ctx)
    file = file.expanduser()
    engine = st.engine()
    written_key_file = None
    if passphrase_env is not None:
        key, kind = passphrase_from_env(passphrase_env), "passphrase"
    elif new_key_file is not None:
        new_key_file = new_key_file.expanduser()
        kind = "key file"
        if new_key_file.exists():
            key = keys.read_key_file(new_key_file)
        else:
            key = keys.new_raw_key(f"key file {new_key_file}")
            keys.write_key_file(new_key_file, key)
            written_key_file = new_key_file
    else:
        key, kind = salted(st.key(), st.db), "store key"
    try:
        manual_backup(engine, file, key, force=force)
    except BaseException:
        if written_key_file is not None:  # a key for a backup that was not made
            written_key_file.unlink(missing_ok=True)
        raise
    with st.session(write=True) as s:
        audit.record(s, "store.backup", "store", None, kind="manual", key=kind)
    what = "the store's key" if kind == "store key" else f"the {kind} given"
    say(f"Backed up the store to {file} (encrypted with {what}; verified).")


def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="The backup to restore."),
    yes: bool = YES_OPTION,
    backup_key_file: Path = typer.Option(
        None, "--backup-key-file", help="The backup's key file (default: the store's key)."
    ),
    passphrase_env: str = typer.Option(
        None, "--passphrase-env", metavar="VAR", help="The backup's passphrase is in env VAR."
    ),
) -> None:
    """Replace the store by a backup, after checking the backup; the old store is kept aside."""
    from caseload.services import audit
    from caseload.store import backup as backups
    from caseload.store import keys

    st = state(ctx)
    file = file.expanduser()
    confirm_or_refuse(
        yes,
        "restore replaces the store",
        f"Replace the store at {st.db} by the backup {file}?",
    )
    if backup_key_file is not None and passphrase_env is not None:
        raise UsageError("give --backup-key-file or --passphrase-env, not both")
    store_key = st.key()
    if backup_key_file is not None:
        backup_key = keys.read_key_file(backup_key_file.expanduser())
    elif passphrase_env is not None:
        backup_key = passphrase_from_env(passphrase_env)
    else:
        backup_key = store_key
    aside = backups.restore(st.db, file, backup_key, store_key)
    with st.session(write=True) as s:
        audit.record(s, "store.restore", "store", None, kept_aside=aside is not None)
    say(f"Restored the store at {st.db} from {file} (checked and verified).")
    if aside is not None:
        say(f"The store it replaced is kept at {aside}; delete it once you are satisfied.")


def doctor(
    ctx: typer.Context,
    checkpoint: bool = typer.Option(
        False, "--checkpoint", help="First fold the WAL back into the store."
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Remove leftover files of interrupted work without asking."
    ),
) -> None:
    """Check the store's health: one line per check, OK / WARN / FAIL with the fix."""
    from caseload.services import doctor as checks
    from caseload.store import keys, recovery

    st = state(ctx)
    cfg = st.config()
    report = checks.run(
        st.db,
        keys.key_file_from_env(st.key_file),
        st.key,
        keyring_timeout=cfg.keyring_timeout,
        busy_timeout_ms=cfg.busy_timeout_ms,
        checkpoint=checkpoint,
    )
    for r in report.results:
        typer.echo(r.line())
    if report.leftovers and _may_remove(yes, len(report.leftovers)):
        removed = recovery.remove(report.leftovers)
        say(f"Removed {plural(removed, 'leftover file')}.")
    if report.failure is not None:
        raise report.failure
    if report.failed:
        raise CaseloadError(f"{plural(report.failed, 'check')} failed; see the fixes above")


def _may_remove(yes: bool, count: int) -> bool:
    """--yes removes; a terminal asks; without either the WARN line (and its fix) is all."""
    from caseload.store.keys import stdin_is_terminal

    if yes:
        return True
    if not stdin_is_terminal():
        return False
    return typer.confirm(f"Remove the {plural(count, 'leftover file')}?", default=False, err=True)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("doctor")(doctor)
