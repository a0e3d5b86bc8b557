"""A kill at any point of an import leaves the store as it was, and it opens (SPEC quality bar)."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time


def test_sigkill_midway_leaves_the_store_as_it_was(cli, tmp_path, read):
    from sqlmodel import text

    from caseload.services import audit

    cli.ok("patients", "add", "--external-id", "KEEP-1", "--given-name", "A", "--family-name", "B")
    source = tmp_path / "big.csv"
    with source.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "given_name", "family_name", "phone", "notes"])
        for i in range(200_000):
            w.writerow([f"K{i:07d}", f"Given{i % 97}", f"Family{i % 89}", f"0{i:09d}", "n" * 40])

    def events():  # what the store recorded, less the listings this test itself makes
        with read() as s:
            return [e for e in audit.list_events(s) if e["entity"] != "printout"]

    events_before = len(events())
    wal = cli.db.with_name(cli.db.name + "-wal")
    start_size = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "caseload", "--db", str(cli.db), "--key-file", str(cli.key),
         "import", "patients", str(source)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    writing = False
    # The write phase has begun once the transaction's pages start reaching the WAL.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > start_size + 256 * 1024:
            writing = True
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the import finished before it could be killed"
    assert writing, "killed before the import began writing"

    rows = json.loads(cli.ok("patients", "list", "--format", "json").stdout)
    assert [r["external_id"] for r in rows] == ["KEEP-1"]
    assert len(events()) == events_before
    with read() as s:
        assert s.exec(text("PRAGMA integrity_check")).one()[0] == "ok"
        assert audit.verify(s) == []
        names = {r[0] for r in s.exec(text("SELECT name FROM sqlite_master WHERE type='index'"))}
    assert {"ix_patient_search_name", "ix_patient_phone_digits"} <= names
    # And an import after the crash works.
    small = tmp_path / "small.csv"
    small.write_text("external_id,given_name,family_name\nK1,A,B\n")
    cli.ok("import", "patients", str(small))
