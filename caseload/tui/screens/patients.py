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

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static

from caseload.tui.messages import Failed, Loaded
from caseload.tui.render import label
from caseload.tui.widgets.format import age, name
from caseload.tui.widgets.table import Col, Table
from caseload.tui.widgets.worker import load

PAGE = 200
# The first page of a search only needs to fill the screen: a smaller one paints sooner.
FIRST_PAGE = 50
MAX_ROWS = 2000
# Past this many rows to drop, clearing the table is cheaper than removing them one by one.
REMOVE_MAX = 60
# Ids, ages, phones and statuses keep their width; the name takes the rest.
COLS = (
    Col("name", "Name", flex=True, min=12),
    Col("id", "ID"),
    Col("age", "Age"),
    Col("phone", "Phone"),
    Col("risk", "Risk"),
    Col("status", "Status"),
)
COLUMNS = tuple(c.key for c in COLS)
RISKS = (None, "high", "medium", "low")
STATUSES = ("active", None, "on_hold", "discharged")
SORTS = ("name", "external_id")


def _cells(p: dict, today) -> tuple[str, ...]:
    return (
        name(p),
        p["external_id"],
        age(p["birth_date"], today),
        p["phone"] or "",
        p["risk"],
        label(p["status"]),
    )


def _cycle(values: tuple, current) -> object:
    return values[(values.index(current) + 1) % len(values)]


class PatientsScreen(Screen[None]):
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
        # What each row shows, by external id, in table order: the rows to keep or touch.
        self.shown: dict[str, tuple[str, ...]] = {}

    def compose(self) -> ComposeResult:
        yield Label("Patients", id="patients-title", classes="title")
        yield Input(placeholder="Search name, external id or phone  (/)", id="search")
        yield Static("", id="filters")
        yield Table(COLS, id="patient-table", zebra_stripes=True)
        # Every key of this screen fits 80 columns once the palette hint (ctrl+p) goes to `?`.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
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
        self.search()

    @on(Input.Submitted, "#search")
    def submitted(self) -> None:
        # Every change already searched: Enter only moves to the results.
        self.query_one(DataTable).focus()

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        message.stop()
        if message.what == "programs":
            self.programs = (None, *message.data)
            return
        gen, appending, page = message.data
        if appending:
            self.loading_more = False
        else:
            self.searching = False
        if gen != self.generation:
            if not appending:
                self._start_search()  # typed over while it ran: search the latest text
            return
        self.next_after = page.next_after
        today = self.app.today()  # type: ignore[attr-defined]
        rows = {p["external_id"]: _cells(p, today) for p in page.rows}
        if appending:
            self._append(rows)
        else:
            self._replace(rows)
            self.answered = gen
        self.show_filters(self.query_one(DataTable).row_count)

    def _append(self, rows: dict[str, tuple]) -> None:
        table = self.query_one(DataTable)
        for key, cells in rows.items():
            if key not in self.shown:
                self.shown[key] = cells
                table.add_row(*map(Text, cells), key=key)

    def _replace(self, rows: dict[str, tuple]) -> None:
        """Show a new first page, touching only the rows that differ (by key).

        Any change to a DataTable re-renders what is visible, but clearing it also
        re-measures every row; typing one more letter mostly drops rows from a result
        in the same order, so that case removes those and appends the new tail, and
        an unchanged result changes nothing at all.
        """
        table = self.query_one(DataTable)
        new = list(rows)
        old = list(self.shown)
        kept = [k for k in old if k in rows]
        gone = len(old) - len(kept)
        if kept != new[: len(kept)] or gone > REMOVE_MAX:
            table.clear()
            self.shown = {}
            self._append(rows)
            return
        changed = gone > 0 or len(kept) < len(new)
        for key in old:
            if key not in rows:
                table.remove_row(key)
                del self.shown[key]
        for key in kept:
            if self.shown[key] != rows[key]:
                for column, before, after in zip(COLUMNS, self.shown[key], rows[key], strict=True):
                    if before != after:
                        table.update_cell(key, column, Text(after))
                self.shown[key] = rows[key]
        self._append({k: rows[k] for k in new[len(kept) :]})
        if changed and table.row_count:
            table.move_cursor(row=0)

    @on(Failed)
    def failed(self, message: Failed) -> None:
        message.stop()
        if message.what == "more":
            self.loading_more = False
        elif message.what == "find":
            self.searching = False
            if self.searched != self.generation:
                self._start_search()
                return
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
