"""Health checks for `caseload doctor`: each returns OK / WARN / FAIL with the fix.

Checks that need no key (file modes, a pending key rotation, leftover files)
run first, so a store that does not open still gets a useful report. Nothing
here writes except ``--checkpoint``; leftovers are removed by the CLI when asked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

WAL_WARN_BYTES = 64 * 1024 * 1024
BACKUP_MAX_AGE_DAYS = 7


@dataclass(frozen=True)
class Check:
    status: str  # "OK", "WARN" or "FAIL"
    name: str
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.name}: {self.message}"
        return text + (f" (fix: {self.fix})" if self.fix else "")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def file_modes(db: Path, key_file: Path | None) -> list[Check]:
    """The store must be 0600; its folder should not be open to others; a key file 0600."""
    out: list[Check] = []
    if os.name == "nt":  # POSIX modes mean nothing there
        return out
    mode = _mode(db)
    if mode & 0o077:
        out.append(
            Check("FAIL", "store file mode", f"{mode:04o}, readable by others", f"chmod 600 {db}")
        )
    else:
        out.append(Check("OK", "store file mode", f"{mode:04o}"))
    folder = db.parent
    fmode = _mode(folder)
    if fmode & 0o077:
        out.append(
            Check(
                "WARN",
                "store folder mode",
                f"{fmode:04o}: others can list it",
                f"chmod 700 {folder} (if only caseload uses it)",
            )
        )
    else:
        out.append(Check("OK", "store folder mode", f"{fmode:04o}"))
    if key_file is not None and key_file.exists():
        kmode = _mode(key_file)
        if kmode & 0o077:
            out.append(Check("FAIL", "key file mode", f"{kmode:04o}", f"chmod 600 {key_file}"))
        else:
            out.append(Check("OK", "key file mode", f"{kmode:04o}"))
    return out


def pending_rotation(pending: Path | None, found: bool) -> Check:
    if found:
        where = str(pending) if pending is not None else "a pending keyring entry"
        return Check(
            "FAIL",
            "key rotation",
            f"an interrupted `key rotate` left a new key in {where}",
            "run `caseload key rotate` to finish it (it finds which key opens the store)",
        )
    return Check("OK", "key rotation", "no rotation pending")


def keyring_check(timeout: float, key_source: str) -> Check:
    """Whether the OS keyring answers, within the timeout."""
    from caseload.store.keys import with_timeout

    def probe():
        import keyring

        keyring.get_password("caseload", "caseload-doctor-probe")
        return keyring.get_keyring().__class__.__name__

    backend, error = with_timeout(probe, timeout)
    if error is None:
        return Check("OK", "keyring", f"available ({backend})")
    if key_source == "the keyring":  # cannot happen: the key came from it; keep it honest
        return Check("WARN", "keyring", f"answered once, then failed ({error.__class__.__name__})")
    return Check(
        "OK", "keyring", f"not available ({error.__class__.__name__}); the key is in {key_source}"
    )


def store_checks(conn) -> list[Check]:
    """Pages and HMACs, and the schema revision, on an open raw connection."""
    from caseload.store.revision import HEAD, KNOWN, read_revision

    out: list[Check] = []
    try:
        pages = conn.execute("PRAGMA integrity_check").fetchall()
        hmacs = conn.execute("PRAGMA cipher_integrity_check").fetchall()
    except Exception as exc:  # a damaged page raises instead of reporting
        pages, hmacs = [(exc.__class__.__name__,)], []
    restore_fix = "restore the latest good backup: caseload restore FILE"
    if pages == [("ok",)]:
        out.append(Check("OK", "integrity_check", "ok"))
    else:
        out.append(Check("FAIL", "integrity_check", f"{len(pages)} problem(s)", restore_fix))
    if not hmacs:
        out.append(Check("OK", "cipher_integrity_check", "every page authenticates"))
    else:
        out.append(
            Check("FAIL", "cipher_integrity_check", f"{len(hmacs)} page(s) fail", restore_fix)
        )
    rev = read_revision(conn)
    if rev == HEAD:
        out.append(Check("OK", "schema", f"at head ({HEAD})"))
    elif rev in KNOWN:
        out.append(
            Check(
                "WARN",
                "schema",
                f"at {rev}, head is {HEAD}",
                "any caseload command upgrades it (after an automatic backup)",
            )
        )
    else:
        out.append(Check("FAIL", "schema", f"unknown revision {rev}", "upgrade caseload"))
    return out


def wal_check(db: Path) -> Check:
    wal = db.with_name(db.name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0
    mb = size / (1024 * 1024)
    if size > WAL_WARN_BYTES:
        return Check(
            "WARN", "WAL size", f"{mb:.0f} MB", "caseload doctor --checkpoint (with caseload idle)"
        )
    return Check("OK", "WAL size", f"{mb:.1f} MB")


def last_backup_at(db: Path, last_event_at: datetime | None) -> datetime | None:
    """The newest of: a file in the backups folder, a `store.backup` audit event."""
    from caseload.paths import backups_dir

    times = [last_event_at] if last_event_at is not None else []
    folder = backups_dir(db)
    if folder.is_dir():
        times += [datetime.fromtimestamp(p.stat().st_mtime, UTC) for p in folder.glob("*.db")]
    return max(times) if times else None


def backup_age(last: datetime | None, now: datetime) -> Check:
    fix = "caseload backup FILE, and schedule it (docs/operations.md)"
    if last is None:
        return Check("WARN", "last backup", "none found", fix)
    days = (now - last).total_seconds() / 86400
    if days > BACKUP_MAX_AGE_DAYS:
        return Check("WARN", "last backup", f"{days:.0f} days ago", fix)
    return Check("OK", "last backup", f"{days:.1f} days ago")


def audit_checks(session) -> tuple[Check, datetime | None]:
    """The log checked (chain, guards, length and head), and when the last backup was recorded."""
    from sqlmodel import col, select

    from caseload.models import AuditEvent
    from caseload.services import audit

    report = audit.check_log(session)
    last = session.exec(
        select(AuditEvent.at)
        .where(AuditEvent.action == "store.backup")
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    problems = report.problems
    if problems:
        check = Check(
            "FAIL",
            "audit chain",
            f"{len(problems)} problem(s) among {report.count} events; the first: {problems[0]}",
            "caseload audit verify lists them; compare with a backup",
        )
    else:
        check = Check("OK", "audit chain", f"{report.count} events verify")
    return check, last


def leftover_check(found: list[Path]) -> Check:
    if not found:
        return Check("OK", "leftover files", "none")
    names = ", ".join(p.name for p in found[:3]) + (" …" if len(found) > 3 else "")
    return Check(
        "WARN",
        "leftover files",
        f"{len(found)} left by interrupted work ({names})",
        "caseload doctor --yes removes them",
    )


# --- the whole run --------------------------------------------------------------------


@dataclass
class Report:
    """Doctor's findings: the checks in order, a key that failed, leftovers it may remove."""

    results: list[Check]
    failure: Exception | None = None
    leftovers: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.status == "FAIL")


def run(
    db: Path,
    key_file: Path | None,
    get_key: Callable,
    *,
    keyring_timeout: float,
    busy_timeout_ms: int,
    checkpoint: bool = False,
) -> Report:
    """Every check, the ones needing no key first; writes nothing but an asked-for checkpoint.

    A missing store is first recovered if an interrupted restore left it aside;
    an empty or non-regular file is refused (raised) like at any open.
    """
    from caseload.errors import StoreLocked
    from caseload.store import recovery, rekey
    from caseload.store.connect import check_store_file, connect

    check_store_file(db)
    results = file_modes(db, key_file)
    pending = rekey.pending_file(key_file) if key_file is not None else None
    whole = pending is not None and pending.exists() and rekey.torn_pending(key_file) is None
    results.append(pending_rotation(pending, whole))
    found = recovery.leftovers(db, key_file)
    results.append(leftover_check(found))
    try:
        key = get_key()
        conn = connect(db, key, busy_timeout_ms=busy_timeout_ms)
    except StoreLocked as exc:
        results.append(Check("FAIL", "key", exc.message, "see docs/security.md"))
        return Report(results, exc, found)
    results.append(Check("OK", "key", f"opens the store (from {key.source})"))
    results.append(keyring_check(keyring_timeout, key.source))
    try:
        if checkpoint:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        results += store_checks(conn)
    finally:
        conn.close()
    results.append(wal_check(db))
    results += _log_checks(db, key, results, busy_timeout_ms)
    return Report(results, None, found)


def _log_checks(db: Path, key, results: list[Check], busy_timeout_ms: int) -> list[Check]:
    """The last backup's age and the audit log, unless the pages are already known damaged."""
    from caseload.services.common import utcnow
    from caseload.store.engine import open_store, session

    damaged = any(
        r.status == "FAIL" and r.name in ("integrity_check", "cipher_integrity_check")
        for r in results
    )
    chain, last_event = Check("FAIL", "audit chain", "not read: the store is damaged"), None
    if not damaged:
        engine = open_store(db, key, busy_timeout_ms=busy_timeout_ms, upgrade=False)
        try:
            with session(engine) as s:
                chain, last_event = audit_checks(s)
        except Exception as exc:  # a damaged table raises; doctor reports, never crashes
            chain = Check("FAIL", "audit chain", f"unreadable ({exc.__class__.__name__})")
        finally:
            engine.dispose()
    return [backup_age(last_backup_at(db, last_event), utcnow()), chain]
