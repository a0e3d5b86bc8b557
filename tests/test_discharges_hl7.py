"""`caseload import discharges` with HL7 v2 ADT: A01 admit, A03 discharge, A08 update, quirks."""

from __future__ import annotations

import json
from datetime import date, timedelta

from caseload.services import schedule

DAY = date.today() - timedelta(days=3)
TS = DAY.strftime("%Y%m%d") + "1430"


def msg(trigger, *, pv1_45=TS, evn2=TS, pid3="X-9^^^H^PI~MRN-1^^^H^MR", klass="I", visit="V100",
        extra="", pv1_44=""):  # fmt: skip
    pv1 = ["PV1", "1", klass, "4W^401^A^St Mary\\T\\Co"] + [""] * 15 + [visit]
    pv1 += [""] * 16 + ["01"] + [""] * 7 + [pv1_44, pv1_45]
    segs = [
        f"MSH|^~\\&|ADT|SMH|CASELOAD|CHW|{TS}||ADT^{trigger}^ADT_{trigger}|M{trigger}|P|2.5",
        f"EVN|{trigger}|{evn2}",
        f"PID|1||{pid3}||Doe^Jane||19500101|F|||1 Main St^^Town^ST^12345||555-0100|||",
        "|".join(pv1),
        "DG1|1||I50.9^Heart failure^I10|Heart failure",
        "ZPV|custom|segment",
    ]
    return "\r".join(segs) + extra


def patient(cli, ext="MRN-1", risk="high"):
    cli.ok("patients", "add", "--external-id", ext, "--given-name", "Test", "--family-name",
           "Person", "--risk", risk)  # fmt: skip


def listing(cli):
    return json.loads(cli.ok("patients", "transitions", "--format", "json").stdout)


def followups(cli):
    rows = json.loads(cli.ok("followups", "list", "--format", "json").stdout)
    return sorted((f["kind"], f["due_on"]) for f in rows)


def test_a03_creates_transition_and_followups_then_rerun_changes_nothing(cli, tmp_path):
    patient(cli)
    f = tmp_path / "adt.hl7"
    f.write_text("\x0b" + msg("A03") + "\x1c\r")
    r = cli.ok("import", "discharges", str(f))
    assert r.stderr.strip().splitlines()[-1] == (
        "imported discharges (hl7): created 1, updated 0, unchanged 0, skipped 0, failed 0"
    )
    [t] = listing(cli)
    assert (t["patient_external_id"], t["discharged_on"], t["facility"]) == (
        "MRN-1",
        DAY.isoformat(),
        "St Mary&Co",
    )
    assert (t["reason"], t["setting"], t["disposition"], t["source"]) == (
        "Heart failure",
        "inpatient",
        "01",
        "hl7",
    )
    call, visit = schedule.transition_due_dates(DAY, "high")
    assert followups(cli) == [("transition_call", call.isoformat()),
                              ("transition_visit", visit.isoformat())]  # fmt: skip
    r = cli.ok("import", "discharges", str(f))
    assert "created 0, updated 0, unchanged 1" in r.stderr
    assert len(listing(cli)) == 1 and len(followups(cli)) == 2


def test_a01_then_a03_completes_admission_and_a08_updates(cli, tmp_path):
    patient(cli)
    a01 = tmp_path / "a01.hl7"
    a01.write_text(msg("A01", pv1_45="").replace("\r", "\n"))
    assert "created 1" in cli.ok("import", "discharges", str(a01)).stderr
    assert listing(cli) == [] and followups(cli) == []  # admitted, not yet discharged
    a03 = tmp_path / "a03.hl7"
    a03.write_text(msg("A03").replace("\r", "\r\n"))
    assert "created 0, updated 1" in cli.ok("import", "discharges", str(a03)).stderr
    [t] = listing(cli)
    assert t["discharged_on"] == DAY.isoformat()
    assert len(followups(cli)) == 2
    later = DAY + timedelta(days=1)
    a08 = tmp_path / "a08.hl7"
    a08.write_text(msg("A08", pv1_45=later.strftime("%Y%m%d") + "0900"))
    assert "created 0, updated 1" in cli.ok("import", "discharges", str(a08)).stderr
    [t] = listing(cli)
    call, visit = schedule.transition_due_dates(later, "high")
    assert t["discharged_on"] == later.isoformat()
    assert followups(cli) == [("transition_call", call.isoformat()),
                              ("transition_visit", visit.isoformat())]  # fmt: skip


def test_empty_pv1_45_uses_evn2_and_emergency_gets_a_7_day_call(cli, tmp_path):
    patient(cli, risk="low")
    f = tmp_path / "ed.hl7"
    f.write_text(msg("A03", pv1_45="", klass="E"))
    cli.ok("import", "discharges", str(f))
    [t] = listing(cli)
    assert (t["setting"], t["discharged_on"]) == ("emergency", DAY.isoformat())
    call = schedule.add_business_days(DAY, 2)
    assert followups(cli) == sorted([("transition_call", call.isoformat()),
                                     ("call", (DAY + timedelta(days=7)).isoformat())])  # fmt: skip


def test_outpatient_is_skipped_with_a_note(cli, tmp_path):
    patient(cli)
    f = tmp_path / "o.hl7"
    f.write_text(msg("A03", klass="O"))
    r = cli.ok("import", "discharges", str(f))
    assert "note: message 1: an outpatient visit (PV1-2 O) is not a transition" in r.stderr
    assert "skipped 1" in r.stderr and listing(cli) == []


def test_bad_date_in_second_message_writes_nothing(cli, tmp_path):
    patient(cli)
    f = tmp_path / "two.hl7"
    f.write_text(msg("A03") + "\r" + msg("A03", visit="V2", pv1_45="2025x"))
    r = cli("import", "discharges", str(f))
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert lines[0] == "message 2, PV1-45: not a date"
    assert lines[-2] == ("nothing written (all or nothing): created 1, updated 0, unchanged 0, "
                         "skipped 0, failed 1")  # fmt: skip
    assert "Traceback" not in r.stderr and listing(cli) == []
    rejects = tmp_path / "rej.csv"
    r = cli.ok("import", "discharges", str(f), "--skip-invalid", "--rejects", str(rejects))
    assert len(listing(cli)) == 1
    text = rejects.read_bytes().decode()
    assert text.startswith("where,reason,record\r\nmessage 2,PV1-45: not a date,")


def test_unknown_patient_is_an_error_unless_add_unknown(cli, tmp_path):
    f = tmp_path / "a.hl7"
    f.write_text(msg("A03", pid3="NEW-7"))
    r = cli("import", "discharges", str(f))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == (
        "message 1, PID-3: patient not in the caseload (--add-unknown creates it)"
    )
    r = cli.ok("import", "discharges", str(f), "--add-unknown")
    assert "patients added 1" in r.stderr
    p = json.loads(cli.ok("patients", "show", "NEW-7", "--format", "json").stdout)
    assert (p["given_name"], p["family_name"], p["birth_date"], p["phone"]) == (
        "Jane",
        "Doe",
        "1950-01-01",
        "555-0100",
    )
    assert (p["sex"], p["address"]) == ("female", "1 Main St, Town, ST, 12345")
    g = tmp_path / "b.hl7"  # PID-15, the primary language (CE: code^text^system)
    g.write_text(
        msg("A03", pid3="NEW-8", visit="V8").replace("555-0100|||", "555-0100||ES^Spanish|")
    )
    cli.ok("import", "discharges", str(g), "--add-unknown")
    assert (
        json.loads(cli.ok("patients", "show", "NEW-8", "--format", "json").stdout)["language"]
        == "es"
    )


def test_old_and_malformed_messages(cli, tmp_path):
    patient(cli)
    old = (date.today() - timedelta(days=40)).strftime("%Y%m%d")
    f = tmp_path / "old.hl7"
    f.write_text(msg("A03", pv1_45=old) + "\rMSH|garbage\rPV1|1|Q")
    r = cli("import", "discharges", str(f), "--dry-run")
    lines = r.stderr.splitlines()
    assert lines[0] == ("message 1, PV1-45: the discharge date is more than 30 days ago "
                        "(--allow-old imports it)")  # fmt: skip
    assert lines[1] == "message 2, MSH-9: no message type"
    assert "Traceback" not in r.stderr and r.exit_code == 1
    g = tmp_path / "ok.hl7"
    g.write_text(msg("A03", pv1_45=old))
    cli.ok("import", "discharges", str(g), "--allow-old")
    assert len(listing(cli)) == 1


def kinds(cli):
    rows = json.loads(cli.ok("followups", "list", "--status", "all", "--format", "json").stdout)
    return sorted((f["kind"], f["due_on"], f["status"]) for f in rows)


def test_a04_without_visit_number_then_a03_without_admit_time_is_one_visit(cli, tmp_path):
    patient(cli)
    admit = (DAY - timedelta(days=2)).strftime("%Y%m%d") + "0800"
    f1, f2 = tmp_path / "a04.hl7", tmp_path / "a03.hl7"
    # The A04 says when they came in (PV1-44); the A03 only when they left.
    f1.write_text(msg("A04", pv1_45="", visit="", pv1_44=admit))
    f2.write_text(msg("A03", visit="", evn2=""))
    assert "created 1" in cli.ok("import", "discharges", str(f1)).stderr
    assert listing(cli) == []  # admitted, not yet discharged: no follow-ups
    assert "created 0, updated 1" in cli.ok("import", "discharges", str(f2)).stderr
    [t] = listing(cli)
    assert t["discharged_on"] == DAY.isoformat() and len(followups(cli)) == 2
    for f in (f1, f2):  # each file again: the same visit, nothing changes
        assert "created 0, updated 0, unchanged 1" in cli.ok("import", "discharges", str(f)).stderr
    assert len(listing(cli)) == 1 and len(followups(cli)) == 2


def test_msh4_facility_pv2_reason_and_no_visit_number_key(cli, tmp_path):
    patient(cli)
    text = msg("A03", visit="").replace("4W^401^A^St Mary\\T\\Co", "4W^401^A")
    text = text.replace("DG1|1||I50.9^Heart failure^I10|Heart failure", "PV2|||R07^Chest pain")
    f = tmp_path / "a.hl7"
    f.write_text(text)
    cli.ok("import", "discharges", str(f))
    [t] = listing(cli)
    assert (t["facility"], t["reason"]) == ("SMH", "Chest pain")  # MSH-4; PV2-3.2
    assert "unchanged 1" in cli.ok("import", "discharges", str(f)).stderr  # patient+MSH-4+time


def test_a08_to_emergency_replans_followups_and_a08_without_time_updates_words(cli, tmp_path):
    patient(cli)
    f = tmp_path / "a03.hl7"
    f.write_text(msg("A03"))
    cli.ok("import", "discharges", str(f))
    g = tmp_path / "a08.hl7"
    g.write_text(msg("A08", klass="E"))
    assert "updated 1" in cli.ok("import", "discharges", str(g)).stderr
    call = schedule.add_business_days(DAY, 2).isoformat()
    _, visit = schedule.transition_due_dates(DAY, "high")
    assert kinds(cli) == [
        ("call", (DAY + timedelta(days=7)).isoformat(), "open"),
        ("transition_call", call, "open"),
        ("transition_visit", visit.isoformat(), "cancelled"),
    ]
    assert "unchanged 1" in cli.ok("import", "discharges", str(g)).stderr
    h = tmp_path / "a08b.hl7"
    h.write_text(msg("A08", klass="E", pv1_45="").replace("|Heart failure", "|CHF exacerbation"))
    assert "updated 1" in cli.ok("import", "discharges", str(h)).stderr
    [t] = listing(cli)
    assert (t["reason"], t["discharged_on"], t["setting"]) == (
        "CHF exacerbation",
        DAY.isoformat(),
        "emergency",
    )
    assert len(kinds(cli)) == 3


def test_future_and_configured_age_dry_run_grouped_errors_and_audit(cli, tmp_path):
    patient(cli)
    cfg = tmp_path / "config.toml"
    cfg.write_text("[caseload]\ndischarge_max_age_days = 2\n")
    env = {"CASELOAD_CONFIG": str(cfg)}
    future = (date.today() + timedelta(days=2)).strftime("%Y%m%d")
    f = tmp_path / "three.hl7"
    f.write_text("\r".join([msg("A03"), msg("A03", visit="V2", pv1_45=future),
                            msg("A03", visit="V3", pv1_45="2025x")]))  # fmt: skip
    r = cli("import", "discharges", str(f), env=env)
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "message 1, PV1-45: the discharge date is more than 2 days ago (--allow-old imports it)",
        "message 2, PV1-45: the discharge date is in the future",
        "message 3, PV1-45: not a date",
        "errors by reason:",
        "  PV1-45: the discharge date is more than 2 days ago (--allow-old imports it) (1)",
        "  PV1-45: the discharge date is in the future (1)",
        "  PV1-45: not a date (1)",
        "nothing written (all or nothing): created 0, updated 0, unchanged 0, skipped 0, failed 3",
        "  fix those, or import the valid ones with --skip-invalid --rejects FILE",
    ]
    g = tmp_path / "one.hl7"
    g.write_text(msg("A03"))
    r = cli.ok("import", "discharges", str(g), "--dry-run", "--allow-old", env=env)
    assert r.stderr.splitlines()[-1] == (
        "dry run (nothing written): created 1, updated 0, unchanged 0, skipped 0, failed 0"
    )
    assert listing(cli) == [] and followups(cli) == []
    r = cli("import", "discharges", str(f), "--allow-old", env=env)  # the future stays refused
    assert "message 2, PV1-45: the discharge date is in the future" in r.stderr.splitlines()
    cli.ok("import", "discharges", str(g), env={**env, "CASELOAD_CONFIG": "/nonexistent"})
    events = json.loads(cli.ok("audit", "list", "--format", "json").stdout)
    imports = [e for e in events if e["action"] == "import.discharges"]
    assert len(imports) == 1 and "created" in str(imports[0])


def test_offset_times_are_taken_to_local_time(cli, tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        patient(cli)
        late = DAY.strftime("%Y%m%d") + "2330-0500"  # 04:30 UTC the next day
        f = tmp_path / "tz.hl7"
        f.write_text(msg("A03", pv1_45=late))
        cli.ok("import", "discharges", str(f))
        assert listing(cli)[0]["discharged_on"] == (DAY + timedelta(days=1)).isoformat()
    finally:
        monkeypatch.undo()
        time.tzset()


def test_feed_followups_are_exactly_patients_transitions(cli, tmp_path, read):
    """One rule: a feed's discharge and `patients transition` make the same follow-ups."""
    from caseload.services import followups as fu

    for setting, klass in (("inpatient", "I"), ("emergency", "E")):
        feed_id, hand_id = f"F-{klass}", f"H-{klass}"
        patient(cli, feed_id, risk="medium")
        patient(cli, hand_id, risk="medium")
        f = tmp_path / f"{klass}.hl7"
        f.write_text(msg("A03", pid3=feed_id, klass=klass, visit=f"V-{klass}"))
        cli.ok("import", "discharges", str(f))
        cli.ok("patients", "transition", hand_id, "--discharged-on", DAY.isoformat(),
               "--setting", setting)  # fmt: skip
        with read() as s:
            made = {
                ext: sorted((f["kind"], f["title"], f["due_on"], f["priority"])
                            for f in fu.list_followups(s, ext))
                for ext in (feed_id, hand_id)
            }  # fmt: skip
        assert made[feed_id] == made[hand_id] and len(made[feed_id]) == 2


def test_progress_reports_reading_then_importing(cli, tmp_path):
    from caseload.io.discharges import run
    from caseload.store.engine import open_store, session
    from caseload.store.keys import read_key_file

    patient(cli)
    f = tmp_path / "many.hl7"
    f.write_text("\n".join(msg("A03", visit=f"V{n}") for n in range(501)))
    seen: list[tuple] = []
    engine = open_store(cli.db, read_key_file(cli.key))
    try:
        report = run.run(lambda: session(engine, write=True), f, run.Options(),
                         lambda stage, done, total: seen.append((stage, done, total)))  # fmt: skip
    finally:
        engine.dispose()
    assert report.created == 501
    assert [x for x in seen if x[0] == "reading"] == [("reading", 500, 501), ("reading", 501, 501)]
    assert seen[-1] == ("importing", 501, 501)
