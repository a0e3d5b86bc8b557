"""A second process for the due list: a share of the items built on the other core.

At program scale (a 70k-item list) the due list is SQLite work on one core: scoring
and building each item's JSON object, CSV line or printout block. One process
cannot share it out: SQLite's threads serialise on its global mutexes (the memory
accounting, ``localtime``) and ran slower than one. Two processes share nothing,
so `caseload due` on a multi-core Linux machine forks a helper before it opens the
store (SQLite forbids carrying a connection across ``fork``). Once asked, the helper
opens the store read-only (``connect_reader``: no repair, no setup, nothing created
or changed: the parent has opened it, with every check and repair that involves),
builds the items of every other block of 512 patients
(``duelist_fast.part``) while the parent builds the other four, and sends them back
down a pipe (raw bytes, or ``marshal``). The parent merges the two sorted shares.
A caseload with no patient in the helper's blocks (ids under 512) lets it go
unasked (``dueprint._ask``).

The helper reads the parent's snapshot: the parent asks only from inside a
``BEGIN IMMEDIATE`` transaction (no other writer can commit until it ends), and
the helper starts its read transaction after the request. Anything that goes wrong
in the helper (a wrong key, Ctrl-C, a crash, a fork the system refuses) comes back
as "no answer", and the parent builds that share itself: the helper can make a list
faster, never different. A helper still at work well after the parent finished its
own share (twice as long, at least a second) is killed; so is one whose parent has
failed or died (``PR_SET_PDEATHSIG``). The helper writes no file and prints nothing.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path

# Blocks of 512 patients (duelist_fast.part), dealt out in turn: the even ones for the
# process that asks, the odd ones for the helper. (Measured against four and five of
# every nine, when the parent built its share on the store's own connection and was
# slower at it: halves are best now, docs/benchmarks.md.)
PARENTS = {"part": 0, "parts": 2}
HELPERS = {"part": 1, "parts": 2}


class Helper:
    """The parent's end of a forked helper: ``ask`` once, then ``answer``; ``close`` always."""

    def __init__(self, pid: int, job_w: int, result_r: int, db: Path, key) -> None:
        self.pid, self.job_w, self.result_r = pid, job_w, result_r
        self.db, self.key = db, key
        self._reader: threading.Thread | None = None
        self._answer = None

    @classmethod
    def start(cls, db: Path, key) -> Helper | None:
        """Fork a helper for the store at ``db`` (``key``: a store.keys.Key); None where
        that would not help or is not safe: a process that has opened SQLite before (the
        driver is not even imported until then), one core, no ``fork`` (Windows), macOS
        (forking a process that has used system frameworks is unsafe there), other
        threads running (a keyring call that timed out: a fork copies only this thread),
        or a fork the system refuses (a process limit)."""
        if not _can_fork():
            return None
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        _widen(result_w)
        try:
            pid = os.fork()
        except OSError:
            for fd in (job_r, job_w, result_r, result_w):
                os.close(fd)
            return None
        if pid == 0:  # the helper
            os.close(job_w)
            os.close(result_r)
            _serve(db, key, job_r, result_w)  # never returns
        os.close(job_r)
        os.close(result_w)
        return cls(pid, job_w, result_r, db, key)

    def ask(self, fmt: str, day: date, days: int, overdue_days, windows, *, redacted: bool,
            attempts_needed: int) -> None:  # fmt: skip
        """Ask for the helper's share of the list (``HELPERS``)."""
        job = {
            "fmt": fmt,
            "day": day.isoformat(),
            "days": days,
            "overdue_days": overdue_days,
            "windows": {k: tuple(v) for k, v in (windows or {}).items()},
            "redacted": redacted,
            "attempts_needed": attempts_needed,
        }
        with contextlib.suppress(OSError):  # the helper is gone: answer() says so
            _write_all(self.job_w, marshal.dumps(job))
        self._close_fd("job_w")
        # Take the answer off the pipe as it comes, while this process builds its own
        # share (SQLite lets other threads run meanwhile): else the helper, done first,
        # would wait on a full pipe until this process is done too.
        reader = threading.Thread(target=self._drain, name="caseload-due-helper", daemon=True)
        try:
            reader.start()
        except RuntimeError:  # no thread to spare: the answer is read in answer()
            return
        self._reader = reader

    def _drain(self) -> None:
        """The reader thread: the answer off the pipe, unpacked and split into lines while
        this process's own share is still being built."""
        try:
            tag = _read_exact(self.result_r, 1)
            size = int.from_bytes(_read_exact(self.result_r, 8), "big") if tag == b"B" else -1
            answer = _unpack(tag, size, _read_all(self.result_r, size))
            if answer is not None:
                answer.lines()
            self._answer = answer
        except Exception:  # no answer: this process builds that share itself
            self._answer = None

    def answer(self, timeout: float):
        """The helper's share (a ``duelist_fast.Part``), or None if it could not make it
        within ``timeout`` seconds more (a stuck helper is killed: cron must not hang)."""
        if self._reader is None and self.result_r is not None and self.job_w is None:
            self._drain()  # asked, but with no reader thread
        elif self._reader is not None:
            self._reader.join(timeout)
            if self._reader.is_alive():
                self._kill()
        self._wait()
        answer, self._answer = self._answer, None
        return answer

    def close(self) -> None:
        """Let the helper go: an unasked helper reads end-of-file and leaves; one still at
        work (this process failed or was interrupted) is killed. Then reap it."""
        self._close_fd("job_w")
        if self._reader is not None and self._reader.is_alive():
            self._kill()
        self._wait()

    def reader(self):
        """A read-only connection for this process's own share, in a read transaction
        (call it inside ``BEGIN IMMEDIATE``: the same snapshot), where the key is raw (a
        passphrase would run its KDF again); else None. Measured 7-10% faster at a
        share than the store's read-write connection."""
        if not self.key.raw:
            return None
        from caseload.store.connect import connect_reader

        try:
            conn = connect_reader(self.db, self.key.secret)
            conn.execute("BEGIN")
        except Exception:  # the store's own connection will do
            return None
        return conn

    def _kill(self) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def _wait(self) -> None:
        """The reader done (the helper has answered or left), its pipe closed, the helper reaped."""
        if self._reader is not None:
            self._reader.join()
            self._reader = None
        self._close_fd("result_r")
        self._reap()

    def _close_fd(self, name: str) -> None:
        fd = getattr(self, name)
        if fd is not None:
            setattr(self, name, None)
            os.close(fd)

    def _reap(self) -> None:
        if self.pid:
            pid, self.pid = self.pid, 0
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _unpack(tag: bytes, size: int, data: bytes):
    """The helper's answer as a ``duelist_fast.Part``, or None when there is none."""
    from caseload.io.duelist_fast import Part

    if tag == b"B":  # the usual answer: JSON or CSV lines, joined, as they came
        return Part(data) if len(data) == size else None  # else cut off
    if tag != b"M" or not data:
        return None  # the helper left without answering
    try:
        payload = marshal.loads(data)  # noqa: S302 - our own child's pipe
    except (EOFError, ValueError, TypeError):
        return None
    if isinstance(payload, list) and all(isinstance(x, (str, bytes)) for x in payload):
        return Part(payload)
    return None


def _can_fork() -> bool:
    return (
        "sqlcipher3" not in sys.modules  # no connection was ever opened in this process
        and sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and len(os.sched_getaffinity(0)) > 1  # the cores this process may use (taskset, cgroups)
        and threading.active_count() == 1
    )


def _serve(db: Path, key, job_r: int, result_w: int) -> None:
    """The helper's whole life: wait for the request, open the store read-only, answer,
    leave. The store is opened only once asked: by then the parent has opened it, with
    every check and repair that involves (an interrupted restore put right, a schema
    upgraded) and holds writers off. ``os._exit``: no atexit handlers, no flushing of
    the parent's buffered output."""
    code = 1
    try:
        _die_with_parent()
        from caseload.io import duelist_fast
        from caseload.store.connect import connect_reader
        from caseload.store.keys import derived_raw_key

        raw = derived_raw_key(key, db)  # a passphrase's KDF, while the parent does its own
        import urllib.parse  # noqa: F401 - connect_reader's, loaded while waiting

        import sqlcipher3  # noqa: F401 - the driver, loaded while waiting (not in the parent)

        data = _read_all(job_r)
        if data:
            job = marshal.loads(data)  # noqa: S302 - our own parent's pipe
            job["day"] = date.fromisoformat(job["day"])
            fmt = job.pop("fmt")
            conn = connect_reader(db, raw)
            conn.execute("BEGIN")  # the parent holds writers off: its snapshot
            share = duelist_fast.part(conn, fmt, **job, **HELPERS)
            conn.execute("ROLLBACK")
            if isinstance(share.payload, bytes):  # sent as it is: no copy made to pack it
                _write_all(result_w, b"B" + len(share.payload).to_bytes(8, "big"))
                _write_all(result_w, share.payload)
            else:
                _write_all(result_w, b"M" + marshal.dumps(share.payload))
        code = 0
    except BaseException:  # the parent builds this share itself
        code = 1
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: the kernel kills the helper if its parent dies first (PR_SET_PDEATHSIG)."""
    import ctypes

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the call took
        os._exit(1)


def _widen(fd: int) -> None:
    """A 1 MB pipe (Linux's usual most, F_SETPIPE_SZ) rather than 64 kB: a 14 MB answer
    then crosses in 14 reads, not 220 round trips between the two processes."""
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


def _read_exact(fd: int, n: int) -> bytes:
    data = b""
    while len(data) < n and (chunk := os.read(fd, n - len(data))):
        data += chunk
    return data


def _read_all(fd: int, size: int = -1) -> bytes | bytearray:
    """All that comes down ``fd``; when its ``size`` is known, read into one buffer (no
    copy to join chunks)."""
    if size > 0:
        buffer = bytearray(size)
        view, got = memoryview(buffer), 0
        while got < size and (n := os.readv(fd, [view[got:]])):
            got += n
        if got == size and not os.read(fd, 1):
            return buffer  # a bytearray: split and joined like bytes
        return b""  # cut off, or more than announced: no answer
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
