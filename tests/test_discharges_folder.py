"""`caseload import discharges --from-folder DIR`: done/ and failed/ with a reason, files still
arriving left alone, never a file twice, and a second run at the same time does nothing."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from test_discharges_hl7 import msg, patient

OLD = time.time() - 600  # dropped ten minutes ago: settled


def drop(folder: Path, name: str, text: str, *, settled: bool = True) -> Path:
    path = folder / name
    path.write_text(text)
    if settled:
        os.utime(path, (OLD, OLD))
    return path


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def count(cli) -> int:
    return len(json.loads(cli.ok("patients", "transitions", "--format", "json").stdout))


def test_files_go_to_done_or_failed_and_fresh_ones_wait(cli, tmp_path):
    patient(cli)
    box = tmp_path / "drop"
    box.mkdir()
    drop(box, "a.hl7", msg("A03"))
    drop(box, "b.hl7", msg("A03", pid3="NOBODY", visit="V9"))
    drop(box, "c.hl7.part", msg("A03", visit="V3"))
    drop(box, ".hidden.hl7", msg("A03", visit="V4"))
    drop(box, "d.hl7", msg("A03", visit="V5"), settled=False)
    r = cli("import", "discharges", "--from-folder", str(box))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "a.hl7: imported discharges (hl7): created 1, updated 0, unchanged 0, skipped 0, failed 0",
        f"b.hl7: failed, moved to {box}/failed/b.hl7 (see b.hl7.reason.txt)",
        f"2 files in {box}: 1 done, 1 failed, 1 left for the next run (changed in the last minute)",
    ]
    assert names(box / "done") == ["a.hl7"]
    assert names(box / "failed") == ["b.hl7", "b.hl7.reason.txt"]
    reason = (box / "failed" / "b.hl7.reason.txt").read_text().splitlines()
    assert reason[0] == "message 1, PID-3: patient not in the caseload (--add-unknown creates it)"
    assert reason[-2].startswith("nothing written (all or nothing)")
    assert oct((box / "failed" / "b.hl7.reason.txt").stat().st_mode & 0o777) == "0o600"
    assert {"c.hl7.part", ".hidden.hl7", "d.hl7"} <= set(names(box))
    assert count(cli) == 1
    # The next run: the settled file goes in; nothing done is read again.
    os.utime(box / "d.hl7", (OLD, OLD))
    r = cli.ok("import", "discharges", "--from-folder", str(box))
    assert r.stderr.splitlines()[-1] == f"1 file in {box}: 1 done, 0 failed"
    assert names(box / "done") == ["a.hl7", "d.hl7"] and count(cli) == 2
    # The HIE sends a.hl7 again: a new file, the same visit: nothing changes.
    drop(box, "a.hl7", msg("A03"))
    r = cli.ok("import", "discharges", "--from-folder", str(box))
    assert "a.hl7: imported discharges (hl7): created 0, updated 0, unchanged 1" in r.stderr
    assert names(box / "done") == ["a-2.hl7", "a.hl7", "d.hl7"] and count(cli) == 2


def test_a_second_run_while_one_works_does_nothing(cli, tmp_path):
    patient(cli)
    box = tmp_path / "drop"
    box.mkdir()
    drop(box, "a.hl7", msg("A03"))
    # The first run holds the lock (as a cron run still importing would).
    with open(box / ".caseload-import.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = cli.ok("import", "discharges", "--from-folder", str(box))
        assert r.stderr.strip() == f"another import is working in {box}: nothing done"
        assert names(box) == [".caseload-import.lock", "a.hl7", "done", "failed"]
        assert count(cli) == 0
    r = cli.ok("import", "discharges", "--from-folder", str(box))
    assert names(box / "done") == ["a.hl7"] and count(cli) == 1


def test_folder_usage_errors_and_a_quiet_empty_run(cli, tmp_path):
    r = cli.ok("import", "discharges", "--from-folder", str(tmp_path))
    assert r.stderr == ""  # nothing to do: nothing for cron to mail
    r = cli("import", "discharges", "--from-folder", str(tmp_path / "nope"))
    assert r.exit_code == 1 and r.stderr.strip() == f"caseload: {tmp_path}/nope is not a folder"
    r = cli("import", "discharges", str(tmp_path / "x.hl7"), "--from-folder", str(tmp_path))
    assert r.exit_code == 2 and "a FILE or --from-folder DIR (one of them)" in r.stderr
    r = cli("import", "discharges", "--from-folder", str(tmp_path), "--dry-run")
    assert r.exit_code == 2 and "no --dry-run/--skip-invalid" in r.stderr
    # The options that shape a record import would be ignored by a feed: refused, not dropped.
    r = cli("import", "discharges", str(tmp_path / "x.hl7"), "--map", "A=b", "--dayfirst")
    assert r.exit_code == 2
    assert "--map, --dayfirst: not for discharges (their format is detected" in r.stderr
    r = cli("import", "discharges", str(tmp_path / "x.hl7"), "--on-conflict", "skip")
    assert r.exit_code == 2 and "--on-conflict: not for discharges" in r.stderr


def test_the_cron_line_is_documented():
    doc = (Path(__file__).parent.parent / "docs" / "import-export.md").read_text()
    assert "*/15 * * * *" in doc and "import discharges --from-folder" in doc


def test_a_drop_folder_that_holds_the_store_or_key_is_refused_and_nothing_moves(tmp_path):
    """The data folder given as the drop folder by mistake: the real program, as cron runs it.
    (It used to move the store and its key into failed/, and the next run asked for init.)"""
    import subprocess
    import sys

    home = tmp_path / "data"
    env = {**os.environ, "HOME": str(tmp_path), "CASELOAD_CONFIG": str(tmp_path / "none.toml")}
    base = [sys.executable, "-m", "caseload", "--db", str(home / "s.db"), "--key-file"]
    key = home / "k.key"
    subprocess.run([*base, str(key), "init"], env=env, check=True, capture_output=True)
    for p in home.iterdir():
        os.utime(p, (OLD, OLD))  # settled, as a store and key are
    before = names(home)
    for k in (key, tmp_path / "elsewhere.key"):  # the key beside the store, or the store alone
        if k != key:
            k.write_bytes(key.read_bytes())
            k.chmod(0o600)
        done = subprocess.run(
            [*base, str(k), "import", "discharges", "--from-folder", str(home)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith(f"caseload: refusing to import from {home}: it holds ")
        assert names(home) == before  # nothing moved, no done/ or failed/ made
    listed = subprocess.run([*base, str(key), "patients", "list"], env=env, capture_output=True)
    assert listed.returncode == 0
