"""The due list's second process (io.duehelper): the same list, whoever builds which share.

A helper may only be forked by a process that has never opened SQLite, so these
tests run real programs: `caseload due` itself, with two cores and pinned to one
(no helper), and small scripts that drive ``Helper`` directly on a real store
whose patients reach the helper's blocks (ids 512 to 1,023, 1,536 to 2,047, ...).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import pytest

TODAY = date(2026, 11, 23)
PATIENTS = 5000  # ids 1..5000: ten blocks of 512, five for each process
two_cores = pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
    reason="the helper is forked on a multi-core Linux machine only",
)


def _run(env, *args, check=True, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "caseload", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        **kw,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """5,000 synthetic patients with two follow-ups each around TODAY, imported."""
    folder = tmp_path_factory.mktemp("helper")
    db, key = folder / "s.db", folder / "s.key"
    env = {**os.environ, "CASELOAD_CONFIG": str(folder / "none.toml"), "HOME": str(folder)}
    people, tasks = folder / "p.csv", folder / "f.csv"
    with people.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "given_name", "family_name", "phone", "language", "risk"])
        for n in range(PATIENTS):
            w.writerow([f"P{n:05d}", "Ana", f"Silva{n % 97}", f"555-{n % 10000:04d}", "en",
                        ("high", "medium", "low")[n % 3]])  # fmt: skip
    with tasks.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_external_id", "title", "kind", "due_on", "priority"])
        for n in range(PATIENTS):
            for k, kind in enumerate(("call", "visit")):
                due = TODAY + timedelta(days=(n * 7 + k * 3) % 40 - 25)
                w.writerow([f"P{n:05d}", f"{kind.title()} {n % 13}", kind, due.isoformat(),
                            1 + (n + k) % 4])  # fmt: skip
    _run(env, "--db", str(db), "--key-file", str(key), "init")
    _run(env, "--db", str(db), "--key-file", str(key), "import", "patients", str(people))
    _run(env, "--db", str(db), "--key-file", str(key), "import", "followups", str(tasks))
    return db, key, env


def _due(store, fmt: str, *, one_core: bool = False) -> subprocess.CompletedProcess:
    db, key, env = store
    args = ["--db", str(db), "--key-file", str(key), "due", "--date", TODAY.isoformat()]
    pin = (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if one_core else None
    return _run(env, *args, "--days", "7", "--format", fmt, preexec_fn=pin)


@two_cores
@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_the_list_is_the_same_with_a_helper_and_on_one_core(store, fmt):
    both, one = _due(store, fmt), _due(store, fmt, one_core=True)
    assert both.stdout == one.stdout and both.stderr == one.stderr
    if fmt == "json":
        items = json.loads(both.stdout)
        assert {i["status"] for i in items} == {"overdue", "due", "upcoming"}
        assert max(int(i["patient_external_id"][1:]) for i in items) > 4096  # many blocks


SCRIPT = """
import json, os, signal, sys
from datetime import date
from pathlib import Path
from caseload.io import duelist_fast
from caseload.io.duehelper import HELPERS, PARENTS, Helper
from caseload.store.keys import new_raw_key, read_key_file

db, key_path, mode, fmt = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
key = new_raw_key("a wrong key") if mode == "wrong key" else read_key_file(key_path)
helper = Helper.start(db, key)
assert helper is not None, "no helper on a two-core Linux machine"
from caseload.store.connect import connect

conn = connect(db, read_key_file(key_path))
day = date.fromisoformat("{today}")
if mode == "unasked":
    pid = helper.pid
    helper.close()
    print(json.dumps({{"reaped": not os.path.exists(f"/proc/{{pid}}")}}))
    sys.exit(0)
conn.execute("BEGIN IMMEDIATE")
helper.ask(fmt, day, 7, None, None, redacted=False, attempts_needed=3)
if mode == "stuck":
    os.kill(helper.pid, signal.SIGSTOP)
pid = helper.pid
theirs = helper.answer(timeout=0.5)
mine = duelist_fast.part(conn, fmt, day, 7, **PARENTS)
alone = duelist_fast.part(conn, fmt, day, 7, **HELPERS)
conn.execute("ROLLBACK")
whole = duelist_fast.part(conn, fmt, day, 7)
text = lambda lines: [x if isinstance(x, str) else x.decode() for x in lines]
print(json.dumps({{
    "answer": None if theirs is None else text(theirs.lines()),
    "alone": text(alone.lines()), "mine": text(mine.lines()), "whole": text(whole.lines()),
    "reaped": not os.path.exists(f"/proc/{{pid}}"),
}}))
"""


def _script(store, mode: str, fmt: str = "json") -> dict:
    db, key, env = store
    code = textwrap.dedent(SCRIPT.format(today=TODAY.isoformat()))
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), str(key), mode, fmt],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@two_cores
@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_the_helper_builds_its_share_and_the_shares_make_the_whole(store, fmt):
    got = _script(store, "ok", fmt)
    theirs, mine, whole = got["answer"], got["mine"], got["whole"]
    assert theirs and mine  # both shares hold items
    assert theirs == got["alone"]  # what the parent would have built for that share
    assert sorted(theirs + mine) == whole
    assert not set(theirs) & set(mine)  # different patients: no item in both
    assert got["reaped"]


@two_cores
def test_a_helper_that_cannot_open_the_store_answers_nothing(store):
    got = _script(store, "wrong key")
    assert got["answer"] is None and got["alone"] and got["reaped"]


@two_cores
def test_a_stuck_helper_is_killed_and_answers_nothing(store):
    """cron must not hang on a helper that stops (here: SIGSTOP)."""
    got = _script(store, "stuck")
    assert got["answer"] is None and got["reaped"]


@two_cores
def test_a_helper_never_asked_leaves_when_closed(store):
    assert _script(store, "unasked") == {"reaped": True}


@two_cores
def test_an_interrupted_restore_is_put_right_once_with_a_helper_forked(store, tmp_path):
    """The helper opens the store only once asked, so it never races the parent's repair
    of an interrupted restore (which would have put the wrong store in place)."""
    db, key, env = store
    other = tmp_path / "other.db"
    _run(env, "--db", str(other), "--key-file", str(tmp_path / "other.key"), "init")
    for n in range(4):
        here = tmp_path / f"r{n}"
        here.mkdir()
        stamp = "20260101T000000000000Z"
        shutil.copy(db, here / f"r.db.before-restore-{stamp}")
        shutil.copy(other, here / f"r.db.restoring-{stamp}")
        args = ["--db", str(here / "r.db"), "--key-file", str(key), "due", "--format", "json"]
        done = _run(env, *args, "--date", TODAY.isoformat())
        assert "back in place" in done.stderr and "it is now the store" not in done.stderr
        assert len(json.loads(done.stdout)) > 1000
        assert [p.name for p in here.iterdir() if "restor" in p.name] == []  # nothing left


def test_no_helper_in_a_process_that_has_opened_sqlite(cli):
    """This test process has opened stores: forking it would carry SQLite's state over."""
    from caseload.io.duehelper import Helper
    from caseload.store.keys import read_key_file

    assert "sqlcipher3" in sys.modules
    assert Helper.start(cli.db, read_key_file(cli.key)) is None


@two_cores
def test_a_helper_is_let_go_when_no_patient_is_in_its_blocks(store, tmp_path):
    """A caseload whose ids stay under 512 (most) gives the helper nothing: it is let
    go unasked, and the list is built here; a big one keeps it."""
    db, key, env = store
    small, small_key = tmp_path / "small.db", tmp_path / "small.key"
    few = tmp_path / "few.csv"
    few.write_text("external_id,given_name,family_name\nQ1,Wei,Chen\nQ2,Kofi,Mensah\n")
    _run(env, "--db", str(small), "--key-file", str(small_key), "init")
    _run(env, "--db", str(small), "--key-file", str(small_key), "import", "patients", str(few))
    code = textwrap.dedent(ASK)
    for path, k, kept in ((db, key, True), (small, small_key, False)):
        done = subprocess.run([sys.executable, "-c", code, str(path), str(k)], env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"kept": kept, "reaped": not kept}


ASK = """
import json, os, sys
from datetime import date
from pathlib import Path
from caseload.io import dueprint
from caseload.io.duehelper import Helper
from caseload.store.connect import connect
from caseload.store.keys import read_key_file

db, key = Path(sys.argv[1]), read_key_file(Path(sys.argv[2]))
helper = Helper.start(db, key)
pid = helper.pid
conn = connect(db, key)
kept = dueprint._ask(conn, helper, "json", date(2026, 11, 23), 0, None, None,
                     redacted=False, attempts_needed=3)
reaped = not os.path.exists(f"/proc/{pid}")
if kept is not None:
    kept.close()
conn.execute("ROLLBACK")
print(json.dumps({"kept": kept is not None, "reaped": reaped}))
"""


UNTOUCHED = """
import json, os, sys, time
from pathlib import Path
from caseload.io.duehelper import Helper
from caseload.store.keys import read_key_file

db = Path(sys.argv[1])
helper = Helper.start(db, read_key_file(Path(sys.argv[2])))
time.sleep(0.5)  # the helper has long been forked, and waits to be asked
names = sorted(os.listdir(db.parent))
helper.close()
print(json.dumps(names))
"""


@two_cores
def test_a_helper_does_not_touch_the_store_until_it_is_asked(store, tmp_path):
    """Opening a store can repair it (an interrupted restore put back): only the parent
    may, so the helper opens nothing until the parent, holding the store, asks."""
    db, key, env = store
    stamp = "20260101T000000000000Z"
    pair = [f"r.db.before-restore-{stamp}", f"r.db.restoring-{stamp}"]
    here = tmp_path / "pair"
    here.mkdir()
    for name in pair:
        shutil.copy(db, here / name)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(UNTOUCHED), str(here / "r.db"), str(key)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == pair
