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

from caseload.errors import StoreLocked
from caseload.store.keys import Key

# What a form's result dict is handed to: (module, function) under caseload.services.
ACTIONS = {
    "patient.add": ("patients", "add"),
    "patient.edit": ("patients", "edit"),
    "patient.discharge": ("patients", "discharge"),
    "contact.log": ("contacts", "log"),
    "followup.add": ("followups", "add"),
    "followup.complete": ("followups", "complete"),
    "transition.record": ("transitions", "record_discharge"),
    "careplan.problem": ("careplans", "add_problem"),
    "careplan.goal": ("careplans", "add_goal"),
    "careplan.intervention": ("careplans", "add_intervention"),
    "referral.advance": ("referrals", "advance"),
}


RECENT = 20


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

    def pending_calls(self) -> list[dict]:
        """Today's "discharges needing a call" panel, with each patient's id and name."""
        from caseload.services import transitions

        with self.session() as s:
            return transitions.pending_calls(s)  # names, facility, setting, source included

    def recent_contacts(self) -> list[dict]:
        """Today's "recent contacts" panel."""
        with self.raw() as conn:
            return _recent_contacts(conn, RECENT)

    def find(self, text: str, *, after=None, limit: int = 200, **filters):
        from caseload.services import patients

        with self.raw() as conn:
            return patients.find(conn, text, after=after, limit=limit, **filters)

    def programs(self) -> list[str]:
        """The program tags in use (for the Patients screen's filter), from an indexless scan
        bounded to distinct values: cheap enough once per screen."""
        with self.raw() as conn:
            rows = conn.execute("SELECT DISTINCT programs FROM patient WHERE programs != ''")
            tags = {t for (text,) in rows for t in text.split(";") if t}
        return sorted(tags)

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
        with self.raw() as conn:
            row = conn.execute(
                "SELECT 1 FROM audit_event WHERE action = 'demo.generate' LIMIT 1"
            ).fetchone()
        return beside if row is not None else None

    # --- writes ------------------------------------------------------------------

    def apply(self, action: str, values: dict) -> dict:
        """Run the service call a form's result stands for, in one write unit of work."""
        import importlib

        module, name = ACTIONS[action]
        fn = getattr(importlib.import_module(f"caseload.services.{module}"), name)
        values = dict(values)
        with self.session(write=True) as s:
            if action == "patient.edit":
                return fn(s, values.pop("_external_id"), **values)
            return fn(s, **values)

    def export_duelist(self, day: date, folder: Path, days: int = 7) -> tuple[Path, int]:
        """Write the due list as text into ``folder`` under a name no file has yet
        (``due-DATE.txt``, then ``due-DATE-2.txt``…), mode 0600, audited as the CLI does.
        Returns the file written and the number of items."""
        from caseload.io import duelist as writer

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


def _names(s, patient_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not patient_ids:
        return {}
    from sqlmodel import col, select

    from caseload.models import Patient

    rows = s.exec(
        select(Patient.id, Patient.external_id, Patient.given_name, Patient.family_name).where(
            col(Patient.id).in_(sorted(patient_ids))
        )
    )
    return {pid: (ext, f"{g} {f}") for pid, ext, g, f in rows}


def _recent_contacts(conn, limit: int) -> list[dict]:
    """The latest contacts recorded (highest ids), newest first.

    ``contacts.list_contacts`` orders by ``at`` over every contact, which has no
    index of its own and sorts the whole table (a second at 100k patients); the
    row id follows the order contacts were recorded, so this reads ``limit`` rows.
    """
    from datetime import UTC, datetime

    from caseload.services.patients import display_name

    rows = conn.execute(
        "SELECT c.id, c.at, c.method, c.outcome, p.external_id, p.given_name, p.family_name,"
        " p.preferred_name FROM contact c"
        " JOIN patient p ON p.id = c.patient_id WHERE c.addendum_to IS NULL"
        " ORDER BY c.id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    out = []
    for cid, at, method, outcome, ext, given, family, preferred in rows:
        stamp = datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
        out.append(
            {
                "id": cid,
                "at": stamp,
                "method": method,
                "outcome": outcome,
                "patient_external_id": ext,
                "patient_name": display_name(
                    {"given_name": given, "family_name": family, "preferred_name": preferred}
                ),
            }
        )
    out.sort(key=lambda c: (c["at"], c["id"]), reverse=True)
    return out
