"""The TUI's data access, run inside worker threads: short sessions over one engine, no widgets.

Every function here is called from a ``@work(thread=True)`` worker and returns
plain data (or raises CaseloadError), so the UI thread never waits on SQLite.
The engine's pool hands each worker its own connection; raw DBAPI work (the due
list, the finder) borrows a pooled connection too, so a passphrase store pays its
KDF once per pooled connection, not once per keystroke.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from caseload.errors import CaseloadError, StoreLocked
from caseload.store.keys import Key

RECENT = 20


def failure_text(exc: BaseException) -> str:
    """What a worker's failure says to the person: a CaseloadError's own message (and its
    remedy), else only the error's class: exception text could hold patient data."""
    if isinstance(exc, CaseloadError):
        return exc.message + (f" ({exc.hint})" if exc.hint else "")
    return f"something went wrong ({exc.__class__.__name__}); the store is unchanged"


def parse_typed_key(text: str) -> Key:
    """What a person typed on the unlock screen, as a key (hex, recovery key or passphrase)."""
    from caseload.store.keys import parse_key_text

    if not text.strip():
        raise StoreLocked("type the key, passphrase or recovery key")
    return parse_key_text(text, "the unlock screen")


def same_key(typed: Key, current: Key, db: Path) -> bool:
    """Does ``typed`` open the store ``current`` opened, without reopening it?"""
    import hmac

    from caseload.store.keys import derived_raw_key

    if typed.raw == current.raw and hmac.compare_digest(typed.secret, current.secret):
        return True
    # A recovery key for a passphrase store (or the other way round): compare the raw keys.
    return hmac.compare_digest(derived_raw_key(typed, db), derived_raw_key(current, db))


@dataclass
class Store:
    """An open store: the engine, its path and key, and the settings the screens use."""

    db: Path
    key: Key
    engine: Any
    config: Any

    @classmethod
    def open(cls, db: Path, key: Key, config) -> Store:
        from caseload.store.engine import open_store

        busy = getattr(config, "busy_timeout_ms", 10000)
        return cls(db, key, open_store(db, key, busy_timeout_ms=busy), config)

    def close(self) -> None:
        self.engine.dispose()

    def session(self, *, write: bool = False):
        from caseload.store.engine import session

        return session(self.engine, write=write)

    @contextmanager
    def raw(self):
        """A pooled DBAPI connection (autocommit), for the raw fast paths."""
        with self.engine.connect() as c:
            yield c.connection.dbapi_connection

    # --- reads -------------------------------------------------------------------

    def due(self, day: date, days: int = 7):
        """The Today screen's due list (the same ``duelist.build`` as ``caseload due``)."""
        from caseload.services import duelist

        with self.raw() as conn:
            return duelist.build(conn, day, days, windows=getattr(self.config, "windows", None))

    def minutes_near(self, day: date) -> tuple[int, int]:
        """(patients within a few minutes of a care-minutes threshold, days left this month)."""
        from caseload.services.reports.activity import near_this_month

        with self.raw() as conn:
            return near_this_month(conn, day)

    def pending_calls(self) -> list[dict]:
        """Today's "discharges needing a call" panel, with each patient's id and name."""
        from caseload.services import transitions

        with self.session() as s:
            return transitions.pending_calls(s)  # names, facility, setting, source included

    def recent_contacts(self) -> list[dict]:
        """Today's "recent contacts" panel: the latest RECENT contacts, newest first."""
        from caseload.services import contacts

        with self.session() as s:
            return contacts.recent(s, RECENT)

    def find(self, text: str, *, after=None, limit: int = 200, **filters):
        from caseload.services import patients

        with self.raw() as conn:
            return patients.find(conn, text, after=after, limit=limit, **filters)

    def programs(self) -> list[str]:
        """The program tags in use, for the Patients screen's filter."""
        from caseload.services import patients

        with self.session() as s:
            return patients.program_tags(s)

    def patient(self, external_id: str) -> dict:
        """One patient and every tab of the Patient screen."""
        from caseload.services import (
            audit,
            careplans,
            careteam,
            contacts,
            followups,
            patients,
            referrals,
            transitions,
        )

        with self.session() as s:
            row = patients.get_row(s, external_id)
            return {
                "patient": patients.to_public(row),
                "patient_id": row.id,
                "plan": careplans.current(s, external_id),
                "versions": careplans.versions(s, external_id),
                "contacts": contacts.list_contacts(s, external_id, limit=200),
                "followups": followups.list_followups(s, external_id, status="all"),
                "team": careteam.list_members(s, external_id),
                "referrals": referrals.list_referrals(s, external_id),
                "history": audit.list_events(s, patient_id=row.id, limit=500),
                "transitions": transitions.listing(s, external_id),
            }

    def followup(self, followup_id: int) -> dict:
        """One follow-up, with its patient's name for the completion form."""
        from caseload.services import followups, patients

        with self.session() as s:
            f = followups.get(s, followup_id)
            f["patient_name"] = patients.display_name(patients.get(s, f["patient_external_id"]))
            return f

    def demo_key_file(self) -> Path | None:
        """The key file beside a demo store (for the lock screen to point at), else None."""
        beside = demo_key_beside(self.db)
        if beside is None:
            return None
        from sqlmodel import select

        from caseload.models import AuditEvent

        with self.session() as s:
            made = s.exec(
                select(AuditEvent.id).where(AuditEvent.action == "demo.generate").limit(1)
            ).first()
        return beside if made is not None else None

    # --- writes: one method per form, each one unit of work -----------------------

    def _write(self, fn: Any, *args: Any, **values: Any) -> Any:
        with self.session(write=True) as s:
            return fn(s, *args, **values)

    def add_patient(self, values: dict) -> dict:
        from caseload.services import patients

        return self._write(patients.add, **values)

    def edit_patient(self, values: dict) -> dict:
        """``values`` from the edit form: ``_external_id`` names the patient as it was."""
        from caseload.services import patients

        values = dict(values)
        return self._write(patients.edit, values.pop("_external_id"), **values)

    def discharge_patient(self, values: dict) -> dict:
        from caseload.services import patients

        return self._write(patients.discharge, **values)

    def log_contact(self, values: dict) -> dict:
        from caseload.services import contacts

        return self._write(contacts.log, **values)

    def add_followup(self, values: dict) -> dict:
        from caseload.services import followups

        return self._write(followups.add, **values)

    def complete_followup(self, values: dict) -> dict:
        """The completion form's values; with ``unable_reason`` the CLI's close-as-unable
        workflow (``attempts.close_unable``), counting the configured attempts."""
        from caseload.services import attempts, followups

        values = dict(values)
        if values.get("unable_reason"):
            needed = getattr(self.config, "attempts_before_unable", attempts.DEFAULT_NEEDED)
            return self._write(attempts.close_unable, values.pop("followup_id"),
                               values.pop("unable_reason"), needed=needed, **values)  # fmt: skip
        return self._write(followups.complete, **values)

    def record_discharge(self, values: dict) -> dict:
        """A hospital discharge and the calls and visit it schedules: the one place the
        TUI records one, so a service that takes more is repointed here only."""
        from caseload.services import transitions

        return self._write(transitions.record_discharge, **values)

    def add_problem(self, values: dict) -> dict:
        from caseload.services import careplans

        return self._write(careplans.add_problem, **values)

    def add_goal(self, values: dict) -> dict:
        from caseload.services import careplans

        return self._write(careplans.add_goal, **values)

    def add_intervention(self, values: dict) -> dict:
        from caseload.services import careplans

        return self._write(careplans.add_intervention, **values)

    def advance_referral(self, values: dict) -> dict:
        from caseload.services import referrals

        return self._write(referrals.advance, **values)

    # --- printing ------------------------------------------------------------------

    def export_duelist(self, day: date, folder: Path, days: int = 7) -> tuple[Path, int]:
        """Write the due list as text into ``folder`` under a name no file has yet
        (``due-DATE.txt``, then ``due-DATE-2.txt``…), mode 0600, audited as the CLI does.
        Returns the file written and the number of items."""
        from caseload.io import dueprint as writer

        made: list[Path] = []

        def private_file():
            path, stream = new_private_file(folder, f"due-{day.isoformat()}", ".txt")
            made.append(path)
            return stream, True

        with self.raw() as conn:
            result = writer.produce(
                conn,
                day,
                days,
                "text",
                private_file,
                exported=True,
                windows=getattr(self.config, "windows", None),
                coordinator=getattr(self.config, "coordinator_name", ""),
                attempts_needed=getattr(self.config, "attempts_before_unable", 3),
            )
        return made[0], result.total


# A printout never replaces another: past this many of one name, something is wrong.
MAX_COPIES = 999


def new_private_file(folder: Path, stem: str, suffix: str):
    """``folder/stem+suffix``, else ``stem-2``, ``stem-3``…: the first name no file has,
    created (never opened if it exists, so nothing is overwritten) with mode 0600.
    The folder is made (0700) if missing. Returns the path and a text stream."""
    import os

    from caseload.errors import CaseloadError
    from caseload.paths import ensure_private_dir

    try:
        ensure_private_dir(folder)
    except OSError as exc:
        raise CaseloadError(f"cannot make the printouts folder {folder}: {exc.strerror}") from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for n in range(1, MAX_COPIES + 1):
        path = folder / (stem + (f"-{n}" if n > 1 else "") + suffix)
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise CaseloadError(f"cannot write {path}: {exc.strerror}") from None
        return path, os.fdopen(fd, "w", encoding="utf-8", newline="")
    raise CaseloadError(f"{folder} already holds {MAX_COPIES} copies of {stem}{suffix}")


def demo_key_beside(db: Path) -> Path | None:
    """The key file a demo keeps beside its store, when there is one."""
    from caseload.paths import key_file_beside

    beside = key_file_beside(Path(db))
    return beside if beside.is_file() else None
