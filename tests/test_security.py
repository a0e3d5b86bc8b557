"""SPEC's Security section, shown on real encrypted stores through the real CLI.

At rest: no plaintext in the store, its WAL or its shared-memory file. Unlocking:
a wrong key or no key exits 3 with one line, no traceback, the file untouched.
Key files: written 0600, refused when group or others can read them.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from typer.testing import CliRunner

WRONG_KEY_LINE = "caseload: wrong key or not a caseload database\n"
NO_KEY_LINE = (
    "caseload: no key for the store: pass --key-file, set CASELOAD_KEY_FILE or "
    "CASELOAD_PASSPHRASE, or run on a terminal to type it\n"
)
NO_KEYRING_LINE = (
    "caseload: no usable keyring and no terminal to ask for a passphrase: pass "
    "--key-file PATH or set CASELOAD_PASSPHRASE\n"
)
# Distinctive synthetic values: any of them found in a file is a leak.
SECRETS = {
    "given": "Zyxqwunderbar",
    "family": "Quolmstrandix",
    "phone": "0777 913 4426",
    "notes": "Blorptastic housing voucher pending",
}


def run(db: Path, *args: str, env: dict | None = None, input: str | None = None):
    """The real `caseload` app with only CASELOAD_DB set: no key source unless given."""
    from caseload.cli.main import app

    full = {"CASELOAD_DB": str(db)}
    full.update(env or {})
    return CliRunner().invoke(app, list(args), env=full, input=input, catch_exceptions=False)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sidecars(db: Path) -> list[Path]:
    return [db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def leaks(path: Path) -> list[str]:
    """Which secret values appear in ``path``, as written or lowercased (the search column)."""
    data = path.read_bytes()
    found = []
    for label, value in SECRETS.items():
        for form in (value, value.lower(), value.replace(" ", "")):
            if form.encode("utf-8") in data:
                found.append(label)
                break
    return found


def write_key(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- at rest -----------------------------------------------------------------------


def add_secret_patients(write) -> None:
    from caseload.services import patients

    with write() as s:
        for i in range(5):
            patients.add(
                s,
                external_id=f"SEC-{i}",
                given_name=SECRETS["given"],
                family_name=SECRETS["family"],
                phone=SECRETS["phone"],
                notes=SECRETS["notes"],
            )


def test_the_leak_check_finds_plaintext(tmp_path):
    """The check below must be able to fail: a plain SQLite file shows every value."""
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("CREATE TABLE t (a, b, c, d)")
    conn.execute("INSERT INTO t VALUES (?, ?, ?, ?)", tuple(SECRETS.values()))
    conn.commit()
    conn.close()
    assert leaks(plain) == ["given", "family", "phone", "notes"]


def test_store_wal_and_shm_hold_no_plaintext_while_open_and_after(cli, engine, write, read):
    from caseload.services import patients

    add_secret_patients(write)
    with read() as s:  # the data really is there, readable with the key
        assert patients.get(s, "SEC-3")["given_name"] == SECRETS["given"]
    wal, shm = sidecars(cli.db)
    assert wal.exists() and wal.stat().st_size > 0, "the writes should sit in the WAL"
    assert shm.exists()
    for path in (cli.db, wal, shm):
        assert leaks(path) == [], path.name

    engine.dispose()  # the last connection closes: SQLite checkpoints into the main file
    assert not wal.exists()
    assert leaks(cli.db) == []
    # ...and the data survived the checkpoint, in the encrypted main file.
    out = cli.ok("patients", "show", "SEC-0", "--format", "json").stdout
    assert SECRETS["notes"] in out


def test_cli_writes_leave_no_plaintext(cli):
    cli.ok(
        "patients",
        "add",
        "--external-id",
        "SEC-CLI",
        "--given-name",
        SECRETS["given"],
        "--family-name",
        SECRETS["family"],
        "--phone",
        SECRETS["phone"],
        "--notes",
        SECRETS["notes"],
    )
    for path in [cli.db, *sidecars(cli.db)]:
        if path.exists():
            assert leaks(path) == [], path.name


def test_stdlib_sqlite3_cannot_read_the_store(cli):
    conn = sqlite3.connect(cli.db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
    finally:
        conn.close()


def test_no_temp_files_spill_to_disk(engine):
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA cipher_log_level").fetchone()[0] == "NONE"


# --- wrong key ---------------------------------------------------------------------


def test_wrong_key_file_exits_3_and_leaves_the_store_untouched(cli, tmp_path):
    other = write_key(tmp_path / "other.key", "ab" * 32)
    before = digest(cli.db)
    assert not any(p.exists() for p in sidecars(cli.db))
    result = run(cli.db, "--key-file", str(other), "patients", "list")
    assert result.exit_code == 3
    assert result.stderr == WRONG_KEY_LINE
    assert result.stdout == ""
    assert digest(cli.db) == before
    assert not any(p.exists() for p in sidecars(cli.db))


def test_wrong_key_through_env_key_file(cli, tmp_path):
    other = write_key(tmp_path / "other.key", "cd" * 32)
    before = digest(cli.db)
    result = cli(
        "patients",
        "add",
        "--external-id",
        "X",
        "--given-name",
        "A",
        "--family-name",
        "B",
        env={"CASELOAD_KEY_FILE": str(other)},
    )
    assert (result.exit_code, result.stderr) == (3, WRONG_KEY_LINE)
    assert digest(cli.db) == before


def test_passphrase_against_a_raw_key_store_exits_3(cli):
    before = digest(cli.db)
    result = cli(
        "patients",
        "list",
        env={"CASELOAD_KEY_FILE": None, "CASELOAD_PASSPHRASE": "correct horse battery"},
    )
    assert (result.exit_code, result.stderr, result.stdout) == (3, WRONG_KEY_LINE, "")
    assert digest(cli.db) == before
    assert not any(p.exists() for p in sidecars(cli.db))


def test_a_file_that_is_not_a_store_is_wrong_key_and_untouched(tmp_path, key_file):
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_bytes(b"just some text, not a database\n" * 200)
    before = digest(not_a_store)
    write_key(key_file, "ef" * 32)
    result = run(not_a_store, "--key-file", str(key_file), "patients", "list")
    assert (result.exit_code, result.stderr) == (3, WRONG_KEY_LINE)
    assert digest(not_a_store) == before


# --- no key ------------------------------------------------------------------------


@pytest.mark.usefixtures("failing_keyring")
def test_no_key_no_terminal_failing_keyring_exits_3_with_one_line(cli):
    before = digest(cli.db)
    result = run(cli.db, "patients", "list")
    assert (result.exit_code, result.stderr, result.stdout) == (3, NO_KEY_LINE, "")
    assert digest(cli.db) == before


def test_no_key_with_an_empty_keyring_exits_3(cli, memory_keyring):
    assert memory_keyring.entries == {}  # the cli fixture keeps its key in a file
    result = run(cli.db, "patients", "list")
    assert (result.exit_code, result.stderr) == (3, NO_KEY_LINE)


class HangingKeyring(KeyringBackend):
    """A keyring whose every call blocks (a locked desktop keyring waiting for a click)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0

    def get_password(self, service, username):
        self.calls += 1
        self.release.wait(30)
        return None

    def set_password(self, service, username, password):
        self.calls += 1
        self.release.wait(30)

    def delete_password(self, service, username):
        self.release.wait(30)


@pytest.fixture
def hanging_keyring(tmp_path):
    backend = HangingKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    config = tmp_path / "config.toml"
    config.write_text("[caseload]\nkeyring_timeout = 0.5\n")
    yield backend, config
    backend.release.set()
    keyring.set_keyring(previous)


def test_a_hanging_keyring_does_not_hang_caseload(cli, hanging_keyring):
    backend, config = hanging_keyring
    started = time.monotonic()
    result = run(cli.db, "patients", "list", env={"CASELOAD_CONFIG": str(config)})
    elapsed = time.monotonic() - started
    assert (result.exit_code, result.stderr) == (3, NO_KEY_LINE)
    assert backend.calls == 1  # it was asked, and given up on
    assert elapsed < 3, elapsed


def test_a_hanging_keyring_at_init_does_not_hang_and_leaves_nothing(db_path, hanging_keyring):
    backend, config = hanging_keyring
    started = time.monotonic()
    result = run(db_path, "init", env={"CASELOAD_CONFIG": str(config)})
    assert time.monotonic() - started < 3
    assert (result.exit_code, result.stderr) == (3, NO_KEYRING_LINE)
    assert backend.calls == 1  # it was asked to keep the key, and given up on
    assert not db_path.exists()


# --- key files ---------------------------------------------------------------------


def test_init_writes_a_new_key_file_0600_in_a_0700_folder(db_path, tmp_path, memory_keyring):
    key = tmp_path / "fresh" / "keys" / "store.key"
    result = run(db_path, "--key-file", str(key), "init")
    assert result.exit_code == 0, result.stderr
    assert mode_of(key) == 0o600
    assert mode_of(key.parent) == 0o700
    text = key.read_text()
    assert len(text.strip()) == 64 and int(text, 16) >= 0  # 256 bits, hex
    assert text.strip() not in result.stderr + result.stdout  # the key itself is never shown
    assert memory_keyring.entries == {}  # a key file store leaves the keyring alone
    assert run(db_path, "--key-file", str(key), "patients", "list").exit_code == 0


def test_a_key_file_readable_by_others_is_refused(cli):
    cli.key.chmod(0o644)
    before = digest(cli.db)
    result = cli("patients", "list")
    assert result.exit_code == 3
    assert result.stderr == (
        f"caseload: key file {cli.key} is readable by group or others (mode 0644); "
        f"run: chmod 600 {cli.key}\n"
    )
    assert digest(cli.db) == before
    cli.key.chmod(0o600)
    cli.ok("patients", "list")


def test_a_group_readable_key_file_is_refused_too(cli):
    cli.key.chmod(0o640)
    result = cli("patients", "list")
    assert result.exit_code == 3
    assert "chmod 600" in result.stderr


def test_init_refuses_an_existing_key_file_readable_by_others(db_path, tmp_path):
    key = write_key(tmp_path / "k.key", "12" * 32, mode=0o644)
    result = run(db_path, "--key-file", str(key), "init")
    assert result.exit_code == 3
    assert "chmod 600" in result.stderr
    assert not db_path.exists()


def test_a_missing_key_file_exits_3(cli, tmp_path):
    missing = tmp_path / "nowhere.key"
    result = run(cli.db, "--key-file", str(missing), "patients", "list")
    assert (result.exit_code, result.stderr) == (
        3,
        f"caseload: key file {missing} does not exist\n",
    )


# --- the keyring path --------------------------------------------------------------


def test_init_keeps_the_key_in_the_keyring_under_the_absolute_path(
    db_path, tmp_path, memory_keyring, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    relative = os.path.relpath(db_path, tmp_path)
    result = run(Path(relative), "init")
    assert result.exit_code == 0, result.stderr
    assert list(memory_keyring.entries) == [("caseload", str(db_path.resolve()))]
    secret = memory_keyring.entries[("caseload", str(db_path.resolve()))]
    assert len(secret) == 64 and secret not in result.stderr
    assert "Its key is kept in the OS keyring." in result.stderr
    # Later commands find the key with no other source, from any spelling of the path.
    add = run(
        db_path,
        "patients",
        "add",
        "--external-id",
        "K-1",
        "--given-name",
        "A",
        "--family-name",
        "B",
    )
    assert add.exit_code == 0, add.stderr
    assert "K-1" in run(db_path, "patients", "list", "--format", "csv").stdout


# --- init ----------------------------------------------------------------------------


def test_init_on_an_existing_store_exits_1_and_changes_nothing(cli):
    before = digest(cli.db)
    key_before = cli.key.read_bytes()
    result = cli("init")
    assert result.exit_code == 1
    assert result.stderr == (
        f"caseload: a store exists already at {cli.db}\n"
        "  use --db to create another one elsewhere\n"
    )
    assert digest(cli.db) == before
    assert cli.key.read_bytes() == key_before


@pytest.mark.usefixtures("failing_keyring")
def test_init_without_any_key_home_exits_3_and_leaves_nothing(db_path):
    result = run(db_path, "init")
    assert (result.exit_code, result.stderr, result.stdout) == (3, NO_KEYRING_LINE, "")
    assert not db_path.exists()
    assert not db_path.parent.exists()
    assert keyring.get_keyring().__class__.__name__ == "Keyring"


def test_init_without_any_key_home_leaves_no_keyring_entry(db_path, memory_keyring, monkeypatch):
    """A keyring that refuses to store leaves no half-written entry behind."""

    def refuse(service, username, password):
        memory_keyring.entries[(service, username)] = password  # written, then it fails
        raise keyring.errors.PasswordSetError("locked")

    monkeypatch.setattr(memory_keyring, "set_password", refuse)
    result = run(db_path, "init")
    assert result.exit_code == 3
    assert not db_path.exists()
    assert memory_keyring.entries == {}


def test_store_file_is_0600_in_a_folder_created_0700(db_path, key_file):
    assert not db_path.parent.exists()
    result = run(db_path, "--key-file", str(key_file), "init")
    assert result.exit_code == 0, result.stderr
    assert mode_of(db_path.parent) == 0o700
    assert mode_of(db_path) == 0o600


def test_store_sidecars_are_0600_while_open(engine, write, cli):
    add_secret_patients(write)
    for path in sidecars(cli.db):
        assert mode_of(path) == 0o600, path.name


def test_init_leaves_an_existing_folder_mode_alone(tmp_path, key_file):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    result = run(folder / "c.db", "--key-file", str(key_file), "init")
    assert result.exit_code == 0, result.stderr
    assert mode_of(folder) == 0o755
    assert mode_of(folder / "c.db") == 0o600


# --- nothing secret in errors ----------------------------------------------------------


PASSPHRASE = "Tr0ub4dor&3-sekrit-passphrase"


def test_errors_never_show_the_passphrase_or_patient_data(db_path):
    env = {"CASELOAD_PASSPHRASE": PASSPHRASE}
    made = run(db_path, "init", env=env)
    assert made.exit_code == 0, made.stderr
    assert PASSPHRASE not in made.stderr + made.stdout
    add = run(
        db_path,
        "patients",
        "add",
        "--external-id",
        "E-1",
        "--given-name",
        SECRETS["given"],
        "--family-name",
        SECRETS["family"],
        env=env,
    )
    assert add.exit_code == 0, add.stderr
    failures = [
        run(db_path, "patients", "show", "NOPE", env=env),  # not found
        run(
            db_path,
            "patients",
            "add",
            "--external-id",
            "E-1",
            "--given-name",
            SECRETS["given"],
            "--family-name",
            SECRETS["family"],
            env=env,
        ),  # duplicate
        run(db_path, "patients", "list", env={"CASELOAD_PASSPHRASE": PASSPHRASE + "x"}),
        run(db_path, "init", env=env),  # exists already
    ]
    assert [r.exit_code for r in failures] == [1, 1, 3, 1]
    for r in failures:
        text = r.stdout + r.stderr
        assert PASSPHRASE not in text
        assert SECRETS["given"] not in text and SECRETS["family"] not in text
        assert "Traceback" not in text
        assert len(r.stderr.splitlines()) <= 2


def test_a_key_never_shows_in_its_repr():
    from caseload.store.keys import Key

    key = Key(PASSPHRASE, raw=False, source="CASELOAD_PASSPHRASE")
    assert PASSPHRASE not in repr(key) and PASSPHRASE not in str(key)


def test_init_where_no_folder_can_be_made_is_a_clean_error(tmp_path, key_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = blocker / "c.db"
    result = run(db, "--key-file", str(key_file), "init")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"caseload: cannot create the store at {db}: ")
    assert len(result.stderr.splitlines()) == 1
    assert not key_file.exists()  # no key left behind for a store that was never made
