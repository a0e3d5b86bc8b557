"""The report's measures on small stores built through the services: exact numerators and
denominators, and each edge the issue names (docs/reports.md has the definitions)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from caseload.services.reports import Period, build, parse_month

JAN = Period.month(2026, 1)
MARCH_1 = date(2026, 3, 1)
# Monday 19 January 2026 (a holiday): a Friday-16 discharge's 2nd business day is Wednesday 21.
HOLIDAYS = frozenset({date(2026, 1, 19)})


@pytest.fixture(autouse=True)
def new_york(local_zone):
    """Local time five hours behind UTC in January: 23:59 local is the next day in UTC."""
    local_zone("America/New_York")


@pytest.fixture
def conn(cli):
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    c = connect(cli.db, read_key_file(cli.key))
    yield c
    c.close()


def local(text: str) -> datetime:
    return datetime.fromisoformat(text)  # naive: local time, as on the command line


def patient(s, ext, risk="medium", programs=""):
    from caseload.services import patients

    patients.add(
        s, external_id=ext, given_name="Test", family_name=ext, risk=risk, programs=programs
    )


def contact(
    s, ext, at, method="phone", outcome="reached", party="patient", minutes=None, followup_id=None
):
    from caseload.services import contacts

    return contacts.log(
        s,
        ext,
        method=method,
        outcome=outcome,
        party=party,
        at=local(at),
        duration_min=minutes,
        followup_id=followup_id,
    )


def discharge(s, ext, on, setting="inpatient"):
    from caseload.services import transitions

    return transitions.record(
        s, ext, discharged_on=date.fromisoformat(on), setting=setting, holidays=HOLIDAYS
    )


def nd(report, measure, figure):
    f = report.measure(measure).figure(figure)
    return f.numerator, f.denominator


@pytest.fixture
def discharges(write):
    """Four discharges in January 2026, recorded (late) today, with known contacts."""
    with write() as s:
        patient(s, "P1", risk="high", programs="bh")
        patient(s, "P2")
        patient(s, "P3", programs="bh;diabetes")
        patient(s, "P4", risk="low")
        # P1: Friday before a holiday; reached at 23:59 local on business day 2, visit next day.
        discharge(s, "P1", "2026-01-16")
        contact(s, "P1", "2026-01-21T23:59")
        contact(s, "P1", "2026-01-22T10:00", method="home_visit")
        # P2: a text left_message and a no-answer (two attempts, no reach), reached on day 3.
        discharge(s, "P2", "2026-01-05")
        contact(s, "P2", "2026-01-05T16:00", method="text", outcome="left_message")
        contact(s, "P2", "2026-01-06T09:00", outcome="no_answer")
        contact(s, "P2", "2026-01-08T09:00")
        # P3: an ED visit; the caregiver is reached the next day.
        discharge(s, "P3", "2026-01-13", setting="emergency")
        contact(s, "P3", "2026-01-14T11:00", party="caregiver")
        # P4: only a provider was reached, and one no-answer to the patient.
        discharge(s, "P4", "2026-01-21")
        contact(s, "P4", "2026-01-22T09:00", party="provider")
        contact(s, "P4", "2026-01-22T10:00", outcome="no_answer")


def test_transitional_care(discharges, conn):
    r = build(conn, JAN, today=MARCH_1, holidays=HOLIDAYS, detail=True)
    assert nd(r, "tcm", "contact_2bd") == (2, 4)  # P1 (23:59 on day 2), P3 (caregiver)
    assert nd(r, "tcm", "attempts_2bd") == (1, 2)  # P2: left_message + no_answer; P4: one
    assert nd(r, "tcm", "requirement_2bd") == (3, 4)
    assert nd(r, "tcm", "visit") == (1, 3)  # inpatient only: P1 within 7 days (high risk)
    median = r.measure("tcm").figure("median_bd_first_contact")
    assert (median.value, median.denominator) == (2.0, 3)  # P1 2, P2 3, P3 1
    met = {d["patient_external_id"]: d for d in r.measure("tcm").figure("contact_2bd").detail}
    assert met["P1"]["result"] == "met"
    assert met["P4"]["result"] == "not met"
    # Recorded today, long after the window: still judged by its discharge date, and said.
    assert "recorded" in met["P4"]["why"] and "days after discharge" in met["P4"]["why"]


def test_holiday_moves_the_window(discharges, conn):
    """Without the Monday holiday, P1's window ends Tuesday 20: the Wednesday call is late."""
    r = build(conn, JAN, today=MARCH_1)
    assert nd(r, "tcm", "contact_2bd") == (1, 4)


def test_contact_at_2359_counts_by_local_day(discharges, conn):
    # 23:59 local on the 21st is 04:59 UTC on the 22nd: a UTC day would miss the window.
    row = conn.execute("SELECT at FROM contact WHERE at LIKE '2026-01-22 04:59%'").fetchone()
    assert row is not None
    r = build(conn, JAN, today=MARCH_1, holidays=HOLIDAYS, detail=True)
    p1 = [
        d for d in r.measure("tcm").figure("contact_2bd").detail if d["patient_external_id"] == "P1"
    ]
    assert "2026-01-21" in p1[0]["why"]


def test_pending_window_is_left_out(discharges, conn):
    """As of 22 January, P4's window (to Friday 23) is open and nothing reached: pending."""
    r = build(conn, JAN, today=date(2026, 1, 22), holidays=HOLIDAYS)
    assert nd(r, "tcm", "contact_2bd") == (2, 3)
    assert any("pending" in n for n in r.measure("tcm").notes)


def test_follow_up_after_hospitalisation_and_ed(discharges, conn):
    r = build(conn, JAN, today=MARCH_1, holidays=HOLIDAYS)
    assert nd(r, "fuh", "hosp_7") == (2, 3)  # P1, P2 reached; P4 never
    assert nd(r, "fuh", "hosp_30") == (2, 3)
    assert nd(r, "fuh", "ed_7") == (1, 1)  # P3's caregiver
    assert nd(r, "fuh", "fuh_7") == (1, 1)  # bh: P1 only
    assert nd(r, "fuh", "fum_30") == (1, 1)  # bh: P3
    only_bh = build(conn, JAN, today=MARCH_1, holidays=HOLIDAYS, program="bh")
    assert nd(only_bh, "tcm", "contact_2bd") == (2, 2)


def test_minutes_cross_20_at_the_month_boundary(write, conn):
    with write() as s:
        patient(s, "P1")
        patient(s, "P2")
        patient(s, "P4", programs="chw")
        contact(s, "P1", "2026-01-21T09:00", minutes=12)
        contact(s, "P1", "2026-01-22T09:00", outcome="no_answer", minutes=10)  # attempts count
        # 15 minutes on 31 January (local; 1 February in UTC) and 10 on 1 February: neither
        # month reaches 20.
        contact(s, "P2", "2026-01-31T23:30", minutes=15)
        contact(s, "P2", "2026-02-01T00:10", minutes=10)
        contact(s, "P4", "2026-01-10T09:00", party="provider", minutes=40)
        contact(s, "P4", "2026-01-11T09:00", outcome="no_answer", minutes=25)
    r = build(conn, JAN, today=MARCH_1)
    m = r.measure("minutes")
    assert m.figure("patient_months").value == 3
    assert nd(r, "minutes", "ccm_20") == (2, 3)  # P1 22, P4 65; P2 15
    assert nd(r, "minutes", "ccm_40") == (1, 3)
    assert nd(r, "minutes", "ccm_60") == (1, 3)
    assert nd(r, "minutes", "chw_60") == (1, 3)
    assert nd(r, "minutes", "chw_90") == (0, 3)
    chw = build(conn, JAN, today=MARCH_1, program="chw")  # a CHW program's own report
    assert nd(chw, "minutes", "chw_60") == (1, 1)
    feb = build(conn, parse_month("2026-02"), today=MARCH_1)
    assert feb.measure("minutes").figure("patient_months").value == 1
    assert nd(feb, "minutes", "ccm_20") == (0, 1)


def test_near_threshold_this_month(write, conn):
    with write() as s:
        patient(s, "P1")
        contact(s, "P1", "2026-01-05T09:00", minutes=16)
    r = build(conn, JAN, today=date(2026, 1, 20), detail=True)
    near = r.measure("minutes").figure("near_threshold")
    assert (near.numerator, near.denominator) == (1, 1)
    assert near.detail[0]["why"] == "16 of 20 minutes"
    later = build(conn, JAN, today=MARCH_1)  # a past month has no days left: no warning
    assert all(f.key != "near_threshold" for f in later.measure("minutes").figures)


def test_coverage(discharges, write, conn):
    with write() as s:
        patient(s, "P5")  # never contacted
        patient(s, "P6")  # reached in December only
        contact(s, "P2", "2026-01-31T23:30")
        contact(s, "P6", "2025-12-15T12:00")
    r = build(conn, JAN, today=MARCH_1, detail=True)
    assert nd(r, "coverage", "reached") == (3, 6)  # P1, P2, P3 (caregiver); not P4 (provider)
    assert nd(r, "coverage", "not_reached_30") == (3, 6)  # P4 and P5 never, P6 47 days
    stale = {
        d["patient_external_id"]: d["result"]
        for d in r.measure("coverage").figure("not_reached_30").detail
    }
    assert stale == {"P4": "never", "P5": "never", "P6": "47 days"}
    median = r.measure("coverage").figure("median_days_since_reached")
    # At 31 January: P2 0, P1 9, P3 17, P6 47, P4 and P5 never (longest): (17 + 47) / 2.
    assert median.value == 32
    per = r.measure("coverage").figure("attempts_per_reach")
    # left_message and no_answer are attempts, not reaches; provider contacts are neither.
    assert (per.numerator, per.denominator, per.value) == (8, 5, 1.6)


def test_timeliness(write, conn):
    from caseload.services import attempts, followups

    with write() as s:
        patient(s, "P1")
        ids = [
            followups.add(s, "P1", title=t, kind=k, due_on=date.fromisoformat(d))["id"]
            for t, k, d in (
                ("a", "call", "2026-01-10"),
                ("b", "call", "2026-01-10"),
                ("c", "visit", "2026-01-15"),
                ("d", "call", "2026-01-20"),
                ("e", "call", "2026-01-25"),
                ("f", "call", "2026-01-05"),
            )
        ]
        followups.complete(s, ids[0], at=local("2026-01-12T10:00"))  # within 3 days: on time
        followups.complete(s, ids[1], at=local("2026-01-20T10:00"))  # 10 days late
        for day in ("21", "22", "23"):
            contact(s, "P1", f"2026-01-{day}T10:00", outcome="no_answer", followup_id=ids[3])
        attempts.close_unable(s, ids[3], "Phone not working")
        followups.cancel(s, ids[5])
    r = build(conn, JAN, today=MARCH_1, detail=True)
    got = {f.key: f.numerator for f in r.measure("timeliness").figures if f.numerator is not None}
    assert got == {"on_time": 1, "late": 1, "unable": 1, "missed": 2, "overdue": 0, "pending": 0}
    assert r.measure("timeliness").figure("late").denominator == 5  # cancelled left out
    assert r.measure("timeliness").figure("median_days_late").value == 10
    assert r.measure("timeliness").extra["by_kind"]["visit"]["missed"] == 1
    early = build(conn, JAN, today=date(2026, 1, 16))
    got = {f.key: f.numerator for f in early.measure("timeliness").figures}
    assert (got["overdue"], got["pending"]) == (1, 1)  # visit c overdue; call e not yet due


def test_careplans(write, conn):
    from caseload.services import careplans

    with write() as s:
        for ext in ("P1", "P2", "P3"):
            patient(s, ext)
        prob = careplans.add_problem(s, "P1", "Diabetes control")
        goal = careplans.add_goal(s, prob["id"], "A1c under 8")
        careplans.set_goal_status(s, goal["id"], "achieved")
        careplans.set_review(s, "P1", date(2026, 1, 31))
        careplans.add_problem(s, "P2", "Housing")
    today = date.today()
    this_month = Period.month(today.year, today.month)
    r = build(conn, this_month, today=date(today.year + 1, 1, 1))
    assert nd(r, "careplans", "current_plan") == (2, 3)
    assert nd(r, "careplans", "review_overdue") == (1, 2)
    assert r.measure("careplans").figure("goals_achieved").numerator == 1
    assert (
        build(conn, JAN, today=MARCH_1).measure("careplans").figure("goals_achieved").numerator == 0
    )


def test_referrals(write, conn):
    from caseload.services import referrals

    with write() as s:
        patient(s, "P1")
        a = referrals.create(s, "P1", to_name="Clinic", reason="x", sent_on=date(2026, 1, 5))
        b = referrals.create(s, "P1", to_name="Food bank", reason="y", sent_on=date(2026, 1, 10))
        referrals.create(s, "P1", to_name="Housing", reason="z", sent_on=date(2025, 12, 1))
        referrals.advance(s, a["id"], "accepted", on=date(2026, 1, 7))
        referrals.advance(s, a["id"], "completed", on=date(2026, 1, 25))
        referrals.advance(s, a["id"], "closed", on=date(2026, 2, 2))
        referrals.advance(s, b["id"], "accepted", on=date(2026, 1, 12))
    r = build(conn, JAN, today=MARCH_1, detail=True)
    steps = {f.key: f.numerator for f in r.measure("referrals").figures[:4]}
    assert steps == {"sent": 2, "accepted": 2, "completed": 1, "closed": 0}
    assert nd(r, "referrals", "loop_closure") == (1, 2)
    assert r.measure("referrals").figure("median_days_to_complete").value == 20
    # b (accepted, answer expected 24 January) and the December one are open and overdue.
    assert nd(r, "referrals", "overdue") == (2, 2)


def test_parse_month():
    assert parse_month("2026-02") == Period(date(2026, 2, 1), date(2026, 2, 28))
    for bad in ("2026-13", "26-01", "2026/01", "", "2026-1"):
        with pytest.raises(ValueError, match="is not a month: use YYYY-MM"):
            parse_month(bad)


def test_the_threaded_followup_pass_gives_the_same_report(discharges, cli, conn):
    from caseload.store.connect import connect
    from caseload.store.keys import read_key_file

    again = lambda: connect(cli.db, read_key_file(cli.key))  # noqa: E731
    for program in (None, "bh"):
        one = build(conn, JAN, today=MARCH_1, program=program, detail=True)
        two = build(conn, JAN, today=MARCH_1, program=program, detail=True, reconnect=again)
        assert one.as_dict() == two.as_dict()
        assert two.measure("timeliness").figure("missed").numerator > 0
