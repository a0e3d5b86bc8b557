"""`caseload key rotate` and `key export` on real stores, including a rotate killed midway."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

RECOVERY = re.compile(r"\b(?:[A-Z2-7]{4}-){12}[A-Z2-7]{4}\b")
WRONG_KEY_LINE = "caseload: wrong key or not a caseload database\n"


def add(cli, ext: str, env: dict | None = None) -> None:
    cli.add_patient(ext, "Ute", "Lind", env=env)


def ids(cli, env: dict | None = None) -> list[str]:
    rows = json.loads(cli.ok("patients", "list", "--format", "json", env=env).stdout)
    return [r["external_id"] for r in rows]


def copy_key(src: Path, dest: Path) -> Path:
    dest.write_text(src.read_text())
    dest.chmod(0o600)
    return dest


def opens_with_recovery(db: Path, text: str) -> bool:
    from caseload.errors import StoreLocked
    from caseload.store.connect import connect
    from caseload.store.keys import Key, decode_recovery_key

    try:
        connect(db, Key(decode_recovery_key(text), raw=True, source="test")).close()
    except StoreLocked:
        return False
    return True


def test_rotate_a_key_file_store(cli, tmp_path):
    add(cli, "K-1")
    # A first rotation, to hold a recovery key the second one must retire.
    old_recovery = RECOVERY.findall(cli.ok("key", "rotate", "--yes").stderr)
    assert len(old_recovery) == 1
    old = copy_key(cli.key, tmp_path / "old.key")
    result = cli.ok("key", "rotate", "--yes")
    lines = result.stderr.splitlines()
    assert lines[0] == f"The store has a new key, kept in key file {cli.key}."
    assert lines[1].startswith("An automatic backup (with the old key) was taken first: ")
    new_recovery = RECOVERY.findall(result.stderr)
    assert len(new_recovery) == 1
    assert cli.key.read_text() != old.read_text()
    assert cli.key.stat().st_mode & 0o777 == 0o600
    assert not cli.key.with_name(cli.key.name + ".new").exists()
    refused = cli("--key-file", str(old), "patients", "list")
    assert (refused.exit_code, refused.stderr) == (3, WRONG_KEY_LINE)
    assert ids(cli) == ["K-1"]
    assert opens_with_recovery(cli.db, new_recovery[0])
    assert not opens_with_recovery(cli.db, old_recovery[0])
    # The automatic backup keeps the old key: the old key (and its recovery key) open it.
    saved = Path(lines[1].split(": ", 1)[1])
    assert saved.name.endswith("-rotate.db") and saved.stat().st_mode & 0o777 == 0o600
    assert ids(cli, env={"CASELOAD_DB": str(saved), "CASELOAD_KEY_FILE": str(old)}) == ["K-1"]
    events = json.loads(cli.ok("audit", "list", "--format", "json").stdout)
    events = [e for e in events if e["entity"] != "printout"]  # listings are audited too
    assert [e["action"] for e in events[-2:]] == ["store.backup", "key.rotate"]
    assert cli.ok("audit", "verify").stdout.startswith("audit log OK")


def test_rotate_without_a_terminal_needs_yes(cli):
    before = cli.key.read_text()
    result = cli("key", "rotate")
    assert (result.exit_code, result.stderr) == (
        2,
        "caseload: key rotate replaces the store's key: pass --yes to confirm\n",
    )
    assert cli.key.read_text() == before


def test_rotate_a_keyring_store(db_path, memory_keyring):
    from conftest import Cli

    cli = Cli(db_path, Path("unused"))
    env = {"CASELOAD_KEY_FILE": None}
    cli.ok("init", env=env)
    add(cli, "K-2", env=env)
    entry = ("caseload", str(db_path.resolve()))
    old = memory_keyring.entries[entry]
    result = cli.ok("key", "rotate", "--yes", env=env)
    assert "kept in the OS keyring" in result.stderr
    assert memory_keyring.entries[entry] != old
    assert list(memory_keyring.entries) == [entry]  # no pending entry left behind
    assert ids(cli, env=env) == ["K-2"]


def test_rotate_a_passphrase_store(db_path, tmp_path):
    from conftest import Cli

    cli = Cli(db_path, Path("unused"))
    env = {"CASELOAD_KEY_FILE": None, "CASELOAD_PASSPHRASE": "the old passphrase here"}
    cli.ok("init", env=env)
    add(cli, "K-3", env=env)
    missing = cli("key", "rotate", "--yes", env=env)
    assert (missing.exit_code, missing.stderr) == (
        2,
        "caseload: this store's key is a passphrase: set CASELOAD_NEW_PASSPHRASE to the new one\n",
    )
    new_env = dict(env, CASELOAD_NEW_PASSPHRASE="the new passphrase here")
    result = cli.ok("key", "rotate", "--yes", env=new_env)
    assert "Set CASELOAD_PASSPHRASE to the new passphrase" in result.stderr
    assert cli("patients", "list", env=env).exit_code == 3
    assert ids(cli, env=dict(env, CASELOAD_PASSPHRASE="the new passphrase here")) == ["K-3"]
    assert opens_with_recovery(db_path, RECOVERY.findall(result.stderr)[0])


def _rotate_killed_after(cli, stage: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASELOAD_")}
    env.update(
        CASELOAD_DB=str(cli.db),
        CASELOAD_KEY_FILE=str(cli.key),
        CASELOAD_CONFIG=os.environ["CASELOAD_CONFIG"],
        CASELOAD_TEST_CRASH_AFTER=stage,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return subprocess.run(
        [sys.executable, "-m", "caseload", "key", "rotate", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_rotate_killed_after_the_rekey_leaves_the_store_open_with_the_new_key(cli, tmp_path):
    add(cli, "K-4")
    old = copy_key(cli.key, tmp_path / "old.key")
    done = _rotate_killed_after(cli, "rekey")
    assert done.returncode == -signal.SIGKILL, done.stderr
    pending = cli.key.with_name(cli.key.name + ".new")
    assert pending.stat().st_mode & 0o777 == 0o600
    assert cli.key.read_text() == old.read_text()  # the old key is still in place …
    assert cli("patients", "list").exit_code == 3  # … but no longer opens the store;
    assert ids(cli, env={"CASELOAD_KEY_FILE": str(pending)}) == ["K-4"]  # the new one does.
    report = cli("doctor")
    assert report.exit_code == 3
    assert "FAIL  key rotation: an interrupted `key rotate` left a new key in" in report.stdout
    new_text = pending.read_text()

    finished = cli.ok("key", "rotate", "--yes")
    assert finished.stderr.startswith("Finished an interrupted key rotation")
    assert cli.key.read_text() == new_text
    assert not pending.exists()
    assert cli.key.read_text() != old.read_text()
    assert ids(cli) == ["K-4"]
    assert opens_with_recovery(cli.db, RECOVERY.findall(finished.stderr)[0])
    assert cli.ok("audit", "verify").stdout.startswith("audit log OK")


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_rotate_killed_before_the_rekey_leaves_the_old_key_working(cli, tmp_path):
    add(cli, "K-5")
    old = copy_key(cli.key, tmp_path / "old.key")
    done = _rotate_killed_after(cli, "pending")
    assert done.returncode == -signal.SIGKILL, done.stderr
    pending = cli.key.with_name(cli.key.name + ".new")
    assert pending.exists()
    assert ids(cli) == ["K-5"]  # the old key, in its place, opens the store
    assert cli.key.read_text() == old.read_text()
    cli.ok("key", "rotate", "--yes")  # drops the unused pending key, then rotates
    assert not pending.exists()
    assert cli.key.read_text() != old.read_text()
    assert ids(cli) == ["K-5"]


def test_key_export_writes_a_private_copy_once(cli, tmp_path):
    add(cli, "K-6")
    out = tmp_path / "cron" / "caseload.key"
    result = cli.ok("key", "export", "--to", str(out))
    assert result.stderr.splitlines()[0] == (
        f"Wrote the store's key to {out} (mode 0600). Anyone with this file can read the store."
    )
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.parent.stat().st_mode & 0o777 == 0o700
    assert out.read_text() == cli.key.read_text()
    assert ids(cli, env={"CASELOAD_KEY_FILE": str(out)}) == ["K-6"]
    again = cli("key", "export", "--to", str(out))
    assert (again.exit_code, again.stderr) == (
        1,
        f"caseload: {out} exists already; choose a new file\n",
    )
    events = json.loads(cli.ok("audit", "list", "--format", "json").stdout)
    last = [e for e in events if e["entity"] != "printout"][-1]  # listings are audited too
    assert last["action"] == "key.export"


def test_a_wrong_key_beside_a_pending_rotation_says_how_to_finish(cli):
    """The store was rekeyed but the new key never replaced the old file."""
    pending = cli.key.with_name(cli.key.name + ".new")
    pending.write_text("ab" * 32 + "\n")
    pending.chmod(0o600)
    cli.key.write_text("cd" * 32 + "\n")  # a key that no longer opens the store
    r = cli("patients", "list")
    assert r.exit_code == 3
    assert r.stderr.splitlines() == [
        "caseload: wrong key or not a caseload database",
        f"  an interrupted `caseload key rotate` left {pending}: run `caseload key rotate` to finish it",
    ]


def _interrupting_rekey(monkeypatch, *, after: bool):
    """Ctrl-C arriving during the rekey: before it changed anything, or once it finished."""
    from caseload.store import rekey

    real = rekey.rekey

    def rekey_then_interrupt(db, old, new):
        if after:
            real(db, old, new)
        raise KeyboardInterrupt

    monkeypatch.setattr(rekey, "rekey", rekey_then_interrupt)


def test_ctrl_c_before_the_rekey_keeps_the_old_key(cli, monkeypatch):
    old_key = cli.key.read_text()
    _interrupting_rekey(monkeypatch, after=False)
    r = cli("key", "rotate", "--yes")
    assert r.exit_code == 130
    assert r.stderr.splitlines()[-1] == "caseload: interrupted; the store keeps its old key"
    assert cli.key.read_text() == old_key
    assert not cli.key.with_name(cli.key.name + ".new").exists()
    cli.ok("patients", "list")


def test_ctrl_c_after_the_rekey_finishes_the_rotation(cli, monkeypatch):
    old_key = cli.key.read_text()
    _interrupting_rekey(monkeypatch, after=True)
    r = cli("key", "rotate", "--yes")
    assert r.exit_code == 0, r.stderr
    assert (
        "Interrupted after the store had taken its new key; the rotation is complete." in r.stderr
    )
    assert "recovery key" in r.stderr.lower()
    assert cli.key.read_text() != old_key
    assert not cli.key.with_name(cli.key.name + ".new").exists()
    cli.ok("patients", "list")
    actions = [e["action"] for e in json.loads(cli.ok("audit", "list", "-f", "json").stdout)]
    assert "key.rotate" in actions
