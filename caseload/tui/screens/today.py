"""Today, the home screen: overdue, due today and coming up, discharges awaiting a call,
recent contacts; open a patient, complete a follow-up, print the due list.

The due list is built first and shown as soon as it arrives (the first screenful
at once, the rest in chunks between refreshes); the discharges panel loads after
it, in its own worker, and recent contacts (a few rows by key) alongside.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from caseload.tui.messages import Failed, Loaded
from caseload.tui.widgets.format import day
from caseload.tui.widgets.worker import load

# A day's work is a few dozen rows; past this the printout (p) has them all.
SHOWN = 500
# Rows added before the first paint (more than a tall terminal shows); the rest of
# SHOWN follow in chunks after each refresh, so the list is on screen at once.
FIRST_ROWS = 80
CHUNK = 140
STATUS = {"overdue": "Overdue", "due": "Due today", "upcoming": "Coming up"}


# The columns of the due list must fit 80 columns with the score still on screen.
WHAT_WIDTH = 30


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class TodayScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("enter", "open", "Open", show=True),
        Binding("d", "done", "Done"),
        Binding("p", "print", "Print"),
        Binding("a", "add_patient", "Add"),
        Binding("slash", "patients", "Search"),
        Binding("l", "patients", "Patients", show=False),
        Binding("r", "refresh", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="today")
        self.items: dict[int, dict] = {}
        # Bumped by each due list shown: chunks of an older one stop filling.
        self.generation = 0
        self.filled = False

    def compose(self) -> ComposeResult:
        yield Label("Today", id="today-title", classes="title")
        yield Static("Loading…", id="today-counts")
        yield DataTable(id="due", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="today-bottom"):
            with Vertical():
                yield Label("Discharges needing a call", id="pending-title", classes="subtitle")
                yield DataTable(id="pending", cursor_type="row")
            with Vertical():
                yield Label("Recent contacts", classes="subtitle")
                yield DataTable(id="recent", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        due = self.query_one("#due", DataTable)
        due.add_columns("Status", "Patient", "What", "Due", "Score")
        # Fixed widths: auto-sizing measured while the panels had no size yet, and the
        # columns then came out cut at random ("2026" for a timestamp).
        pending = self.query_one("#pending", DataTable)
        for label, width in (("Patient", 15), ("Left", 10), ("Call by", 10)):
            pending.add_column(label, width=width)
        recent = self.query_one("#recent", DataTable)
        for label, width in (("When", 16), ("Patient", 11), ("Outcome", 12)):
            recent.add_column(label, width=width)
        due.focus()
        self.action_refresh()

    @property
    def day(self) -> date:
        return self.app.today()  # type: ignore[attr-defined]

    def action_refresh(self) -> None:
        """Load the due list first; the two panels wait for it, so their queries do not
        compete with it for the interpreter (the due list is what a person came for)."""
        store = self.app.store  # type: ignore[attr-defined]
        load(self, "recent", store.recent_contacts)  # a few rows by primary key: instant
        load(self, "due", store.due, self.day)

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        message.stop()
        if message.what == "print":
            self.notify(f"Saved the due list ({message.data} items) to {self._printing}")
        elif message.what == "due":
            self.show_due(message.data)
            load(self, "pending", self.app.store.pending_calls)  # type: ignore[attr-defined]
        elif message.what == "pending":
            self.show_pending(message.data)
        elif message.what == "recent":
            self.show_recent(message.data)

    def show_due(self, due) -> None:
        c = due.counts()
        self.query_one("#today-title", Label).update(f"Today · {self.day.strftime('%a %d %b %Y')}")
        shown = f" · first {SHOWN} shown" if len(due.items) > SHOWN else ""
        self.query_one("#today-counts", Static).update(
            f"Overdue {c['overdue']} · Due today {c['due']} · Coming up {c['upcoming']}{shown}"
        )
        table = self.query_one("#due", DataTable)
        keep = table.cursor_row
        table.clear()
        items = due.items[:SHOWN]
        self.items = {i["followup_id"]: i for i in items}
        self.generation += 1
        self.filled = False
        self._fill(self.generation, items, 0, max(FIRST_ROWS, keep + 1), keep)

    def _fill(self, generation: int, items: list[dict], start: int, stop: int, keep: int) -> None:
        """Add ``items[start:stop]``, then the next chunk after the screen has refreshed."""
        if generation != self.generation:
            return  # a newer due list replaced this one
        table = self.query_one("#due", DataTable)
        for i in items[start:stop]:
            flag = STATUS[i["status"]]
            if i["status"] == "overdue":
                flag = f"{i['days_overdue']}d over" + (" !" if i.get("missed") else "")
            table.add_row(
                Text(flag),
                Text(i["patient_name"]),
                Text(_fit(f"{i['kind'].replace('_', ' ')}: {i['title']}", WHAT_WIDTH)),
                Text(i["due_on"].strftime("%d %b")),  # the year only crowds 80 columns
                Text(str(i["priority_score"])),
                key=str(i["followup_id"]),
            )
        if start == 0 and table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        if stop < len(items):
            self.call_after_refresh(
                self._fill, generation, items, stop, min(stop + CHUNK, len(items)), keep
            )
        else:
            self.filled = True

    def show_pending(self, rows: list[dict]) -> None:
        pending = self.query_one("#pending", DataTable)
        pending.clear()
        for p in rows[:SHOWN]:
            pending.add_row(
                Text(p["patient_name"]),
                day(p["discharged_on"]),
                day(p["due_on"]),
                key=f"{p['patient_external_id']}",
            )
        self.query_one("#pending-title", Label).update(f"Discharges needing a call ({len(rows)})")

    def show_recent(self, rows: list[dict]) -> None:
        recent = self.query_one("#recent", DataTable)
        recent.clear()
        for r in rows:
            recent.add_row(day(r["at"]), r["patient_external_id"], r["outcome"])

    @on(Failed)
    def failed(self, message: Failed) -> None:
        message.stop()
        if message.what == "due":  # the panels waited for it; they may still load
            load(self, "pending", self.app.store.pending_calls)  # type: ignore[attr-defined]
        self.notify(message.message, title="Could not finish", severity="error")

    # --- actions -------------------------------------------------------------------

    def _current(self) -> dict | None:
        table = self.query_one("#due", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.items.get(int(key)) if key else None

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, DataTable) and focused.id in ("pending", "recent"):
            if not focused.row_count:
                return
            row = focused.get_row_at(focused.cursor_row)
            ext = (
                row[1]
                if focused.id == "recent"
                else focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value
            )
            self.app.open_patient(ext)  # type: ignore[attr-defined]
            return
        item = self._current()
        if item is not None:
            self.app.open_patient(item["patient_external_id"])  # type: ignore[attr-defined]

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_done(self) -> None:
        item = self._current()
        if item is not None:
            self.app.complete_followup(item["followup_id"])  # type: ignore[attr-defined]

    def action_add_patient(self) -> None:
        self.app.add_patient()  # type: ignore[attr-defined]

    def action_patients(self) -> None:
        self.app.show_patients()  # type: ignore[attr-defined]

    def action_print(self) -> None:
        path = Path.cwd() / f"due-{self.day.isoformat()}.txt"
        self._printing = path
        load(self, "print", self.app.store.export_duelist, self.day, path)  # type: ignore[attr-defined]
