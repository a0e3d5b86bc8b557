"""Ctrl-C midway through import, export or backup: the store and the files stay consistent.

Each test runs the real command in a child process and sends it SIGINT once it
is visibly mid-work: the import's progress bar (shown because stderr is a
terminal, a pty here) has reached its "writing" stage; the export's or the
backup's file has been created. The child must say so in one line and exit 130,
leaving the store as it was and no half-written file behind.
(`remind` is covered once it exists.)
"""

from __future__ import annotations

import csv
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

INTERRUPTED = "caseload: interrupted; work in progress was rolled back"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]")


def _env(cli) -> dict[str, str]:
    return {**os.environ, "CASELOAD_DB": str(cli.db), "CASELOAD_KEY_FILE": str(cli.key)}


def _default_sigint() -> None:
    """In the child, before exec: SIGINT back to its default.

    A shell runs a background job (`pytest … &`) with SIGINT ignored, and an
    ignored signal stays ignored across exec; Python then installs no
    KeyboardInterrupt handler and the SIGINT sent below would do nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(cli, args: list[str], ready: Callable[[str], bool], seconds: float = 60):
    """Run `caseload ARGS` with stderr on a pty, SIGINT it once ``ready(stderr so far)``.

    Returns the exit code and the lines the person saw on stderr (escape codes and
    progress-bar redraws removed).
    """
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "caseload", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env={**_env(cli), "COLUMNS": "100"},
        preexec_fn=_default_sigint,
    )
    os.close(slave)
    seen = b""
    sent = False
    deadline = time.monotonic() + seconds
    try:
        while True:
            if not sent and ready(seen.decode("utf-8", "replace")):
                proc.send_signal(signal.SIGINT)
                sent = True
            assert time.monotonic() < deadline, "the command neither got ready nor ended"
            readable, _, _ = select.select([master], [], [], 0.002)
            if readable:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed its end
                    break
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None and not sent:
                break
        code = proc.wait(timeout=seconds)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert sent, f"the command ended before it could be interrupted: {seen!r}"
    text = ANSI.sub("", seen.decode("utf-8", "replace"))
    lines = [part.strip() for line in text.split("\n") for part in line.split("\r")]
    return code, [line for line in lines if line]


def _big_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "given_name", "family_name", "phone", "notes"])
        w.writerows(
            [f"K{i:07d}", f"Given{i % 97}", f"Family{i % 89}", f"0{i:09d}", "n" * 40]
            for i in range(rows)
        )
    return path


def _snapshot(read) -> tuple:
    """What the store holds, as far as these commands could change it."""
    from sqlmodel import text

    with read() as s:
        patients = [r[0] for r in s.exec(text("SELECT external_id FROM patient ORDER BY id"))]
        events = [r[0] for r in s.exec(text("SELECT hash FROM audit_event ORDER BY id"))]
        check = s.exec(text("PRAGMA integrity_check")).one()[0]
    return patients, events, check


def test_ctrl_c_during_an_import_leaves_the_store_as_it_was(cli, tmp_path, read):
    cli.ok("patients", "add", "--external-id", "KEEP-1", "--given-name", "A", "--family-name", "B")
    before = _snapshot(read)
    source = _big_csv(tmp_path / "big.csv", 120_000)

    code, lines = _interrupt(cli, ["import", "patients", str(source)], lambda err: "writing" in err)

    assert code == 130, lines
    assert lines[-1] == INTERRUPTED
    assert not any("Traceback" in line or "imported" in line for line in lines), lines
    assert _snapshot(read) == before
    assert cli.ok("audit", "verify").stdout.startswith("audit log OK: ")
    # The store is not left locked or half-indexed: the next import works.
    small = tmp_path / "small.csv"
    small.write_text("external_id,given_name,family_name\nK1,A,B\n")
    assert "created 1" in cli.ok("import", "patients", str(small)).stderr


def _filled(cli, tmp_path, rows: int = 20_000):
    cli.ok("import", "patients", str(_big_csv(tmp_path / "fill.csv", rows)))


def _appeared(folder: Path) -> Callable[[str], bool]:
    return lambda _err: any(folder.iterdir())


def test_ctrl_c_during_an_export_leaves_no_partial_file(cli, tmp_path, read):
    _filled(cli, tmp_path)
    before = _snapshot(read)
    out = tmp_path / "out"
    out.mkdir()

    code, lines = _interrupt(cli, ["export", "patients", "-o", str(out / "p.csv")], _appeared(out))

    assert code == 130, lines
    assert lines == [INTERRUPTED]
    assert list(out.iterdir()) == []
    assert _snapshot(read) == before  # and no export was recorded
    # An earlier export of the same name is not truncated by an interrupted one.
    cli.ok("export", "patients", "-o", str(out / "p.csv"))
    whole = (out / "p.csv").read_bytes()
    code, lines = _interrupt(
        cli,
        ["export", "patients", "-o", str(out / "p.csv")],
        lambda _err: len(list(out.iterdir())) > 1,
    )
    assert (code, lines) == (130, [INTERRUPTED])
    assert [p.name for p in out.iterdir()] == ["p.csv"]
    assert (out / "p.csv").read_bytes() == whole


def test_ctrl_c_during_an_export_all_leaves_no_partial_files(cli, tmp_path, read):
    _filled(cli, tmp_path)
    out = tmp_path / "all"
    out.mkdir()

    code, lines = _interrupt(
        cli, ["export", "all", "--format", "json", "-o", str(out)], _appeared(out)
    )

    assert (code, lines) == (130, [INTERRUPTED])
    assert list(out.iterdir()) == []


def test_ctrl_c_during_a_backup_leaves_no_partial_backup(cli, tmp_path, read):
    _filled(cli, tmp_path)
    before = _snapshot(read)
    out = tmp_path / "backups"
    out.mkdir()

    code, lines = _interrupt(cli, ["backup", str(out / "copy.db")], _appeared(out))

    assert code == 130, lines
    assert lines == [INTERRUPTED]
    assert list(out.iterdir()) == []
    assert _snapshot(read) == before  # no backup recorded in the audit log
    cli.ok("backup", str(out / "copy.db"))  # and the next backup works
    assert [p.name for p in out.iterdir()] == ["copy.db"]


def test_ctrl_c_just_after_the_partial_file_is_created_leaves_none(cli, tmp_path, monkeypatch):
    """The signal lands the moment ``.p.csv.partial-PID`` exists, before any next step.

    os.open is wrapped for this one run: the real call creates the file, then the
    wrapper closes it and raises KeyboardInterrupt, as a SIGINT arriving as the
    system call returns would.
    """
    out = tmp_path / "out"
    out.mkdir()
    real = os.open
    hit = []

    def interrupted(path, flags, *args, **kw):
        fd = real(path, flags, *args, **kw)
        if ".partial-" in str(path):
            hit.append(path)
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", interrupted)
    result = cli("export", "patients", "-o", str(out / "p.csv"))
    monkeypatch.undo()

    assert hit, "the export did not reach its .partial file"
    assert (result.exit_code, result.stderr) == (130, INTERRUPTED + "\n")
    assert list(out.iterdir()) == []
