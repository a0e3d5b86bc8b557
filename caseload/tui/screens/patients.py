"""Patients: the caseload as a paged table with instant search, filters and sort.

Each keystroke searches at once, in a thread worker, through the indexed finder
(``patients.find``): a first page that fills the screen, then 200 rows at a time
when scrolling nears the end (keyset paging); the table stops growing at MAX_ROWS
so it stays light at 100k patients. One search runs at a time: keys typed while
it runs are answered by one search for the latest text when it lands (a
generation number tells stale answers apart). Rows are updated by key, so a
result that did not change costs nothing to show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Input, Label, Static

from caseload.tui.render import label
from caseload.tui.screens.base import CaseloadScreen, deliver
from caseload.tui.widgets.patient_table import PatientTable

if TYPE_CHECKING:
    from caseload.services.patients import Page
    from caseload.tui.data import Store

PAGE = 200
# The first page of a search only needs to fill the screen: a smaller one paints sooner.
FIRST_PAGE = 50
MAX_ROWS = 2000
RISKS = (None, "high", "medium", "low")
STATUSES = ("active", None, "on_hold", "discharged")
SORTS = ("name", "external_id")


def _cycle(values: tuple, current) -> object:
    return values[(values.index(current) + 1) % len(values)]


class PatientsScreen(CaseloadScreen):
    FAILED_TITLE = "Search failed"

    HELP_NOTES: ClassVar = (
        ("letters", "act when the results table has the focus; in the search box they"
                    " are typed"),
        ("+", "after the count: more rows load as you scroll (up to 2,000)"),
    )  # fmt: skip
    BINDINGS: ClassVar = [
        Binding("slash", "focus_search", "Search"),
        Binding("escape", "back", "Back", show=False),
        Binding("r", "risk", "Risk", tooltip="risk filter: any, high, medium, low"),
        Binding("s", "status", "Status", tooltip="status filter: active, any, on hold, discharged"),
        Binding("g", "program", "Program", tooltip="program filter: each tag in use in turn"),
        Binding("o", "overdue", "Overdue", tooltip="only patients with an overdue follow-up"),
        Binding("t", "sort", "Sort", tooltip="sort by name or by external id"),
        Binding("a", "add_patient", "Add", tooltip="add a patient"),
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
        self.searching = False
        self.searched = 0  # the generation of the search running or last run
        self.answered = 0  # the generation whose results are on screen

    def compose(self) -> ComposeResult:
        yield Label("Patients", id="patients-title", classes="title")
        yield Input(placeholder="Search name, external id or phone  (/)", id="search")
        yield Static("", id="filters")
        yield PatientTable(id="patient-table", zebra_stripes=True)
        # Every key of this screen fits 80 columns once the palette hint (ctrl+p) goes to `?`.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.search()
        self.load_programs(self.store)

    # --- searching -----------------------------------------------------------------

    def filters(self) -> dict:
        return {
            "status": self.status,
            "risk": self.risk,
            "program": self.program,
            "overdue_on": self.day if self.overdue else None,
            "order": self.sort,
        }

    def show_filters(self, shown: int | None = None) -> None:
        # The keys that change each filter are in the footer: this line only says the state.
        parts = [
            f"status {label(self.status) or 'any'}",
            f"risk {self.risk or 'any'}",
            f"program {self.program or 'any'}",
            f"overdue {'only' if self.overdue else 'any'}",
            f"sort by {label(self.sort)}",
        ]
        text = " · ".join(parts)
        if shown is not None:
            more = "+" if self.next_after is not None else ""
            text = f"{shown}{more} shown · " + text
        self.query_one("#filters", Static).update(text)

    def search(self) -> None:
        """Search for what is typed now. One search runs at a time: typing while it runs
        only marks it stale, and its answer is followed by one search for the latest text."""
        self.generation += 1
        self.next_after = None
        if not self.searching:
            self._start_search()

    def _start_search(self) -> None:
        self.searching = True
        self.searched = self.generation
        text = self.query_one("#search", Input).value
        self.find(self.store, self.generation, text, self.filters())

    def more(self) -> None:
        table = self.query_one(PatientTable)
        if self.next_after is None or self.loading_more or table.row_count >= MAX_ROWS:
            return
        self.loading_more = True
        text = self.query_one("#search", Input).value
        self.find_more(self.store, self.generation, text, self.filters(), self.next_after)

    # --- workers and what they post --------------------------------------------------

    class ProgramsLoaded(Message):
        def __init__(self, tags: list[str]) -> None:
            self.tags = tags
            super().__init__()

    class Found(Message):
        """A page of patients for search ``generation``; ``more`` when it is a next page."""

        def __init__(self, generation: int, page: Page, *, more: bool = False) -> None:
            self.generation = generation
            self.page = page
            self.more = more
            super().__init__()

    class SearchFailed(Message):
        def __init__(self, text: str, *, more: bool = False) -> None:
            self.text = text
            self.more = more
            super().__init__()

    @work(thread=True, exclusive=True, exit_on_error=False, group="programs")
    def load_programs(self, store: Store) -> None:
        deliver(self, store.programs, self.ProgramsLoaded, self.Failed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="find")
    def find(self, store: Store, generation: int, text: str, filters: dict) -> None:
        deliver(
            self,
            lambda: store.find(text, limit=FIRST_PAGE, **filters),
            lambda page: self.Found(generation, page),
            self.SearchFailed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="more")
    def find_more(
        self, store: Store, generation: int, text: str, filters: dict, after: tuple
    ) -> None:
        deliver(
            self,
            lambda: store.find(text, limit=PAGE, after=after, **filters),
            lambda page: self.Found(generation, page, more=True),
            lambda text: self.SearchFailed(text, more=True),
        )

    @on(Input.Changed, "#search")
    def typed(self) -> None:
        self.search()

    @on(Input.Submitted, "#search")
    def submitted(self) -> None:
        # Every change already searched: Enter only moves to the results.
        self.query_one(PatientTable).focus()

    @on(ProgramsLoaded)
    def _programs(self, message: ProgramsLoaded) -> None:
        message.stop()
        self.programs = (None, *message.tags)

    @on(Found)
    def _found(self, message: Found) -> None:
        message.stop()
        if message.more:
            self.loading_more = False
        else:
            self.searching = False
        if message.generation != self.generation:
            if not message.more:
                self._start_search()  # typed over while it ran: search the latest text
            return
        self.next_after = message.page.next_after
        table = self.query_one(PatientTable)
        if message.more:
            table.extend(message.page.rows, self.day)
        else:
            table.show(message.page.rows, self.day)
            self.answered = message.generation
        self.show_filters(table.row_count)

    @on(SearchFailed)
    def _search_failed(self, message: SearchFailed) -> None:
        message.stop()
        if message.more:
            self.loading_more = False
        else:
            self.searching = False
            if self.searched != self.generation:
                self._start_search()
                return
        self.notify(message.text, title=self.FAILED_TITLE, severity="error")

    @on(PatientTable.NearEnd)
    def _near_end(self, message: PatientTable.NearEnd) -> None:
        message.stop()
        self.more()

    @on(PatientTable.Chosen)
    def _chosen(self, message: PatientTable.Chosen) -> None:
        message.stop()
        self.app.open_patient(message.external_id)

    # --- actions -------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_to_table(self) -> None:
        self.query_one(PatientTable).focus()

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
        self.app.add_patient()

    def action_refresh(self) -> None:
        self.search()
