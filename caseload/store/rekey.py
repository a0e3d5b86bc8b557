"""Choosing where a new key lives, and changing a store's key in place.

Used by ``init`` (a first key), ``key recover`` (a fresh key after the recovery
key opened the store) and later ``key rotate``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from caseload.errors import StoreLocked
from caseload.store import keys
from caseload.store.connect import connect


@dataclass
class KeyPlan:
    """A new key and how it will be kept once the store accepts it."""

    key: keys.Key
    # "file", "passphrase" or "keyring"
    kind: str
    key_file: Path | None = None

    def where(self) -> str:
        if self.kind == "file":
            return f"key file {self.key_file}"
        if self.kind == "keyring":
            return "the OS keyring"
        return "your passphrase (CASELOAD_PASSPHRASE or typed)"


def plan_new_key(
    db_path: Path, key_file: Path | None, *, timeout: float, reuse_file: bool
) -> KeyPlan:
    """SPEC's order for a new store: key file, CASELOAD_PASSPHRASE, keyring, typed passphrase.

    With ``reuse_file`` an existing key file is used as it is (``init`` over a
    key the user made); otherwise an existing file will be replaced.
    """
    key_file = keys.key_file_from_env(key_file)
    if key_file is not None:
        if reuse_file and key_file.exists():
            return KeyPlan(keys.read_key_file(key_file), "file", key_file)
        return KeyPlan(keys.new_raw_key(f"key file {key_file}"), "file", key_file)
    passphrase = os.environ.get("CASELOAD_PASSPHRASE")
    if passphrase:
        return KeyPlan(keys.Key(passphrase, raw=False, source="CASELOAD_PASSPHRASE"), "passphrase")
    key = keys.new_raw_key("the keyring")
    failure = keys.keyring_set(db_path, key, timeout)
    if failure is None:
        return KeyPlan(key, "keyring")
    # A backend that failed or timed out part-way may still end up holding the entry;
    # a stray key there would be tried (and fail) before the passphrase on every open.
    keys.keyring_delete(db_path, timeout)
    return KeyPlan(keys.prompt_new_passphrase(), "passphrase")


def keep_new_key(plan: KeyPlan, db_path: Path, *, timeout: float) -> None:
    """Save the key where the plan says (the keyring entry was written while planning)."""
    if plan.kind == "file" and plan.key_file is not None:
        if plan.key_file.exists():
            existing = keys.read_key_file(plan.key_file)
            if existing.secret == plan.key.secret:
                return
            keys.write_key_file(plan.key_file, plan.key, replace=True)
        else:
            from caseload.paths import ensure_private_dir

            ensure_private_dir(plan.key_file.parent)
            keys.write_key_file(plan.key_file, plan.key)


def rekey(db_path: Path, old: keys.Key, new: keys.Key) -> None:
    """Re-encrypt the store under ``new``; verified by reopening with it."""
    conn = connect(db_path, old)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"PRAGMA rekey = {new.pragma_literal()}")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    check = connect(db_path, new)
    try:
        if check.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise StoreLocked("the store failed its check after the key change")
    finally:
        check.close()
