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
) -> None:
    """Check the store's health: one line per check, OK / WARN / FAIL with the fix."""
    from caseload.errors import StoreLocked
    from caseload.services import doctor as checks
    from caseload.store import keys, rekey
    from caseload.store.connect import connect

    st = state(ctx)
    if not st.db.exists():
        raise CaseloadError(f"no caseload store at {st.db}", hint="create one with `caseload init`")
    timeout = st.config().keyring_timeout
    key_file = keys.key_file_from_env(st.key_file)
    results = checks.file_modes(st.db, key_file)
    pending = rekey.pending_file(key_file) if key_file is not None else None
    found = pending.exists() if pending is not None else False
    results.append(checks.pending_rotation(pending, found))
    failure: CaseloadError | None = None
    try:
        key = st.key()
        conn = connect(st.db, key, busy_timeout_ms=st.config().busy_timeout_ms)
    except StoreLocked as exc:
        results.append(checks.Check("FAIL", "key", exc.message, "see docs/security.md"))
        failure = exc
    if failure is None:
        results.append(checks.Check("OK", "key", f"opens the store (from {key.source})"))
        results.append(checks.keyring_check(timeout, key.source))
        try:
            if checkpoint:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            results += checks.store_checks(conn)
        finally:
            conn.close()
        results.append(checks.wal_check(st.db))
        damaged = any(
            r.status == "FAIL" and r.name in ("integrity_check", "cipher_integrity_check")
            for r in results
        )
        chain, last_event = (
            checks.Check("FAIL", "audit chain", "not read: the store is damaged"),
            None,
        )
        if not damaged:
            try:
                with st.session() as s:
                    chain, last_event = checks.audit_checks(s)
            except Exception as exc:  # a damaged table raises; doctor reports, never crashes
                chain = checks.Check(
                    "FAIL", "audit chain", f"unreadable ({exc.__class__.__name__})"
                )
        from caseload.services.common import utcnow

        results.append(checks.backup_age(checks.last_backup_at(st.db, last_event), utcnow()))
        results.append(chain)
    for r in results:
        typer.echo(r.line())
    if failure is not None:
        raise failure
    failed = sum(1 for r in results if r.status == "FAIL")
    if failed:
        raise CaseloadError(f"{plural(failed, 'check')} failed; see the fixes above")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("doctor")(doctor)
