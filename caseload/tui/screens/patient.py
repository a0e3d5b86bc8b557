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
from caseload.tui.widgets import patient_view as view
from caseload.tui.widgets.format import day
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
TABLES = {
    "contacts": ("When", "Method", "Party", "Outcome", "Note"),
    "followups": ("ID", "Due", "What", "Status", "Repeats"),
    "team": ("Name", "Role", "For", "Phone"),
    "referrals": ("ID", "To", "For", "Status", "Sent"),
    "history": ("When", "Who", "Action", "Detail"),
}


class PatientScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back"),
        Binding("c", "form('contact')", "Contact"),
        Binding("f", "form('followup')", "Follow-up"),
        Binding("d", "done", "Done"),
        Binding("e", "form('edit')", "Edit"),
        Binding("h", "form('hospital')", "Hospital"),
        Binding("x", "form('discharge')", "Discharge"),
        Binding("n", "form('problem')", "Problem", show=False),
        Binding("v", "form('referral')", "Referral", show=False),
        Binding("r", "refresh", "Refresh", show=False),
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
                    yield DataTable(id=tab, cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        for tab, columns in TABLES.items():
            self.query_one(f"#{tab}", DataTable).add_columns(*columns)
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
        self.query_one("#overview", Static).update(view.overview(p))
        self.query_one("#plan", Static).update(view.care_plan(d["plan"], d["versions"]))
        self._fill(
            "contacts",
            (
                (
                    day(c["at"]) + (" +" if c.get("addendum_to") else ""),
                    c["method"],
                    c["party"],
                    c["outcome"],
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
                    f"{f['kind'].replace('_', ' ')}: {f['title']}",
                    self._standing(f, today),
                    f.get("rrule") or "",
                )
                for f in d["followups"]
            ),
            keys=[str(f["id"]) for f in d["followups"]],
        )
        self._fill(
            "team",
            (
                (m["name"], m["role"], m.get("relationship") or "", m.get("phone") or "")
                for m in d["team"]
            ),
        )
        self._fill(
            "referrals",
            (
                (str(r["id"]), r["to_name"], r["reason"], r["status"], day(r["sent_on"]))
                for r in d["referrals"]
            ),
            keys=[str(r["id"]) for r in d["referrals"]],
        )
        self._fill(
            "history",
            (
                (day(e["at"]), e["actor"], e["action"], view.history_detail(e))
                for e in reversed(d["history"])
            ),
        )

    @staticmethod
    def _standing(f: dict, today) -> str:
        if f["status"] == "open" and f["due_on"] < today:
            return "overdue"
        return f["status"]

    def _fill(self, table_id: str, rows, keys: list[str] | None = None) -> None:
        table = self.query_one(f"#{table_id}", DataTable)
        keep = table.cursor_row
        table.clear()
        for n, row in enumerate(rows):
            table.add_row(*row, key=keys[n] if keys else None)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

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
        self.query_one(TabbedContent).active = tab_id

    def action_done(self) -> None:
        self.query_one(TabbedContent).active = "tab-followups"
        fid = self._selected("followups")
        if fid is not None:
            self.app.complete_followup(fid)  # type: ignore[attr-defined]

    def action_form(self, which: str) -> None:
        if self.data is None:
            return
        extra = None
        if which == "referral":
            self.query_one(TabbedContent).active = "tab-referrals"
            rid = self._selected("referrals")
            extra = next((r for r in self.data["referrals"] if r["id"] == rid), None)
            if extra is None:
                return
        self.app.open_form(which, self.data["patient"], extra)  # type: ignore[attr-defined]
