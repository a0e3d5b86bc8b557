"""The typer-free `caseload due` (cli/duefast.py): the same output as typer's, or it declines.

Each command line is run both ways on one store: ``duefast.main`` in-process and the
typer app through the ``cli`` fixture (CliRunner: the typer path, which the launcher
takes whenever duefast declines). Stdout, stderr, the exit code and any file written
must be equal. A real process shows that the fast path imports none of typer, click,
pydantic, rich or SQLAlchemy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from caseload.cli import duefast
from caseload.cli.duefast import DueArgs, parse

DAY = date(2026, 11, 23)
HEAVY = ("typer", "click", "pydantic", "rich", "sqlalchemy", "sqlmodel")


@pytest.fixture
def store(cli, write, monkeypatch):
    """Two patients with follow-ups overdue (one long ago), due, coming up and later."""
    from sqlmodel import select

    from caseload.models import FollowUp, Patient
    from caseload.services.common import utcnow

    for ext, given, phone in (("FA-1", "Amina", "555-0101"), ("FA-2", "Bo", "555-0102")):
        cli.add_patient(ext, given, "Testcase", "--phone", phone)
    plan = [("FA-1", "Call", "call", -3), ("FA-1", "Visit", "visit", 2)]
    plan += [("FA-2", "Review", "med_review", 0), ("FA-2", "Old call", "call", -40)]
    with write() as s:
        ids = {p.external_id: p.id for p in s.exec(select(Patient))}
        for ext, title, kind, offset in plan:
            due_on = DAY + timedelta(days=offset)
            s.add(
                FollowUp(
                    patient_id=ids[ext], title=title, kind=kind, due_on=due_on, created_at=utcnow()
                )
            )
    monkeypatch.setenv("COLUMNS", "100")  # the table format fits the terminal: fix it
    monkeypatch.setenv("CASELOAD_DB", str(cli.db))
    monkeypatch.setenv("CASELOAD_KEY_FILE", str(cli.key))
    umask = os.umask(0o022)  # duefast.main sets the process's umask, as the launcher does
    os.umask(umask)
    yield cli
    os.umask(umask)


def fast(argv: list[str], capsys) -> tuple[int | None, str, str]:
    capsys.readouterr()
    code = duefast.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def both(store, capsys, argv: list[str], out_file: Path | None = None):
    """(fast path's result, typer path's result), each (exit code, stdout, stderr, file)."""
    results = []
    for way in ("fast", "typer"):
        if out_file is not None:
            out_file.unlink(missing_ok=True)
        if way == "fast":
            code, out, err = fast(argv, capsys)
        else:
            r = store(*argv)
            code, out, err = r.exit_code, r.stdout, r.stderr
        text = out_file.read_text(encoding="utf-8") if out_file and out_file.exists() else None
        results.append((code, out, err, text))
    return results


D = ["--date", DAY.isoformat()]
SAME = [
    ["due", *D],
    ["due", "--date=2026-11-23", "--format", "json"],
    ["due", "--date", "23 nov 2026", "-f", "csv"],
    ["due", "--date", "nov 23 2026", "--format=text", "--days", "7"],
    ["due", "--date", "today"],
    ["due", "--date", "-3d", "-f", "json"],
    ["due", *D, "-f", "table", "--days=3"],
    ["due", *D, "-f", "markdown", "--redact"],
    ["due", *D, "--format", "json", "--overdue-days", "10"],  # "1 older overdue item" note
    ["due", *D, "--format", "csv", "--overdue-days=0", "--redact"],
    ["due", *D, "-f", "text", "--overdue-days", "10", "--days", "007"],
    ["due", *D, "--output", "-", "-f", "json"],
    ["--db", "{db}", "--key-file", "{key}", "due", *D, "-f", "json"],
    ["due", *D, "--db", "{db}", "-f", "csv", "--key-file={key}"],
    ["--db={db}", "due", *D, "--key-file", "{key}"],
]


@pytest.mark.parametrize("argv", SAME, ids=[" ".join(a) for a in SAME])
def test_the_fast_path_prints_what_typer_prints(store, capsys, argv):
    argv = [a.format(db=store.db, key=store.key) for a in argv]
    assert parse(argv) is not None
    fast_result, typer_result = both(store, capsys, argv)
    assert fast_result == typer_result
    assert fast_result[0] == 0 and fast_result[1]


@pytest.mark.parametrize("spelling", [["--output", "{f}"], ["-o", "{f}"], ["--output={f}"]])
@pytest.mark.parametrize("fmt", ["json", "text", "table"])
def test_output_to_a_file_is_the_same_file(store, capsys, tmp_path, spelling, fmt):
    target = tmp_path / "out" / "due.txt"
    target.parent.mkdir()
    argv = ["due", *D, "-f", fmt, *(s.format(f=target) for s in spelling)]
    fast_result, typer_result = both(store, capsys, argv, target)
    assert fast_result == typer_result
    assert fast_result[0] == 0 and fast_result[1] == "" and "Call" in fast_result[3]
    assert target.stat().st_mode & 0o777 == 0o600


def test_failures_say_the_same_words_with_the_same_exit_code(store, capsys, tmp_path):
    from caseload.store.keys import new_raw_key, write_key_file

    wrong = tmp_path / "wrong.key"
    write_key_file(wrong, new_raw_key("test"))
    cases = [
        (["due", "--key-file", str(wrong)], 3, "caseload: wrong key or not a caseload database"),
        (["--db", str(tmp_path / "none.db"), "due"], 1, "caseload: "),
        (["due", "-o", str(store.key)], 1, f"caseload: refusing to write {store.key}: it is"),
        (["due", "--output", str(store.db)], 1, f"caseload: refusing to write {store.db}: it is"),
    ]
    cases.append((["due", *D, "--days", "99999999"], 2, "caseload: a date or number is out"))
    for argv, code, start in cases:
        fast_result, typer_result = both(store, capsys, argv)
        assert fast_result == typer_result, argv
        assert fast_result[0] == code and fast_result[2].startswith(start), fast_result


@pytest.mark.parametrize("value", ["", "~/elsewhere.db", "{db}"])
def test_the_store_from_CASELOAD_DB_as_typer_reads_it(store, capsys, monkeypatch, value):
    """No --db: the option's envvar (empty: unset), then the default path, ``~`` expanded."""
    from caseload.cli.main import app

    value = value.format(db=store.db)
    monkeypatch.setenv("CASELOAD_DB", value)
    fast_result = fast(["due", *D], capsys)
    env = {"CASELOAD_DB": value, "CASELOAD_KEY_FILE": str(store.key)}
    r = store.runner.invoke(app, ["due", *D], env=env, catch_exceptions=False)
    assert fast_result == (r.exit_code, r.stdout, r.stderr)
    assert fast_result[0] == (0 if value == str(store.db) else 1)


DECLINED = [
    [],  # the TUI
    ["--help"],
    ["-h"],
    ["due", "--help"],
    ["due", "-h"],
    ["--version"],
    ["--version", "due"],
    ["due", "--bogus"],
    ["due", "--days", "-1"],
    ["due", "--days", "x"],
    ["due", "--days", "+3"],
    ["due", "--days", "1_000"],
    ["due", "--days", " 3"],
    ["due", "--days", "1234567890"],
    ["due", "--overdue-days", "٣"],
    ["due", "--format", "JSON"],
    ["due", "-f", "xml"],
    ["due", "-f=json"],
    ["due", "-fjson"],
    ["due", "--date", "not a date"],
    ["due", "--date", ""],
    ["due", "--date"],
    ["due", "--redact=yes"],
    ["due", "extra"],
    ["due", "-"],
    ["due", "--"],
    ["--", "due"],
    ["due", "--", "--days", "1"],
    ["due", "-f", "json", "--format", "csv"],
    ["--db", "a.db", "due", "--db", "b.db"],
    ["--db", "", "due"],
    ["--db"],
    ["Due"],
    ["DUE"],
    ["patients", "list"],
    ["followups", "due"],
    ["report"],
    ["due", "-o", "--days"],
]


@pytest.mark.parametrize("argv", DECLINED, ids=[repr(a) for a in DECLINED])
def test_anything_but_a_plain_due_line_goes_to_typer(argv):
    assert parse(argv) is None
    assert duefast.main(argv) is None


def test_parse_reads_defaults_and_options_wherever_typer_takes_them():
    assert parse(["due"]) == DueArgs()
    args = parse(["due", "--key-file", "k", "--days=3", "--redact", "-o", "f", "--db", "s"])
    assert args == DueArgs(
        db=Path("s"), key_file=Path("k"), days=3, redacted=True, output=Path("f")
    )
    assert parse(["due", "--date", "2026-02-03", "--overdue-days", "0"]) == DueArgs(
        day=date(2026, 2, 3), overdue_days=0
    )


def _env(store) -> dict[str, str]:
    return {**os.environ, "CASELOAD_DB": str(store.db), "CASELOAD_KEY_FILE": str(store.key)}


def test_a_real_due_run_imports_no_typer_pydantic_rich_or_sqlalchemy(store):
    args = ["--db", str(store.db), "--key-file", str(store.key), "due", *D, "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "caseload", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"title":"Call"' in done.stdout.replace(" ", "")
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "caseload" in imported and "sqlcipher3" in imported  # the list was read
    assert imported.isdisjoint(HEAVY), imported & set(HEAVY)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    done = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=60
    )
    return done.returncode, done.stdout, done.stderr


def test_a_real_process_prints_what_the_typer_entry_point_prints(store):
    """The launcher (fast) against cli.main.run (typer), as separate processes."""
    launcher = [sys.executable, "-m", "caseload"]
    typer_path = [sys.executable, "-c", "from caseload.cli.main import run; run()"]
    for argv in (["due", *D, "--overdue-days", "10"], ["due", *D, "-f", "csv"]):
        fast_result = _run([*launcher, *argv], _env(store))
        assert fast_result == _run([*typer_path, *argv], _env(store))
        assert fast_result[0] == 0 and "Call" in fast_result[1]


def test_a_declined_line_gets_typers_usage_error(store):
    done = subprocess.run(
        [sys.executable, "-m", "caseload", "due", "--days", "x"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=_env(store),
        timeout=60,
    )
    assert done.returncode == 2 and "'--days'" in done.stderr and done.stdout == ""


def test_a_closed_pipe_ends_both_paths_alike(store):
    """`caseload due | head`, the reader already gone: exit 1, no traceback, either way."""
    results = []
    for cmd in (
        [sys.executable, "-m", "caseload"],
        [sys.executable, "-c", "from caseload.cli.main import run; run()"],
    ):
        read_end, write_end = os.pipe()
        os.close(read_end)
        done = subprocess.run(
            [*cmd, "due", *D, "-f", "json"], stdout=write_end, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=_env(store), timeout=60, text=True,
        )  # fmt: skip
        os.close(write_end)
        results.append((done.returncode, done.stderr))
    assert results[0] == results[1] == (1, "")
