"""Choosing where a new key lives, and changing a store's key in place.

Used by ``init`` (a first key), ``key recover`` (a fresh key after the recovery
key opened the store) and ``key rotate`` (a new key on demand, with a crash-safe order).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from caseload.errors import StoreLocked
from caseload.store import keys
from caseload.store.connect import connect
from caseload.store.keys import pending_file, torn_pending


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
    passphrase = keys.new_passphrase_from_env("CASELOAD_PASSPHRASE")
    if passphrase is not None:
        return KeyPlan(passphrase, "passphrase")
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


# --- key rotation ------------------------------------------------------------------
#
# Order (chosen so that a crash at any point leaves a store that opens with one
# of the two keys, and that key kept somewhere):
#   1. the new key is saved to a *pending* place: ``<key file>.new`` (0600), or a
#      keyring entry ``<store path>#pending``; the old key stays where it was;
#   2. the store is re-encrypted (one transaction) and reopened with the new key;
#   3. the new key replaces the old one (an atomic rename, or the keyring entry);
#   4. the pending copy is removed.
# A crash before 2 commits leaves the old key working, in its usual place; after
# it, the new key works and is in the pending place, where `finish_interrupted`
# (run by `key rotate` and reported by `doctor`) finds it and completes step 3.
# A passphrase store has no pending place: the new passphrase is the one the user
# just gave (CASELOAD_NEW_PASSPHRASE or typed), so after a crash it is that one.

PENDING = "#pending"


def rotation_kind(key: keys.Key) -> str:
    """Where the current key came from, so the new one goes to the same place."""
    if key.source.startswith("key file "):
        return "file"
    if key.source == "the keyring":
        return "keyring"
    return "passphrase"


def _keyring_call(fn, timeout: float):
    value, error = keys.with_timeout(fn, timeout)
    return None if error is not None else value


def _pending_keyring_get(db_path: Path, timeout: float) -> keys.Key | None:
    def get():
        import keyring

        return keyring.get_password(keys.SERVICE, keys.keyring_username(db_path) + PENDING)

    value = _keyring_call(get, timeout)
    return keys.parse_key_text(value, "the keyring (pending rotation)") if value else None


def _pending_keyring_delete(db_path: Path, timeout: float) -> None:
    def delete():
        import keyring

        keyring.delete_password(keys.SERVICE, keys.keyring_username(db_path) + PENDING)
        return True

    _keyring_call(delete, timeout)


def stash_pending(kind: str, db_path: Path, key_file: Path | None, new: keys.Key, timeout: float):
    """Step 1: keep the new key beside the old one before the store changes."""
    if kind == "file" and key_file is not None:
        pending = pending_file(key_file)
        pending.unlink(missing_ok=True)
        keys.write_key_file(pending, new)
    elif kind == "keyring":

        def put():
            import keyring

            keyring.set_password(keys.SERVICE, keys.keyring_username(db_path) + PENDING, new.secret)
            return True

        if not _keyring_call(put, timeout):
            raise StoreLocked("the keyring did not take the new key; nothing was changed")


def promote(kind: str, db_path: Path, key_file: Path | None, new: keys.Key, timeout: float):
    """Steps 3 and 4: the new key replaces the old one; the pending copy goes."""
    if kind == "file" and key_file is not None:
        os.replace(pending_file(key_file), key_file)  # atomic: old or new, never half
    elif kind == "keyring":
        failure = keys.keyring_set(db_path, new, timeout)
        if failure is not None:
            raise StoreLocked(
                f"the store now opens with the new key, but the keyring did not take it "
                f"({failure}); it is still in the keyring entry "
                f"'{keys.keyring_username(db_path)}{PENDING}': run `caseload key rotate` again"
            )
        _pending_keyring_delete(db_path, timeout)


def opens(db_path: Path, key: keys.Key) -> bool:
    try:
        connect(db_path, key).close()
    except StoreLocked:
        return False
    return True


def pending_key(db_path: Path, key_file: Path | None, timeout: float) -> keys.Key | None:
    """A new key left by an interrupted rotation, if any (file first, then keyring).

    A torn pending file is discarded here: the store is re-keyed only after the
    pending key was written whole and fsynced, so a torn one never opened it.
    """
    torn = torn_pending(key_file)
    if torn is not None:
        torn.unlink(missing_ok=True)
    if key_file is not None and pending_file(key_file).exists():
        return keys.read_key_file(pending_file(key_file))
    if key_file is None:
        return _pending_keyring_get(db_path, timeout)
    return None


def finish_interrupted(db_path: Path, key_file: Path | None, timeout: float) -> keys.Key | None:
    """Complete or undo a rotation that was interrupted; returns the key now in force if finished.

    If the pending key opens the store, the rekey happened: promote it. If not,
    the store never changed: drop the pending key.
    """
    new = pending_key(db_path, key_file, timeout)
    if new is None:
        return None
    kind = "file" if key_file is not None else "keyring"
    if opens(db_path, new):
        promote(kind, db_path, key_file, new, timeout)
        return new
    if kind == "file" and key_file is not None:
        pending_file(key_file).unlink(missing_ok=True)
    else:
        _pending_keyring_delete(db_path, timeout)
    return None
