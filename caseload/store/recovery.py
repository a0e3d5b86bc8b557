"""What an interrupted restore or copy leaves beside the store, and how it is settled.

``restore`` renames the store aside (``<store>.before-restore-<stamp>``) and a
checked copy (``<store>.restoring-<stamp>``) into its place. A kill between the
two renames leaves no store at all; the next open finds the pair and puts the
old store back (``recover_missing``), so the user loses nothing and is never told
to ``caseload init`` over their data. A live restore holds an ``flock`` on its
staged copy, and a live copy on its ``.partial`` file, so neither the recovery
nor ``doctor --yes`` ever touches work still in progress.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from caseload.errors import StoreBusy, StoreMissing
from caseload.paths import sidecars

RESTORING = ".restoring-"
SET_ASIDE = ".before-restore-"
_SIDECARS = ("-wal", "-shm", "-journal")


def move_with_sidecars(src: Path, dest: Path) -> None:
    """Rename a store and its -wal/-shm/-journal together, so the WAL stays with its database."""
    os.replace(src, dest)
    for side, moved in zip(sidecars(src), sidecars(dest), strict=True):
        if side.exists():
            os.replace(side, moved)


def remove_with_sidecars(path: Path) -> None:
    for p in (path, *sidecars(path)):
        p.unlink(missing_ok=True)


@contextmanager
def holding(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` while work on it is in progress.

    flock (not SQLite's fcntl locks) is used, so it never interferes with them;
    the kernel drops it when the process dies, which is what marks work as dead.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the recovery then trusts file names alone
        yield
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def held(path: Path) -> bool:
    """Whether a live process holds ``path`` (see ``holding``)."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def _named(db: Path, infix: str) -> list[Path]:
    """Files ``<store><infix>*`` beside the store, oldest stamp first, sidecars left out."""
    found = db.parent.glob(glob.escape(db.name) + infix + "*")
    return sorted(p for p in found if not p.name.endswith((*_SIDECARS, ".partial")))


def staged_copies(db: Path) -> list[Path]:
    return _named(db, RESTORING)


def set_aside(db: Path) -> list[Path]:
    return _named(db, SET_ASIDE)


def notice(text: str) -> None:
    """One line for the person: the store layer prints only to say it repaired something."""
    print(f"caseload: {text}", file=sys.stderr)


def recover_missing(db: Path) -> None:
    """No store at ``db``: put back what an interrupted restore left, else say where it is.

    Returns once a store is in place again; raises StoreMissing (naming a store
    set aside and the command to put it back) or StoreBusy (a restore is running).
    """
    staged = staged_copies(db)
    if any(held(p) for p in staged):
        raise StoreBusy(
            f"a `caseload restore` of the store at {db} is in progress",
            hint="try again once it has finished",
        )
    if staged:
        stamp = staged[-1].name.split(RESTORING, 1)[1]
        aside = db.with_name(db.name + SET_ASIDE + stamp)
        if aside.exists():
            move_with_sidecars(aside, db)
            for copy in staged:
                remove_with_sidecars(copy)
            notice(
                f"an interrupted `caseload restore` had left no store at {db}; the store as it "
                "was before it is back in place (run the restore again if you still want it)"
            )
        else:  # restored into no store: its checked copy is the store it was making
            move_with_sidecars(staged[-1], db)
            for copy in staged[:-1]:
                remove_with_sidecars(copy)
            notice(
                f"an interrupted `caseload restore` had left its checked copy beside {db}; "
                "it is now the store"
            )
        return
    asides = set_aside(db)
    if asides:
        raise StoreMissing(
            f"no caseload store at {db}; a store set aside by `caseload restore` is at {asides[-1]}",
            hint=f"put it back with: mv '{asides[-1]}' '{db}'",
        )
    raise StoreMissing(
        f"no caseload store at {db}",
        hint="create one with `caseload init`, or point --db / CASELOAD_DB at yours",
    )


def leftovers(db: Path, key_file: Path | None) -> list[Path]:
    """Files interrupted work left behind that no live process holds.

    Staged restore copies beside the store, ``.partial`` copies beside it and in
    its backups folder, and an empty or torn pending key (never used). Stores set
    aside by a restore are the user's to delete and are not listed.
    """
    from caseload.paths import backups_dir
    from caseload.store.keys import torn_pending

    found: list[Path] = []
    if db.parent.is_dir():
        found += db.parent.glob(glob.escape(db.name) + RESTORING + "*")
        found += db.parent.glob(glob.escape(db.name) + "*.partial")
    folder = backups_dir(db)
    if folder.is_dir():
        found += folder.glob("*.partial")
    torn = torn_pending(key_file)
    if torn is not None:
        found.append(torn)
    unique = sorted(set(found))
    return [p for p in unique if p.is_file() and not held(p)]


def remove(paths: list[Path]) -> int:
    """Remove leftovers, skipping any a live process took hold of meanwhile; returns how many."""
    removed = 0
    for p in paths:
        if p.is_file() and not held(p):
            p.unlink(missing_ok=True)
            removed += 1
    return removed
