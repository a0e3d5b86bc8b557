"""A store is a store (issue 10): what opens as one, what an interrupted restore or rotate
leaves, and the key sources that must never hang or be too weak. Real stores, real
subprocesses where a kill or a missing terminal matters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from caseload.store.recovery import holding

EMPTY_LINES = [
    "caseload: {db} is empty: not a caseload database",
    "  only `caseload init` creates a store; if an interrupted init left this file, "
    "remove it and run init again",
]


def ids(cli, env: dict | None = None) -> list[str]:
    rows = json.loads(cli.ok("patients", "list", "--format", "json", env=env).stdout)
    return [r["external_id"] for r in rows]


def add(cli, ext: str) -> None:
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Ida", "--family-name", "Holm")


def child_env(cli, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASELOAD_")}
    env.update(
        CASELOAD_DB=str(cli.db),
        CASELOAD_KEY_FILE=str(cli.key),
        CASELOAD_CONFIG=os.environ["CASELOAD_CONFIG"],
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    env.update(extra)
    return env


def run_child(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "caseload", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


# --- what opens as a store ------------------------------------------------------------


def test_an_empty_file_is_not_a_store_and_stays_empty(tmp_path, key_file):
    from conftest import Cli

    made = Cli(tmp_path / "other" / "caseload.db", key_file)
    made.ok("init")  # a real key file, so only the empty store is wrong
    db = tmp_path / "empty.db"
    db.touch(mode=0o600)
    cli = Cli(db, key_file)
    for args in (("patients", "list"), ("audit", "verify"), ("doctor",)):
        result = cli(*args)
        assert (result.exit_code, result.stderr.splitlines()) == (
            3,
            [line.format(db=db) for line in EMPTY_LINES],
        ), args
    assert db.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "home", "keys", "other"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_a_device_or_a_folder_is_refused_as_a_store(tmp_path, cli):
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    devnull_journal = Path(os.devnull + "-journal")
    had_journal = devnull_journal.exists()
    for target, what in (
        (fifo, "is not a regular file"),
        (Path(os.devnull), "is not a regular file"),
    ):
        result = cli("--db", str(target), "patients", "list")
        assert (result.exit_code, result.stderr.splitlines()) == (
            1,
            [
                f"caseload: {target} {what}, so not a caseload store",
                "  point --db / CASELOAD_DB at your store file",
            ],
        )
    folder = cli("--db", str(tmp_path), "patients", "list")
    assert (folder.exit_code, folder.stderr) == (
        1,
        f"caseload: {tmp_path} is a folder, not a caseload store\n",
    )
    assert not Path(str(fifo) + "-journal").exists()
    assert devnull_journal.exists() == had_journal


# --- restore killed between its renames ------------------------------------------------


def _restore_killed_between_renames(cli, tmp_path) -> Path:
    """A real `caseload restore` in a child, SIGKILLed once the store is set aside."""
    add(cli, "R-OLD")
    backup = tmp_path / "b.db"
    cli.ok("backup", str(backup))
    add(cli, "R-NEW")  # work after the backup: the store the restore would replace
    done = run_child(
        child_env(cli, CASELOAD_TEST_CRASH_AFTER="restore-aside"), "restore", str(backup), "--yes"
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not cli.db.exists()
    return backup


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_restore_killed_between_its_renames_is_undone_at_the_next_open(cli, tmp_path):
    _restore_killed_between_renames(cli, tmp_path)
    assert len(list(cli.db.parent.glob("caseload.db.before-restore-*"))) == 1
    assert len(list(cli.db.parent.glob("caseload.db.restoring-*"))) == 1

    result = cli.ok("patients", "list", "--format", "json")
    assert result.stderr.splitlines()[0] == (
        f"caseload: an interrupted `caseload restore` had left no store at {cli.db}; the store "
        "as it was before it is back in place (run the restore again if you still want it)"
    )
    assert [r["external_id"] for r in json.loads(result.stdout)] == ["R-OLD", "R-NEW"]
    assert not list(cli.db.parent.glob("caseload.db.*"))  # nothing set aside or staged is left
    assert "OK    leftover files: none" in cli.ok("doctor").stdout
    assert cli.ok("audit", "verify").stdout.startswith("audit log OK: ")


def test_a_live_restore_is_waited_for_not_recovered(cli):
    stamp = "20260101T000000000000Z"
    aside = cli.db.with_name(f"{cli.db.name}.before-restore-{stamp}")
    staged = cli.db.with_name(f"{cli.db.name}.restoring-{stamp}")
    os.replace(cli.db, aside)
    staged.write_bytes(aside.read_bytes())
    with holding(staged):  # the restore's process is alive, between its renames
        result = cli("patients", "list")
        assert (result.exit_code, result.stderr.splitlines()) == (
            1,
            [
                f"caseload: a `caseload restore` of the store at {cli.db} is in progress",
                "  try again once it has finished",
            ],
        )
        assert aside.exists() and staged.exists() and not cli.db.exists()


def test_a_store_set_aside_alone_is_named_with_the_command(cli):
    aside = cli.db.with_name(f"{cli.db.name}.before-restore-20260101T000000000000Z")
    os.replace(cli.db, aside)
    result = cli("patients", "list")
    assert (result.exit_code, result.stderr.splitlines()) == (
        1,
        [
            f"caseload: no caseload store at {cli.db}; a store set aside by `caseload restore` "
            f"is at {aside}",
            f"  put it back with: mv '{aside}' '{cli.db}'",
        ],
    )
    os.replace(aside, cli.db)  # the command it gave, done
    cli.ok("patients", "list")


def test_a_checked_copy_alone_becomes_the_store(cli):
    """A restore into a missing store, killed just before its one rename."""
    add(cli, "C-1")
    staged = cli.db.with_name(f"{cli.db.name}.restoring-20260101T000000000000Z")
    os.replace(cli.db, staged)
    result = cli.ok("patients", "list", "--format", "json")
    assert "it is now the store" in result.stderr
    assert [r["external_id"] for r in json.loads(result.stdout)] == ["C-1"]
    assert not staged.exists()


# --- key rotate and key sources --------------------------------------------------------


def test_an_empty_pending_key_is_discarded_and_rotate_proceeds(cli):
    """`key rotate` killed at the first write of key.new leaves a 0-byte pending key."""
    add(cli, "P-1")
    pending = cli.key.with_name(cli.key.name + ".new")
    pending.write_bytes(b"")
    old = cli.key.read_text()
    doctor = cli.ok("doctor")
    assert "OK    key rotation: no rotation pending" in doctor.stdout
    assert f"WARN  leftover files: 1 left by interrupted work ({pending.name})" in doctor.stdout
    result = cli.ok("key", "rotate", "--yes")
    assert result.stderr.startswith("The store has a new key")
    assert cli.key.read_text() != old and not pending.exists()
    assert ids(cli) == ["P-1"]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_rotate_killed_as_it_creates_the_pending_key_leaves_it_empty_and_harmless(cli):
    add(cli, "P-2")
    old = cli.key.read_text()
    done = run_child(
        child_env(cli, CASELOAD_TEST_CRASH_AFTER="key-file-created"), "key", "rotate", "--yes"
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    pending = cli.key.with_name(cli.key.name + ".new")
    assert pending.stat().st_size == 0
    assert cli.key.read_text() == old and ids(cli) == ["P-2"]  # the old key still opens it
    cli.ok("key", "rotate", "--yes")
    assert cli.key.read_text() != old and not pending.exists()
    assert ids(cli) == ["P-2"]


def test_a_torn_pending_key_is_discarded_but_a_whole_one_is_not(tmp_path):
    from caseload.store import rekey

    key_file = tmp_path / "k.key"
    pending = rekey.pending_file(key_file)
    pending.write_text("ab" * 10)  # half a key: the write never finished
    assert rekey.torn_pending(key_file) == pending
    assert rekey.pending_key(tmp_path / "x.db", key_file, 1.0) is None
    assert not pending.exists()
    pending.write_text("ab" * 32 + "\n")
    pending.chmod(0o600)
    assert rekey.torn_pending(key_file) is None


def test_rotate_checks_the_current_key_before_asking_for_a_new_passphrase(db_path, memory_keyring):
    """A keyring (raw-key) store, and a wrong CASELOAD_PASSPHRASE in the environment."""
    from conftest import Cli

    cli = Cli(db_path, Path("unused"))
    env = {"CASELOAD_KEY_FILE": None}
    cli.ok("init", env=env)
    entry = memory_keyring.entries[("caseload", str(db_path.resolve()))]
    before = db_path.read_bytes()
    result = cli("key", "rotate", "--yes", env=dict(env, CASELOAD_PASSPHRASE="garbage"))
    assert (result.exit_code, result.stderr) == (
        3,
        "caseload: wrong key or not a caseload database\n",
    )
    assert db_path.read_bytes() == before
    assert memory_keyring.entries[("caseload", str(db_path.resolve()))] == entry
    assert not (db_path.parent / "caseload.db.backups").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_as_key_file_is_refused_not_waited_on(cli, tmp_path):
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo, 0o600)
    done = run_child(child_env(cli, CASELOAD_KEY_FILE=str(fifo)), "patients", "list")
    assert (done.returncode, done.stderr) == (
        3,
        f"caseload: key file {fifo} is not a regular file; name the file holding the key\n",
    )
    folder = cli("--key-file", str(tmp_path), "patients", "list")
    assert folder.exit_code == 3 and "is not a regular file" in folder.stderr


def test_bare_caseload_without_a_terminal_prints_usage_and_exits_2(cli):
    done = run_child(child_env(cli))
    assert done.returncode == 2
    assert done.stderr.startswith("Usage: caseload [OPTIONS] COMMAND [ARGS]...")
    assert done.stderr.splitlines()[-1] == (
        "caseload: the TUI needs a terminal (stdin is not one); give a command, as above"
    )
    assert done.stdout == ""


def test_a_short_passphrase_from_the_environment_is_refused_at_init_and_rotate(db_path):
    from conftest import Cli

    cli = Cli(db_path, Path("unused"))
    short = cli("init", env={"CASELOAD_KEY_FILE": None, "CASELOAD_PASSPHRASE": "eleven char"})
    assert (short.exit_code, short.stderr) == (
        2,
        "caseload: CASELOAD_PASSPHRASE is too short for a new passphrase: "
        "use at least 12 characters\n",
    )
    assert not db_path.exists()
    env = {"CASELOAD_KEY_FILE": None, "CASELOAD_PASSPHRASE": "twelve chars"}
    cli.ok("init", env=env)  # 12 is enough
    before = db_path.read_bytes()
    rotate = cli("key", "rotate", "--yes", env=dict(env, CASELOAD_NEW_PASSPHRASE="too short"))
    assert (rotate.exit_code, rotate.stderr) == (
        2,
        "caseload: CASELOAD_NEW_PASSPHRASE is too short for a new passphrase: "
        "use at least 12 characters\n",
    )
    assert cli.ok("patients", "list", env=env).exit_code == 0
    assert len(before) > 0


# --- the docs' "what can go wrong" tables name real tests ---------------------------------


def test_every_row_of_the_what_can_go_wrong_tables_names_a_test_that_exists():
    import re

    root = Path(__file__).resolve().parent.parent
    ref = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)`")
    rows = 0
    for doc in ("docs/security.md", "docs/operations.md"):
        text = (root / doc).read_text(encoding="utf-8")
        section = text.split("## What can go wrong and what caseload does", 1)[1]
        for line in section.splitlines():
            if not line.startswith("| ") or line.startswith(("| What goes wrong", "|---")):
                continue
            rows += 1
            found = ref.findall(line)
            if "(by design" in line:
                continue
            assert found, f"{doc}: a row names no test: {line}"
            current = None
            for path, name in found:
                current = path or current
                assert current is not None, line
                source = (root / current).read_text(encoding="utf-8")
                assert re.search(rf"^def {name}\(", source, re.M), f"{doc}: no {current}::{name}"
    assert rows >= 30
