"""`caseload remind`: selection rules, outbox and calendar output, templates, quiet hours, dry run."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date, timedelta

import pytest

TODAY = date(2026, 11, 23)  # a Monday
NOON = "2026-11-23T12:00"
COORDINATOR = '[caseload]\ncoordinator_name = "Dana"\ncoordinator_phone = "555-0199"\n'
CLINICAL = ("Insulin", "insulin", "diabetes", "Diabetes", "CHF", "Housing", "depression")

# external id, values, follow-ups as (title, kind, days from TODAY)
PEOPLE = [
    (
        "P-ANA",
        dict(
            given_name="Ana",
            family_name="Lopez",
            phone="+1 555 0101",
            email="ana@example.org",
            may_text=True,
            may_email=True,
            language="en",
            programs="diabetes",
            conditions="type 2 diabetes",
        ),
        [("Insulin pen check", "call", 0), ("Diabetes visit", "visit", 1), ("Old", "call", -8)],
    ),
    (
        "P-LUZ",
        dict(
            given_name="María Luz",
            family_name="Ortega",
            preferred_name="Lucha",
            phone="555-0102",
            email="luz@example.org",
            may_text=True,
            may_email=True,
            language="es",
        ),
        [("CHF weight check", "call", -7)],
    ),
    (
        "P-FR",
        dict(
            given_name="Jean",
            family_name="Martin",
            phone="555-0103",
            email="jean@example.org",
            may_text=True,
            may_email=True,
            language="fr",
        ),
        [("Housing application", "appointment", 1)],
    ),
    (
        "P-NOC",
        dict(given_name="Noc", family_name="Onsent", phone="555-0104", email="noc@example.org"),
        [("depression screen", "screening", 0)],
    ),
    (
        "P-NOPH",
        dict(given_name="Nophone", family_name="X", may_text=True, may_email=True),
        [("Call", "call", 0)],
    ),
    (
        "P-HOLD",
        dict(
            given_name="Hold",
            family_name="Y",
            phone="555-0106",
            email="hold@example.org",
            may_text=True,
            may_email=True,
        ),
        [("Call", "call", 0)],
    ),
    (
        "P-GONE",
        dict(
            given_name="Gone",
            family_name="Z",
            phone="555-0107",
            email="gone@example.org",
            may_text=True,
            may_email=True,
        ),
        [("Call", "call", 0)],
    ),
    (
        "P-LATE",
        dict(
            given_name="Late",
            family_name="W",
            phone="555-0108",
            email="late@example.org",
            may_text=True,
            may_email=True,
        ),
        [("Call", "call", 2)],
    ),
]

ANA_TEXT = (
    "Hello Ana, this is a reminder of a call with your care coordinator on Monday "
    "23 November 2026. If you have questions or need to change it, please call Dana at 555-0199."
    "\n\n"
    "Hello Ana, this is a reminder of a visit with your care coordinator on Tuesday "
    "24 November 2026. If you have questions or need to change it, please call Dana at 555-0199."
)
LUZ_TEXT = (
    "Hola Lucha, le recordamos una llamada con su coordinador de cuidados el lunes "
    "16 de noviembre de 2026. Si tiene preguntas o necesita cambiar la fecha, llame a Dana "
    "al 555-0199."
)
JEAN_TEXT = (
    "Hello Jean, this is a reminder of an appointment with your care coordinator on Tuesday "
    "24 November 2026. If you have questions or need to change it, please call Dana at 555-0199."
)


def configure(home, extra: str = "") -> None:
    (home / "no-config.toml").write_text(COORDINATOR + extra, encoding="utf-8")


@pytest.fixture
def remind(cli, isolated):
    """The CLI with `remind` registered (main.py registers it once the lead wires it in)."""
    from caseload.cli import remind as remind_cli
    from caseload.cli.main import app

    if not any(c.name == "remind" for c in app.registered_commands):
        remind_cli.register(app)
    configure(isolated)
    return cli


@pytest.fixture
def people(remind, write):
    """The patients above and their follow-ups; returns {(external id, title): follow-up id}."""
    from caseload.services import followups, patients

    ids = {}
    with write() as s:
        for ext, values, plan in PEOPLE:
            patients.add(s, external_id=ext, **values)
            for title, kind, offset in plan:
                f = followups.add(
                    s, ext, title=title, kind=kind, due_on=TODAY + timedelta(days=offset)
                )
                ids[(ext, title)] = f["id"]
        patients.set_status(s, "P-HOLD", "on_hold", on=TODAY)
        patients.discharge(s, "P-GONE", on=TODAY)
    return ids


def run(cli, *args: str):
    return cli("remind", "--date", TODAY.isoformat(), "--now", NOON, *args)


def reminder_rows(read) -> list[dict]:
    from caseload.services import reminders

    with read() as s:
        return reminders.rows_for(s)


def outbox(text: str) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["patient_external_id", "to", "channel", "message"]
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_outbox_file_holds_one_message_per_consenting_active_patient(
    remind, people, tmp_path, read
):
    out = tmp_path / "outbox.csv"
    result = run(remind, "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = outbox(out.read_text(encoding="utf-8"))
    # Most urgent first: Luz's call is 7 days overdue (still reminded; 8 days is not).
    assert rows == [
        {"patient_external_id": "P-LUZ", "to": "555-0102", "channel": "sms", "message": LUZ_TEXT},
        {
            "patient_external_id": "P-ANA",
            "to": "+1 555 0101",
            "channel": "sms",
            "message": ANA_TEXT,
        },
        {"patient_external_id": "P-FR", "to": "555-0103", "channel": "sms", "message": JEAN_TEXT},
    ]
    nophone, noc = people[("P-NOPH", "Call")], people[("P-NOC", "depression screen")]
    assert result.stderr.splitlines() == [
        "remind 2026-11-23 (+1d, outbox): sent 4 in 3 messages, failed 0, deferred 0, "
        "skipped 2, already sent 0, unknown 0",
        f"  outbox {out}: 3 new messages (a new file)",
        f"  skipped P-NOC follow-up {noc}: no consent to text",
        f"  skipped P-NOPH follow-up {nophone}: no phone number",
    ]
    rows = reminder_rows(read)
    assert (
        sorted((r["status"], r["channel"], r["attempts"]) for r in rows)
        == [("sent", "outbox", 1)] * 4 + [("skipped", "outbox", 0)] * 2
    )
    skipped = {r["followup_id"]: r["error"] for r in rows if r["status"] == "skipped"}
    assert skipped == {noc: "no consent to text", nophone: "no phone number"}


def test_outbox_twice_on_the_same_day_sends_nothing_the_second_time(remind, people, read):
    first = run(remind)
    assert len(outbox(first.stdout)) == 3
    second = run(remind)
    assert second.exit_code == 0
    assert outbox(second.stdout) == []
    assert second.stderr.splitlines()[0] == (
        "remind 2026-11-23 (+1d, outbox): sent 0 in 0 messages, failed 0, deferred 0, "
        "skipped 2, already sent 4, unknown 0"
    )
    assert [r["status"] for r in reminder_rows(read)].count("sent") == 4
    # The next day, only what came into range is new; the rest was reminded already.
    third = remind("remind", "--date", "2026-11-24", "--now", "2026-11-24T09:00")
    assert [r["patient_external_id"] for r in outbox(third.stdout)] == ["P-LATE"]


def test_sent_reminders_are_logged_as_contacts_and_audited(remind, people, read):
    from caseload.services import audit

    run(remind)
    contacts = json.loads(remind.ok("contacts", "list", "P-ANA", "--format", "json").stdout)
    assert [(c["method"], c["party"], c["outcome"], c["note"]) for c in contacts] == [
        ("text", "patient", "left_message", "reminder sent")
    ]
    luz = json.loads(remind.ok("contacts", "list", "P-LUZ", "--format", "json").stdout)
    assert luz[0]["followup_id"] == people[("P-LUZ", "CHF weight check")]
    assert json.loads(remind.ok("contacts", "list", "P-NOC", "--format", "json").stdout) == []
    with read() as s:
        events = audit.list_events(s)
        assert audit.verify(s) == []
    runs = [e for e in events if e["action"] == "reminder.run"]
    assert len(runs) == 1
    assert json.loads(runs[0]["detail"]) == {
        "already_sent": 0,
        "channel": "outbox",
        "days_ahead": 1,
        "deferred": 0,
        "failed": 0,
        "held": 0,
        "messages": 3,
        "sent": 4,
        "skipped": 2,
        "unknown": 0,
    }
    assert sum(e["action"] == "contact.log" for e in events) == 3


def test_no_condition_program_or_title_reaches_a_message(remind, people, read):
    result = run(remind, "--days-ahead", "3")
    texts = [r["message"] for r in outbox(result.stdout)]
    texts += [r["message"] or "" for r in reminder_rows(read)]
    assert len(texts) > 4
    for text in texts:
        for word in (*CLINICAL, "Old", "weight", "application", "check"):
            assert word not in text


def test_spanish_for_es_and_english_for_an_unknown_language(remind, people):
    rows = {r["patient_external_id"]: r["message"] for r in outbox(run(remind).stdout)}
    assert rows["P-LUZ"] == LUZ_TEXT
    assert rows["P-FR"] == JEAN_TEXT


def test_a_kind_template_in_the_config_folder_wins(remind, people, isolated):
    folder = isolated / "templates"
    folder.mkdir()
    (folder / "en.visit.txt").write_text("$first_name: visit $weekday. $coordinator_phone\n")
    (folder / "es.txt").write_text("Hola $first_name, $kind_phrase el $date.\n")
    rows = {r["patient_external_id"]: r["message"] for r in outbox(run(remind).stdout)}
    assert rows["P-ANA"] == ANA_TEXT.split("\n\n")[0] + "\n\nAna: visit Tuesday. 555-0199"
    assert rows["P-LUZ"] == "Hola Lucha, una llamada el 16 de noviembre de 2026."


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Hello $first_name about $title\n", "template en.call.txt: unknown placeholder $title"),
        ("Costs $5 for $first_name\n", "template en.call.txt: bad '$' (line 1, col 7)"),
    ],
)
def test_a_broken_template_skips_that_reminder_with_a_reason(
    remind, people, isolated, read, body, reason
):
    folder = isolated / "templates"
    folder.mkdir()
    (folder / "en.call.txt").write_text(body)
    result = run(remind)
    assert result.exit_code == 0
    rows = {r["patient_external_id"]: r["message"] for r in outbox(result.stdout)}
    # Ana's call is skipped; her visit (en.txt) still goes, and nothing half-rendered does.
    assert rows["P-ANA"] == ANA_TEXT.split("\n\n")[1]
    assert "P-LUZ" in rows  # Spanish: es.txt, not the broken English one
    call = people[("P-ANA", "Insulin pen check")]
    assert f"  skipped P-ANA follow-up {call}: {reason}" in result.stderr.splitlines()
    assert "Ana" not in result.stderr
    row = next(r for r in reminder_rows(read) if r["followup_id"] == call)
    assert (row["status"], row["error"], row["message"]) == ("skipped", reason, None)
    # Fixed, the next run sends the skipped reminder.
    (folder / "en.call.txt").unlink()
    again = outbox(run(remind).stdout)
    assert again == [
        {
            "patient_external_id": "P-ANA",
            "to": "+1 555 0101",
            "channel": "sms",
            "message": ANA_TEXT.split("\n\n")[0],
        }
    ]


def test_quiet_hours_defer_and_a_later_run_sends(remind, people, isolated, read):
    configure(isolated, '[reminders]\nquiet_hours = "21:00-08:00"\n')
    late = remind("remind", "--date", "2026-11-23", "--now", "2026-11-23T22:30")
    assert late.exit_code == 0
    assert outbox(late.stdout) == []
    assert "deferred 4, skipped 2" in late.stderr
    assert "  quiet hours: reminders deferred to the next run outside them" in late.stderr
    assert sorted({r["status"] for r in reminder_rows(read)}) == ["deferred", "skipped"]
    early = remind("remind", "--date", "2026-11-23", "--now", "2026-11-24T07:59")
    assert outbox(early.stdout) == []
    morning = remind("remind", "--date", "2026-11-23", "--now", "2026-11-24T08:00")
    assert [r["patient_external_id"] for r in outbox(morning.stdout)] == ["P-LUZ", "P-ANA", "P-FR"]
    sent = [r for r in reminder_rows(read) if r["status"] == "sent"]
    assert len(sent) == 4 and {r["attempts"] for r in sent} == {1}


def test_dry_run_prints_what_would_go_and_records_nothing(remind, people, read, tmp_path):
    from caseload.services import audit

    with read() as s:
        before = len(audit.list_events(s))
    out = tmp_path / "never.csv"
    result = run(remind, "--dry-run", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    ana = [people[("P-ANA", "Insulin pen check")], people[("P-ANA", "Diabetes visit")]]
    assert lines[0] == (
        "Dry run: reminders for 2026-11-23 (+1d) by outbox; nothing is sent or recorded"
    )
    assert f"would send: P-ANA to +1 555 0101 (follow-up {ana[0]}, {ana[1]})" in lines
    assert "    " + LUZ_TEXT in lines
    noc = people[("P-NOC", "depression screen")]
    assert f"would skip: P-NOC (follow-up {noc}): no consent to text" in lines
    assert result.stderr == "dry run: 4 to send, 2 to skip, 0 already sent; nothing recorded\n"
    assert not out.exists()
    assert reminder_rows(read) == []
    with read() as s:
        assert len(audit.list_events(s)) == before
    assert json.loads(remind.ok("contacts", "list", "--format", "json").stdout) == []


def test_ics_is_the_coordinators_calendar_parsed_back(remind, people, tmp_path, read):
    from icalendar import Calendar

    out = tmp_path / "reminders.ics"
    result = run(remind, "--channel", "ics", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    cal = Calendar.from_ical(out.read_bytes())
    todos = [c for c in cal.walk() if c.name == "VTODO"]
    got = sorted((str(t["summary"]), t["due"].dt) for t in todos)
    # No consent needed for the coordinator's own calendar; still only active patients.
    assert got == sorted(
        [
            ("call (P-ANA)", TODAY),
            ("visit (P-ANA)", TODAY + timedelta(days=1)),
            ("call (P-LUZ)", TODAY - timedelta(days=7)),
            ("appointment (P-FR)", TODAY + timedelta(days=1)),
            ("screening (P-NOC)", TODAY),
            ("call (P-NOPH)", TODAY),
        ]
    )
    text = out.read_text()
    for word in CLINICAL:
        assert word not in text
    assert {(r["channel"], r["status"]) for r in reminder_rows(read)} == {("ics", "sent")}
    assert json.loads(remind.ok("contacts", "list", "--format", "json").stdout) == []
    again = run(remind, "--channel", "ics")
    assert [c for c in Calendar.from_ical(again.stdout).walk() if c.name == "VTODO"] == []


def test_limit_sends_at_most_n_messages_and_leaves_the_rest(remind, people):
    first = run(remind, "--limit", "1")
    assert [r["patient_external_id"] for r in outbox(first.stdout)] == ["P-LUZ"]
    assert "  3 more left for a later run (--limit)" in first.stderr
    second = run(remind)
    assert [r["patient_external_id"] for r in outbox(second.stdout)] == ["P-ANA", "P-FR"]


def test_the_unique_key_guards_against_a_second_claim(remind, people, write, read):
    from caseload.services import reminder_text, reminders

    with read() as s:
        plan = reminders.plan(
            s,
            day=TODAY,
            days_ahead=1,
            channel="outbox",
            templates=reminder_text.Templates(None),
            coordinator_name="Dana",
            coordinator_phone="555-0199",
        )
    msg = plan.messages[0]
    with write() as s:
        assert reminders.claim(s, msg) is not None
    with write() as s:  # a second run working from the same stale plan
        assert reminders.claim(s, msg) is None
    with write() as s:
        reminders.finish(s, msg, reminders.SENT)
    with write() as s:
        assert reminders.claim(s, msg) is None
        reminders.record_unsent(s, msg.items, "outbox", reminders.DEFERRED)
    assert [r["status"] for r in reminder_rows(read)] == ["sent"]


def test_shipped_templates_are_package_data_and_render():
    from importlib.resources import files

    from caseload.services import reminder_text

    names = sorted(p.name for p in files("caseload.templates").iterdir() if p.name.endswith(".txt"))
    assert names == ["en.txt", "es.txt"]
    for name in names:
        text = files("caseload.templates").joinpath(name).read_text(encoding="utf-8")
        for placeholder in reminder_text.PLACEHOLDERS:
            assert f"${placeholder}" in text
    r = reminder_text.render(
        reminder_text.Templates(None),
        language="ES-mx",
        kind="med_review",
        first_name="Eva",
        due_on=date(2026, 12, 2),
        coordinator_name="Dana",
        coordinator_phone="1",
    )
    assert (r.template, r.language) == ("es.txt", "es")
    assert "miércoles 2 de diciembre de 2026" in r.text
    assert reminder_text.candidates("../../etc/passwd", "call") == [
        ("en.call.txt", "en"),
        ("en.txt", "en"),
    ]


def test_usage_and_config_errors(remind, people, isolated):
    bad = run(remind, "--channel", "sms")
    assert bad.exit_code == 2
    assert "'sms' is not one of 'outbox', 'email', 'ics'" in bad.stderr
    out = run(remind, "--channel", "email", "--output", "x.csv")
    assert out.exit_code == 2
    assert "--output is for the outbox and ics channels" in out.stderr
    date_ = remind("remind", "--date", "someday")
    assert date_.exit_code == 2 and "'--date'" in date_.stderr
    configure(isolated, '[reminders]\nquiet_hours = "late"\n')
    quiet = run(remind)
    assert quiet.exit_code == 1
    assert quiet.stderr == (
        "caseload: [reminders] quiet_hours must look like \"21:00-08:00\" (got 'late')\n"
    )
    (isolated / "no-config.toml").write_text("")
    nobody = run(remind)
    assert nobody.exit_code == 1
    assert nobody.stderr.splitlines()[0] == (
        "caseload: reminders need coordinator_name and coordinator_phone "
        f"in the [caseload] table of the config file {isolated / 'no-config.toml'}"
    )
    configure(isolated)
    mail = run(remind, "--channel", "email")
    assert mail.exit_code == 1
    assert (
        mail.stderr.splitlines()[0]
        == "caseload: email needs [smtp] host and sender in the config file"
    )
    assert os.environ.get("CASELOAD_TEST_CRASH_AFTER") is None
