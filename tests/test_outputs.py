"""Issue 10: outputs never land on the store or a key, the outbox is never truncated,
`--redact` hides every free text and contact, and every CSV is neutralised."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys

import pytest

NOT_SECRET = "JaneDoePrivate"


def store_ok(cli) -> None:
    """The store still opens with its key and holds its schema."""
    assert cli.ok("patients", "list", "--format", "json").stdout.startswith("[")


def one_line(result, text: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.splitlines() == [f"caseload: {text}"]


@pytest.mark.parametrize(
    ("args", "target", "what"),
    [
        (("due", "--output"), "db", "the store"),
        (("export", "patients", "--output"), "wal", "the store's write-ahead log"),
        (
            ("export", "patients", "--format", "json", "--output"),
            "shm",
            "the store's shared memory",
        ),
        (("due", "--format", "csv", "--output"), "journal", "the store's journal"),
        (("due", "--output"), "key", "the key file in use"),
        (("due", "--output"), "pending", "the pending key of a key rotation"),
    ],
)
def test_no_output_lands_on_the_store_or_a_key(cli, args, target, what):
    paths = {
        "db": cli.db,
        "wal": cli.db.with_name(cli.db.name + "-wal"),
        "shm": cli.db.with_name(cli.db.name + "-shm"),
        "journal": cli.db.with_name(cli.db.name + "-journal"),
        "key": cli.key,
        "pending": cli.key.with_name(cli.key.name + ".new"),
    }
    path = paths[target]
    if target == "pending":
        path.write_text("not used", encoding="utf-8")
        path.chmod(0o600)
    key_before = cli.key.read_bytes()
    result = cli(*args, str(path))
    one_line(result, f"refusing to write {path}: it is {what}; give another file")
    if path.exists():  # nothing plaintext went in (the store itself may checkpoint)
        data = path.read_bytes()
        assert b"Due list" not in data and b"external_id" not in data
    assert cli.key.read_bytes() == key_before
    if target == "pending":
        assert path.read_text(encoding="utf-8") == "not used"
    store_ok(cli)


def test_symlinks_and_hard_links_to_the_store_are_refused(cli, tmp_path):
    sym = tmp_path / "innocent.txt"
    sym.symlink_to(cli.db)
    hard = tmp_path / "copy.csv"
    os.link(cli.db, hard)
    keylink = tmp_path / "k.csv"
    keylink.symlink_to(cli.key)
    one_line(
        cli("due", "--output", str(sym)),
        f"refusing to write {sym}: it is the store; give another file",
    )
    one_line(
        cli("export", "patients", "--output", str(hard)),
        f"refusing to write {hard}: it is the store; give another file",
    )
    one_line(
        cli("due", "--output", str(keylink)),
        f"refusing to write {keylink}: it is the key file in use; give another file",
    )
    store_ok(cli)


def test_rejects_and_remind_outputs_are_guarded_too(cli, tmp_path, isolated):
    from test_remind import COORDINATOR

    (isolated / "no-config.toml").write_text(COORDINATOR, encoding="utf-8")
    src = tmp_path / "in.csv"
    src.write_text("external_id,given_name,family_name\nA1,Ann,Lee\n,Bad,Row\n", encoding="utf-8")
    one_line(
        cli("import", "patients", str(src), "--skip-invalid", "--rejects", str(cli.db)),
        f"refusing to write {cli.db}: it is the store; give another file",
    )
    one_line(
        cli("remind", "--output", str(cli.key)),
        f"refusing to write {cli.key}: it is the key file in use; give another file",
    )
    assert json.loads(cli.ok("patients", "list", "--format", "json").stdout) == []


def test_rejects_folder_is_checked_before_anything_is_committed(cli, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("external_id,given_name,family_name\nA1,Ann,Lee\n,Bad,Row\n", encoding="utf-8")
    missing = tmp_path / "nowhere" / "r.csv"
    one_line(
        cli("import", "patients", str(src), "--skip-invalid", "--rejects", str(missing)),
        f"cannot write {missing}: the folder {missing.parent} does not exist",
    )
    assert json.loads(cli.ok("patients", "list", "--format", "json").stdout) == []
    good = tmp_path / "r.csv"
    cli.ok("import", "patients", str(src), "--skip-invalid", "--rejects", str(good))
    assert [
        p["external_id"] for p in json.loads(cli.ok("patients", "list", "--format", "json").stdout)
    ] == ["A1"]
    assert list(csv.reader(io.StringIO(good.read_text(encoding="utf-8"))))[1][:3] == [
        "",
        "Bad",
        "Row",
    ]


def test_a_character_device_is_written_without_chmod(cli):
    before = stat.S_IMODE(os.stat("/dev/null").st_mode)
    cli.ok("due", "--output", "/dev/null")
    cli.ok("export", "patients", "--output", "/dev/null")
    assert stat.S_IMODE(os.stat("/dev/null").st_mode) == before


@pytest.mark.skipif(sys.platform == "win32", reason="FIFO")
def test_a_fifo_is_written_as_a_stream(cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o644)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    cli.ok("due", "--format", "csv", "--output", str(fifo))
    out, _ = reader.communicate(timeout=60)
    assert out.decode().splitlines()[0].startswith("followup_id,")
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o644
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# --- redaction and CSV --------------------------------------------------------------------


def seed_private(cli):
    cli.ok("patients", "add", "--external-id", "P-1", "--given-name", "Jane", "--family-name",
           "Doe", "--email", NOT_SECRET, "--phone", "555 0101", "--address", "1 Secret Lane")  # fmt: skip
    cli.ok("patients", "add", "--external-id", "P-2", "--given-name", "=HYPERLINK(1)",
           "--family-name", "Li", "--email", "li@example.org")  # fmt: skip
    cli.ok("careplans", "problem", "P-1", "--description", "Secret problem")
    cli.ok("careplans", "goal", "1", "--description", "Secret goal")
    cli.ok("careplans", "progress", "1", "--note", "Secret progress note")
    cli.ok("careteam", "add", "--name", "Carol Giver", "--role", "caregiver", "--phone",
           "555 0199", "--email", "carol.giver@example.org")  # fmt: skip
    cli.ok("careteam", "link", "P-1", "1", "--relationship", "daughter, caregiver")


@pytest.fixture
def chicago(local_zone):
    """The process in a zone six hours behind UTC in March (as a coordinator's laptop)."""
    local_zone("America/Chicago")


def test_list_json_and_export_json_write_timestamps_alike(cli, chicago):
    """One timestamp policy: ISO 8601 in local time with its UTC offset (SPEC: shown in
    local time), the same instant in any zone, and what export writes imports back."""
    cli.ok("patients", "add", "--external-id", "P-1", "--given-name", "Ana", "--family-name", "Li")
    cli.ok("contacts", "log", "P-1", "--method", "phone", "--outcome", "reached",
           "--at", "2025-03-04T10:30:00+01:00")  # fmt: skip
    listed = json.loads(cli.ok("contacts", "list", "--format", "json").stdout)
    exported = json.loads(cli.ok("export", "contacts", "--format", "json").stdout)
    assert listed[0]["at"] == exported[0]["at"] == "2025-03-04T03:30:00-06:00"
    back = cli.ok("export", "contacts", "--format", "csv").stdout
    path = cli.db.parent / "contacts.csv"
    path.write_text(back)
    r = cli.ok("import", "contacts", str(path))
    assert "created 0" in r.stderr and "unchanged 1" in r.stderr


SECRETS = (
    "JaneDoePrivate",
    "Jane",
    "Secret",
    "Carol",
    "Giver",
    "carol.giver",
    "0101",
    "0199",
    "daughter",
)


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "xlsx", "fhir"])
def test_redact_hides_every_text_and_contact_in_every_patient_format(cli, tmp_path, fmt):
    seed_private(cli)
    out = tmp_path / f"p.{fmt}"
    cli.ok("export", "patients", "--format", fmt, "--redact", "--output", str(out))
    if fmt == "xlsx":
        from openpyxl import load_workbook

        text = json.dumps(
            [list(r) for r in load_workbook(out).active.iter_rows(values_only=True)],
            ensure_ascii=False,
        )
    else:
        text = out.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text, secret
    assert "•••@example.org" in text  # a plain address keeps its domain


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_redact_export_all_hides_careplans_and_care_team(cli, tmp_path, fmt):
    seed_private(cli)
    folder = tmp_path / "all"
    cli.ok("export", "all", "--format", fmt, "--redact", "--output", str(folder))
    for f in folder.iterdir():
        text = f.read_text(encoding="utf-8")
        for secret in SECRETS:
            assert secret not in text, (f.name, secret)
    plans = (folder / f"careplans.{fmt}").read_text(encoding="utf-8")
    if fmt != "csv":
        first = json.loads(plans.splitlines()[0] if fmt == "ndjson" else plans)
        plan = first if fmt == "ndjson" else first[0]
        goal = plan["problems"][0]["goals"][0]
        assert goal["description"] == "•••"
        assert [n["note"] for n in goal["progress"]] == ["•••"]
        assert goal["progress"][0]["at"]  # dates survive
    team = (
        list(csv.DictReader(io.StringIO((folder / "careteam.csv").read_text(encoding="utf-8"))))
        if fmt == "csv"
        else None
    )
    if team:
        assert (team[0]["name"], team[0]["role"], team[0]["email"]) == (
            "C. G.",
            "caregiver",
            "•••@example.org",
        )


def test_mask_email_masks_anything_unparseable_whole():
    from caseload.services.redaction import mask_email

    assert mask_email("ana@example.org") == "•••@example.org"
    for bad in ("JaneDoePrivate", "jane@", "@host", "jane doe@x.org", "a@b", "a@b@c.org"):
        assert mask_email(bad) == "•••", bad


def test_every_list_csv_is_neutralised_like_export(cli):
    from caseload.io.formats import cell, neutralise

    seed_private(cli)
    cli.ok("patients", "add", "--external-id", "P-3", "--given-name", "'+1",
           "--family-name", "Quoted")  # fmt: skip
    listed = list(csv.DictReader(io.StringIO(cli.ok("patients", "list", "--format", "csv").stdout)))
    exported = list(csv.DictReader(io.StringIO(cli.ok("export", "patients").stdout)))
    # One neutraliser: the formula, and one behind an apostrophe, defused alike in both.
    want = {"P-1": "Jane", "P-2": "'=HYPERLINK(1)", "P-3": "''+1"}
    assert {r["external_id"]: r["given_name"] for r in listed} == want
    assert {r["external_id"]: r["given_name"] for r in exported} == want
    assert cell("=1") == neutralise("=1") == "'=1"
    team = cli.ok("careteam", "list", "--format", "csv").stdout
    assert "Carol Giver" in team
