"""Property tests: export then import into a fresh store gives the same patients; mirrors stay equal."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from caseload.io import fields
from caseload.io.formats import cell
from caseload.io.validate import unneutralise

# Text as a person could type it: no control characters, no surrounding spaces (the
# services strip them), and plenty of formula-looking starts.
chars = st.characters(blacklist_categories=("Cc", "Cs"))
words = st.text(chars, min_size=1, max_size=20).map(str.strip).filter(bool)
risky = st.sampled_from(["=", "+", "-", "@", "'", "''", "'=", "''-", ""])
texts = st.builds(lambda a, b: (a + b).strip(), risky, words).filter(bool)
tags = st.lists(
    st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=";"), min_size=1,
            max_size=10).map(str.strip).filter(bool),
    max_size=3,
    unique=True,
)  # fmt: skip
past = st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31))
patient = st.fixed_dictionaries(
    {
        "external_id": st.from_regex(r"[A-Z]{1,3}-?[0-9]{1,6}", fullmatch=True),
        "given_name": texts,
        "family_name": texts,
    },
    optional={
        "preferred_name": texts,
        "birth_date": past,
        "sex": words,
        "phone": st.from_regex(r"\+?0?[0-9 ()-]{3,15}[0-9]", fullmatch=True),
        "email": words,
        "address": texts,
        "language": words,
        "may_call": st.booleans(),
        "may_text": st.booleans(),
        "may_email": st.booleans(),
        "may_voicemail": st.booleans(),
        "risk": st.sampled_from(["high", "medium", "low"]),
        "programs": tags,
        "conditions": tags,
        "social_needs": tags,
        "pcp": texts,
        "payer": texts,
        "enrolled_on": past,
        "notes": st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00",
                                       codec="utf-8").filter(lambda c: c == "\n" or c.isprintable()),
                         min_size=1, max_size=200).map(str.strip).filter(bool),
    },
)  # fmt: skip


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(patient, min_size=1, max_size=6, unique_by=lambda p: p["external_id"]))
def test_export_then_import_gives_the_same_patients(cli, write, tmp_path_factory, people):
    from conftest import Cli
    from sqlmodel import delete

    from caseload.models import Patient
    from caseload.services import patients

    with write() as s:
        s.exec(delete(Patient))
        for p in people:
            patients.add(s, **p)
    expected = json.loads(cli.ok("patients", "list", "--format", "json").stdout)
    work = tmp_path_factory.mktemp("round")
    for fmt in ("csv", "json", "xlsx"):
        out = work / f"p.{fmt}"
        cli.ok("export", "patients", "--format", fmt, "--output", str(out))
        other = Cli(work / fmt / "c.db", work / fmt / "c.key")
        other.ok("init")
        other.ok("import", "patients", str(out))
        got = json.loads(other.ok("patients", "list", "--format", "json").stdout)
        assert got == expected, fmt


@given(st.text(max_size=12))
def test_neutralise_then_unneutralise_is_identity(text):
    assert unneutralise(cell(text)) == text
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert cell(text).startswith("'")


@given(words, words, st.one_of(st.none(), words), st.one_of(st.none(), st.text(max_size=15)))
@example("a\u1acf", "b\u0301\u20dd", None, None)  # unassigned in its block; an enclosing mark
def test_search_keys_match_a_plain_reference(given_name, family, preferred, phone):
    import re
    import unicodedata

    def fold(x: str) -> str:  # long-hand: decompose, drop every combining character
        x = x.casefold().translate(str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae"}))
        x = x.translate(str.maketrans({"œ": "oe", "ð": "d", "þ": "th", "\u0131": "i"}))
        out = unicodedata.normalize("NFKD", x)
        return "".join(c for c in out if not unicodedata.combining(c))

    parts = [fold(x.strip()) for x in (family, given_name, preferred or "") if x and x.strip()]
    assert fields.search_key(given_name, family, preferred) == " ".join(parts)
    digits = [re.sub(r"\D", "", x) for x in (phone, preferred) if x and re.sub(r"\D", "", x)]
    assert fields.phone_digits(phone, preferred) == " ".join(digits)


def test_field_tuples_mirror_the_services():
    from caseload.services import careteam, contacts, followups, patients

    # Patients, contacts and follow-ups share services.fieldnames; these two are the io's own.
    assert fields.REQUIRED["patients"] == patients.REQUIRED
    assert fields.CARETEAM_FIELDS == careteam.FIELDS
    assert fields.COLUMNS["contacts"] == contacts.FIELDS
    assert fields.COLUMNS["followups"] == followups.FIELDS
