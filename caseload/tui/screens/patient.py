"""One patient: a header (name, age, phone, language, risk, consent) and a tab per record kind.

Keys open the forms (log a contact, schedule a follow-up, edit, hospital
discharge, discharge from the caseload); the app runs the matching service in a
worker and asks this screen to reload.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from caseload.tui.messages import Failed, Loaded
from caseload.tui.render import action, already, label, repeats
from caseload.tui.widgets import patient_view as view
from caseload.tui.widgets.format import day
from caseload.tui.widgets.table import Col, Table
from caseload.tui.widgets.worker import load

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


class PatientScreen(Screen[None]):
    # The footer shows what fits 80 columns (with ^q and ?); `?` lists every key.
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back", show=False),
        Binding("c", "form('contact')", "Contact", tooltip="log a contact"),
        Binding("f", "form('followup')", "Follow-up", tooltip="schedule a follow-up"),
        Binding("d", "done", "Done", tooltip="complete the follow-up highlighted on Follow-ups"),
        Binding("e", "form('edit')", "Edit", tooltip="edit the patient"),
        Binding("h", "form('hospital')", "Hospital", tooltip="record a hospital discharge"),
        Binding("x", "form('discharge')", "Discharge", tooltip="discharge from the caseload"),
        Binding(
            "n",
            "form('problem')",
            "Problem",
            show=False,
            tooltip="add a care-plan problem or need",
        ),
        Binding(
            "v",
            "form('referral')",
            "Referral",
            show=False,
            tooltip="move the referral highlighted on Referrals to its next step",
        ),
        Binding("r", "refresh", "Refresh", show=False, tooltip="refresh"),
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
        load(self, "patient", self.app.store.patient, self.external_id)  # type: ignore[attr-defined]

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        message.stop()
        self.data = d = message.data
        p = d["patient"]
        self.external_id = p["external_id"]
        self.sub_title = p["external_id"]
        today = self.app.today()  # type: ignore[attr-defined]
        self.query_one("#patient-header", Static).update(view.header(p, today))
        transitions = d.get("transitions", [])
        self.query_one("#overview", Static).update(view.overview(p, transitions))
        self.query_one("#plan", Static).update(view.care_plan(d["plan"], d["versions"]))
        self._fill(
            "contacts",
            (
                (
                    day(c["at"]) + (" +" if c.get("addendum_to") else ""),
                    label(c["method"]),
                    label(c["party"]),
                    label(c["outcome"]),
                    ("addendum: " if c.get("addendum_to") else "") + (c.get("note") or ""),
                )
                for c in d["contacts"]
            ),
        )
        self._fill(
            "followups",
            (
                (
                    str(f["id"]),
                    day(f["due_on"]),
                    f"{label(f['kind'])}: {f['title']}",
                    self._standing(f, today),
                    repeats(f.get("rrule")),
                )
                for f in d["followups"]
            ),
            keys=[str(f["id"]) for f in d["followups"]],
        )
        self._fill(
            "team",
            (
                (m["name"], label(m["role"]), m.get("relationship") or "", m.get("phone") or "")
                for m in d["team"]
            ),
        )
        self._fill(
            "referrals",
            (
                (str(r["id"]), r["to_name"], r["reason"], label(r["status"]), day(r["sent_on"]))
                for r in d["referrals"]
            ),
            keys=[str(r["id"]) for r in d["referrals"]],
        )
        by_id = {str(t["id"]): t for t in transitions}
        self._fill(
            "history",
            (
                (day(e["at"]), e["actor"], action(e["action"]), view.history_detail(e, by_id))
                for e in reversed(d["history"])
            ),
        )

    @staticmethod
    def _standing(f: dict, today) -> str:
        if f["status"] == "open" and f["due_on"] < today:
            return "overdue"
        return label(f["status"])

    def _fill(self, table_id: str, rows, keys: list[str] | None = None) -> None:
        self.query_one(f"#{table_id}", Table).replace_rows(rows, keys)

    @on(Failed)
    def failed(self, message: Failed) -> None:
        message.stop()
        self.notify(message.message, title="Could not load", severity="error")

    def _selected(self, table_id: str) -> int | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

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
        self.app.complete_followup(fid)  # type: ignore[attr-defined]

    def action_form(self, which: str) -> None:
        if self.data is None:
            return
        extra = None
        if which == "referral":
            self.action_tab("tab-referrals")
            if not self.data["referrals"]:
                self.notify("No referrals for this patient yet: nothing to move along.")
                return
            rid = self._selected("referrals")
            extra = next((r for r in self.data["referrals"] if r["id"] == rid), None)
            if extra is None:
                return
        self.app.open_form(which, self.data["patient"], extra)  # type: ignore[attr-defined]
