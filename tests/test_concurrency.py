"""Several caseload processes on one store at once: nobody sees "database is locked".

The TUI keeps the store open and writes while cron runs `due` and an import
runs; WAL, BEGIN IMMEDIATE and the busy timeout make them take turns. Past the
busy timeout the person gets one clear message, not a driver error.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The "TUI": one process holding an engine open for its whole life and logging a
# contact per unit of work until told to stop. It prints how many it logged.
WRITER = """
import sys, time
from pathlib import Path
from caseload.services import contacts
from caseload.store.engine import open_store, session
from caseload.store.keys import read_key_file

db, key, started, stop = (Path(a) for a in sys.argv[1:5])
engine = open_store(db, read_key_file(key))
done = 0
deadline = time.monotonic() + 60
while not stop.exists() and time.monotonic() < deadline:
    with session(engine, write=True) as s:
        contacts.log(s, "W-1", method="phone", outcome="reached")
    done += 1
    if done == 1:
        started.touch()
    time.sleep(0.005)
engine.dispose()
print(done)
"""

IMPORT_ROWS = 10_000


def _caseload(*args: str) -> list[str]:
    return [sys.executable, "-m", "caseload", *args]


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def _env(cli, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(CASELOAD_DB=str(cli.db), CASELOAD_KEY_FILE=str(cli.key), **extra)
    return env


def test_a_writer_due_export_and_a_10k_import_all_succeed_together(cli, tmp_path, read):
    from sqlmodel import text

    cli.ok(
        "patients", "add", "--external-id", "W-1", "--given-name", "Wren", "--family-name", "Hale"
    )
    cli.ok("followups", "add", "W-1", "--title", "Weekly call", "--due", "today")
    source = tmp_path / "patients.csv"
    with source.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["MRN", "First Name", "Last Name", "DOB", "Phone Number"])
        for i in range(IMPORT_ROWS):
            w.writerow(
                [f"C{i:05d}", f"Given{i % 97}", f"Family{i % 89}", "1970-01-01", f"0{i:09d}"]
            )
    env = _env(cli)
    started, stop = tmp_path / "writer.started", tmp_path / "writer.stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(cli.db), str(cli.key), str(started), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_for(started, writer)
        export_file = tmp_path / "export.json"
        commands = {
            "import": _caseload("import", "patients", str(source)),
            "export": _caseload("export", "patients", "--format", "json", "-o", str(export_file)),
            "due": _caseload("due", "--format", "json"),
            "due again": _caseload("due", "--days", "7", "-o", str(tmp_path / "due.txt")),
        }
        procs = {
            name: subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
            for name, cmd in commands.items()
        }
        results = {name: (*p.communicate(timeout=120), p.returncode) for name, p in procs.items()}
    finally:
        stop.touch()
        writer_out, writer_err = writer.communicate(timeout=60)
    assert writer.returncode == 0, writer_err
    assert "locked" not in writer_err
    for name, (_out, err, code) in results.items():
        assert code == 0, (name, err)
        assert "locked" not in err.lower() and "busy" not in err.lower(), (name, err)
        assert "Traceback" not in err, (name, err)
    logged = int(writer_out.strip())
    assert logged >= 1

    # The counts add up: every contact the writer logged, every imported patient.
    _out, err, _code = results["import"]
    assert err.splitlines()[-1] == (
        f"imported patients: created {IMPORT_ROWS}, updated 0, unchanged 0, skipped 0, failed 0"
    )
    with read() as s:
        assert s.exec(text("SELECT count(*) FROM contact")).one()[0] == logged
        assert s.exec(text("SELECT count(*) FROM patient")).one()[0] == IMPORT_ROWS + 1
        assert (
            s.exec(text("SELECT count(*) FROM audit_event WHERE action = 'contact.log'")).one()[0]
            == logged
        )
        actions = [r[0] for r in s.exec(text("SELECT action FROM audit_event"))]
    assert actions.count("import.patients") == 1
    assert actions.count("export.patients") == 1
    assert actions.count("duelist.print") == 1 and actions.count("duelist.export") == 1
    # The export saw one consistent state: before the import, or after all of it.
    exported = json.loads(export_file.read_text())
    assert len(exported) in (1, IMPORT_ROWS + 1)
    due = json.loads(results["due"][0])
    assert [d["patient_external_id"] for d in due] == ["W-1"]
    assert cli.ok("audit", "verify").stdout.startswith("audit log OK: ")


def _hold_write_lock(cli):
    """A raw keyed connection holding the store's write lock (as a long import would)."""
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    conn = connect(cli.db, read_key_file(cli.key))
    conn.execute("BEGIN IMMEDIATE")
    return conn


BUSY = [
    "caseload: the store stayed locked by another caseload process past the busy timeout",
    "  try again in a moment; raise busy_timeout_ms in the config if it recurs",
]


@pytest.fixture
def short_timeout(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("[caseload]\nbusy_timeout_ms = 300\n")
    return {"CASELOAD_CONFIG": str(config)}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["patients", "add", "--external-id", "B-2", "--given-name", "A", "--family-name", "B"],
            BUSY,
            id="orm-write",
        ),
        pytest.param(["due"], BUSY, id="raw-due-audit"),
        pytest.param(["import", "patients", "{csv}"], BUSY, id="raw-import"),
    ],
)
def test_past_the_busy_timeout_the_user_gets_one_clear_message(
    cli, tmp_path, short_timeout, args, expected
):
    source = tmp_path / "one.csv"
    source.write_text("external_id,given_name,family_name\nB-3,A,B\n")
    args = [a.replace("{csv}", str(source)) for a in args]
    before = cli.ok("patients", "list", "--format", "json").stdout
    holder = _hold_write_lock(cli)
    try:
        started = time.monotonic()
        result = subprocess.run(
            _caseload(*args), capture_output=True, text=True, env=_env(cli, **short_timeout)
        )
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == expected
    assert "Traceback" not in result.stderr
    assert waited >= 0.3  # it did wait for the lock before giving up
    assert cli.ok("patients", "list", "--format", "json").stdout == before
    assert cli.ok("audit", "verify").stdout.startswith("audit log OK: ")
