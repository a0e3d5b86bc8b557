"""The workflows behind `init` and `export` work without the CLI, as the TUI would call them."""

from __future__ import annotations

import json
import os
import stat
from functools import partial

import pytest


def test_create_store_keeps_the_key_audits_and_returns_the_recovery_key(tmp_path):
    from caseload.services import audit
    from caseload.services.newstore import create_store
    from caseload.store.engine import open_store, session
    from caseload.store.keys import read_key_file, recovery_key_for

    db, key_file = tmp_path / "s" / "c.db", tmp_path / "k" / "c.key"
    made = create_store(db, key_file, timeout=1.0)
    assert made.key_kept_in == f"key file {key_file}"
    key = read_key_file(key_file)
    assert made.recovery_key == recovery_key_for(key.secret)
    engine = open_store(db, key)
    try:
        with session(engine) as s:
            assert [e["action"] for e in audit.list_events(s)] == ["store.init"]
    finally:
        engine.dispose()


def test_create_store_refuses_an_existing_store_and_leaves_no_key(tmp_path):
    from caseload.errors import CaseloadError
    from caseload.services.newstore import create_store

    db, key_file = tmp_path / "c.db", tmp_path / "c.key"
    db.write_bytes(b"not yours")
    with pytest.raises(CaseloadError, match="a store exists already"):
        create_store(db, key_file, timeout=1.0)
    assert db.read_bytes() == b"not yours" and not key_file.exists()


def test_export_run_writes_a_private_file_and_audits_it(cli, engine, read, tmp_path):
    from caseload.io.export import Export, run
    from caseload.services import audit
    from caseload.store.engine import session

    cli.ok("patients", "add", "--external-id", "W-1", "--given-name", "Ada", "--family-name", "Ng")
    out = tmp_path / "p.json"
    done = run(Export("patients", "json", out), partial(session, engine))
    assert (done.counts, done.output) == ({"patients": 1}, out)
    assert [p["external_id"] for p in json.loads(out.read_text())] == ["W-1"]
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with read() as s:
        [ev] = [e for e in audit.list_events(s) if e["action"] == "export.patients"]
    assert json.loads(ev["detail"]) == {"format": "json", "patients": 1, "redacted": False}


def test_export_run_checks_the_request_before_touching_the_store(tmp_path):
    from caseload.errors import UsageError
    from caseload.io.export import Export, run

    def no_store(**_kw):
        raise AssertionError("the store was opened")

    with pytest.raises(UsageError, match="follow-ups only"):
        run(Export("patients", "ics", tmp_path / "p.ics"), no_store)
    with pytest.raises(UsageError, match="needs --output DIR"):
        run(Export("all", "csv"), no_store)
