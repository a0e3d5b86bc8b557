"""Patients: the caseload as a paged table with instant search, filters and sort.

Each keystroke restarts a short debounce timer; the search then runs in an
exclusive thread worker through the indexed finder (``patients.find``), one page
of 200 rows at a time. Scrolling near the end loads the next page (keyset
paging); the table stops growing at MAX_ROWS so it stays light at 100k patients.
A generation number drops answers to searches that have been superseded.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, Static

from caseload.tui.messages import Failed, Loaded
from caseload.tui.widgets.format import age, name
from caseload.tui.widgets.worker import load

PAGE = 200
# The first page of a search only needs to fill the screen: a smaller one paints sooner.
FIRST_PAGE = 60
MAX_ROWS = 2000
DEBOUNCE = 0.12
RISKS = (None, "high", "medium", "low")
STATUSES = ("active", None, "on_hold", "discharged")
SORTS = ("name", "external_id")


def _cycle(values: tuple, current) -> object:
    return values[(values.index(current) + 1) % len(values)]


class PatientsScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("slash", "focus_search", "Search"),
        Binding("escape", "back", "Back"),
        Binding("r", "risk", "Risk"),
        Binding("s", "status", "Status"),
        Binding("g", "program", "Program"),
        Binding("o", "overdue", "Overdue"),
        Binding("t", "sort", "Sort"),
        Binding("a", "add_patient", "Add"),
        Binding("down", "to_table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="patients")
        self.risk: str | None = None
        self.status: str | None = "active"
        self.program: str | None = None
        self.programs: tuple = (None,)
        self.overdue = False
        self.sort = "name"
        self.generation = 0
        self.next_after = None
        self.loading_more = False
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Label("Patients", id="patients-title", classes="title")
        yield Input(placeholder="Search name, external id or phone  (/)", id="search")
        yield Static("", id="filters")
        yield DataTable(id="patient-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Name", key="name")
        table.add_column("ID", key="id")
        table.add_column("Age", key="age")
        table.add_column("Phone", key="phone")
        table.add_column("Risk", key="risk")
        table.add_column("Status", key="status")
        self.search()
        load(self, "programs", self.app.store.programs)  # type: ignore[attr-defined]

    # --- searching -----------------------------------------------------------------

    def filters(self) -> dict:
        return {
            "status": self.status,
            "risk": self.risk,
            "program": self.program,
            "overdue_on": self.app.today() if self.overdue else None,  # type: ignore[attr-defined]
            "order": self.sort,
        }

    def show_filters(self, shown: int | None = None) -> None:
        parts = [
            f"status {self.status or 'any'} (s)",
            f"risk {self.risk or 'any'} (r)",
            f"program {self.program or 'any'} (g)",
            f"overdue {'only' if self.overdue else 'any'} (o)",
            f"sort {self.sort.replace('_', ' ')} (t)",
        ]
        text = " · ".join(parts)
        if shown is not None:
            more = "+" if self.next_after is not None else ""
            text = f"{shown}{more} shown · " + text
        self.query_one("#filters", Static).update(text)

    def search(self) -> None:
        self.generation += 1
        self.next_after = None
        text = self.query_one("#search", Input).value
        store = self.app.store  # type: ignore[attr-defined]
        gen, found = self.generation, self.filters()
        load(self, "find", lambda: (gen, False, store.find(text, limit=FIRST_PAGE, **found)))

    def more(self) -> None:
        table = self.query_one(DataTable)
        if self.next_after is None or self.loading_more or table.row_count >= MAX_ROWS:
            return
        self.loading_more = True
        text = self.query_one("#search", Input).value
        store, gen, after = self.app.store, self.generation, self.next_after  # type: ignore[attr-defined]
        found = self.filters()
        load(self, "more", lambda: (gen, True, store.find(text, limit=PAGE, after=after, **found)))

    @on(Input.Changed, "#search")
    def typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self.search)

    @on(Input.Submitted, "#search")
    def submitted(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.search()
        self.query_one(DataTable).focus()

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        message.stop()
        if message.what == "programs":
            self.programs = (None, *message.data)
            return
        gen, appending, page = message.data
        if gen != self.generation:
            return  # an answer to a search that has been typed over
        table = self.query_one(DataTable)
        if not appending:
            table.clear()
        self.loading_more = False
        self.next_after = page.next_after
        today = self.app.today()  # type: ignore[attr-defined]
        for p in page.rows:
            if p["external_id"] in table.rows:
                continue
            table.add_row(
                name(p),
                p["external_id"],
                age(p["birth_date"], today),
                p["phone"] or "",
                p["risk"],
                p["status"],
                key=p["external_id"],
            )
        self.show_filters(table.row_count)

    @on(Failed)
    def failed(self, message: Failed) -> None:
        message.stop()
        self.loading_more = False
        self.notify(message.message, title="Search failed", severity="error")

    @on(DataTable.RowHighlighted)
    def near_end(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= event.data_table.row_count - 20:
            self.more()

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.app.open_patient(event.row_key.value)  # type: ignore[attr-defined]

    # --- actions -------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_to_table(self) -> None:
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_risk(self) -> None:
        self.risk = _cycle(RISKS, self.risk)
        self.search()

    def action_status(self) -> None:
        self.status = _cycle(STATUSES, self.status)
        self.search()

    def action_program(self) -> None:
        if self.program not in self.programs:
            self.program = None
        self.program = _cycle(self.programs, self.program)
        self.search()

    def action_overdue(self) -> None:
        self.overdue = not self.overdue
        self.search()

    def action_sort(self) -> None:
        self.sort = _cycle(SORTS, self.sort)
        self.search()

    def action_add_patient(self) -> None:
        self.app.add_patient()  # type: ignore[attr-defined]

    def action_refresh(self) -> None:
        self.search()
