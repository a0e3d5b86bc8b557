"""Files that hold patient data in plaintext, because the user asked: the one way to open them.

Every file a command writes (a due list, an export, an import's rejects, an
outbox or calendar, a printout) is opened here, so one guard covers them all:

- A target that is the store, its ``-wal``/``-shm``/``-journal``, the key file
  in use or the pending ``.new`` key of a rotation is refused (exit 1, one line),
  by name, through symlinks, and by device and inode (a hard link).
- A regular file is created or made mode 0600.
- A character device (``/dev/null``, ``/dev/stdout``, a terminal) or a FIFO is
  written as a stream: never chmodded, never renamed over. A block device, a
  socket or a folder is refused.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from caseload.errors import CaseloadError

# (store path, --key-file as given) of this process; set by the front end at start.
_GUARD: tuple[Path, Path | None] | None = None


def protect(db: Path, key_file: Path | None) -> None:
    """Name the store (and the ``--key-file``, if given) no output of this process may touch."""
    global _GUARD
    _GUARD = (Path(db), key_file)


def protected() -> list[tuple[Path, str]]:
    """The files no output may land on, each with what it is (for the message)."""
    if _GUARD is None:
        return []
    from caseload.store.keys import key_file_from_env
    from caseload.store.rekey import pending_file

    db, key_file = _GUARD
    out = [(db, "the store")]
    for suffix, what in (
        ("-wal", "write-ahead log"),
        ("-shm", "shared memory"),
        ("-journal", "journal"),
    ):
        out.append((db.with_name(db.name + suffix), f"the store's {what}"))
    kf = key_file_from_env(key_file)
    if kf is not None:
        out.append((kf, "the key file in use"))
        out.append((pending_file(kf), "the pending key of a key rotation"))
    return out


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def is_protected(path: Path) -> bool:
    """``path`` is the store, one of its sidecars, the key in use or a pending key."""
    return _clash(path) is not None


def _clash(path: Path, opened: os.stat_result | None = None) -> str | None:
    """What protected file ``path`` (or the file already open as ``opened``) is, if any."""
    real = os.path.realpath(path)
    if opened is None:
        try:
            opened = os.stat(path)
        except OSError:
            opened = None
    for p, what in protected():
        if os.path.realpath(p) == real:
            return what
        if opened is None:
            continue
        try:
            if _identity(os.stat(p)) == _identity(opened):
                return what
        except OSError:
            continue
    return None


def check_target(path: Path) -> None:
    """Refuse to write ``path`` when it is (or leads to) the store or a key; else return."""
    what = _clash(path)
    if what is not None:
        raise CaseloadError(f"refusing to write {path}: it is {what}; give another file")


def _kind(path: Path) -> str | None:
    """None for a path that does not exist yet; else 'file', 'stream', or raises."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CaseloadError(f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    what = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a block device"
        if stat.S_ISBLK(mode)
        else ("a socket")
    )
    raise CaseloadError(f"cannot write {path}: it is {what}; give a file")


def is_stream(path: Path) -> bool:
    """A character device or FIFO (written as it is, never read, chmodded or renamed over)."""
    return _kind(path) == "stream"


def check_writable(path: Path) -> None:
    """Before any work is committed: ``path`` could be written (its folder exists and is
    writable, it is no folder, and it is not protected)."""
    check_target(path)
    kind = _kind(path)
    if kind is not None:
        if not os.access(path, os.W_OK):
            raise CaseloadError(f"cannot write {path}: Permission denied")
        return
    folder = path.parent
    if not folder.is_dir():
        raise CaseloadError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CaseloadError(f"cannot write {path}: the folder {folder} is not writable")


def _open_fd(path: Path, *, append: bool = False) -> int:
    """A write descriptor on ``path``, guarded; a regular file is 0600 and (unless appending)
    emptied only after the guard has seen what the descriptor really points at."""
    check_target(path)
    _kind(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise CaseloadError(f"cannot write {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        what = _clash(path, st)  # a link swapped in between the check and the open
        if what is not None:
            raise CaseloadError(f"refusing to write {path}: it is {what}; give another file")
        if stat.S_ISREG(st.st_mode):
            os.fchmod(fd, 0o600)
            if not append:
                os.ftruncate(fd, 0)
    except OSError as exc:
        os.close(fd)
        raise CaseloadError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_private(path: Path, *, append: bool = False) -> TextIO:
    """``path`` opened for text (emptied, or appended to), mode 0600 when it is a file."""
    return os.fdopen(
        _open_fd(path, append=append), "a" if append else "w", encoding="utf-8", newline=""
    )


class Staged:
    """Output files written under a temporary name and renamed into place only when complete.

    An interrupted write (Ctrl-C, a full disk, a busy store at the audit) leaves
    no half-written file behind, and never truncates an earlier file of the same
    name before the new one is whole. A device or FIFO is written as it is.
    """

    def __init__(self) -> None:
        self.files: list[tuple[Path, Path]] = []

    def open(self, path: Path) -> BinaryIO:
        """A new binary file (mode 0600, it holds patient data) that will become ``path``."""
        check_target(path)
        if _kind(path) == "stream":  # /dev/null, a pipe: written as it is, no rename, no chmod
            return os.fdopen(_open_fd(path), "wb")
        tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
        self.files.append((tmp, path))  # registered first: discard() removes it whatever happens
        try:
            tmp.unlink(missing_ok=True)  # a leftover of a killed run with this pid
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CaseloadError(f"cannot write {path}: {exc.strerror}") from None
        return os.fdopen(fd, "wb")

    def commit(self) -> None:
        for tmp, path in self.files:
            os.replace(tmp, path)
        self.files = []

    def discard(self) -> None:
        for tmp, _path in self.files:
            tmp.unlink(missing_ok=True)
        self.files = []


def open_output(path: Path | None):
    """Stdout, or ``path`` created with mode 0600 (it holds patient data; never the store).

    Returns ``(stream, close_it)``; ``-`` means stdout, as for most programs.
    """
    if path is None or str(path) == "-":
        check_stdout()
        return sys.stdout, False
    return open_private(path), True


def check_stdout() -> None:
    """A program started with its output closed (`caseload due >&-`) has no stdout."""
    if sys.stdout is None:
        raise CaseloadError(
            "standard output is closed: there is nowhere to print",
            hint="give --output FILE, or run the command with its output open",
        )
