"""Health checks for `caseload doctor`: each returns OK / WARN / FAIL with the fix.

Checks that need no key (file modes, a pending key rotation) run first, so a
store that does not open still gets a useful report. Nothing here writes.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
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
    """The chain verified, and when the last `store.backup` event was recorded."""
    from sqlmodel import col, select

    from caseload.models import AuditEvent

    count, problems = verify_chain(session)
    last = session.exec(
        select(AuditEvent.at)
        .where(AuditEvent.action == "store.backup")
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if problems:
        check = Check(
            "FAIL",
            "audit chain",
            f"{len(problems)} break(s) among {count} events; the first: {problems[0]}",
            "caseload audit verify lists them; compare with a backup",
        )
    else:
        check = Check("OK", "audit chain", f"{count} events verify")
    return check, last


def verify_chain(session) -> tuple[int, list[str]]:
    """`audit verify`: the number of events and one line per break."""
    from sqlmodel import func, select

    from caseload.models import AuditEvent
    from caseload.services import audit

    problems = audit.verify(session)
    count = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return count, problems
