"""The program's global state: the options that set it (--db, --key-file) and ``State``.

Free of typer (and of anything that imports it), so that the typer app and the
fast path for `caseload due` (cli/duefast.py) share one State and one reading of
the global options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from caseload.errors import CaseloadError

# Options that belong to the whole program but are also accepted after a command
# (`caseload init --key-file K`), as people type them.
GLOBAL_VALUE_OPTIONS = ("--db", "--key-file")


def hoist_global_options(args: list[str]) -> list[str]:
    """Move ``--db``/``--key-file`` (and their values) found after the command to the front."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_VALUE_OPTIONS and rest:
            if "=" in arg:
                front.append(arg)
            else:
                front += args[i : i + 2]
                i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


def make_state(db: Path | None, key_file: Path | None) -> State:
    """The state of a run: ``--db`` (or CASELOAD_DB, as the option's envvar) or the default."""
    from caseload import paths

    return State(db=(db or paths.default_db()).expanduser(), key_file=key_file)


class State:
    """The store and key a command works on, opened once, when first needed. (A plain
    class, as the others on the cron path: dataclasses would cost `caseload due` 10 ms.)"""

    def __init__(self, db: Path, key_file: Path | None) -> None:
        from caseload.io.private import protect

        self.db, self.key_file = db, key_file
        self._engine: Any = None
        self._config: Any = None
        self._key: Any = None
        self._raw: Any = None
        protect(self.db, self.key_file)  # no output of this process may land on these

    def __repr__(self) -> str:
        return f"State(db={self.db!r}, key_file={self.key_file!r})"

    def config(self):
        if self._config is None:
            from caseload.config import load

            self._config = load()
        return self._config

    def key(self):
        if self._key is None:
            from caseload.store.keys import resolve_key

            self._key = resolve_key(
                self.db, self.key_file, keyring_timeout=self.config().keyring_timeout
            )
        return self._key

    def rotation_hint(self, exc: Exception) -> None:
        """A wrong key next to a half-finished rotation: say how to finish it."""
        from caseload.errors import StoreLocked
        from caseload.store.keys import key_file_from_env
        from caseload.store.rekey import pending_file

        kf = key_file_from_env(self.key_file)
        if isinstance(exc, StoreLocked) and kf is not None and not exc.hint:
            pending = pending_file(kf)
            if pending.exists():
                exc.hint = f"an interrupted `caseload key rotate` left {pending}: run `caseload key rotate` to finish it"

    def raw(self):
        """A keyed DBAPI connection at schema head, without SQLAlchemy: the cron fast path."""
        if self._raw is None:
            from caseload.store import schema
            from caseload.store.connect import connect

            busy = self.config().busy_timeout_ms
            try:
                conn = connect(self.db, self.key(), busy_timeout_ms=busy)
            except CaseloadError as exc:
                self.rotation_hint(exc)
                raise
            try:
                at_head = schema.check_revision(schema.read_revision(conn))
            except BaseException:
                conn.close()
                raise
            if not at_head:
                conn.close()
                self.engine()  # upgrades the schema (with a backup first)
                self.close()
                conn = connect(self.db, self.key(), busy_timeout_ms=busy)
            self._raw = conn
        return self._raw

    def engine(self):
        """The open store (key resolved, schema at head), opened once per command."""
        if self._engine is None:
            from caseload.store.engine import open_store

            try:
                self._engine = open_store(
                    self.db, self.key(), busy_timeout_ms=self.config().busy_timeout_ms
                )
            except CaseloadError as exc:
                self.rotation_hint(exc)
                raise
        return self._engine

    def session(self, *, write: bool = False):
        from caseload.store.engine import session

        return session(self.engine(), write=write)

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
