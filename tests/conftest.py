"""Shared fixtures: an isolated environment, an in-memory keyring, real encrypted stores.

The keyring backend is the one fake in the suite: the OS keyring is not
available on CI machines, and tests must never touch a developer's real one.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from typer.testing import CliRunner


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict for the length of one test."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such entry")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the real environment's store, config, key or keyring."""
    for var in ("CASELOAD_DB", "CASELOAD_KEY_FILE", "CASELOAD_PASSPHRASE", "CASELOAD_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("CASELOAD_CONFIG", str(home / "no-config.toml"))
    return home


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def failing_keyring() -> None:
    """The headless path: every keyring call raises NoKeyringError."""
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def local_zone():
    """Pin the local time zone: ``local_zone("America/New_York")``; put back afterwards.
    The local-day memo (services.dates) is emptied each way: it lasts the process, and
    a worker runs tests in many zones."""
    from caseload.services.dates import forget_local_days

    before = os.environ.get("TZ")

    def pin(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()
        forget_local_days()

    yield pin
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()
    forget_local_days()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "caseload.db"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "caseload.key"


class Cli:
    """Runs the real `caseload` app in-process against one store and key file."""

    def __init__(self, db: Path, key: Path) -> None:
        self.db = db
        self.key = key
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        from caseload.cli.main import app

        full_env = {"CASELOAD_DB": str(self.db), "CASELOAD_KEY_FILE": str(self.key)}
        full_env.update(env or {})
        return self.runner.invoke(
            app, list(args), input=input, env=full_env, catch_exceptions=False
        )

    def ok(self, *args: str, **kw):
        """Run and insist on exit 0, showing stderr when it fails."""
        result = self(*args, **kw)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return result

    def add_patient(self, ext: str, given: str = "Ada", family: str = "Okafor", *extra: str,
                    env: dict | None = None):  # fmt: skip
        """`patients add` with the three fields it needs, then any ``extra`` options."""
        return self.ok("patients", "add", "--external-id", ext, "--given-name", given,
                       "--family-name", family, *extra, env=env)  # fmt: skip


@pytest.fixture
def cli(db_path: Path, key_file: Path) -> Cli:
    """A CLI bound to a fresh store (created with `caseload init`, key in a 0600 file)."""
    c = Cli(db_path, key_file)
    c.ok("init")
    return c


@pytest.fixture
def engine(cli: Cli):
    """An engine on the same fresh store the `cli` fixture made."""
    from caseload.store.engine import open_store
    from caseload.store.keys import read_key_file

    eng = open_store(cli.db, read_key_file(cli.key))
    yield eng
    eng.dispose()


@pytest.fixture
def write(engine):
    """``with write() as s:`` a write unit of work on the fresh store."""
    from caseload.store.engine import session

    return lambda: session(engine, write=True)


@pytest.fixture
def read(engine):
    from caseload.store.engine import session

    return lambda: session(engine)


def pytest_configure(config) -> None:
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")
