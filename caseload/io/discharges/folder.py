"""`--from-folder DIR`: a watched drop folder (a HIE's SFTP target), safe from cron.

Each regular file directly in DIR (not hidden, not partial) is imported on its
own, all or nothing, then moved to ``DIR/done/`` or ``DIR/failed/`` (with
``NAME.reason.txt``), so no file is imported twice. A lock file in DIR keeps
two runs (cron every 15 minutes, a slow import) from working at once: the
second says so and does nothing. A file changed in the last minute is left for
the next run (it may still be arriving). Should a run die between COMMIT and the
move, the next run imports the file again, which changes nothing (visit keys).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from caseload.errors import CaseloadError, Invalid
from caseload.labels import plural

LOCK = ".caseload-import.lock"
_PARTIAL = (".part", ".partial", ".tmp", ".filepart")


# A file changed this recently may still be arriving (an SFTP upload writes in place):
# it waits for the next run rather than being imported half-written.
SETTLE_SECONDS = 60


def pending(folder: Path, now: float | None = None) -> tuple[list[Path], list[Path]]:
    """The files to import now, and those left for the next run (changed too recently)."""
    now = time.time() if now is None else now
    ready, fresh = [], []
    from caseload.io.private import is_protected

    for p in sorted(folder.iterdir()):
        if is_protected(p):  # never moved, whatever folder it sits in (check_folder says why)
            continue
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(_PARTIAL):
            (fresh if now - p.stat().st_mtime < SETTLE_SECONDS else ready).append(p)
    return ready, fresh


def _target(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3`` … when one is there already."""
    out = folder / name
    stem, suffix, n = Path(name).stem, Path(name).suffix, 2
    while out.exists():
        out = folder / f"{stem}-{n}{suffix}"
        n += 1
    return out


def check_folder(folder: Path) -> None:
    """A drop folder is the feed's own: one that holds the store or the key in use (the data
    folder given by mistake) is refused, or its files would be moved to ``failed/``."""
    from caseload.io.private import protected

    here = os.path.realpath(folder)
    for path, what in protected():
        if os.path.lexists(path) and os.path.dirname(os.path.realpath(path)) == here:
            raise CaseloadError(
                f"refusing to import from {folder}: it holds {what} ({path.name}); "
                "give the feed a folder of its own"
            )


def run(folder: Path, import_one, say) -> int:
    """Import every pending file with ``import_one(path) -> Report``; returns files failed."""
    if not folder.is_dir():
        raise Invalid(f"{folder} is not a folder")
    check_folder(folder)
    for sub in ("done", "failed"):
        (folder / sub).mkdir(mode=0o700, exist_ok=True)
    lock = open(folder / LOCK, "a")  # noqa: SIM115  (held for the whole run)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another import is working in {folder}: nothing done")
            return 0
        failed = 0
        files, fresh = pending(folder)
        if not files and not fresh:
            return 0  # cron mails any output: a run with nothing to do says nothing
        for path in files:
            failed += _one(folder, path, import_one, say)
        later = f", {len(fresh)} left for the next run (changed in the last minute)"
        say(
            f"{plural(len(files), 'file')} in {folder}: {len(files) - failed} done, {failed} failed"
            + (later if fresh else "")
        )
        return failed
    finally:
        lock.close()


def _one(folder: Path, path: Path, import_one, say) -> int:
    try:
        report = import_one(path)
        lines, ok = report.lines(), report.written and not report.failed
    except CaseloadError as exc:
        lines, ok = [str(exc)], False
    if ok:
        os.replace(path, _target(folder / "done", path.name))
        say(f"{path.name}: " + lines[-1])
        return 0
    dest = _target(folder / "failed", path.name)
    os.replace(path, dest)
    reason = dest.with_name(dest.name + ".reason.txt")
    fd = os.open(reason, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    say(f"{path.name}: failed, moved to {dest} (see {reason.name})")
    return 1
