"""Tables a person can read at 80 columns: the renderer's rules, then every list exactly.

Ids, dates, kinds and statuses are never broken or cut; free text takes the
width left and is cut with an ellipsis; when even that cannot fit, whole
columns go in each list's documented order and stderr names them.
"""

from __future__ import annotations

import re

import pytest

from caseload.io.tables import Col, cells, clean, fit, render

W80 = {"COLUMNS": "80"}


# --- the renderer -------------------------------------------------------------------


def test_everything_fits_as_it_is_when_there_is_room():
    cols = [Col("id", right=True), Col("kind"), Col("title", text=True)]
    rows = [{"id": 7, "kind": "visit", "title": "Home visit"}, {"id": 12, "kind": "call"}]
    t = render(cols, rows, width=80, cell=lambda v: "" if v is None else str(v))
    assert t.lines == [
        "id  kind   title",
        "--  -----  ----------",
        " 7  visit  Home visit",
        "12  call",
    ]
    assert t.dropped == []


def test_text_is_cut_with_an_ellipsis_and_fixed_columns_stay_whole():
    cols = [Col("id"), Col("due_on", "due"), Col("note", text=True)]
    rows = [{"id": "MRN-1001", "due_on": "2026-11-24", "note": "transition_call then more words"}]
    t = render(cols, rows, width=36)
    assert t.lines[2] == "MRN-1001  2026-11-24  transition_ca…"
    assert all(cells(line) <= 36 for line in t.lines)


def test_text_columns_share_the_room_short_ones_first():
    cols = [Col("a", text=True), Col("b", text=True), Col("c", text=True)]
    rows = [{"a": "x" * 5, "b": "y" * 40, "c": "z" * 40}]
    t = render(cols, rows, width=45)
    # 45 - 4 (gaps) = 41: "a" needs 5, the other two split 36.
    assert t.lines[2] == "xxxxx  " + "y" * 17 + "…  " + "z" * 17 + "…"


def test_columns_are_dropped_in_order_rather_than_wrapped():
    cols = [
        Col("id"),
        Col("when", drop=2),
        Col("who", drop=1),
        Col("what", text=True),
    ]
    rows = [
        {"id": "F-1", "when": "2026-11-24", "who": "DEMO-000001", "what": "Post-discharge call"}
    ]
    t = render(cols, rows, width=30)
    assert t.dropped == ["who"]
    assert t.lines[2] == "F-1  2026-11-24  Post-dischar…"
    t = render(cols, rows, width=20)
    assert t.dropped == ["who", "when"]
    assert t.lines == ["id   what", "---  ---------------", "F-1  Post-discharge…"]


def test_an_empty_column_goes_before_text_is_cut():
    cols = [Col("id"), Col("amends"), Col("note", text=True)]
    rows = [{"id": "1", "amends": "", "note": "Weight stable; no swelling."}]
    t = render(cols, rows, width=32)
    assert t.dropped == []  # nothing was in it: nothing to tell
    assert t.lines[2] == "1   Weight stable; no swelling."


def test_when_nothing_can_go_the_table_is_wider_but_never_wraps():
    cols = [Col("id"), Col("due_on")]
    rows = [{"id": "MRN-100001", "due_on": "2026-11-24"}]
    t = render(cols, rows, width=10)
    assert t.lines[2] == "MRN-100001  2026-11-24"
    assert len(t.lines) == 3


def test_wide_characters_count_two_and_control_characters_never_reach_the_terminal():
    cols = [Col("name", text=True, min_width=6), Col("id")]
    rows = [{"name": "山田太郎さん", "id": "P-1"}, {"name": "a\x1b[31mred\nline", "id": "P-2"}]
    t = render(cols, rows, width=14)
    assert t.lines[2] == "山田太郎…  P-1"
    assert t.lines[3] == "a [31mre…  P-2"
    assert all(cells(line) <= 14 for line in t.lines)
    assert clean("tab\there") == "tab here"
    assert fit("Célestin", 5) == "Céle…"


# --- every list at 80 columns -----------------------------------------------------------

STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def seed(cli):
    """A small caseload with long words in every text field."""
    for ext, given, family, phone, lang, risk in (
        ("MRN-1001", "Anne-Marie", "Célestin-Desrosiers", "(617) 555-0179", "fr", "high"),
        ("MRN-1002", "Thị Lan", "Trần", "555-0102", "vi", "medium"),
        ("MRN-1003", "Bartholomew", "Wozniak", "0161 555 0191", "pl", "low"),
    ):
        cli.ok(
            "patients", "add", "--external-id", ext, "--given-name", given,
            "--family-name", family, "--phone", phone, "--language", lang, "--risk", risk,
        )  # fmt: skip
    cli.ok(
        "followups", "add", "MRN-1001", "--title", "Renew bus pass and disability parking permit",
        "--due", "2026-11-20", "--kind", "other",
    )  # fmt: skip
    cli.ok("followups", "add", "MRN-1002", "--title", "Weekly check-in call", "--due",
           "2026-11-23", "--every", "weekly")  # fmt: skip
    cli.ok("patients", "transition", "MRN-1003", "--discharged-on", "2026-11-19",
           "--facility", "Mercy General Hospital", "--reason", "heart failure exacerbation")  # fmt: skip
    cli.ok(
        "contacts", "log", "MRN-1001", "--method", "home_visit", "--outcome", "reached",
        "--at", "2026-11-18 10:30",
        "--note", "Discussed the housing application; needs a copy of her lease before Friday.",
    )  # fmt: skip
    cli.ok("contacts", "log", "MRN-1002", "--method", "phone", "--outcome", "left_message",
           "--at", "2026-11-19 16:05")  # fmt: skip
    cli.ok(
        "careteam", "add", "--name", "Dr. Efren Dela Cruz", "--role", "PCP", "--organization",
        "Harbor Community Health Center", "--phone", "(978) 555-0128",
        "--email", "efren.delacruz@example.org",
    )  # fmt: skip
    cli.ok("careteam", "add", "--name", "Ngozi Okafor", "--role", "caregiver",
           "--phone", "555-0109")  # fmt: skip
    cli.ok("careteam", "link", "MRN-1001", "1")
    cli.ok("careteam", "link", "MRN-1001", "2", "--relationship", "daughter")
    cli.ok(
        "referrals", "add", "MRN-1001", "--to", "Housing navigator", "--reason",
        "housing search and rental assistance", "--organization",
        "Springfield Community Services", "--sent", "2026-11-02",
    )  # fmt: skip
    cli.ok("referrals", "add", "MRN-1003", "--to", "Cardiology", "--reason",
           "heart failure follow-up", "--sent", "2026-11-10")  # fmt: skip
    cli.ok("referrals", "update", "2", "accepted", "--on", "2026-11-12")
    cli.ok("careplans", "problem", "MRN-1001", "--description", "Unstable housing",
           "--category", "social")  # fmt: skip


@pytest.fixture
def seeded(cli, monkeypatch):
    monkeypatch.setenv("LOGNAME", "jrivera")  # the audit log's actor, the same everywhere
    seed(cli)
    return cli


def table(cli, *args):
    r = cli.ok(*args, env=W80)
    assert all(cells(line) <= 80 for line in r.stdout.splitlines()), r.stdout
    return r


# Each list at COLUMNS=80: (command, stdout, stderr). Timestamps of "now" read
# YYYY-MM-DD HH:MM; everything else is exact.
NOW = ("careplan_versions", "audit")
EXPECTED = {
    "patients": (
        ("patients", "list"),
        "external id  given name   family name       phone           lang  risk    status\n"
        "-----------  -----------  ----------------  --------------  ----  ------  ------\n"
        "MRN-1001     Anne-Marie   Célestin-Desros…  (617) 555-0179  fr    high    active\n"
        "MRN-1002     Thị Lan      Trần              555-0102        vi    medium  active\n"
        "MRN-1003     Bartholomew  Wozniak           0161 555 0191   pl    low     active\n",
        "",
    ),
    "contacts": (
        ("contacts", "list"),
        "id  at                patient   method      outcome       note\n"
        "--  ----------------  --------  ----------  ------------  ----------------------\n"
        " 2  2026-11-19 16:05  MRN-1002  phone       left message\n"
        " 1  2026-11-18 10:30  MRN-1001  home visit  reached       Discussed the housing…\n",
        "",
    ),
    "followups": (
        ("followups", "list"),
        "id  patient   due on      kind              title                    pri  status\n"
        "--  --------  ----------  ----------------  -----------------------  ---  ------\n"
        " 1  MRN-1001  2026-11-20  other             Renew bus pass and dis…    3  open\n"
        " 2  MRN-1002  2026-11-23  call              Weekly check-in call       3  open\n"
        " 3  MRN-1003  2026-11-23  transition call   Post-discharge call        1  open\n"
        " 4  MRN-1003  2026-12-03  transition visit  Post-discharge visit       2  open\n",
        "(left out to fit 80 columns: repeats; --format csv has them)\n",
    ),
    "referrals": (
        ("referrals", "list"),
        "id  patient   to               for              status    sent on     since\n"
        "--  --------  ---------------  ---------------  --------  ----------  ----------\n"
        " 1  MRN-1001  Housing naviga…  housing search…  sent      2026-11-02  2026-11-02\n"
        " 2  MRN-1003  Cardiology       heart failure …  accepted  2026-11-10  2026-11-12\n",
        "(left out to fit 80 columns: organization; --format csv has them)\n",
    ),
    "careteam": (
        ("careteam", "list"),
        "id  name                 role       organization                  phone\n"
        "--  -------------------  ---------  ----------------------------  --------------\n"
        " 1  Dr. Efren Dela Cruz  PCP        Harbor Community Health Cen…  (978) 555-0128\n"
        " 2  Ngozi Okafor         caregiver                                555-0109\n",
        "(left out to fit 80 columns: email; --format csv has them)\n",
    ),
    "careteam_of_patient": (
        ("careteam", "list", "MRN-1001"),
        "id  name               role       organization      phone           relationship\n"
        "--  -----------------  ---------  ----------------  --------------  ------------\n"
        " 1  Dr. Efren Dela C…  PCP        Harbor Communit…  (978) 555-0128\n"
        " 2  Ngozi Okafor       caregiver                    555-0109        daughter\n",
        "(left out to fit 80 columns: email; --format csv has them)\n",
    ),
    "careplan_versions": (
        ("careplans", "versions", "MRN-1001"),
        "version  current  created           by       problems  goals  interventions\n"
        "-------  -------  ----------------  -------  --------  -----  -------------\n"
        "      1  yes      YYYY-MM-DD HH:MM  jrivera         1      0              0\n",
        "",
    ),
    "due": (
        ("due", "--date", "2026-11-23", "--days", "7", "--format", "table"),
        "Due 2026-11-23: 1 overdue, 2 due, 0 coming up\n"
        "status      patient              phone           what                 due\n"
        "----------  -------------------  --------------  -------------------  ----------\n"
        "3d overdue  Anne-Marie Célesti…  (617) 555-0179  Renew bus pass and…  2026-11-20\n"
        "due today   Bartholomew Wozniak  0161 555 0191   Post-discharge call  2026-11-23\n"
        "due today   Thị Lan Trần         555-0102        Weekly check-in ca…  2026-11-23\n"
        "(left out to fit 80 columns: score, kind, lang, last contact, id; --format csv\n"
        "has them)\n",
        # The housing referral, sent 2026-11-02, expected a reply within 14 days.
        "1 referral overdue: see `caseload due --format text`\n",
    ),
    "audit": (
        ("audit", "list", "--limit", "4"),
        "id  at                actor    action                detail\n"
        "--  ----------------  -------  --------------------  ------------------------\n"
        "15  YYYY-MM-DD HH:MM  jrivera  referral.add\n"
        "16  YYYY-MM-DD HH:MM  jrivera  referral.accepted     new: accepted, old: sent\n"
        "17  YYYY-MM-DD HH:MM  jrivera  careplan.create       version: 1\n"
        "18  YYYY-MM-DD HH:MM  jrivera  careplan.problem.add  plan 1, version: 1\n",
        "(left out to fit 80 columns: entity id, patient, entity; --format csv has them)\n",
    ),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_list_at_80_columns(seeded, name):
    args, out, err = EXPECTED[name]
    r = table(seeded, *args)
    # Only these two show the time of the test run; every other time is given.
    assert (STAMP.sub("YYYY-MM-DD HH:MM", r.stdout) if name in NOW else r.stdout) == out
    assert r.stderr == err


def test_a_wide_terminal_shows_every_column(seeded):
    r = seeded.ok("followups", "list", env={"COLUMNS": "120"})
    assert r.stdout.splitlines()[:3] == [
        "id  patient   due on      kind              title"
        "                                         pri  status  repeats",
        "--  --------  ----------  ----------------  --------------------------------------------"
        "  ---  ------  ----------",
        " 1  MRN-1001  2026-11-20  other             Renew bus pass and disability parking permit"
        "    3  open",
    ]
    assert r.stderr == ""


def test_a_pipe_gets_80_columns(seeded):
    """No COLUMNS and no terminal (cron, a pipe, a file): the table is laid out for 80."""
    piped = seeded.ok("followups", "list", env={"COLUMNS": None})
    odd = seeded.ok("followups", "list", env={"COLUMNS": "wide"})
    assert piped.stdout == odd.stdout == EXPECTED["followups"][1]
