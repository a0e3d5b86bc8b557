"""`caseload demo`: a deterministic synthetic caseload in a store of its own, read back for real."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

DAY = date(2026, 11, 23)  # a Monday


def run(*args: str, env: dict | None = None):
    """The real CLI with no CASELOAD_DB (the isolated fixture removed it)."""
    from caseload.cli.main import app

    return CliRunner().invoke(app, list(args), env=env or {}, catch_exceptions=False)


def ok(*args: str, env: dict | None = None):
    result = run(*args, env=env)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def build(db: Path, *extra: str):
    return ok("--db", str(db), "demo", "--patients", "30", "--no-open", *extra)


def key_of(db: Path) -> Path:
    return db.with_name(db.name + ".key")


def raw(db: Path):
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    return connect(db, read_key_file(key_of(db)))


def patients_json(db: Path) -> list[dict]:
    out = ok("--db", str(db), "--key-file", str(key_of(db)), "patients", "list", "-f", "json")
    return json.loads(out.stdout)


def followup_rows(db: Path) -> list[tuple]:
    conn = raw(db)
    try:
        return conn.execute("SELECT * FROM followup ORDER BY id").fetchall()
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- determinism -------------------------------------------------------------------


def test_same_seed_and_day_make_the_same_store_another_seed_another(tmp_path):
    a, b, c = (tmp_path / n / "demo.db" for n in ("a", "b", "c"))
    build(a, "--seed", "11")
    build(b, "--seed", "11")
    build(c, "--seed", "12")
    assert patients_json(a) == patients_json(b)
    assert len(patients_json(a)) == 30
    assert followup_rows(a) == followup_rows(b)
    assert patients_json(a) != patients_json(c)
    assert followup_rows(a) != followup_rows(c)


def test_the_day_given_moves_every_date(tmp_path):
    a, b = tmp_path / "a" / "demo.db", tmp_path / "b" / "demo.db"
    build(a, "--today", "2026-11-23")
    build(b, "--today", "2026-11-30")
    shifted = [(r[0], r[4]) for r in followup_rows(b)]
    moved = [(r[0], (date.fromisoformat(r[4]) + timedelta(days=7)).isoformat())
             for r in followup_rows(a)]  # fmt: skip
    assert shifted == moved


# --- where it goes, and what it never touches ----------------------------------------


def test_without_db_it_writes_to_the_demo_folder_not_the_real_store():
    from caseload import paths

    r = ok("demo", "--patients", "5", "--no-open")
    db, key = paths.demo_db(), paths.key_file_beside(paths.demo_db())
    assert db.exists() and key.exists()
    assert not paths.default_db().exists()
    assert db.parent == paths.data_dir() / "demo"
    lines = r.stderr.splitlines()
    assert lines[-3:] == [
        "Open it with:",
        f"  caseload --db {db} --key-file {key}",
        f"  caseload --db {db} --key-file {key} patients list",
    ]
    assert f"Its key is in {key}. Every name and number in it is made up." in lines
    assert r.stdout == ""


def test_key_file_beside_the_store_and_both_private(tmp_path):
    db = tmp_path / "fresh-folder" / "demo.db"
    build(db)
    key = key_of(db)
    assert key.exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert len(key.read_text().strip()) == 64  # a raw 256-bit key in hex
    assert b"SQLite format 3" not in db.read_bytes()[:100]  # encrypted


def test_refuses_an_existing_real_store_and_leaves_it_alone(cli):
    before = digest(cli.db)
    for extra in ((), ("--fresh",)):
        r = cli("demo", "--patients", "5", "--no-open", *extra)  # CASELOAD_DB names the store
        assert r.exit_code == 1
        assert r.stderr.splitlines() == [
            f"caseload: {cli.db} is not a demo store; demo never overwrites a real store",
            "  name a new file with --db, or leave --db out to use the demo folder",
        ]
    assert digest(cli.db) == before
    assert not key_of(cli.db).exists()


def test_refuses_a_real_store_even_with_a_key_file_named_like_a_demo_one(tmp_path):
    db = tmp_path / "real" / "caseload.db"
    ok("--db", str(db), "--key-file", str(key_of(db)), "init")
    before = digest(db)
    r = run("--db", str(db), "demo", "--fresh", "--no-open")
    assert r.exit_code == 1
    assert "is not a demo store; demo never overwrites a real store" in r.stderr
    assert digest(db) == before and key_of(db).exists()


def test_an_existing_demo_is_reused_and_fresh_rebuilds_it(tmp_path):
    db = tmp_path / "d" / "demo.db"
    build(db, "--seed", "1")
    first, first_key = patients_json(db), key_of(db).read_text()
    r = build(db, "--seed", "2")
    assert r.stderr.splitlines()[0] == (
        f"Using the demo store already at {db} (add --fresh to build a new one)."
    )
    assert patients_json(db) == first
    build(db, "--seed", "2", "--fresh")
    assert patients_json(db) != first
    assert key_of(db).read_text() != first_key
    conn = raw(db)
    try:  # the old store is gone, not added to: one build, one audit event
        assert conn.execute("SELECT count(*) FROM patient").fetchone()[0] == 30
        events = "SELECT count(*) FROM audit_event WHERE entity != 'printout'"
        assert conn.execute(events).fetchone()[0] == 1
    finally:
        conn.close()


def test_a_key_file_without_its_store_is_not_overwritten_unless_fresh(tmp_path):
    db = tmp_path / "d" / "demo.db"
    db.parent.mkdir()
    key_of(db).write_text("not mine to delete\n")
    r = run("--db", str(db), "demo", "--no-open")
    assert r.exit_code == 1
    assert (
        r.stderr.splitlines()[0]
        == f"caseload: a key file is at {key_of(db)} but no store beside it"
    )
    assert key_of(db).read_text() == "not mine to delete\n" and not db.exists()
    build(db, "--fresh")
    assert len(patients_json(db)) == 30


def test_bad_options_are_usage_errors(tmp_path):
    db = tmp_path / "d" / "demo.db"
    r = run("--db", str(db), "demo", "--patients", "0", "--no-open")
    assert r.exit_code == 2 and "'--patients'" in r.stderr
    r = run("--db", str(db), "demo", "--today", "someday", "--no-open")
    assert r.exit_code == 2 and "'--today'" in r.stderr and "is not a date" in r.stderr
    assert not db.exists()


def test_on_a_terminal_it_asks_the_launcher_for_the_tui(tmp_path, monkeypatch):
    """`caseload demo` on a terminal leaves a TUI request (caseload.launcher opens it)."""
    from caseload.cli import demo as demo_cli
    from caseload.cli import setup

    monkeypatch.setattr(demo_cli, "_on_terminal", lambda: True)
    monkeypatch.setattr(setup, "TUI_REQUESTS", [])
    db = tmp_path / "d" / "demo.db"
    r = run("--db", str(db), "demo", "--patients", "5", "--no-open")
    assert r.exit_code == 0 and setup.TUI_REQUESTS == []
    r = run("--db", str(db), "demo")
    assert r.exit_code == 0
    assert r.stderr.splitlines()[-1].endswith("patients list")
    assert [(s.db, s.key_file) for s in setup.TUI_REQUESTS] == [
        (db, db.with_name(db.name + ".key"))
    ]


# --- what is inside -------------------------------------------------------------------


@pytest.fixture
def made(engine, read):
    """A 40-patient demo generated into the `engine` fixture's fresh store."""
    from caseload.demo import generator as demo

    counts = demo.generate(engine, patients=40, seed=3, today=DAY, followups_per_patient=4)
    return counts


def test_counts_match_the_rows(made, read):
    from sqlalchemy import text

    with read() as s:
        for table, n in made.items():
            assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar() == n, table
    assert made["patient"] == 40
    assert made["followup"] == 40 * 4 + 2 * made["transition"]


def test_followups_overdue_due_today_and_upcoming(made, read):
    from sqlmodel import select

    from caseload.models import FollowUp

    with read() as s:
        rows = list(s.exec(select(FollowUp)))
    open_ = [f for f in rows if f.status == "open"]
    assert any(f.due_on < DAY for f in open_)
    assert any(f.due_on == DAY for f in open_)
    assert any(DAY < f.due_on <= DAY + timedelta(days=30) for f in open_)
    done = [f for f in rows if f.status == "done"]
    # Completed by the day the store is built for (a visit may be done before it is due).
    assert done and all(f.completed_at is not None and f.completed_at.date() <= DAY for f in done)
    # Done by a contact, or closed as unable to reach after the attempts (demo.discharges).
    assert all((f.completed_contact_id is None) == (f.unable_reason is not None) for f in done)
    assert any(f.status == "cancelled" and f.cancelled_reason for f in rows)
    recurring = [f for f in rows if f.rrule]
    assert recurring and {f.rrule for f in recurring} <= {"FREQ=WEEKLY", "FREQ=MONTHLY"}
    assert all(f.series_id == f.id and f.status == "open" for f in recurring)
    assert len({f.kind for f in rows}) >= 5 and len({f.priority for f in rows}) >= 3


def test_done_followups_are_completed_by_their_contact(made, read):
    from sqlmodel import select

    from caseload.models import Contact, FollowUp

    with read() as s:
        for f in s.exec(select(FollowUp).where(FollowUp.status == "done")):
            if f.unable_reason is not None:  # closed after failed attempts: no completing contact
                continue
            c = s.get(Contact, f.completed_contact_id)
            assert (c.followup_id, c.patient_id, c.outcome) == (f.id, f.patient_id, "reached")
            assert c.at == f.completed_at


def test_a_recent_discharge_with_its_two_followups(made, read):
    from sqlmodel import select

    from caseload.models import FollowUp, Patient, Transition

    # Two business days after a discharge, for DAY (a Monday) minus 1..5 days.
    call_due = {22: 24, 21: 24, 20: 24, 19: 23, 18: 20}  # Sun, Sat, Fri, Thu, Wed → day of Nov

    with read() as s:
        # The recent ones (past discharges are demo.discharges', below).
        transitions = [t for t in s.exec(select(Transition)) if (DAY - t.discharged_on).days <= 5]
        assert transitions
        for t in transitions:
            assert 1 <= (DAY - t.discharged_on).days <= 5
            patient = s.get(Patient, t.patient_id)
            assert patient.status == "active"
            fus = {
                f.kind: f for f in s.exec(select(FollowUp).where(FollowUp.transition_id == t.id))
            }
            assert set(fus) == {"transition_call", "transition_visit"}
            assert fus["transition_call"].due_on == date(2026, 11, call_due[t.discharged_on.day])
            days = 7 if patient.risk == "high" else 14
            assert fus["transition_visit"].due_on == t.discharged_on + timedelta(days=days)
            assert all(f.status == "open" and f.patient_id == t.patient_id for f in fus.values())


def test_care_plans_goals_team_contacts_referrals(made, read):
    from sqlmodel import select

    from caseload.models import CarePlan, CarePlanProblem, Contact, Goal, PatientCareTeam

    with read() as s:
        plans = list(s.exec(select(CarePlan)))
        current = [p for p in plans if p.is_current]
        assert len(current) == 40 and len({p.patient_id for p in current}) == 40
        assert any(p.version == 2 for p in plans)
        assert all(p.review_on is not None for p in current)
        problems = list(s.exec(select(CarePlanProblem)))
        assert {p.plan_id for p in problems} == {p.id for p in plans}
        goals = list(s.exec(select(Goal)))
        assert {g.problem_id for g in goals} == {p.id for p in problems}
        assert all(g.target_on is not None for g in goals)
        assert len({g.status for g in goals}) >= 3
        contacts = list(s.exec(select(Contact)))
        assert len({c.patient_id for c in contacts}) == 40
        assert min(c.at for c in contacts).date() < DAY - timedelta(days=90)
        assert max(c.at for c in contacts).date() < DAY
        assert {c.method for c in contacts} >= {"phone", "text", "home_visit"}
        roles = {link.relationship for link in s.exec(select(PatientCareTeam))}
        assert "PCP" in roles and len(roles) >= 4
    assert made["referral"] > 0 and made["contact_goal"] > 0


def test_patients_look_real_and_their_search_keys_are_the_services(made, read):
    from sqlmodel import select

    from caseload.models import Patient
    from caseload.services.patients import phone_digits, search_key

    with read() as s:
        rows = list(s.exec(select(Patient)))
    for p in rows:
        assert p.search_name == search_key(p.given_name, p.family_name, p.preferred_name)
        assert p.phone_digits == phone_digits(p.phone, p.alt_phone)
        assert 19 <= (DAY - p.birth_date).days // 365.25 <= 94
        assert p.email is None or p.email.endswith("@example.org")
        assert p.phone is None or "555" in p.phone
        assert 1 <= len(p.programs.split(";")) <= 3
    assert len({p.language for p in rows}) >= 4
    assert {p.risk for p in rows} == {"high", "medium", "low"}
    assert any(p.preferred_name for p in rows)
    assert len({p.pcp for p in rows}) > 1 and len({p.payer for p in rows}) > 1


def test_proportions_at_a_few_hundred_patients(engine, read):
    from sqlmodel import select

    from caseload.demo import generator as demo
    from caseload.models import Patient

    demo.generate(engine, patients=600, seed=9, today=DAY)
    with read() as s:
        rows = list(s.exec(select(Patient)))
    share = {r: sum(p.risk == r for p in rows) / 600 for r in ("high", "medium", "low")}
    assert 0.15 < share["high"] < 0.25 and 0.38 < share["medium"] < 0.52
    statuses = {p.status for p in rows}
    assert statuses == {"active", "on_hold", "discharged"}
    assert all(p.status_reason and p.status_on for p in rows if p.status != "active")
    assert any(p.phone and p.phone.startswith("0161 555 01") for p in rows)
    assert any(p.phone_digits.startswith("0161") for p in rows)  # the leading zero kept
    assert len({p.language for p in rows}) >= 10


def test_rows_read_back_through_the_services_and_the_cli(made, read, cli):
    from caseload.services import audit, patients

    with read() as s:
        page = patients.search(s)
        assert len(page.rows) == 40
        first = page.rows[0]
        assert patients.get(s, first["external_id"]) == first
        assert isinstance(first["birth_date"], date) and isinstance(first["may_call"], bool)
        prefix = first["family_name"][:3]
        found = patients.search(s, prefix).rows
        assert first in found
        assert all(r["status"] == "active" for r in patients.search(s, status="active").rows)
        limited = patients.search(s, limit=15)
        assert len(limited.rows) == 15 and limited.next_after is not None
        events = audit.list_events(s)
        assert [e["action"] for e in events] == ["store.init", "demo.generate"]
        assert json.loads(events[-1]["detail"])["patients"] == 40
        assert audit.verify(s) == []
    listed = json.loads(cli.ok("patients", "list", "--format", "json").stdout)
    assert len(listed) == 40
    shown = json.loads(cli.ok("patients", "show", first["external_id"], "-f", "json").stdout)
    assert shown["external_id"] == first["external_id"]


def test_every_reference_holds(made, engine):
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi.execute("PRAGMA foreign_key_check").fetchall() == []
        assert dbapi.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_second_generation_adds_without_clashing(made, engine, read):
    from caseload.demo import generator as demo
    from caseload.services import patients

    more = demo.generate(engine, patients=10, seed=4, today=DAY, followups_per_patient=0)
    assert more["followup"] == 2 * more["transition"]
    with read() as s:
        assert len(patients.search(s).rows) == 50


def test_columns_written_are_the_models_columns():
    from caseload.demo.rows import COLUMNS
    from caseload.models import metadata

    # The store's triggers keep these from the contacts; no writer sets them.
    by_trigger = {"patient": {"last_contact_at", "last_reached_at"}}
    for table, cols in COLUMNS.items():
        expected = set(metadata.tables[table].c.keys()) - by_trigger.get(table, set())
        assert set(cols) == expected, table
        assert len(cols) == len(set(cols))


def test_vocabularies_are_the_domains_with_one_weight_each():
    """The demo draws methods, outcomes, kinds and referral states from caseload.enums;
    a value added there without a weight here would skew every draw after it."""
    from caseload.demo import pools as P
    from caseload.enums import ContactMethod, ContactOutcome, FollowUpKind, ReferralStatus

    for values, weights, enum in (
        (P.CONTACT_METHODS, P.CONTACT_METHOD_WEIGHTS, ContactMethod),
        (P.CONTACT_OUTCOMES, P.CONTACT_OUTCOME_WEIGHTS, ContactOutcome),
        (P.FOLLOWUP_KINDS, P.FOLLOWUP_KIND_WEIGHTS, FollowUpKind),
        (P.REFERRAL_STATUSES, P.REFERRAL_WEIGHTS, ReferralStatus),
    ):
        assert set(values) <= {e.value for e in enum}
        assert len(weights) == len(values), enum.__name__
    assert set(P.FOLLOWUP_TITLES) >= set(P.FOLLOWUP_KINDS)


def test_last_contact_columns_follow_the_contacts(cli, read):
    """The triggers: latest contact, latest reached one, addenda ignored, edits recomputed."""
    from sqlmodel import select

    from caseload.models import Patient

    cli.ok("patients", "add", "--external-id", "T-1", "--given-name", "A", "--family-name", "B")
    cli.ok(
        "contacts",
        "log",
        "T-1",
        "--method",
        "phone",
        "--outcome",
        "reached",
        "--at",
        "2026-01-05 10:00",
    )
    cli.ok(
        "contacts",
        "log",
        "T-1",
        "--method",
        "phone",
        "--outcome",
        "no_answer",
        "--at",
        "2026-01-09 10:00",
    )
    cli.ok(
        "contacts",
        "log",
        "T-1",
        "--method",
        "phone",
        "--outcome",
        "reached",
        "--at",
        "2026-01-02 10:00",
    )
    cli.ok("contacts", "addendum", "1", "--note", "correction")

    def last():
        with read() as s:
            p = s.exec(select(Patient).where(Patient.external_id == "T-1")).one()
            return (
                p.last_contact_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                p.last_reached_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )

    assert last() == ("2026-01-09 10:00", "2026-01-05 10:00")  # the addendum (now) ignored
    cli.ok("contacts", "edit", "1", "--outcome", "declined")
    assert last() == ("2026-01-09 10:00", "2026-01-02 10:00")


def test_generate_rejects_nonsense(engine):
    from caseload.demo import generator as demo
    from caseload.errors import Invalid

    with pytest.raises(Invalid, match="at least 1 patient"):
        demo.generate(engine, patients=0, seed=1, today=DAY)
    with pytest.raises(Invalid, match="cannot be negative"):
        demo.generate(engine, patients=3, seed=1, today=DAY, followups_per_patient=-1)


def test_past_discharges_give_every_measure_something_to_count(engine, read):
    """Past discharges (inpatient and ED) with their follow-ups closed: reached in time, after
    attempts, late, or unable to reach after three attempts logged against the call."""
    from sqlmodel import select

    from caseload.demo import generator as demo
    from caseload.models import Contact, FollowUp, Transition

    demo.generate(engine, patients=600, seed=9, today=DAY)
    with read() as s:
        past = [t for t in s.exec(select(Transition)) if (DAY - t.discharged_on).days >= 8]
        assert {t.setting for t in past} == {"inpatient", "emergency"}
        fus = list(s.exec(select(FollowUp).where(FollowUp.transition_id.in_([t.id for t in past]))))
        assert fus and all(f.status in ("done", "cancelled") for f in fus)
        unable = [f for f in fus if f.unable_reason]
        assert unable
        for f in unable:
            tries = list(s.exec(select(Contact).where(Contact.followup_id == f.id)))
            assert len(tries) == 3 and all(c.outcome != "reached" for c in tries)
        assert any(f.completed_contact_id for f in fus if f.kind == "transition_visit")
    # Every measure of the report on October: some figure met somewhere, some not.
    from caseload.services.reports import Period, build

    raw = engine.raw_connection()
    try:
        rep = build(raw.driver_connection, Period.month(2026, 10), today=DAY)
    finally:
        raw.close()
    for m in rep.measures:
        shares = [(f.numerator, f.denominator) for f in m.figures if f.denominator]
        assert any(n > 0 for n, _ in shares), m.key
        assert any(n < d for n, d in shares), m.key


def test_discharge_followups_follow_the_real_transition_rule(made, read):
    """The demo's post-discharge follow-ups are the ones `schedule.transition_followups`
    plans (kind, title, due date, priority), weekends skipped by the real business-day rule.
    """
    from sqlmodel import select

    from caseload.models import FollowUp, Patient, Transition
    from caseload.services.schedule import transition_followups

    crossed_a_weekend = False
    with read() as s:
        for t in s.exec(select(Transition)):
            risk = s.get(Patient, t.patient_id).risk
            made_by_demo = sorted(
                (f.kind, f.title, f.due_on, f.priority)
                for f in s.exec(select(FollowUp).where(FollowUp.transition_id == t.id))
            )
            planned = transition_followups(t.discharged_on, risk, t.setting)
            assert made_by_demo == sorted((p.kind, p.title, p.due_on, p.priority) for p in planned)
            call = next(p.due_on for p in planned if p.kind == "transition_call")
            crossed_a_weekend |= call != t.discharged_on + timedelta(days=2)
    assert crossed_a_weekend  # DAY is a Monday: some discharges fall before a weekend


def test_a_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    from caseload.demo import generator as demo

    def broken(raw, rows):
        raise OSError("disk full")

    monkeypatch.setattr(demo, "_write", broken)
    db = tmp_path / "d" / "demo.db"
    with pytest.raises(OSError, match="disk full"):
        run("--db", str(db), "demo", "--patients", "5", "--no-open")
    assert list(db.parent.iterdir()) == []
