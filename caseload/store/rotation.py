"""`key rotate` as one workflow: a new key for the store, crash-safe at every step.

The order is the one described in ``store.rekey``: check the current key,
back up, keep the new key in a pending place, re-key, promote the new key.
Audit events are the caller's (``record``): the store layer sits below the
services that write them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from caseload.errors import Interrupted
from caseload.store import keys
from caseload.store import rekey as rk
from caseload.testhooks import crash_point

# record(engine, action, **detail): append one audit event on an open engine.
Record = Callable[..., None]


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: the key now in force, where it is kept, the backup taken."""

    kind: str  # "file", "keyring" or "passphrase"
    key: keys.Key
    key_file: Path | None
    backup: Path | None = None
    finished_interrupted: bool = False  # an earlier rotation was completed instead
    interrupted: bool = False  # Ctrl-C came after the store had taken its new key

    def where(self) -> str:
        return {"file": f"key file {self.key_file}", "keyring": "the OS keyring"}.get(
            self.kind, "your new passphrase"
        )


def _recorded(
    db: Path, key: keys.Key, record: Record, action: str, busy_timeout_ms: int, **detail
) -> None:
    from caseload.store.engine import open_store

    engine = open_store(db, key, busy_timeout_ms=busy_timeout_ms)
    try:
        record(engine, action, **detail)
    finally:
        engine.dispose()


def rotate(
    db: Path,
    *,
    current_key: Callable[[], keys.Key],
    new_passphrase: Callable[[], keys.Key],
    key_file: Path | None,
    timeout: float,
    record: Record,
    busy_timeout_ms: int = 10000,
) -> Rotation:
    """Re-encrypt the store under a new key kept where the old one was; see the module doc.

    ``current_key`` is called only once an interrupted rotation has been ruled
    out (its key no longer opens the store); the current key must open the store
    before a new passphrase is asked for (a wrong one is exit 3, not advice).
    """
    finished = rk.finish_interrupted(db, key_file, timeout)
    if finished is not None:
        kind = "file" if key_file is not None else "keyring"
        _recorded(
            db, finished, record, "key.rotate", busy_timeout_ms, key_kept_in=kind,
            finished_interrupted=True,
        )  # fmt: skip
        return Rotation(kind, finished, key_file, finished_interrupted=True)
    old = current_key()
    from caseload.store.backup import backup_before
    from caseload.store.engine import open_store

    engine = open_store(
        db, old, busy_timeout_ms=busy_timeout_ms
    )  # the current key must open the store (exit 3 otherwise)
    try:
        kind = rk.rotation_kind(old)
        new = new_passphrase() if kind == "passphrase" else keys.new_raw_key(old.source)
        saved = backup_before(engine, "rotate")
        record(engine, "store.backup", kind="automatic", reason="rotate")
    finally:
        engine.dispose()  # no connection may stay open across the rekey
    interrupted = _rekey_and_promote(db, old, new, kind, key_file, timeout)
    _recorded(db, new, record, "key.rotate", busy_timeout_ms, key_kept_in=kind)
    return Rotation(kind, new, key_file, saved, interrupted=interrupted)


def _rekey_and_promote(db, old, new, kind: str, key_file: Path | None, timeout: float) -> bool:
    """Steps 1-4 of the order in ``store.rekey``; True if Ctrl-C came once the store had changed.

    Which key opens the store after a failure decides: the new one means the
    rotation is done (finish it); otherwise the store never changed (drop the
    pending key and re-raise).
    """
    rk.stash_pending(kind, db, key_file, new, timeout)
    crash_point("pending")
    try:
        rk.rekey(db, old, new)
        crash_point("rekey")
        rk.promote(kind, db, key_file, new, timeout)
    except BaseException as exc:
        done = rk.finish_interrupted(db, key_file, timeout)
        if done is None and kind == "passphrase" and rk.opens(db, new):
            done = new
        if done is None:
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted("interrupted; the store keeps its old key") from None
            raise
        if not isinstance(exc, KeyboardInterrupt):
            raise
        return True
    return False
