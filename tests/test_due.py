"""`caseload due`: every format, the 80-column printout, order, redaction, cron conditions."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
from datetime import date, timedelta

import pytest

TODAY = date(2026, 11, 23)  # a Monday

PATIENTS = [
    # external id, given, family, phone, language, risk
    (
        "HI-1",
        "Maximiliano Alejandro",
        "Hernández-Villaseñor de la Cruz",
        "0161 555 0134",
        "es",
        "high",
    ),
    ("LO-2", "Wei", "王伟强", "555-0102", "zh", "low"),
    ("MD-3", "Fadumo", "Warsame", "555-0103", "so", "medium"),
]


@pytest.fixture
def caseload(cli, write):
    """Three patients with follow-ups overdue, due today, coming up and later."""
    from sqlmodel import select

    from caseload.models import Contact, FollowUp, Patient
    from caseload.services.common import utcnow

    for ext, given, family, phone, lang, risk in PATIENTS:
        cli.add_patient(ext, given, family, "--phone", phone, "--language", lang, "--risk", risk)
    plan = [
        (
            "HI-1",
            "Check blood sugar log and talk through the new insulin pen with her daughter",
            "call",
            -3,
        ),
        ("HI-1", "Home visit", "visit", 2),
        ("LO-2", "Medication review", "med_review", 0),
        ("LO-2", "Old call", "call", -10),
        ("MD-3", "Call about food bank", "call", 0),
        ("MD-3", "Screening", "screening", 40),
        ("MD-3", "Quarterly visit", "visit", 12),
    ]
    with write() as s:
        ids = {p.external_id: p.id for p in s.exec(select(Patient))}
        for ext, title, kind, offset in plan:
            s.add(
                FollowUp(
                    patient_id=ids[ext],
                    title=title,
                    kind=kind,
                    due_on=TODAY + timedelta(days=offset),
                    created_at=utcnow(),
                )
            )
        s.add(
            Contact(
                patient_id=ids["MD-3"],
                at=utcnow() - timedelta(days=2),
                method="phone",
                outcome="reached",
                created_at=utcnow(),
            )
        )
    return cli


def due(cli, *args):
    return cli.ok("due", "--date", TODAY.isoformat(), *args)


def test_json_has_spec_keys_and_order(caseload):
    items = json.loads(due(caseload, "--format", "json").stdout)
    for key in (
        "followup_id",
        "patient_external_id",
        "patient_name",
        "title",
        "kind",
        "due_on",
        "status",
        "days_overdue",
        "phone",
        "language",
        "last_contact_on",
        "priority_score",
    ):
        assert all(key in i for i in items), key
    statuses = [i["status"] for i in items]
    assert statuses == sorted(statuses, key=["overdue", "due", "upcoming"].index)
    for status in ("overdue", "due", "upcoming"):
        scores = [i["priority_score"] for i in items if i["status"] == status]
        assert scores == sorted(scores, reverse=True)
    by_title = {i["title"]: i for i in items}
    assert by_title["Old call"]["days_overdue"] == 10 and by_title["Old call"]["missed"] is True
    assert by_title["Medication review"]["status"] == "due"
    assert (
        by_title["Home visit"]["status"] == "upcoming"
    )  # a visit's window opens 2 days... no: 4 > 2
    assert "Quarterly visit" not in by_title and "Screening" not in by_title
    assert (
        by_title["Call about food bank"]["last_contact_on"]
        == (date.today() - timedelta(days=2)).isoformat()
    )


def test_days_looks_ahead(caseload):
    titles = {
        i["title"] for i in json.loads(due(caseload, "--format", "json", "--days", "14").stdout)
    }
    assert "Quarterly visit" in titles and "Screening" not in titles


def test_text_is_a_printout_within_80_columns(caseload):
    from caseload.io.tables import cells

    out = due(caseload, "--format", "text", "--days", "14").stdout
    lines = out.splitlines()
    assert lines[0].startswith("Due list for Monday 23 November 2026")
    assert "Overdue 2 · Due today 2 · Coming up 2 (next 14 days)" in lines[1]
    assert all(cells(line) <= 80 for line in lines), [line for line in lines if cells(line) > 80]
    headings = [
        line for line in lines if re.match(r"^(Overdue|Due today|Coming up) \(\d+\)$", line)
    ]
    assert headings == ["Overdue (2)", "Due today (2)", "Coming up (2)"]
    assert sum(line.startswith("[ ] ") for line in lines) == 6
    assert "\x1b[" not in out


def test_text_header_names_the_coordinator(caseload, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[caseload]\ncoordinator_name = "Jordan Rivera"\n')
    out = caseload.ok("due", "--date", TODAY.isoformat(), env={"CASELOAD_CONFIG": str(cfg)}).stdout
    assert out.splitlines()[0].endswith("Coordinator: Jordan Rivera")


def test_csv_and_markdown_and_table(caseload):
    rows = list(csv.DictReader(io.StringIO(due(caseload, "--format", "csv").stdout)))
    assert [r["status"] for r in rows][:2] == ["overdue", "overdue"]
    assert rows[0]["patient_external_id"] in {"HI-1", "LO-2"}
    md = due(caseload, "--format", "markdown").stdout
    assert md.startswith("# Due list for 2026-11-23") and "## Overdue (2)" in md and "| [ ] |" in md
    table = due(caseload, "--format", "table").stdout
    assert "Medication" in table and "LO-2" in table and "\x1b[" not in table


def test_redact_leaves_no_full_name_or_phone(caseload):
    for fmt in ("text", "table", "csv", "json", "markdown"):
        out = due(caseload, "--format", fmt, "--redact", "--days", "14").stdout
        for _, given, family, phone, _, _ in PATIENTS:
            assert given not in out and family not in out, fmt
            for part in given.split() + family.replace("-", " ").split():
                if len(part) > 2:
                    assert part not in out, (fmt, part)
            digits = re.sub(r"\D", "", phone)
            assert phone not in out and digits not in re.sub(
                r"\D", "", out.replace(TODAY.isoformat(), "")
            ), fmt
        assert "HI-1" in out  # the external id stays so the coordinator can find the record


def test_on_hold_and_discharged_patients_drop_out(caseload):
    caseload.ok("patients", "hold", "LO-2", "--reason", "in hospital")
    caseload.ok("patients", "discharge", "MD-3")
    items = json.loads(due(caseload, "--format", "json", "--days", "30").stdout)
    assert {i["patient_external_id"] for i in items} == {"HI-1"}


def test_output_file_is_private_and_audited(caseload, tmp_path, read):
    from caseload.services import audit

    target = tmp_path / "due.txt"
    due(caseload, "--output", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "Overdue (2)" in target.read_text()
    due(caseload, "--format", "json")
    with read() as s:
        events = [e for e in audit.list_events(s) if e["action"].startswith("duelist.")]
        assert audit.verify(s) == []
    assert [e["action"] for e in events] == ["duelist.export", "duelist.print"]
    detail = json.loads(events[0]["detail"])
    assert detail["overdue"] == 2 and detail["format"] == "text"
    assert "Okafor" not in events[0]["detail"] and "HI-1" not in events[0]["detail"]


def test_bad_date_and_negative_days_are_usage_errors(caseload):
    r = caseload("due", "--date", "someday")
    assert r.exit_code == 2 and "'--date'" in r.stderr
    assert caseload("due", "--days", "-1").exit_code == 2


def test_natural_date(caseload):
    """`--date today` and `--date tomorrow` are those days: the same list as the ISO date,
    each item's status and days overdue counted from that day."""
    today = date.today()
    for word, day in (("today", today), ("tomorrow", today + timedelta(days=1))):
        args = ("--days", "400", "--format", "json")
        items = json.loads(caseload.ok("due", "--date", word, *args).stdout)
        assert items, word
        assert items == json.loads(caseload.ok("due", "--date", day.isoformat(), *args).stdout)
        for i in items:
            on = date.fromisoformat(i["due_on"])
            want = "overdue" if on < day else "due" if on == day else "upcoming"
            assert (i["status"], i["days_overdue"]) == (want, max((day - on).days, 0)), word


def _cron_env(cli, **extra):
    env = {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": str(cli.db.parent)}
    env.update(extra)
    return env


def test_runs_from_cron_with_env_i_and_no_stdin(caseload):
    """A true subprocess with an empty environment, stdin from /dev/null, no terminal."""
    cmd = [
        "env",
        "-i",
        *[f"{k}={v}" for k, v in _cron_env(caseload).items()],
        sys.executable,
        "-m",
        "caseload",
        "--db",
        str(caseload.db),
        "--key-file",
        str(caseload.key),
        "due",
        "--date",
        TODAY.isoformat(),
    ]
    with open(os.devnull) as devnull:
        done = subprocess.run(cmd, stdin=devnull, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Due list for Monday 23 November 2026")
    assert "\x1b[" not in done.stdout and done.stderr == ""


def test_from_cron_without_a_key_exits_3_without_prompting(caseload):
    cmd = [
        "env",
        "-i",
        *[
            f"{k}={v}"
            for k, v in _cron_env(
                caseload, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
            ).items()
        ],
        sys.executable,
        "-m",
        "caseload",
        "--db",
        str(caseload.db),
        "due",
    ]
    with open(os.devnull) as devnull:
        done = subprocess.run(cmd, stdin=devnull, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stderr.strip().startswith("caseload: no key for the store")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("zone", "stamp", "day"),
    [
        ("Asia/Kolkata", "2026-11-22 18:45:00.000000", "2026-11-23"),  # 00:15 local, +05:30
        ("Asia/Kolkata", "2026-11-22 18:15:00.000000", "2026-11-22"),  # 23:45 local
        ("Asia/Kathmandu", "2026-11-22 18:20:00.000000", "2026-11-23"),  # 00:05 local, +05:45
        ("America/St_Johns", "2026-11-23 03:20:00.000000", "2026-11-22"),  # 23:50 local, -03:30
    ],
)
def test_last_contact_day_is_local_even_in_half_hour_zones(local_zone, zone, stamp, day):
    from caseload.services import duelist

    local_zone(zone)
    assert duelist._local_day(stamp).isoformat() == day


NOTE = (
    "1 older overdue items not shown "
    "(see `caseload due --overdue-days 0` / `followups list --overdue`)"
)


def test_overdue_days_keeps_older_items_off_and_says_so(caseload):
    """Old call is 10 days overdue, HI-1's call 3: --overdue-days 5 leaves the first off."""
    every = json.loads(due(caseload, "--format", "json").stdout)
    assert {i["title"] for i in every if i["status"] == "overdue"} == {
        "Old call",
        "Check blood sugar log and talk through the new insulin pen with her daughter",
    }
    for fmt in ("json", "csv"):
        ran = due(caseload, "--format", fmt, "--overdue-days", "5")
        assert ran.stderr.strip() == NOTE, fmt  # stdout stays exact data
        assert "Old call" not in ran.stdout and "older overdue" not in ran.stdout
    assert [
        i["title"] for i in json.loads(due(caseload, "-f", "json", "--overdue-days", "5").stdout)
    ] == [i["title"] for i in every if i["title"] != "Old call"]
    text = due(caseload, "--format", "text", "--overdue-days", "5").stdout.splitlines()
    assert text[1].startswith("Overdue 1 · Due today 2")
    assert text[2:4] == [
        "1 older overdue items not shown (see `caseload due --overdue-days 0` /",
        "`followups list --overdue`)",
    ]
    assert text[4] == "=" * 80
    for fmt in ("markdown", "table"):
        out = due(caseload, "--format", fmt, "--overdue-days", "5").stdout
        assert NOTE in " ".join(out.split()), fmt
    zero = due(caseload, "--format", "json", "--overdue-days", "0")
    assert json.loads(zero.stdout) == every and zero.stderr == ""


def test_overdue_days_default_comes_from_config(caseload, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[due]\noverdue_days = 5\n")
    env = {"CASELOAD_CONFIG": str(cfg)}
    ran = caseload.ok("due", "--date", TODAY.isoformat(), "-f", "csv", env=env)
    assert ran.stderr.strip() == NOTE and "Old call" not in ran.stdout
    ran = caseload.ok(
        "due", "--date", TODAY.isoformat(), "-f", "csv", "--overdue-days", "0", env=env
    )
    assert "Old call" in ran.stdout and ran.stderr == ""
    cfg.write_text("[due]\noverdue_days = -1\n")
    bad = caseload("due", env=env)
    assert bad.exit_code == 1
    assert "[due] overdue_days must be 0 (all) or more" in bad.stderr


def test_negative_overdue_days_is_a_usage_error(caseload):
    assert caseload("due", "--overdue-days", "-1").exit_code == 2


def test_followups_list_overdue_lists_every_open_overdue_one(cli):
    cli.ok("patients", "add", "--external-id", "OV-1", "--given-name", "A", "--family-name", "B")
    today = date.today()
    for title, offset in (("ancient", -400), ("last week", -7), ("today", 0), ("soon", 3)):
        cli.ok(
            "followups",
            "add",
            "OV-1",
            "--title",
            title,
            "--due",
            (today + timedelta(days=offset)).isoformat(),
        )
    rows = json.loads(cli.ok("followups", "list", "--overdue", "--format", "json").stdout)
    assert [r["title"] for r in rows] == ["ancient", "last week"]
    assert all(r["status"] == "open" for r in rows)
    bad = cli("followups", "list", "--overdue", "--status", "done")
    assert bad.exit_code == 2 and "--overdue lists open follow-ups only" in bad.stderr


@pytest.mark.parametrize("fmt", [["--format", "json"], ["-fjson"]])  # the fast path, typer's
def test_a_closed_stdout_is_one_clear_error(caseload, fmt):
    """`caseload due >&-` (a cron line gone wrong): exit 1 and a message, no traceback."""
    cmd = [sys.executable, "-m", "caseload", "--db", str(caseload.db), "--key-file"]
    cmd += [str(caseload.key), "due", "--date", TODAY.isoformat(), *fmt]
    done = subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=False, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: os.close(1), timeout=60, env=_cron_env(caseload),
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("caseload: standard output is closed")
    assert "Traceback" not in done.stderr
