"""The TUI's modal forms: what each returns, what each refuses, and that services accept it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, Label, OptionList, Select

from caseload.services.dates import accepted
from caseload.tui.forms import (
    CompleteFollowUpForm,
    ContactForm,
    DischargePatientForm,
    FollowUpForm,
    GoalForm,
    HospitalDischargeForm,
    InterventionForm,
    PatientForm,
    ProblemForm,
    ReferralStatusForm,
)

# What the forms say of a date they cannot read: the forms that field takes (as the CLI).
DATE_HELP = f"not a date; use {accepted('date')}"
DUE_HELP = f"not a date; use {accepted('future')}"
WHEN_HELP = f"not a date or time; use {accepted('when')}"

NOW = datetime(2025, 3, 8, 14, 30, tzinfo=UTC)  # a Saturday
TODAY = date(2025, 3, 8)
ROOT = Path(__file__).resolve().parent.parent
NO_STEPS = None


class Host(App):
    """A bare app that opens one form and keeps what it dismissed with."""

    def __init__(self, form) -> None:
        super().__init__()
        self.form = form
        self.results: list = []

    def on_mount(self) -> None:
        self.push_screen(self.form, self.results.append)


def drive(form, steps=None) -> Host:
    """Run ``form`` at 80x24 and play ``steps(pilot, form)``; the host keeps the results."""
    app = Host(form)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            if steps is not None:
                await steps(pilot, form)
            await pilot.pause()

    asyncio.run(main())
    return app


async def fill(pilot, form, **values) -> None:
    """Set fields by key: text into inputs, option values into selects, bools into checkboxes."""
    for key, value in values.items():
        widget = form.query_one(f"#f-{key}")
        widget.value = value
        await pilot.pause()


def error(form, key: str) -> str:
    return str(form.query_one(f"#err-{key}", Label).content)


def hint(form, key: str) -> str:
    return str(form.query_one(f"#hint-{key}", Label).content)


def info(form) -> str:
    return str(form.query_one("#form-info", Label).content)


def saved(**values):
    """Steps: fill the fields, then save with ctrl+s."""

    async def steps(pilot, form):
        await fill(pilot, form, **values)
        await pilot.press("ctrl+s")

    return steps


def add_patient(write, ext="P-1", risk="medium"):
    from caseload.services import patients

    with write() as s:
        patients.add(s, external_id=ext, given_name="Ana", family_name="Lopez", risk=risk)


# --- the contact form ---------------------------------------------------------------------


def test_contact_form_returns_the_kwargs_of_contacts_log():
    async def steps(pilot, form):
        await fill(pilot, form, method="home_visit", outcome="left_message")
        form.query_one("#f-duration_min", Input).focus()
        await pilot.press("1", "5", "tab")
        await pilot.press(*"brought the meter")
        await pilot.press("enter")  # enter on the last field saves

    app = drive(ContactForm("P-1", now=NOW), steps)
    assert app.results == [
        {
            "external_id": "P-1",
            "method": "home_visit",
            "outcome": "left_message",
            "party": "patient",
            "at": NOW,
            "duration_min": 15,
            "note": "brought the meter",
        }
    ]


def test_contact_form_reads_natural_times_and_shows_them():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, at="yesterday")
        seen["hint"] = hint(form, "at")
        await pilot.press("ctrl+s")

    app = drive(ContactForm("P-1", now=NOW), steps)
    assert seen["hint"] == "Fri 2025-03-07 14:30"
    (result,) = app.results
    assert result["at"] == NOW - timedelta(days=1)
    assert (result["duration_min"], result["note"]) == (None, None)


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("duration_min", "ten", "duration must be a whole number"),
        ("duration_min", "-5", "duration must be from 0 to 1440"),
        ("at", "someday", WHEN_HELP),
        ("at", "tomorrow", "the time is in the future"),
    ],
)
def test_contact_form_refuses_bad_input_inline(key, text, message):
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, **{key: text})
        await pilot.press("ctrl+s")
        seen["error"] = error(form, key)
        seen["invalid"] = form.query_one(f"#f-{key}").has_class("-invalid")
        seen["screen"] = pilot.app.screen is form

    app = drive(ContactForm("P-1", now=NOW), steps)
    assert seen == {"error": message, "invalid": True, "screen": True}
    assert app.results == []


def test_contact_form_error_clears_when_fixed_and_then_saves():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, duration_min="ten")
        seen["before"] = error(form, "duration_min")
        await fill(pilot, form, duration_min="10")
        seen["after"] = error(form, "duration_min")
        await pilot.click("#form-save")

    app = drive(ContactForm("P-1", now=NOW), steps)
    assert seen == {"before": "duration must be a whole number", "after": ""}
    assert app.results[0]["duration_min"] == 10


def test_contact_form_result_is_logged_by_the_contacts_service(write, read):
    from caseload.services import contacts

    add_patient(write)
    app = drive(ContactForm("P-1", now=NOW), saved(outcome="no_answer", note="call back"))
    values = dict(app.results[0])
    with write() as s:
        contacts.log(s, values.pop("external_id"), **values)
    with read() as s:
        (row,) = contacts.list_contacts(s, "P-1")
    assert (row["at"], row["method"], row["outcome"], row["party"], row["note"]) == (
        NOW,
        "phone",
        "no_answer",
        "patient",
        "call back",
    )


# --- the follow-up form -------------------------------------------------------------------


def test_followup_form_returns_the_kwargs_of_followups_add():
    seen = {}

    async def steps(pilot, form):
        await pilot.press(*"Check glucose log", "tab")  # the title has focus first
        await pilot.press("+", "3", "d")
        seen["hint"] = hint(form, "due_on")
        await fill(pilot, form, kind="med_review", priority=2, rrule="FREQ=WEEKLY;INTERVAL=2")
        await fill(pilot, form, from_completion=True, notes="bring the meter")
        await pilot.press("ctrl+s")

    app = drive(FollowUpForm("P-1", today=TODAY), steps)
    assert seen["hint"] == "Tue 2025-03-11 (in 3 days)"
    assert app.results == [
        {
            "external_id": "P-1",
            "title": "Check glucose log",
            "due_on": date(2025, 3, 11),
            "kind": "med_review",
            "priority": 2,
            "rrule": "FREQ=WEEKLY;INTERVAL=2",
            "from_completion": True,
            "notes": "bring the meter",
        }
    ]


def test_followup_form_picks_a_recurrence_with_the_keyboard():
    async def steps(pilot, form):
        await fill(pilot, form, title="Weekly call", due_on="next mon")
        form.query_one("#f-rrule", Select).focus()
        await pilot.press("enter", "down", "down", "enter")  # none → daily → weekly
        await pilot.press("ctrl+s")

    app = drive(FollowUpForm("P-1", today=TODAY), steps)
    (result,) = app.results
    assert (result["due_on"], result["rrule"], result["kind"], result["priority"]) == (
        date(2025, 3, 10),
        "FREQ=WEEKLY",
        "call",
        3,
    )


def test_followup_form_refuses_an_empty_title_and_someday():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, due_on="someday")
        await pilot.press("ctrl+s")
        seen["title"] = error(form, "title")
        seen["due"] = error(form, "due_on")
        seen["focus"] = pilot.app.focused.id

    app = drive(FollowUpForm("P-1", today=TODAY), steps)
    assert seen == {"title": "title is required", "due": DUE_HELP, "focus": "f-title"}
    assert app.results == []


def test_followup_form_shows_no_error_before_a_field_is_touched():
    seen = {}

    async def steps(pilot, form):
        seen["title"] = error(form, "title")
        seen["due"] = error(form, "due_on")

    drive(FollowUpForm("P-1", today=TODAY), steps)
    assert seen == {"title": "", "due": ""}


def test_followup_form_from_completion_needs_a_recurrence():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, title="Call", due_on="today", from_completion=True)
        await pilot.press("ctrl+s")
        seen["error"] = error(form, "from_completion")

    app = drive(FollowUpForm("P-1", today=TODAY), steps)
    assert seen["error"] == "only a repeating follow-up counts from completion"
    assert app.results == []


def test_followup_form_result_is_added_by_the_followups_service(write, read):
    from caseload.services import followups

    add_patient(write)
    app = drive(
        FollowUpForm("P-1", today=TODAY),
        saved(title="Visit", due_on="2025-03-12", kind="visit", rrule="FREQ=MONTHLY"),
    )
    values = dict(app.results[0])
    with write() as s:
        made = followups.add(s, values.pop("external_id"), **values)
    with read() as s:
        got = followups.get(s, made["id"])
    assert (got["title"], got["kind"], got["due_on"], got["rrule"], got["priority"]) == (
        "Visit",
        "visit",
        date(2025, 3, 12),
        "FREQ=MONTHLY",
        3,
    )


# --- completing a follow-up ---------------------------------------------------------------

WEEKLY = {
    "id": 7,
    "title": "Weekly check-in",
    "kind": "visit",
    "due_on": date(2025, 3, 3),
    "rrule": "FREQ=WEEKLY",
    "status": "open",
}


def test_complete_form_shows_the_followup_and_defaults_from_its_kind():
    seen = {}

    async def steps(pilot, form):
        seen["intro"] = [str(label.content) for label in form.query(".form-intro").results(Label)]
        await pilot.press("ctrl+s")

    app = drive(CompleteFollowUpForm(WEEKLY, now=NOW), steps)
    assert seen["intro"] == [
        "Follow-up 7: Weekly check-in",
        "Due Mon 2025-03-03",
        "Recurring: the next one will be scheduled.",
    ]
    assert app.results == [
        {"followup_id": 7, "outcome": "reached", "method": "home_visit", "note": None, "at": NOW}
    ]


CALL = {**WEEKLY, "id": 8, "title": "Call back", "kind": "call", "rrule": None}


def test_complete_form_closes_a_call_as_unable_to_reach_with_its_last_attempt():
    seen = {}

    async def steps(pilot, form):
        seen["reasons"] = [str(o[0]) for o in form.query_one("#f-unable_reason", Select)._options]
        await fill(pilot, form, unable_reason="phone_not_working", outcome="wrong_number")
        seen["info"] = info(form)
        await pilot.press("ctrl+s")

    app = drive(CompleteFollowUpForm(CALL, now=NOW), steps)
    assert seen["reasons"] == ["no", "no answer after repeated calls", "phone not working",
                               "moved", "declined", "deceased", "other"]  # fmt: skip
    assert seen["info"] == (
        "Logs this attempt, then closes it as unable to reach if enough have failed."
    )
    assert app.results == [
        {
            "followup_id": 8,
            "unable_reason": "phone_not_working",
            "last_attempt": {"outcome": "wrong_number", "method": "phone"},
            "note": None,
            "at": NOW,
        }
    ]


def test_complete_form_unable_to_reach_without_a_new_attempt_and_its_errors():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, unable_reason="moved")  # the outcome is still "reached"
        await pilot.press("ctrl+s")
        seen["reached"] = error(form, "outcome")
        await fill(pilot, form, unable_reason="", outcome="")
        seen["nothing"] = error(form, "outcome")
        await pilot.press("ctrl+s")
        await fill(pilot, form, unable_reason="moved")
        seen["info"] = info(form)
        await pilot.press("ctrl+s")

    app = drive(CompleteFollowUpForm(CALL, now=NOW), steps)
    assert seen["reached"] == (
        "reached cannot close it as unable to reach: choose the last attempt's outcome, "
        "or no new attempt"
    )
    assert seen["nothing"] == "choose what came of the contact"
    assert seen["info"] == "Closes it as unable to reach after the failed attempts logged."
    assert app.results == [
        {"followup_id": 8, "unable_reason": "moved", "last_attempt": None, "note": None, "at": NOW}
    ]


def test_complete_form_offers_unable_to_reach_for_calls_only():
    seen = {}

    async def steps(pilot, form):
        seen["fields"] = [f.key for f in form.form_fields]

    drive(CompleteFollowUpForm(WEEKLY, now=NOW), steps)
    assert "unable_reason" not in seen["fields"] and "outcome" in seen["fields"]


def test_complete_form_refuses_a_followup_that_is_done():
    seen = {}

    async def steps(pilot, form):
        await pilot.press("ctrl+s")
        seen["info"] = info(form)

    app = drive(CompleteFollowUpForm({**WEEKLY, "status": "done"}, now=NOW), steps)
    assert seen["info"] == "This follow-up is done already."
    assert app.results == []


def test_complete_form_completes_a_recurring_followup_and_the_next_exists(write, read):
    from caseload.services import followups

    add_patient(write)
    with write() as s:
        fu = followups.add(
            s, "P-1", title="Weekly call", due_on=date(2025, 3, 3), rrule="FREQ=WEEKLY"
        )
    app = drive(
        CompleteFollowUpForm(fu, now=NOW),
        saved(outcome="left_message", at="2025-03-07", note="voicemail"),
    )
    values = dict(app.results[0])
    # parse_when reads an ISO date as local midnight (a natural date keeps the time of day).
    assert values["at"] == datetime(2025, 3, 7).astimezone()
    assert values["method"] == "phone"
    with write() as s:
        done = followups.complete(s, values.pop("followup_id"), **values)
    assert done["next"]["due_on"] == date(2025, 3, 10)
    with read() as s:
        (open_one,) = followups.list_followups(s, "P-1")
    assert (open_one["title"], open_one["due_on"], open_one["status"]) == (
        "Weekly call",
        date(2025, 3, 10),
        "open",
    )


# --- patients -----------------------------------------------------------------------------


def test_patient_form_add_returns_the_kwargs_of_patients_add(write, read):
    from caseload.services import patients

    app = drive(
        PatientForm(today=TODAY),
        saved(
            external_id="P-9",
            given_name="Ana",
            family_name="Lopez",
            birth_date="1980-05-01",
            phone=" 0412 555 010 ",
            language="es",
            risk="high",
            may_text=True,
            programs="diabetes; chf;;diabetes",
            address="12 Elm St, Fairview",
            email="ana@example.org",
            pcp="Dr. Rivera",
            payer="Medicaid",
            conditions="type 2 diabetes; heart failure",
        ),
    )
    expected = {
        "external_id": "P-9",
        "given_name": "Ana",
        "family_name": "Lopez",
        "preferred_name": None,
        "birth_date": date(1980, 5, 1),
        "sex": None,
        "phone": "0412 555 010",
        "alt_phone": None,
        "email": "ana@example.org",
        "address": "12 Elm St, Fairview",
        "language": "es",
        "preferred_contact": None,
        "risk": "high",
        "may_call": True,
        "may_text": True,
        "may_email": False,
        "may_voicemail": False,
        "programs": ["diabetes", "chf"],
        "conditions": ["type 2 diabetes", "heart failure"],
        "social_needs": [],
        "pcp": "Dr. Rivera",
        "payer": "Medicaid",
        "enrolled_on": None,
        "notes": None,
    }
    assert app.results == [expected]
    with write() as s:
        patients.add(s, **app.results[0])
    with read() as s:
        got = patients.get(s, "P-9")
    assert {k: got[k] for k in expected} == expected


def test_patient_form_refuses_a_birth_date_in_the_future_and_missing_names():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, external_id="P-9", birth_date="2025-03-09")
        await pilot.press("ctrl+s")
        seen["birth"] = error(form, "birth_date")
        seen["given"] = error(form, "given_name")
        seen["family"] = error(form, "family_name")

    app = drive(PatientForm(today=TODAY), steps)
    assert seen == {
        "birth": "the birth date is in the future",
        "given": "given name is required",
        "family": "family name is required",
    }
    assert app.results == []


def test_patient_form_edit_returns_only_what_changed(write, read):
    from caseload.services import patients

    with write() as s:
        initial = patients.add(
            s,
            external_id="P-1",
            given_name="Ana",
            family_name="Lopez",
            birth_date=date(1980, 5, 1),
            programs="diabetes;chf",
        )
    seen = {}

    async def steps(pilot, form):
        seen["title"] = str(form.query_one("#form-title", Label).content)
        await fill(pilot, form, phone="0412 555 010", may_voicemail=True, given_name="Ana ")
        await pilot.press("ctrl+s")

    app = drive(PatientForm(initial, today=TODAY), steps)
    assert seen["title"] == "Edit patient Ana Lopez, P-1"
    assert app.results == [{"phone": "0412 555 010", "may_voicemail": True, "_external_id": "P-1"}]
    values = dict(app.results[0])
    with write() as s:
        patients.edit(s, values.pop("_external_id"), **values)
    with read() as s:
        got = patients.get(s, "P-1")
    assert (got["phone"], got["may_voicemail"], got["programs"]) == (
        "0412 555 010",
        True,
        ["diabetes", "chf"],
    )


def test_patient_form_edit_can_change_the_external_id():
    initial = {"external_id": "P-1", "given_name": "Ana", "family_name": "Lopez"}
    app = drive(PatientForm(initial, today=TODAY), saved(external_id="P-2"))
    assert app.results == [{"external_id": "P-2", "_external_id": "P-1"}]


def test_discharge_patient_form(write, read):
    from caseload.services import patients

    add_patient(write)
    app = drive(DischargePatientForm("P-1", today=TODAY), saved(reason="moved away"))
    assert app.results == [{"external_id": "P-1", "reason": "moved away", "on": TODAY}]
    values = dict(app.results[0])
    with write() as s:
        patients.discharge(s, values.pop("external_id"), **values)
    with read() as s:
        got = patients.get(s, "P-1")
    assert (got["status"], got["status_reason"], got["status_on"]) == (
        "discharged",
        "moved away",
        TODAY,
    )


def test_discharge_patient_form_refuses_a_future_date():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, on="+1d")
        await pilot.press("ctrl+s")
        seen["error"] = error(form, "on")

    app = drive(DischargePatientForm("P-1", today=TODAY), steps)
    assert seen["error"] == "the discharge date is in the future"
    assert app.results == []


# --- hospital discharge -------------------------------------------------------------------


def test_hospital_discharge_form_previews_the_dates_the_service_makes(write, read):
    from caseload.services import transitions

    add_patient(write, risk="high")
    seen = {}
    friday = date(2025, 3, 7)

    async def steps(pilot, form):
        seen["today"] = info(form)
        await fill(pilot, form, discharged_on="yesterday", facility="St Mary")
        seen["yesterday"] = info(form)
        await pilot.press("ctrl+s")

    holidays = frozenset({date(2025, 3, 10)})
    form = HospitalDischargeForm("P-1", risk="high", today=friday, holidays=holidays)
    app = drive(form, steps)
    # Friday + 2 business days, Monday a holiday: Wednesday; high risk: a visit in 7 days.
    assert seen["today"] == ("Schedules a call due Wed 2025-03-12 and a visit due Fri 2025-03-14.")
    assert seen["yesterday"] == (
        "Schedules a call due Tue 2025-03-11 and a visit due Thu 2025-03-13."
    )
    assert app.results == [
        {
            "external_id": "P-1",
            "discharged_on": date(2025, 3, 6),
            "facility": "St Mary",
            "reason": None,
            "holidays": holidays,
        }
    ]
    values = dict(app.results[0])
    with write() as s:
        made = transitions.record_discharge(s, values.pop("external_id"), **values)
    assert [f["due_on"] for f in made["followups"]] == [date(2025, 3, 11), date(2025, 3, 13)]


def test_hospital_discharge_form_refuses_tomorrow_by_the_service_rule():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, discharged_on="tomorrow")
        await pilot.press("ctrl+s")
        seen["error"] = error(form, "discharged_on")
        seen["info"] = info(form)

    app = drive(HospitalDischargeForm("P-1", today=TODAY), steps)
    assert seen == {
        "error": "the discharge date is in the future",
        "info": "Not saved: Discharged on: the discharge date is in the future.",
    }
    assert app.results == []


# --- care plans ---------------------------------------------------------------------------


def test_care_plan_forms_build_a_plan_through_the_service(write, read):
    from caseload.services import careplans

    add_patient(write)
    app = drive(ProblemForm("P-1"), saved(category="social", description="Housing unstable"))
    assert app.results == [
        {"external_id": "P-1", "description": "Housing unstable", "category": "social"}
    ]
    values = dict(app.results[0])
    with write() as s:
        problem = careplans.add_problem(s, values.pop("external_id"), **values)

    app = drive(
        GoalForm(problem["id"], today=TODAY),
        saved(description="Stable housing", target_on="+3m", status="in_progress"),
    )
    assert app.results == [
        {
            "problem_id": problem["id"],
            "description": "Stable housing",
            "target_on": date(2025, 6, 8),
            "status": "in_progress",
        }
    ]
    values = dict(app.results[0])
    with write() as s:
        goal = careplans.add_goal(s, values.pop("problem_id"), **values)

    app = drive(InterventionForm(goal["id"]), saved(description="Refer to housing navigator"))
    assert app.results == [
        {
            "goal_id": goal["id"],
            "description": "Refer to housing navigator",
            "responsible": None,
            "status": "planned",
        }
    ]
    values = dict(app.results[0])
    with write() as s:
        careplans.add_intervention(s, values.pop("goal_id"), **values)
    with read() as s:
        plan = careplans.current(s, "P-1")
    (p,) = plan["problems"]
    (g,) = p["goals"]
    (i,) = g["interventions"]
    assert (p["category"], g["status"], g["target_on"], i["description"]) == (
        "social",
        "in_progress",
        date(2025, 6, 8),
        "Refer to housing navigator",
    )


@pytest.mark.parametrize(
    "form", [ProblemForm("P-1"), GoalForm(1), InterventionForm(1)], ids=lambda f: type(f).__name__
)
def test_care_plan_forms_need_a_description(form):
    seen = {}

    async def steps(pilot, form):
        await pilot.press("ctrl+s")
        seen["error"] = error(form, "description")

    app = drive(form, steps)
    assert seen["error"].endswith("is required")
    assert app.results == []


# --- referrals ----------------------------------------------------------------------------


def referral(status, **dates):
    return {"id": 3, "to_name": "Dr Okafor", "status": status, "sent_on": date(2025, 3, 1), **dates}


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        ("sent", ["accepted", "declined"]),
        ("accepted", ["completed", "declined"]),
        ("completed", ["closed"]),
        ("declined", ["closed"]),
    ],
)
def test_referral_form_offers_only_the_next_statuses(status, offered):
    seen = {}

    async def steps(pilot, form):
        overlay = form.query_one("#f-status", Select).query_one(OptionList)
        seen["offered"] = [
            str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)
        ]

    drive(ReferralStatusForm(referral(status), today=TODAY), steps)
    assert seen["offered"] == offered


def test_referral_form_on_a_closed_loop_refuses_to_save():
    seen = {}

    async def steps(pilot, form):
        await pilot.press("ctrl+s")
        seen["info"] = info(form)

    app = drive(ReferralStatusForm(referral("closed"), today=TODAY), steps)
    assert seen["info"] == "Referral 3 is closed; the loop is closed."
    assert app.results == []


def test_referral_form_refuses_a_date_before_the_last_step():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, on="2025-03-03")
        await pilot.press("ctrl+s")
        seen["error"] = error(form, "on")

    accepted = referral("accepted", accepted_on=date(2025, 3, 5))
    app = drive(ReferralStatusForm(accepted, today=TODAY), steps)
    assert seen["error"] == "the date is before the accepted date (2025-03-05)"
    assert app.results == []


def test_referral_form_result_advances_the_referral(write, read):
    from caseload.services import referrals

    add_patient(write)
    with write() as s:
        r = referrals.create(
            s, "P-1", to_name="Dr Okafor", reason="cardiology", sent_on=date(2025, 3, 1)
        )
    app = drive(
        ReferralStatusForm(r, today=TODAY),
        saved(status="declined", on="2025-03-04", note="no capacity"),
    )
    assert app.results == [
        {
            "referral_id": r["id"],
            "status": "declined",
            "on": date(2025, 3, 4),
            "note": "no capacity",
        }
    ]
    values = dict(app.results[0])
    with write() as s:
        referrals.advance(s, values.pop("referral_id"), **values)
    with read() as s:
        got = referrals.get(s, r["id"])
    assert (got["status"], got["declined_on"]) == ("declined", date(2025, 3, 4))


# --- every form ---------------------------------------------------------------------------


def every_form():
    return [
        PatientForm(today=TODAY),
        PatientForm({"external_id": "P-1", "given_name": "A", "family_name": "B"}, today=TODAY),
        DischargePatientForm("P-1", today=TODAY),
        ContactForm("P-1", now=NOW),
        FollowUpForm("P-1", today=TODAY),
        CompleteFollowUpForm(WEEKLY, now=NOW),
        HospitalDischargeForm("P-1", today=TODAY),
        ProblemForm("P-1"),
        GoalForm(1, today=TODAY),
        InterventionForm(1),
        ReferralStatusForm(referral("sent"), today=TODAY),
    ]


@pytest.mark.parametrize("form", every_form(), ids=lambda f: type(f).__name__)
def test_escape_cancels_with_none(form):
    async def steps(pilot, form):
        await fill(pilot, form, **{form.form_fields[0].key: form.raw(form.form_fields[0].key)})
        await pilot.press("escape")

    app = drive(form, steps)
    assert app.results == [None]


def test_the_cancel_button_cancels_with_none():
    app = drive(ContactForm("P-1", now=NOW), lambda pilot, form: pilot.click("#form-cancel"))
    assert app.results == [None]


JUNK = ["someday", "+99999d", "9999-99-99", "\x00", "-1", "x" * 20_001, "🙂", "next next mon"]


@pytest.mark.parametrize("form", every_form(), ids=lambda f: type(f).__name__)
def test_no_input_crashes_a_form(form):
    """Junk in every text field, then save: the form stays up (or saves) and never raises."""

    async def steps(pilot, form):
        for junk in JUNK:
            for f in form.form_fields:
                if f.kind == "text":
                    form.query_one(f"#f-{f.key}", Input).value = junk
            await pilot.pause()
            await pilot.press("ctrl+s")
            if pilot.app.screen is not form:
                return

    drive(form, steps)


def test_enter_moves_to_the_next_field_before_the_last():
    seen = {}

    async def steps(pilot, form):
        await pilot.press(*"Call", "enter")
        seen["focus"] = pilot.app.focused.id

    app = drive(FollowUpForm("P-1", today=TODAY), steps)
    assert seen["focus"] == "f-due_on"
    assert app.results == []


def test_the_forms_and_the_services_share_one_set_of_rules():
    from caseload.services import followups, referrals, schedule
    from caseload.tui.forms import followup, referral

    for label, rule in followup.RECURRENCE[1:]:
        assert followups.normalise_rrule(rule) == rule, label
    assert followup.DEFAULT_METHOD is followups.DEFAULT_METHOD is schedule.DEFAULT_METHOD
    assert referral.NEXT is referrals.NEXT is schedule.REFERRAL_NEXT


def test_importing_the_forms_loads_no_database_library():
    code = (
        "import sys, caseload.tui.forms\n"
        "print(' '.join(m for m in ('sqlmodel', 'sqlalchemy', 'caseload.models', "
        "'caseload.store', 'typer') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.split() == []


# --- what a new user tripped over ----------------------------------------------------------


def test_unchecked_consent_boxes_differ_from_checked_ones_without_colour():
    seen = {}

    def boxes(form) -> dict[str, str]:
        # The plain text of each box: what a screen reader or a monochrome terminal shows.
        return {
            key: str(form.query_one(f"#f-{key}").render())[:3] for key in ("may_call", "may_text")
        }

    async def steps(pilot, form):
        seen["before"] = boxes(form)
        await fill(pilot, form, may_text=True, may_call=False)
        seen["after"] = boxes(form)

    drive(PatientForm(today=TODAY), steps)
    assert seen == {
        "before": {"may_call": "▐X▌", "may_text": "▐ ▌"},
        "after": {"may_call": "▐ ▌", "may_text": "▐X▌"},
    }


def test_ctrl_s_on_an_invalid_form_says_what_is_wrong_and_focuses_that_field():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, title="Call about labs", due_on="someday")
        form.query_one("#f-title").focus()
        await pilot.press("ctrl+s")
        seen["info"] = info(form)
        seen["focus"] = pilot.app.focused.id
        await fill(pilot, form, due_on="tomorrow")
        seen["fixed"] = info(form)

    app = drive(FollowUpForm("P-1", today=TODAY), steps)
    assert seen == {"info": f"Not saved: Due: {DUE_HELP}.", "focus": "f-due_on", "fixed": ""}
    assert app.results == []


def test_ctrl_s_scrolls_to_a_wrong_field_below_the_fold():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, external_id="P-9", given_name="Ana", family_name="Lopez")
        await fill(pilot, form, enrolled_on="someday")
        form.query_one("#f-external_id").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        seen["info"] = info(form)
        field = pilot.app.focused
        seen["focus"] = field.id
        seen["visible"] = form.query_one("#form-fields").region.contains_region(field.region)

    drive(PatientForm(today=TODAY), steps)
    assert seen == {
        "info": f"Not saved: Enrolled: {DATE_HELP}.",
        "focus": "f-enrolled_on",
        "visible": True,
    }


# What the Patient screen's Overview shows, each a field Edit patient offers.
OVERVIEW_FIELDS = (
    "preferred_contact", "birth_date", "sex", "email", "address", "alt_phone", "programs",
    "conditions", "social_needs", "pcp", "payer", "enrolled_on", "notes",
)  # fmt: skip


def test_edit_patient_offers_every_field_the_overview_shows(write, read):
    from caseload.services import patients

    with write() as s:
        initial = patients.add(s, external_id="P-1", given_name="Ana", family_name="Lopez")
    form = PatientForm(initial, today=TODAY)
    assert set(OVERVIEW_FIELDS) <= {f.key for f in form.form_fields}
    app = drive(
        form,
        saved(
            address="4 Oak Rd",
            email="ana@example.org",
            pcp="Dr. Rivera",
            payer="Medicaid",
            conditions="asthma; hypertension",
            social_needs="food",
            enrolled_on="2025-01-06",
        ),
    )
    values = dict(app.results[0])
    with write() as s:
        patients.edit(s, values.pop("_external_id"), **values)
    with read() as s:
        got = patients.get(s, "P-1")
    assert {k: got[k] for k in values} == {
        "address": "4 Oak Rd",
        "email": "ana@example.org",
        "pcp": "Dr. Rivera",
        "payer": "Medicaid",
        "conditions": ["asthma", "hypertension"],
        "social_needs": ["food"],
        "enrolled_on": date(2025, 1, 6),
    }


NAMED = "Ana Lopez"


@pytest.mark.parametrize(
    ("form", "line"),
    [
        (ContactForm("P-1", now=NOW, patient_name=NAMED), "Patient Ana Lopez, P-1"),
        (FollowUpForm("P-1", today=TODAY, patient_name=NAMED), "Patient Ana Lopez, P-1"),
        (
            HospitalDischargeForm("P-1", today=TODAY, patient_name=NAMED),
            "Patient Ana Lopez, P-1 left hospital.",
        ),
        (
            DischargePatientForm("P-1", today=TODAY, patient_name=NAMED),
            "Patient Ana Lopez, P-1 leaves the active caseload.",
        ),
        (ProblemForm("P-1", patient_name=NAMED), "Care plan of patient Ana Lopez, P-1"),
        (
            CompleteFollowUpForm(
                {**WEEKLY, "patient_external_id": "P-1", "patient_name": NAMED}, now=NOW
            ),
            "Patient Ana Lopez, P-1",
        ),
        (
            ReferralStatusForm(
                {**referral("sent"), "patient_external_id": "P-1"}, today=TODAY, patient_name=NAMED
            ),
            "Patient Ana Lopez, P-1",
        ),
    ],
    ids=lambda x: type(x).__name__ if not isinstance(x, str) else "",
)
def test_forms_name_the_patient_not_only_the_id(form, line):
    seen = {}

    async def steps(pilot, form):
        seen["intro"] = [str(label.content) for label in form.query(".form-intro").results(Label)]

    drive(form, steps)
    assert seen["intro"][0] == line


def test_contact_form_snapshot(snap_compare):
    assert snap_compare(Host(ContactForm("P-1", now=NOW)), terminal_size=(80, 24))


def test_a_bad_birth_date_offers_dates_with_a_year_never_tomorrow():
    seen = {}

    async def steps(pilot, form):
        await fill(pilot, form, external_id="P-9", given_name="Ana", family_name="Lopez")
        await fill(pilot, form, birth_date="14/03/1958")
        seen["error"] = error(form, "birth_date")

    drive(PatientForm(today=TODAY), steps)
    assert seen["error"] == f"not a date; use {accepted('birth')}"
    assert "tomorrow" not in seen["error"] and "14/03/1958" not in seen["error"]
