"""Creating a store: a new key kept where SPEC says, the encrypted file, its first audit event.

The workflow behind `caseload init`, so the CLI only parses and prints and the
TUI can create a store the same way. It sits in services, not store, because
the store's birth is recorded in the audit log (``services.audit``), which the
store layer may not import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from caseload.errors import CaseloadError


@dataclass(frozen=True)
class NewStore:
    """A created store: where its key is kept, and the recovery key to show once."""

    db: Path
    key_kept_in: str
    recovery_key: str


def create_store(db: Path, key_file: Path | None, *, timeout: float) -> NewStore:
    """Create an encrypted store at ``db`` with a new random 256-bit key (or a passphrase).

    The key is kept first (key file, CASELOAD_PASSPHRASE, keyring, typed
    passphrase: ``rekey.plan_new_key``), then the file is made and ``store.init``
    audited. All or nothing: a failure or Ctrl-C removes the store, the keyring
    entry and a key file written for it, so a retry starts clean.
    """
    from caseload.services import audit
    from caseload.store import keys, rekey
    from caseload.store.connect import create_file
    from caseload.store.engine import open_store, session

    if db.exists():
        raise CaseloadError(
            f"a store exists already at {db}", hint="use --db to create another one elsewhere"
        )
    plan = rekey.plan_new_key(db, key_file, timeout=timeout, reuse_file=True)
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
    return NewStore(db, plan.where(), recovery)
