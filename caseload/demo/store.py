"""The demo store's life: is a file a demo store, build one (all or nothing), count what it holds.

The CLI's `caseload demo` only parses and prints around these; the rules that keep
a demo from ever touching a real store live here, beside the generator.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from caseload.errors import CaseloadError

COUNTED = ("patient", "followup", "contact", "care_plan", "transition", "referral")


def remove(db: Path, key_file: Path | None) -> None:
    """Delete a demo store with its sidecars (and its key file, when given)."""
    from caseload.paths import sidecars

    for path in (db, *sidecars(db), *([key_file] if key_file else [])):
        path.unlink(missing_ok=True)


def is_demo_store(db: Path, key_file: Path, *, own_folder: bool) -> bool:
    """A store is a demo store when its key file is beside it and, unless it sits in
    the demo folder, that key opens it and its audit log records a demo build.
    """
    if not key_file.exists():
        return False
    if own_folder:
        return True
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    try:
        conn = connect(db, read_key_file(key_file))
    except CaseloadError:
        return False
    try:
        row = conn.execute(
            "SELECT 1 FROM audit_event WHERE action = 'demo.generate' LIMIT 1"
        ).fetchone()
    except Exception:  # no audit table: not a caseload store at all
        return False
    finally:
        conn.close()
    return row is not None


def reuse_or_clear(db: Path, key_file: Path, *, own_folder: bool, fresh: bool) -> bool:
    """True when the demo store at ``db`` is to be reused; else the place is made clear.

    Never overwrites a real store: a store that is not a demo store is an error,
    as is a lone key file unless ``fresh`` says to replace it.
    """
    if db.exists():
        if not is_demo_store(db, key_file, own_folder=own_folder):
            raise CaseloadError(
                f"{db} is not a demo store; demo never overwrites a real store",
                hint="name a new file with --db, or leave --db out to use the demo folder",
            )
        if not fresh:
            return True
        remove(db, key_file)
    elif key_file.exists():
        if not fresh:
            raise CaseloadError(
                f"a key file is at {key_file} but no store beside it",
                hint="add --fresh to replace it with a new demo store",
            )
        key_file.unlink()
    return False


def table_counts(db: Path, key_file: Path) -> dict[str, int]:
    """Rows per table of the COUNTED tables, read with the key file beside the store."""
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(db, read_key_file(key_file))
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()


def build(
    db: Path,
    key_file: Path,
    *,
    patients: int,
    seed: int,
    followups: int,
    today: date,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Create an encrypted store at ``db`` with a new key in ``key_file`` and fill it.

    All or nothing: on any failure (or Ctrl-C) the store and the key file written
    here are removed, so no half demo is left behind.
    """
    from caseload.demo import generator
    from caseload.store import keys
    from caseload.store.connect import create_file
    from caseload.store.engine import open_store

    key = keys.new_raw_key(f"key file {key_file}")
    create_file(db)
    wrote_key = False
    try:
        keys.write_key_file(key_file, key)
        wrote_key = True
        engine = open_store(db, key)
        try:
            return generator.generate(
                engine,
                patients=patients,
                seed=seed,
                today=today,
                followups_per_patient=followups,
                progress=progress,
            )
        finally:
            engine.dispose()
    except BaseException:
        remove(db, key_file if wrote_key else None)  # never leave half a demo behind
        raise
