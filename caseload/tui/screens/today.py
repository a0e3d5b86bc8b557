"""Today, the home screen: overdue, due today and coming up, discharges awaiting a call,
recent contacts; open a patient, complete a follow-up, print the due list.

The due list is built first and shown as soon as it arrives (the first screenful
at once, the rest in chunks between refreshes); the discharges panel loads after
it, in its own worker, and recent contacts (a few rows by key) alongside.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from caseload.tui.messages import Failed, Loaded
from caseload.tui.render import label
from caseload.tui.widgets.table import Col, Table
from caseload.tui.widgets.worker import load

# A day's work is a few dozen rows; past this the printout (p) has them all.
SHOWN = 500
# Rows added before the first paint (more than a tall terminal shows); the rest of
# SHOWN follow in chunks after each refresh, so the list is on screen at once.
FIRST_ROWS = 80
CHUNK = 140
STATUS = {"overdue": "Overdue", "due": "Due today", "upcoming": "Coming up"}

# What takes the width: "What" grows with the terminal; names shrink before dates do.
DUE_COLS = (
    Col("status", "Status"),
    Col("patient", "Patient", min=12, max=24),
    Col("what", "What", flex=True, min=12),
    Col("due", "Due"),
    Col("score", "Score"),
)
# Two lines a row: the patient, then where they were and why.
PENDING_COLS = (
    Col("patient", "Patient · from", flex=True, min=10),
    Col("left", "Left"),
    Col("call", "Call by"),
)
RECENT_COLS = (
    Col("when", "When"),
    Col("patient", "Patient", flex=True, min=8),
    Col("outcome", "Outcome"),
)


def short_day(value: date) -> str:
    """``01 Dec``: the year only crowds 80 columns."""
    return value.strftime("%d %b")


def when(at: datetime, today: date) -> str:
    """A contact's time today (``14:05``), else its day (``20 Nov``)."""
    local = at.astimezone()
    return local.strftime("%H:%M") if local.date() == today else short_day(local.date())


def where(p: dict) -> str:
    """A discharge's facility and reason, as far as they are known."""
    parts = [p.get("facility"), p.get("reason")]
    text = ": ".join(x for x in parts if x)
    if p.get("setting") == "emergency":
        text = f"ED {text}".strip()
    return text or "facility not recorded"


class TodayScreen(Screen[None]):
    HELP_NOTES: ClassVar = (
        ("!", "missed: past its window after the due date (it can still be done)"),
        ("Score", "priority, highest first in each group: risk, kind, the follow-up's"
                  " priority, days overdue, a recent discharge, days since last reached"
                  " (`caseload due --format json` lists the parts)"),
        ("tab", "move between the due list and the two panels"),
    )  # fmt: skip
    BINDINGS: ClassVar = [
        Binding("enter", "open", "Open", show=True, tooltip="open the highlighted patient"),
        Binding("d", "done", "Done", tooltip="complete the highlighted follow-up"),
        Binding("p", "print", "Print", tooltip="print the due list to the printouts folder"),
        Binding("a", "add_patient", "Add", tooltip="add a patient"),
        Binding("slash", "patients", "Search"),
        Binding("l", "patients", "Patients", show=False, tooltip="Patients, the same as /"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="refresh"),
        Binding("R", "app.report", "Report", show=False, tooltip="the program report"),
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
        yield Table(DUE_COLS, id="due", zebra_stripes=True)
        with Horizontal(id="today-bottom"):
            with Vertical():
                yield Label("Discharges needing a call", id="pending-title", classes="subtitle")
                yield Table(PENDING_COLS, id="pending")
            with Vertical():
                yield Label("Recent contacts", classes="subtitle")
                yield Table(RECENT_COLS, id="recent")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#due", DataTable).focus()
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
            path, items = message.data
            self.notify(f"Saved the due list ({items} items) to {path}")
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
                flag,
                i["patient_name"],
                f"{label(i['kind'])}: {i['title']}",
                short_day(i["due_on"]),
                str(i["priority_score"]),
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
        pending = self.query_one("#pending", Table)
        pending.clear()
        for p in rows[:SHOWN]:
            pending.add_row(
                Text(f"{p['patient_name']}\n") + Text(where(p), style="dim"),
                short_day(p["discharged_on"]),
                short_day(p["due_on"]),
                key=f"{p['transition_id']}:{p['patient_external_id']}",
                height=2,
            )
        self.query_one("#pending-title", Label).update(f"Discharges needing a call ({len(rows)})")

    def show_recent(self, rows: list[dict]) -> None:
        recent = self.query_one("#recent", Table)
        recent.clear()
        for r in rows:
            recent.add_row(
                when(r["at"], self.day),
                r["patient_name"],
                label(r["outcome"]),
                key=f"{r['id']}:{r['patient_external_id']}",
            )

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
            key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value or ""
            # Keyed "record id:external id": one patient may have many rows.
            ext = key.split(":", 1)[1]
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
        from caseload.paths import printouts_dir

        store = self.app.store  # type: ignore[attr-defined]
        folder = printouts_dir(getattr(store.config, "printouts", ""))
        load(self, "print", store.export_duelist, self.day, folder)
