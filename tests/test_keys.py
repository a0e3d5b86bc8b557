"""Keys: the recovery key and `caseload key recover`, key sources in order, the prompt.

Every key here opens (or fails to open) a real SQLCipher file; the keyring is the
suite's in-memory backend, and the prompt is a real pseudo-terminal.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
from typer.testing import CliRunner

RECOVERY = re.compile(r"\b(?:[A-Z2-7]{4}-){12}[A-Z2-7]{4}\b")
WRONG_KEY_LINE = "caseload: wrong key or not a caseload database\n"
PASSPHRASE = "correct horse battery staple"


def run(db: Path, *args: str, env: dict | None = None, input: str | None = None):
    from caseload.cli.main import app

    full = {"CASELOAD_DB": str(db)}
    full.update(env or {})
    return CliRunner().invoke(app, list(args), env=full, input=input, catch_exceptions=False)


def ok(db: Path, *args: str, **kw):
    result = run(db, *args, **kw)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def recovery_in(text: str) -> str:
    found = RECOVERY.findall(text)
    assert len(found) == 1, text
    return found[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_patient(db: Path, ext: str = "R-1", env: dict | None = None) -> None:
    ok(
        db,
        "patients",
        "add",
        "--external-id",
        ext,
        "--given-name",
        "Ada",
        "--family-name",
        "Lovel",
        env=env,
    )


def external_ids(db: Path, env: dict | None = None) -> list[str]:
    out = ok(db, "patients", "list", "--format", "csv", env=env).stdout
    return [line.split(",")[0] for line in out.splitlines()[1:]]


def opens_with(db: Path, recovery: str) -> bool:
    from caseload.errors import StoreLocked
    from caseload.store.connect import connect
    from caseload.store.keys import Key, decode_recovery_key

    raw = decode_recovery_key(recovery)
    assert raw is not None
    try:
        connect(db, Key(raw, raw=True, source="test")).close()
    except StoreLocked:
        return False
    return True


# --- key recover -------------------------------------------------------------------


def test_recovery_key_restores_a_lost_keyring_entry(db_path, memory_keyring):
    made = ok(db_path, "init")
    old_recovery = recovery_in(made.stderr)
    entry = ("caseload", str(db_path.resolve()))
    old_key = memory_keyring.entries[entry]
    add_patient(db_path)

    del memory_keyring.entries[entry]  # the laptop's keyring was wiped
    locked = run(db_path, "patients", "list")
    assert locked.exit_code == 3
    assert locked.stderr.startswith("caseload: no key for the store: ")

    recovered = ok(db_path, "key", "recover", "--yes", input=old_recovery + "\n")
    new_recovery = recovery_in(recovered.stderr)
    assert recovered.stderr.startswith("The store has a fresh key, kept in the OS keyring.\n")
    assert "the old one no longer works" in recovered.stderr
    assert memory_keyring.entries[entry] not in (old_key, None)
    assert new_recovery != old_recovery
    assert external_ids(db_path) == ["R-1"]  # the data is intact, opened from the keyring

    assert not opens_with(db_path, old_recovery)
    assert opens_with(db_path, new_recovery)
    before = digest(db_path)
    stale = run(db_path, "key", "recover", "--yes", input=old_recovery + "\n")
    assert (stale.exit_code, stale.stderr) == (3, WRONG_KEY_LINE)
    assert digest(db_path) == before
    again = ok(db_path, "key", "recover", "--yes", input=new_recovery + "\n")
    assert opens_with(db_path, recovery_in(again.stderr))


def test_recover_is_audited(db_path):
    made = ok(db_path, "init")
    ok(db_path, "key", "recover", "--yes", input=recovery_in(made.stderr) + "\n")
    from caseload.services import audit
    from caseload.store.engine import open_store, session
    from caseload.store.keys import resolve_key

    engine = open_store(db_path, resolve_key(db_path, None))
    try:
        with session(engine) as s:
            events = audit.list_events(s)
            assert [e["action"] for e in events] == ["store.init", "key.recover"]
            assert audit.verify(s) == []
    finally:
        engine.dispose()


def test_recovery_key_gives_a_key_file_store_a_fresh_key_file(db_path, tmp_path):
    key = tmp_path / "keys" / "c.key"
    made = ok(db_path, "--key-file", str(key), "init")
    old_recovery = recovery_in(made.stderr)
    add_patient(db_path, env={"CASELOAD_KEY_FILE": str(key)})
    old_key = key.read_text()

    key.unlink()  # the key file was lost
    assert run(db_path, "--key-file", str(key), "patients", "list").exit_code == 3
    recovered = ok(db_path, "--key-file", str(key), "key", "recover", "--yes", input=old_recovery)
    assert f"kept in key file {key}." in recovered.stderr
    assert oct(key.stat().st_mode & 0o777) == oct(0o600)
    assert key.read_text() != old_key
    assert external_ids(db_path, env={"CASELOAD_KEY_FILE": str(key)}) == ["R-1"]
    assert not opens_with(db_path, old_recovery)
    assert opens_with(db_path, recovery_in(recovered.stderr))


def test_recover_replaces_an_existing_key_file_in_place(db_path, tmp_path):
    key = tmp_path / "c.key"
    made = ok(db_path, "--key-file", str(key), "init")
    old_key = key.read_text()
    ok(db_path, "--key-file", str(key), "key", "recover", "--yes", input=recovery_in(made.stderr))
    assert key.read_text() != old_key
    assert key.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("c.key")) == ["c.key"]
    assert external_ids(db_path, env={"CASELOAD_KEY_FILE": str(key)}) == []


def test_the_recovery_key_of_a_passphrase_store_is_its_derived_key(db_path, memory_keyring):
    from caseload.store.keys import Key, decode_recovery_key, derived_raw_key

    env = {"CASELOAD_PASSPHRASE": PASSPHRASE}
    made = ok(db_path, "init", env=env)
    assert "kept in your passphrase" in made.stderr
    assert memory_keyring.entries == {}
    recovery = recovery_in(made.stderr)
    assert decode_recovery_key(recovery) == derived_raw_key(
        Key(PASSPHRASE, raw=False, source="t"), db_path
    )
    add_patient(db_path, env=env)
    assert opens_with(db_path, recovery)  # the recovery key alone opens it: no passphrase

    # Passphrase forgotten: recover to a new one.
    new_env = {"CASELOAD_PASSPHRASE": "a brand new passphrase 2"}
    recovered = ok(db_path, "key", "recover", "--yes", input=recovery + "\n", env=new_env)
    assert external_ids(db_path, env=new_env) == ["R-1"]
    assert run(db_path, "patients", "list", env=env).exit_code == 3  # the old passphrase is gone
    assert not opens_with(db_path, recovery)
    assert opens_with(db_path, recovery_in(recovered.stderr))


def test_a_passphrase_store_recovered_without_a_passphrase_moves_to_the_keyring(
    db_path, memory_keyring
):
    made = ok(db_path, "init", env={"CASELOAD_PASSPHRASE": PASSPHRASE})
    ok(db_path, "key", "recover", "--yes", input=recovery_in(made.stderr))
    assert ("caseload", str(db_path.resolve())) in memory_keyring.entries
    assert external_ids(db_path) == []


@pytest.mark.parametrize(
    "text",
    ["", "not a key\n", "ABCD-EFGH\n", "0" * 64 + "\n", "ABCD-" * 12 + "ABC1\n"],
    ids=["empty", "words", "short", "hex", "bad-letter"],
)
def test_a_malformed_recovery_key_is_a_usage_error(cli, text):
    before = digest(cli.db)
    result = cli("key", "recover", "--yes", input=text)
    assert result.exit_code == 2
    assert result.stderr == (
        "caseload: that is not a recovery key (13 groups of 4 letters and digits)\n"
    )
    assert digest(cli.db) == before


def test_a_wrong_recovery_key_exits_3_and_changes_nothing(cli, memory_keyring):
    from caseload.store.keys import recovery_key_for

    before = digest(cli.db)
    key_before = cli.key.read_bytes()
    wrong = recovery_key_for("42" * 32)
    result = cli("key", "recover", "--yes", input=wrong.lower() + "\n")  # case does not matter
    assert (result.exit_code, result.stderr, result.stdout) == (3, WRONG_KEY_LINE, "")
    assert digest(cli.db) == before
    assert cli.key.read_bytes() == key_before
    assert memory_keyring.entries == {}


def test_a_recovery_key_in_a_key_file_opens_the_store(db_path, tmp_path, memory_keyring):
    import json

    made = ok(db_path, "init")
    add_patient(db_path, "R-9")
    memory_keyring.entries.clear()  # the keyring is lost: only the file can open the store
    recovery = recovery_in(made.stderr)
    holder = tmp_path / "recovery.txt"
    holder.write_text(recovery + "\n")
    holder.chmod(0o600)
    listed = ok(db_path, "--key-file", str(holder), "patients", "list", "--format", "json")
    assert [p["external_id"] for p in json.loads(listed.stdout)] == ["R-9"]
    assert holder.read_text() == recovery + "\n"  # read, never rewritten
    wrong = tmp_path / "wrong.txt"
    flipped = ("B" if recovery[0] != "B" else "C") + recovery[1:]
    wrong.write_text(flipped + "\n")
    wrong.chmod(0o600)
    refused = run(db_path, "--key-file", str(wrong), "patients", "list")
    assert (refused.exit_code, refused.stderr) == (3, WRONG_KEY_LINE)


def test_init_uses_a_key_file_the_user_made(db_path, tmp_path):
    from caseload.store.keys import decode_recovery_key

    key = tmp_path / "mine.key"
    key.write_text("9f" * 32 + "\n")
    key.chmod(0o600)
    made = ok(db_path, "--key-file", str(key), "init")
    assert key.read_text() == "9f" * 32 + "\n"  # kept as the user wrote it
    assert decode_recovery_key(recovery_in(made.stderr)) == "9f" * 32
    assert external_ids(db_path, env={"CASELOAD_KEY_FILE": str(key)}) == []


# --- the recovery key format ---------------------------------------------------------


def test_recovery_key_round_trips_and_tolerates_case_and_spaces():
    from caseload.store.keys import decode_recovery_key, recovery_key_for

    raw = "00ff" * 16
    shown = recovery_key_for(raw)
    assert RECOVERY.fullmatch(shown)
    assert len(shown.split("-")) == 13
    assert decode_recovery_key(shown) == raw
    assert decode_recovery_key("  " + shown.lower().replace("-", "- ") + "\n") == raw
    assert decode_recovery_key(shown[:-1] + "1") is None  # 1 is not base32
    assert decode_recovery_key(shown + "-AAAA") is None
    assert decode_recovery_key("0" * 64) is None


def test_parse_key_text_tells_raw_keys_from_passphrases():
    from caseload.errors import StoreLocked
    from caseload.store.keys import parse_key_text, recovery_key_for

    hexkey = "AB" * 32
    assert parse_key_text(hexkey + "\n", "f").secret == hexkey.lower()
    assert parse_key_text(hexkey, "f").raw is True
    assert parse_key_text(recovery_key_for("cd" * 32), "f").secret == "cd" * 32
    phrase = parse_key_text(" spaced passphrase \r\n", "f")
    assert (phrase.secret, phrase.raw) == (" spaced passphrase ", False)  # inner spaces kept
    with pytest.raises(StoreLocked, match=r"^the key from key file x is empty$"):
        parse_key_text("\n", "key file x")


def test_a_passphrase_with_quotes_is_passed_to_sqlcipher_intact(tmp_path):
    from caseload.errors import StoreLocked
    from caseload.store.connect import connect, create_file
    from caseload.store.engine import open_store
    from caseload.store.keys import Key

    db = tmp_path / "q.db"
    create_file(db)
    quoted = Key("it's a \"quoted\" pass'; --", raw=False, source="t")
    open_store(db, quoted).dispose()
    connect(db, quoted).close()
    with pytest.raises(StoreLocked):
        connect(db, Key("it", raw=False, source="t"))


# --- key sources, in order -----------------------------------------------------------


@pytest.fixture
def raw_store(db_path, key_file):
    """A store whose key is in ``key_file``; returns the key text."""
    ok(db_path, "--key-file", str(key_file), "init")
    return key_file.read_text().strip()


def test_key_file_beats_passphrase_beats_keyring(
    db_path, key_file, raw_store, monkeypatch, memory_keyring
):
    from caseload.store.keys import Key, keyring_username, resolve_key

    username = keyring_username(db_path)
    memory_keyring.entries[("caseload", username)] = "11" * 32
    assert resolve_key(db_path, None).secret == "11" * 32
    monkeypatch.setenv("CASELOAD_PASSPHRASE", PASSPHRASE)
    assert resolve_key(db_path, None) == Key(PASSPHRASE, raw=False, source="CASELOAD_PASSPHRASE")
    monkeypatch.setenv("CASELOAD_KEY_FILE", str(key_file))
    assert resolve_key(db_path, None).secret == raw_store
    # The --key-file option wins over CASELOAD_KEY_FILE.
    other = key_file.with_name("other.key")
    other.write_text("22" * 32)
    other.chmod(0o600)
    assert resolve_key(db_path, other).secret == "22" * 32


def test_keyring_failures_fall_through_to_the_next_source(db_path, failing_keyring):
    from caseload.store.keys import keyring_get, keyring_set, new_raw_key

    assert keyring_get(db_path, 1.0) is None
    assert keyring_set(db_path, new_raw_key("t"), 1.0) == "NoKeyringError"


def test_keyring_calls_give_up_after_the_timeout(db_path):
    import threading

    from keyring.backend import KeyringBackend

    from caseload.store.keys import keyring_get

    release = threading.Event()

    class Stuck(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            release.wait(30)
            return "33" * 32

        def set_password(self, service, username, password):
            release.wait(30)

        def delete_password(self, service, username):
            release.wait(30)

    previous = keyring.get_keyring()
    keyring.set_keyring(Stuck())
    try:
        started = time.monotonic()
        assert keyring_get(db_path, 0.3) is None
        assert time.monotonic() - started < 2
    finally:
        release.set()
        keyring.set_keyring(previous)


def test_the_keyring_username_is_the_absolute_resolved_path(tmp_path, monkeypatch):
    from caseload.store.keys import keyring_username

    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    expected = str((tmp_path / "real" / "c.db").resolve())
    assert keyring_username(Path("real/c.db")) == expected
    assert keyring_username(tmp_path / "link" / "c.db") == expected


def test_write_key_file_never_overwrites_unless_replacing(tmp_path):
    from caseload.store.keys import Key, read_key_file, write_key_file

    folder = tmp_path / "keys"
    folder.mkdir()
    path = folder / "k"
    write_key_file(path, Key("aa" * 32, raw=True, source="t"))
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        write_key_file(path, Key("bb" * 32, raw=True, source="t"))
    write_key_file(path, Key("bb" * 32, raw=True, source="t"), replace=True)
    assert read_key_file(path).secret == "bb" * 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in folder.iterdir()] == ["k"]  # no temporary file left


# --- the prompt, on a real pseudo-terminal --------------------------------------------


def _on_a_terminal(db: Path, typed: str, *args: str) -> subprocess.CompletedProcess:
    """Run caseload in a child whose stdin and controlling terminal are a new pty."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()

    def make_controlling_tty() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CASELOAD_") or k == "CASELOAD_CONFIG"
    }
    env.update(
        CASELOAD_DB=str(db),
        # The child must never reach a developer's real keyring.
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "caseload", *args],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
        preexec_fn=make_controlling_tty,  # the child has one thread
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 20
    while b": " not in seen and time.monotonic() < deadline:
        seen += os.read(master, 1024)  # the prompt, written to the terminal
    os.write(master, typed.encode() + b"\n")
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())
    done.prompt = seen.decode()  # type: ignore[attr-defined]
    return done


@pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pseudo-terminal")
def test_a_passphrase_typed_at_the_terminal_opens_the_store(db_path):
    ok(db_path, "init", env={"CASELOAD_PASSPHRASE": PASSPHRASE})
    add_patient(db_path, env={"CASELOAD_PASSPHRASE": PASSPHRASE})
    done = _on_a_terminal(db_path, PASSPHRASE, "patients", "list", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.prompt.strip() == f"Key, passphrase or recovery key for {db_path}:"
    assert done.stdout.splitlines()[1].startswith("R-1,")
    assert PASSPHRASE not in done.stdout + done.stderr  # not echoed
    wrong = _on_a_terminal(db_path, "not it at all", "patients", "list")
    assert (wrong.returncode, wrong.stderr) == (3, WRONG_KEY_LINE)


@pytest.mark.skipif(os.name != "posix", reason="needs a POSIX pseudo-terminal")
def test_a_recovery_key_typed_at_the_terminal_opens_the_store(db_path):
    made = ok(db_path, "init", env={"CASELOAD_PASSPHRASE": PASSPHRASE})
    done = _on_a_terminal(db_path, recovery_in(made.stderr), "patients", "list", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == []  # an empty store, opened
    assert done.stdout.startswith("external_id,")


def test_recover_without_a_terminal_needs_yes_and_changes_nothing(tmp_path):
    db_path = tmp_path / "s" / "c.db"
    key = tmp_path / "k" / "c.key"
    made = ok(db_path, "--key-file", str(key), "init")
    before = (db_path.read_bytes(), key.read_text())
    refused = run(db_path, "--key-file", str(key), "key", "recover", input=recovery_in(made.stderr))
    assert refused.exit_code == 2
    assert (
        refused.stderr == "caseload: key recover replaces the store's key: pass --yes to confirm\n"
    )
    assert (db_path.read_bytes(), key.read_text()) == before
