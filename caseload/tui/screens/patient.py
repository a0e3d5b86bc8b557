"""One patient: a header (name, age, phone, language, risk, consent) and a tab per record kind.

Keys open the forms (log a contact, schedule a follow-up, edit, hospital
discharge, discharge from the caseload, a care-plan problem, goal or
intervention, a referral's next step); the app saves what a form returns in a
worker and asks this screen to reload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from caseload.tui import forms
from caseload.tui import patient_view as view
from caseload.tui.render import already, name
from caseload.tui.screens.base import CaseloadScreen, deliver
from caseload.tui.widgets.table import Col, Table

if TYPE_CHECKING:
    from caseload.tui.data import Store

TABS = (
    ("overview", "Overview"),
    ("plan", "Care plan"),
    ("contacts", "Contacts"),
    ("followups", "Follow-ups"),
    ("team", "Care team"),
    ("referrals", "Referrals"),
    ("history", "History"),
)
# Dates, ids and codes keep their width; the free text takes what is left.
TABLES = {
    "contacts": (
        Col("when", "When"),
        Col("method", "Method"),
        Col("party", "Party"),
        Col("outcome", "Outcome"),
        Col("note", "Note", flex=True, min=8),
    ),
    "followups": (
        Col("id", "ID"),
        Col("due", "Due"),
        Col("what", "What", flex=True, min=12),
        Col("status", "Status"),
        Col("repeats", "Repeats", min=7, max=22),
    ),
    "team": (
        Col("name", "Name", flex=True, min=10),
        Col("role", "Role", min=6, max=20),
        Col("for", "For", flex=True, min=6),
        Col("phone", "Phone"),
    ),
    "referrals": (
        Col("id", "ID"),
        Col("to", "To", flex=True, min=8),
        Col("for", "For", flex=True, min=8),
        Col("status", "Status"),
        Col("sent", "Sent"),
    ),
    "history": (
        Col("when", "When"),
        Col("who", "Who", min=4, max=12),
        Col("action", "Action"),
        Col("detail", "Detail", flex=True, min=10),
    ),
}


def _hidden(key: str, action: str, description: str, tooltip: str) -> Binding:
    return Binding(key, action, description, show=False, tooltip=tooltip)


class PatientScreen(CaseloadScreen):
    FAILED_TITLE = "Could not load"
    # The footer shows what fits 80 columns (with ^q and ?); `?` lists every key.
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back", show=False),
        Binding("c", "contact", "Contact", tooltip="log a contact"),
        Binding("f", "followup", "Follow-up", tooltip="schedule a follow-up"),
        Binding("d", "done", "Done", tooltip="complete the follow-up highlighted on Follow-ups"),
        Binding("e", "edit", "Edit", tooltip="edit the patient"),
        Binding("h", "hospital", "Hospital", tooltip="record a hospital discharge"),
        Binding("x", "discharge", "Discharge", tooltip="discharge from the caseload"),
        _hidden("n", "problem", "Problem", "add a care-plan problem or need"),
        _hidden("g", "goal", "Goal", "add a goal to a problem of the care plan"),
        _hidden("i", "intervention", "Intervention", "add an intervention to a goal"),
        _hidden(
            "v",
            "referral",
            "Referral",
            "move the referral highlighted on Referrals to its next step",
        ),
        _hidden("r", "refresh", "Refresh", "refresh"),
        # Tabs by number: the tab strip itself needs focus and arrows otherwise.
        *(
            Binding(str(n), f"tab('tab-{tab}')", f"{title} tab", show=False)
            for n, (tab, title) in enumerate(TABS, start=1)
        ),
    ]

    def __init__(self, external_id: str) -> None:
        super().__init__(id="patient")
        self.external_id = external_id
        self.data: dict | None = None

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="patient-header")
        with TabbedContent(id="patient-tabs"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll():
                yield Static("", id="overview")
            with TabPane("Care plan", id="tab-plan"), VerticalScroll():
                yield Static("", id="plan")
            for tab, title in TABS[2:]:
                with TabPane(title, id=f"tab-{tab}"):
                    yield Table(TABLES[tab], id=tab, zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load_patient(self.store, self.external_id)

    class Loaded(Message):
        """The patient and every tab's records (``Store.patient``)."""

        def __init__(self, data: dict) -> None:
            self.data = data
            super().__init__()

    @work(thread=True, exclusive=True, exit_on_error=False, group="patient")
    def load_patient(self, store: Store, external_id: str) -> None:
        deliver(self, lambda: store.patient(external_id), self.Loaded, self.Failed)

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        self.data = d = message.data
        p = d["patient"]
        self.external_id = self.sub_title = p["external_id"]
        transitions = d.get("transitions", [])
        self.query_one("#patient-header", Static).update(view.header(p, self.day))
        self.query_one("#overview", Static).update(view.overview(p, transitions))
        self.query_one("#plan", Static).update(view.care_plan(d["plan"], d["versions"]))
        self._show("contacts", view.contact_rows(d["contacts"]))
        needed = getattr(self.app.config, "attempts_before_unable", 3)
        self._show("followups", view.followup_rows(d["followups"], self.day, d["contacts"], needed))
        self._show("team", view.team_rows(d["team"]))
        self._show("referrals", view.referral_rows(d["referrals"]))
        self._show("history", view.history_rows(d["history"], transitions))

    def _show(self, table_id: str, rows: dict[str, tuple]) -> None:
        self.query_one(f"#{table_id}", Table).sync_rows(rows)

    def _selected(self, table_id: str) -> int | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    # --- keys ----------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab_id: str) -> None:
        """Show a tab and put the focus in it (its table, or its scrolling text), so the
        arrow keys, Home and End move through what it lists."""
        self.query_one(TabbedContent).active = tab_id
        pane = self.query_one(f"#{tab_id}", TabPane)
        target = next(iter(pane.query(DataTable)), None) or next(
            iter(pane.query(VerticalScroll)), None
        )
        if target is not None:
            target.focus()

    def action_done(self) -> None:
        self.action_tab("tab-followups")
        fid = self._selected("followups")
        if fid is None:
            self.notify("No follow-up to complete: schedule one with f.")
            return
        f = next((x for x in self.data["followups"] if x["id"] == fid), None) if self.data else None
        if f is not None and f["status"] != "open":
            self.notify(already(f), severity="warning")
            return
        self.app.complete_followup(fid)

    # --- forms: each builds its form and names the Store method that saves it ---------

    def _form(
        self,
        build: Callable[[dict, str, str], Any],
        save: Callable[[dict], Any],
        done: Callable[[Any], str | None] | None = None,
    ) -> None:
        """Open ``build(patient, external id, name)``; what it returns is saved by ``save``
        (``done`` sees the result once saved)."""
        if self.data is not None:
            p = self.data["patient"]
            self.app.open_form(build(p, p["external_id"], name(p)), save, done)

    def action_contact(self) -> None:
        self._form(
            lambda p, ext, who: forms.ContactForm(ext, patient_name=who), self.store.log_contact
        )

    def action_followup(self) -> None:
        self._form(
            lambda p, ext, who: forms.FollowUpForm(ext, today=self.day, patient_name=who),
            self.store.add_followup,
        )

    def action_edit(self) -> None:
        self._form(
            lambda p, ext, who: forms.PatientForm(p, today=self.day),
            self.store.edit_patient,
            self._renamed,
        )

    def _renamed(self, patient: dict) -> None:
        """An edit may change the external id: reload by the new one."""
        self.external_id = patient["external_id"]

    def action_hospital(self) -> None:
        self._form(
            lambda p, ext, who: forms.HospitalDischargeForm(
                ext,
                risk=p.get("risk"),
                today=self.day,
                holidays=self.app.holidays(),
                patient_name=who,
            ),
            self.store.record_discharge,
        )

    def action_discharge(self) -> None:
        self._form(
            lambda p, ext, who: forms.DischargePatientForm(ext, today=self.day, patient_name=who),
            self.store.discharge_patient,
        )

    def action_problem(self) -> None:
        self._form(
            lambda p, ext, who: forms.ProblemForm(ext, patient_name=who), self.store.add_problem
        )

    def action_goal(self) -> None:
        problems = view.problem_choices(self.data["plan"]) if self.data else []
        if self.data is not None and not problems:
            self.notify("No problems in the care plan yet: add one with n.")
            return
        self._form(
            lambda p, ext, who: forms.GoalForm(
                problems=problems, today=self.day, patient_external_id=ext, patient_name=who
            ),
            self.store.add_goal,
        )

    def action_intervention(self) -> None:
        goals = view.goal_choices(self.data["plan"]) if self.data else []
        if self.data is not None and not goals:
            self.notify("No goals in the care plan yet: add one with g.")
            return
        self._form(
            lambda p, ext, who: forms.InterventionForm(
                goals=goals, patient_external_id=ext, patient_name=who
            ),
            self.store.add_intervention,
        )

    def action_referral(self) -> None:
        if self.data is None:
            return
        self.action_tab("tab-referrals")
        if not self.data["referrals"]:
            self.notify("No referrals for this patient yet: nothing to move along.")
            return
        rid = self._selected("referrals")
        referral = next((r for r in self.data["referrals"] if r["id"] == rid), None)
        if referral is not None:
            self._form(
                lambda p, ext, who: forms.ReferralStatusForm(
                    referral, today=self.day, patient_name=who
                ),
                self.store.advance_referral,
            )
