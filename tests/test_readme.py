"""The README word for word: its commands, its cron lines and its config, as a new user runs them.

Commands run in-process through typer's CliRunner (the real app, a real encrypted store in a
temporary HOME); the terminal behaviour (a prompt, Ctrl-C at it) runs the real program in a pty.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

README = Path(__file__).resolve().parent.parent / "README.md"


def section(title: str) -> str:
    """The README's text from the heading ``title`` to the next heading of any level."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    following = re.search(r"^#{2,3} ", text[start + 3 :], re.M)
    return text[start : start + 3 + following.start()] if following else text[start:]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def shell_lines(block: str) -> list[list[str]]:
    """Each command of a ```sh block, continuation lines joined and comments dropped."""
    joined = block.replace("\\\n", " ")
    words = (shlex.split(line, comments=True) for line in joined.splitlines())
    return [w for w in words if w]


def run(args: list[str], env: dict | None = None):
    from caseload.cli.main import app

    expanded = [os.path.expanduser(os.path.expandvars(a)) for a in args]
    return CliRunner().invoke(app, expanded, env=env or {}, catch_exceptions=False)


def ok(args: list[str], env: dict | None = None):
    r = run(args, env)
    assert r.exit_code == 0, (args, r.exit_code, r.stdout, r.stderr)
    return r


def cron_lines(text: str) -> list[tuple[dict, str, list[str]]]:
    """(environment, program, arguments) of each cron line, $HOME expanded."""
    out = []
    for block in blocks(text, "cron"):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            words = shlex.split(os.path.expandvars(line))[5:]  # after the five time fields
            if "&&" in words:  # ". smtp.env && CASELOAD_KEY_FILE=… caseload …"
                words = words[len(words) - words[::-1].index("&&") :]
            env = {}
            while "=" in words[0]:
                name, value = words.pop(0).split("=", 1)
                env[name] = value
            out.append((env, words[0], words[1:]))
    return out


@pytest.fixture
def new_user(isolated, tmp_path, monkeypatch):
    """A fresh HOME with no store, no config, the platform's default paths; cwd in HOME."""
    monkeypatch.delenv("CASELOAD_CONFIG")
    monkeypatch.chdir(isolated)
    return isolated


def test_first_five_minutes_and_the_days_list_word_for_word(new_user, memory_keyring):
    commands = shell_lines(blocks(section("Your first five minutes"), "sh")[0])
    commands += shell_lines(blocks(section("The day's list"), "sh")[0])
    ran = []
    for words in commands:
        if words[0] == "source":
            continue
        assert words[0] == "caseload", words
        ok(words[1:])
        ran.append(" ".join(words[1:3]))
    assert ran.count("init") == 1 and len([c for c in ran if c.startswith("due")]) == 5
    assert "patients transition" in ran
    assert memory_keyring.entries  # init put the key in the keyring, as the README says
    assert (new_user / "today.txt").stat().st_mode & 0o777 == 0o600
    r = ok(["patients", "transitions", "MRN-1001", "--format", "json"])
    assert "St Mary's" in r.stdout


def test_the_cron_section_word_for_word(new_user):
    """init --key-file as the README writes it, the due line, then reminders after the config."""
    text = section("Every morning from cron")
    (init,) = re.findall(r"`caseload (init --key-file [^`]+)`", text)
    ok(shlex.split(init))
    key = new_user / ".config" / "caseload" / "caseload.key"
    assert key.stat().st_mode & 0o777 == 0o600
    ok(["patients", "add", "--external-id", "P-1", "--given-name", "Ana", "--family-name", "Li",
        "--phone", "555-0101", "--may-text", "yes"], env={"CASELOAD_KEY_FILE": str(key)})  # fmt: skip
    ok(["followups", "add", "P-1", "--title", "Call", "--due", "tomorrow"],
       env={"CASELOAD_KEY_FILE": str(key)})  # fmt: skip

    (due, remind) = cron_lines(text)
    for env, program, _ in (due, remind):
        assert env == {"CASELOAD_KEY_FILE": str(key)}
        assert program == f"{new_user}/caseload/.venv/bin/caseload"  # the full path
    ok(due[2], env=due[0])
    assert (new_user / "due-today.txt").read_text().startswith("Due list for ")

    config = new_user / ".config" / "caseload" / "config.toml"
    refused = run(remind[2], env=remind[0])
    assert refused.exit_code == 1
    assert f"config file {config}" in refused.stderr and "coordinator_name" in refused.stderr
    (toml,) = blocks(text, "toml")
    config.write_text(toml, encoding="utf-8")
    ok(remind[2], env=remind[0])
    outbox = (new_user / "outbox.csv").read_text()
    assert "P-1,555-0101,sms," in outbox and "Sam Rivera" in outbox


def test_the_discharge_feed_section_word_for_word(new_user):
    """The README's feed commands on an ADT^A03 for its own patient, then its folder cron line."""
    import time

    from tests.test_discharges_hl7 import msg

    key = new_user / ".config" / "caseload" / "caseload.key"
    ok(["init", "--key-file", str(key)])
    env = {"CASELOAD_KEY_FILE": str(key)}
    ok(["patients", "add", "--external-id", "MRN-1001", "--given-name", "Amina",
        "--family-name", "Okafor", "--risk", "high"], env=env)  # fmt: skip
    adt = msg("A03", pid3="MRN-1001^^^H^MR", visit="V1")
    text = section("Discharges from the hospital's feed")
    (dry, real) = shell_lines(blocks(text, "sh")[0])
    (new_user / dry[3]).write_text(adt)
    assert "created 1" in ok(dry[1:], env=env).stderr
    assert ok(["patients", "transitions", "--format", "json"], env=env).stdout.strip() == "[]"
    assert "created 1" in ok(real[1:], env=env).stderr
    assert "unchanged 1" in ok(real[1:], env=env).stderr  # twice changes nothing

    ((cron_env, program, args),) = cron_lines(text)
    assert cron_env == env and program.endswith("/caseload/.venv/bin/caseload")
    drop = Path(args[args.index("--from-folder") + 1])
    drop.mkdir()
    dropped = drop / "second-visit.hl7"
    dropped.write_text(msg("A03", pid3="MRN-1001^^^H^MR", visit="V2"))
    settled = time.time() - 3600  # a file younger than a minute may still be uploading
    os.utime(dropped, (settled, settled))
    ok(args, env=cron_env)
    assert (drop / "done" / "second-visit.hl7").exists()
    listed = ok(["patients", "transitions", "--format", "json"], env=env).stdout
    assert listed.count('"MRN-1001"') == 2


def test_every_doc_names_one_cron_key_file_and_the_full_program_path():
    root = README.parent
    for doc in ("README.md", "docs/cli.md", "docs/operations.md", "docs/reminders.md"):
        text = (root / doc).read_text(encoding="utf-8")
        lines = cron_lines(text)
        assert lines, doc
        for env, program, _ in lines:
            assert env.get("CASELOAD_KEY_FILE") == os.path.expandvars(
                "$HOME/.config/caseload/caseload.key"
            ), doc
            assert program == os.path.expandvars("$HOME/caseload/.venv/bin/caseload"), doc
        assert not re.search(r"\bcron\.key\b|caseload/key\b", text), doc


def test_the_keys_and_backups_lines(new_user):
    """`caseload backup FILE` and `caseload doctor`, as the README ends its walk."""
    key = new_user / "k.key"
    ok(["init", "--key-file", str(key)])
    env = {"CASELOAD_KEY_FILE": str(key)}
    assert (
        "`caseload backup FILE`" in README.read_text() and "`caseload doctor`" in README.read_text()
    )
    ok(["backup", "backup.db"], env=env)
    r = ok(["doctor"], env=env)
    assert "OK    last backup" in r.stdout


# --- a terminal ---------------------------------------------------------------------


def _pty_run(args: list[str], env: dict, *keys: bytes) -> tuple[int, str]:
    """Run caseload on its own pseudo-terminal, typing each of ``keys`` at a prompt."""
    import fcntl
    import pty
    import select
    import termios

    def own_terminal() -> None:  # the pty, not the one running the tests, is its /dev/tty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "caseload", *args], stdin=follower, stdout=follower,
        stderr=follower, env=env, start_new_session=True, preexec_fn=own_terminal,
    )  # fmt: skip
    os.close(follower)
    seen, typed, todo = b"", 0, list(keys)
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            assert ready, f"no output for a minute; so far: {seen!r}"  # a hung prompt
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # it ended and closed its side
                break
            if not chunk:
                break
            seen += chunk
            if todo and seen[typed:].rstrip(b" ").endswith(b":"):  # a new prompt
                os.write(leader, todo.pop(0))
                typed = len(seen)
    finally:
        os.close(leader)
        code = proc.wait(timeout=60)
    return code, seen.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def passphrase_store(isolated, tmp_path):
    db = tmp_path / "store" / "caseload.db"
    ok(["--db", str(db), "init"], env={"CASELOAD_PASSPHRASE": "correct horse battery"})
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(isolated),
        "CASELOAD_DB": str(db),
        "CASELOAD_CONFIG": str(isolated / "none.toml"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "COLUMNS": "80",
    }
    return env


def test_init_without_a_keyring_asks_for_a_passphrase_on_a_terminal(isolated, tmp_path):
    """The README's first five minutes on a machine with no keyring, on a terminal."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(isolated),
        "CASELOAD_DB": str(tmp_path / "s" / "caseload.db"),
        "CASELOAD_CONFIG": str(isolated / "none.toml"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    phrase = b"correct horse battery\r"
    code, out = _pty_run(["init"], env, phrase, phrase)
    assert code == 0, out
    assert "New passphrase (at least 12 characters): " in out and "Repeat the passphrase" in out
    assert "Recovery key (shown once" in out  # later commands ask: see the due test below


def test_due_prompts_on_a_terminal_and_ctrl_c_there_says_cancelled(passphrase_store):
    code, out = _pty_run(["due"], passphrase_store, b"correct horse battery\r")
    assert code == 0, out
    assert "Key, passphrase or recovery key for " in out and "Due list for " in out
    code, out = _pty_run(["due"], passphrase_store, b"\x03")
    assert code == 130, out
    assert out.rstrip().endswith(": \ncaseload: cancelled") and "rolled back" not in out
