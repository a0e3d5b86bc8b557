"""`caseload report` and `followups done --unable-to-reach` through the real CLI: exact
figures, paper width, files, audit, and the usage errors with their exit codes."""

from __future__ import annotations

import json
import stat

import pytest

from caseload.io.tables import cells


@pytest.fixture(autouse=True)
def new_york(local_zone):
    local_zone("America/New_York")


@pytest.fixture
def store(cli):
    """Two patients, a Friday discharge in January 2026 reached on the 2nd business day (a
    holiday Monday between), and a caregiver contact on the 1st of February."""
    cfg = cli.db.parent / "config.toml"
    cfg.write_text('[caseload]\nholidays = ["2026-01-19"]\n', encoding="utf-8")
    env = {"CASELOAD_CONFIG": str(cfg)}
    for ext, prog in (("P-1", "bh"), ("P-2", "chw")):
        cli.add_patient(ext, "Ada", "Okafor", "--program", prog, env=env)
    cli.ok("patients", "transition", "P-1", "--discharged-on", "2026-01-16", env=env)
    cli.ok(
        "contacts",
        "log",
        "P-1",
        "--method",
        "phone",
        "--outcome",
        "reached",
        "--at",
        "2026-01-21T23:59",
        "--duration",
        "25",
        env=env,
    )
    cli.ok(
        "contacts",
        "log",
        "P-2",
        "--method",
        "text",
        "--outcome",
        "Left message",
        "--at",
        "2026-01-20T10:00",
        env=env,
    )
    cli.ok(
        "contacts",
        "log",
        "P-2",
        "--method",
        "phone",
        "--outcome",
        "reached",
        "--party",
        "caregiver",
        "--at",
        "2026-02-01T09:00",
        env=env,
    )
    return env


def figures(result) -> dict:
    data = json.loads(result.stdout)
    return {
        (m["key"], f["key"]): (f["numerator"], f["denominator"])
        for m in data["measures"]
        for f in m["figures"]
    }


def test_json_figures(cli, store):
    got = figures(cli.ok("report", "--month", "2026-01", "--format", "json", env=store))
    assert got[("tcm", "contact_2bd")] == (1, 1)
    assert got[("coverage", "reached")] == (1, 2)  # the text left a message: not a reach
    assert got[("minutes", "ccm_20")] == (1, 1)
    feb = figures(cli.ok("report", "monthly", "--month", "2026-02", "-f", "json", env=store))
    assert feb[("coverage", "reached")] == (1, 2)  # the caregiver counts
    bh = figures(
        cli.ok(
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-28",
            "--program",
            "bh",
            "-f",
            "json",
            env=store,
        )
    )
    assert bh[("coverage", "reached")] == (1, 1)


def test_text_is_80_column_paper_with_definitions(cli, store):
    out = cli.ok("report", "--month", "2026-01", "--detail", env=store).stdout
    lines = out.splitlines()
    assert lines[0] == "Program report: January 2026"
    assert all(cells(line) <= 80 for line in lines)
    assert "Definitions" in lines
    assert f"Store: {cli.db}" in out.replace("\n", " ") or str(cli.db.name) in out
    assert "P-1 Ada Okafor · discharge 2026-01-16" in out
    assert (
        "Okafor"
        not in cli.ok("report", "--month", "2026-01", "--detail", "--redact", env=store).stdout
    )


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_other_formats(cli, store, fmt):
    out = cli.ok("report", "--month", "2026-01", "--format", fmt, env=store).stdout
    first = {
        "table": "Program report 2026-01-01 to 2026-01-31",
        "csv": "measure,figure,label,numerator,denominator,share,value,unit",
        "markdown": "# Program report: January 2026",
    }[fmt]
    assert out.splitlines()[0] == first
    if fmt == "csv":
        assert "tcm,contact_2bd,Interactive contact within 2 business days,1,1,1.0,,\n" in out


def test_output_file_is_private_and_audited(cli, store, tmp_path):
    target = tmp_path / "report.txt"
    cli.ok("report", "--month", "2026-01", "--output", str(target), env=store)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().startswith("Program report: January 2026\n")
    cli.ok("report", "--month", "2026-01", "--format", "csv", env=store)
    events = json.loads(cli.ok("audit", "list", "--format", "json").stdout)
    mine = [e for e in events if e["action"].startswith("report.")]
    assert [e["action"] for e in mine] == ["report.export", "report.print"]
    assert all("Okafor" not in json.dumps(e) and "P-1" not in json.dumps(e) for e in mine)


def test_a_refused_output_is_neither_written_nor_audited(cli, store, tmp_path):
    for target, why in ((cli.db, "it is the store"), (cli.key, "it is the key file in use"),
                        (tmp_path / "no" / "r.txt", "does not exist")):  # fmt: skip
        r = cli("report", "--month", "2026-01", "--output", str(target), env=store)
        assert r.exit_code == 1 and why in r.stderr and len(r.stderr.splitlines()) == 1
    events = json.loads(cli.ok("audit", "list", "--format", "json").stdout)
    assert not [e for e in events if e["action"].startswith("report.")]
    cli.ok("patients", "list", env=store)  # the store still opens with its key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--month", "2026-13"),
            "Invalid value for '--month': '2026-13' is not a month: use YYYY-MM, e.g. 2026-11",
        ),
        (
            ("--month", "Jan"),
            "Invalid value for '--month': 'Jan' is not a month: use YYYY-MM, e.g. 2026-11",
        ),
        (
            ("--month", "2026-01", "--from", "2026-01-01"),
            "Invalid value for '--month': give --month or --from/--to, not both",
        ),
        (("--from", "2026-01-01"), "Invalid value for '--to': --from needs --to too"),
        (
            ("--from", "2026-02-01", "--to", "2026-01-01"),
            "Invalid value for '--to': the period ends before it starts",
        ),
        (
            ("weekly",),
            "Invalid value for 'monthly': 'weekly' is not a report: the one report is monthly",
        ),
        (("--format", "pdf"), "Invalid value for '--format' / '-f'"),
    ],
)
def test_usage_errors(cli, args, message):
    result = cli("report", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""


def _followup(cli) -> str:
    cli.ok("patients", "add", "--external-id", "P-9", "--given-name", "A", "--family-name", "B")
    out = cli.ok("followups", "add", "P-9", "--title", "Call", "--due", "today")
    return out.stderr.split()[2]  # "Added follow-up N for patient …"


def test_unable_to_reach_needs_the_attempts(cli):
    fid = _followup(cli)
    cli.ok(
        "contacts", "log", "P-9", "--method", "phone", "--outcome", "no_answer", "--followup", fid
    )
    result = cli("followups", "done", fid, "--unable-to-reach", "moved")
    assert result.exit_code == 1
    assert result.stderr == (
        f"caseload: follow-up {fid} has 1 failed attempt; closing it as unable to reach "
        "takes 3 ([followups] attempts_before_unable)\n"
    )
    cli.ok(
        "contacts", "log", "P-9", "--method", "text", "--outcome", "left_message", "--followup", fid
    )
    # The third attempt logged by the command itself; the reason by its label, any case.
    result = cli.ok(
        "followups", "done", fid, "--unable-to-reach", "Phone not working", "--outcome", "no answer"
    )
    assert result.stderr == f"Closed follow-up {fid} as unable to reach after 3 attempts.\n"
    shown = json.loads(cli.ok("followups", "show", fid, "-f", "json").stdout)
    assert shown["status"] == "done"


def test_unable_to_reach_usage_errors(cli):
    fid = _followup(cli)
    bad = cli("followups", "done", fid, "--unable-to-reach", "bored")
    assert bad.exit_code == 2 and "'--unable-to-reach'" in bad.stderr
    reached = cli("followups", "done", fid, "--unable-to-reach", "moved", "--outcome", "reached")
    assert reached.exit_code == 2
    assert "reached cannot go with --unable-to-reach" in reached.stderr


def test_unable_to_reach_too_soon_keeps_the_attempt_it_logged(cli):
    """The attempt given with --outcome happened: it is recorded and counts even when it
    is too soon to close; the command says so and exits 1 (the follow-up stays open)."""
    fid = _followup(cli)
    result = cli(
        "followups", "done", fid, "--unable-to-reach", "moved", "--outcome", "no_answer",
        "--note", "rang twice",
    )  # fmt: skip
    assert result.exit_code == 1
    contact = json.loads(cli.ok("contacts", "list", "P-9", "-f", "json").stdout)
    assert [(c["outcome"], c["note"], str(c["followup_id"])) for c in contact] == [
        ("no_answer", "rang twice", fid)
    ]
    assert result.stderr == (
        f"caseload: recorded contact {contact[0]['id']}, failed attempt 1 of 3; follow-up "
        f"{fid} stays open: closing it as unable to reach takes 3 ([followups] "
        "attempts_before_unable)\n"
    )
    shown = json.loads(cli.ok("followups", "show", fid, "-f", "json").stdout)
    assert (shown["status"], shown["unable_reason"]) == ("open", None)


def test_unable_to_reach_keeps_a_note_without_an_attempt_on_the_followup(cli):
    fid = _followup(cli)
    for _ in range(3):
        cli.ok("contacts", "log", "P-9", "--method", "phone", "--outcome", "no_answer",
               "--followup", fid)  # fmt: skip
    cli.ok("followups", "done", fid, "--unable-to-reach", "moved", "--note", "left the area")
    shown = json.loads(cli.ok("followups", "show", fid, "-f", "json").stdout)
    assert (shown["status"], shown["unable_reason"], shown["notes"]) == (
        "done",
        "moved",
        "left the area",
    )
    # No contact was made up for it: still the three attempts.
    assert len(json.loads(cli.ok("contacts", "list", "P-9", "-f", "json").stdout)) == 3


def test_attempts_before_unable_from_config(cli, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[followups]\nattempts_before_unable = 1\n", encoding="utf-8")
    fid = _followup(cli)
    env = {"CASELOAD_CONFIG": str(cfg)}
    cli.ok(
        "followups", "done", fid, "--unable-to-reach", "deceased", "--outcome", "no_answer", env=env
    )


def test_due_list_shows_referrals_overdue(cli):
    cli.ok(
        "patients", "add", "--external-id", "P-7", "--given-name", "Ada", "--family-name", "Okafor"
    )
    cli.ok("referrals", "add", "P-7", "--to", "Food bank", "--reason", "food", "--sent", "-20d")
    cli.ok("referrals", "add", "P-7", "--to", "Clinic", "--reason", "x", "--sent", "-3d")
    out = cli.ok("due").stdout
    assert "Referrals overdue (1)" in out
    assert "6d referral overdue" in out and "to Food bank" in out and "Clinic" not in out
    result = cli.ok("due", "--format", "json")
    assert json.loads(result.stdout) == []  # the array stays follow-ups only
    assert "1 referral overdue: see `caseload due --format text`" in result.stderr


def test_due_list_shows_attempts(cli, tmp_path):
    fid = _followup(cli)
    cli.ok(
        "contacts", "log", "P-9", "--method", "phone", "--outcome", "no_answer", "--followup", fid
    )
    text = cli.ok("due").stdout.splitlines()
    at = next(n for n, line in enumerate(text) if line.startswith("[ ] A B"))
    assert text[at + 2] == "    attempt 2 of 3"
    cli.ok(
        "contacts", "log", "P-9", "--method", "text", "--outcome", "left_message", "--followup", fid
    )
    table = cli.ok("due", "--format", "table", env={"COLUMNS": "120"}).stdout
    assert "Call (attempt 3 of 3)" in table
    cfg = tmp_path / "c.toml"
    cfg.write_text("[followups]\nattempts_before_unable = 2\n", encoding="utf-8")
    again = cli.ok("due", env={"CASELOAD_CONFIG": str(cfg)}).stdout
    assert "    2 attempts: may close as unable to reach" in again
    assert "attempt" not in cli.ok("due", "--format", "json").stdout  # data stays exact


def test_a_value_of_one_takes_the_singular_unit():
    from caseload.io.report import figure_text

    one = {"value": 1, "numerator": None, "denominator": 3, "unit": "business days"}
    assert figure_text(one) == "1 business day (n=3)"
    assert figure_text({**one, "value": 2.5}) == "2.5 business days (n=3)"
    assert figure_text({**one, "unit": "contacts per reach"}) == "1 contact per reach (n=3)"
