"""The due list's second process (io.duehelper): the same list, whoever builds which half.

A helper may only be forked by a process that has never opened SQLite, so these
tests run real programs: `caseload due` itself, with two cores and pinned to one
(no helper), and small scripts that drive ``Helper`` directly on a real store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date

import pytest

TODAY = date.today().isoformat()  # the demo caseload is built around today
two_cores = pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
    reason="the helper is forked on a multi-core Linux machine only",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A demo caseload (synthetic) of 1,100 patients: a list with every section, and
    patients in three blocks of 512 (the parts the helper and its parent share out)."""
    folder = tmp_path_factory.mktemp("helper")
    db = folder / "demo.db"
    env = {**os.environ, "CASELOAD_CONFIG": str(folder / "none.toml"), "HOME": str(folder)}
    args = ["--db", str(db), "demo", "--patients", "1100", "--seed", "3", "--no-open"]
    done = subprocess.run(
        [sys.executable, "-m", "caseload", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return db, db.with_name(db.name + ".key"), env


def _due(store, fmt: str, *, one_core: bool = False) -> subprocess.CompletedProcess:
    db, key, env = store
    cmd = [sys.executable, "-m", "caseload", "--db", str(db), "--key-file", str(key), "due"]
    cmd += ["--date", TODAY, "--days", "14", "--format", fmt]
    pin = (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if one_core else None
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, preexec_fn=pin, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr
    return done


@two_cores
@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_the_list_is_the_same_with_a_helper_and_on_one_core(store, fmt):
    both, one = _due(store, fmt), _due(store, fmt, one_core=True)
    assert both.stdout == one.stdout and both.stderr == one.stderr
    if fmt == "json":
        items = json.loads(both.stdout)
        assert {i["status"] for i in items} == {"overdue", "due", "upcoming"}
        assert len(items) > 200  # patients from all three blocks of 512


SCRIPT = """
import json, sys
from datetime import date
from pathlib import Path
from caseload.io import duelist_fast
from caseload.io.duehelper import PARENTS, Helper
from caseload.store.keys import read_key_file

db, key_path, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
key = read_key_file(key_path)
from caseload.store.connect import connect

def opener():
    if mode == "broken":
        raise RuntimeError("no store for the helper")
    return connect(db, key)

helper = Helper.start(opener)
assert helper is not None, "no helper on a two-core Linux machine"
conn = connect(db, key)
day = date.fromisoformat("{today}")
if mode == "unasked":
    helper.close()
    print(json.dumps({{"closed": True}}))
    sys.exit(0)
conn.execute("BEGIN IMMEDIATE")
helper.ask("text", day, 14, None, None, redacted=False, attempts_needed=3, block=8)
theirs = helper.answer()
mine = duelist_fast.part(conn, "text", day, 14, **PARENTS, block=8)
conn.execute("ROLLBACK")
whole = duelist_fast.part(conn, "text", day, 14)
answer = None if theirs is None else theirs.lines()
print(json.dumps({{"answer": answer, "mine": mine.lines(), "whole": whole.lines()}}))
"""


def _script(store, mode: str) -> dict:
    db, key, env = store
    code = textwrap.dedent(SCRIPT.format(today=TODAY))
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), str(key), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@two_cores
def test_the_helper_builds_the_odd_half_and_the_halves_make_the_whole(store):
    got = _script(store, "ok")
    theirs, mine, whole = got["answer"], got["mine"], got["whole"]
    assert theirs and mine  # both halves hold items
    assert sorted(theirs + mine) == whole
    # the halves are different patients: no item in both
    assert not set(theirs) & set(mine)


@two_cores
def test_a_helper_that_cannot_open_the_store_answers_nothing(store):
    assert _script(store, "broken")["answer"] is None


@two_cores
def test_a_helper_never_asked_leaves_when_closed(store):
    assert _script(store, "unasked") == {"closed": True}


def test_no_helper_in_a_process_that_has_opened_sqlite(cli):
    """This test process has opened stores: forking it would carry SQLite's state over."""
    from caseload.io.duehelper import Helper

    assert "sqlcipher3" in sys.modules
    assert Helper.start(lambda: None) is None
