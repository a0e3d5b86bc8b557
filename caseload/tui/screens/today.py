"""Today, the home screen: overdue, due today and coming up, discharges awaiting a call,
recent contacts; open a patient, complete a follow-up, print the due list.

The due list is built first and shown as soon as it arrives (the first screenful
at once, the rest in chunks between refreshes); the discharges panel loads after
it, in its own worker, and recent contacts (a few rows by index) alongside.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Label, Static

from caseload.tui.screens.base import CaseloadScreen, deliver
from caseload.tui.widgets.due_table import DueTable
from caseload.tui.widgets.today_panels import PatientRows, PendingCalls, RecentContacts

if TYPE_CHECKING:
    from datetime import date

    from caseload.services.duelist import DueList
    from caseload.tui.data import Store

# A day's work is a few dozen rows; past this the printout (p) has them all.
SHOWN = 500


class TodayScreen(CaseloadScreen):
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
        # The counts line: the due list's counts, and the mid-month care-minutes warning
        # (None until its worker answers).
        self._counts, self.minutes_note = "Loading…", None

    def compose(self) -> ComposeResult:
        yield Label("Today", id="today-title", classes="title")
        yield Static("Loading…", id="today-counts")
        yield DueTable(id="due", zebra_stripes=True)
        with Horizontal(id="today-bottom"):
            with Vertical():
                yield Label("Discharges needing a call", id="pending-title", classes="subtitle")
                yield PendingCalls(id="pending")
            with Vertical():
                yield Label("Recent contacts", classes="subtitle")
                yield RecentContacts(id="recent")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(DueTable).focus()
        self.action_refresh()

    @property
    def items(self) -> dict[int, dict]:
        """The due items shown, by follow-up id."""
        return self.query_one(DueTable).items

    @property
    def filled(self) -> bool:
        """Every due item shown is in the table (the chunks after the first screenful)."""
        return self.query_one(DueTable).filled

    def action_refresh(self) -> None:
        """Load the due list first; the discharges panel waits for it, so its query does
        not compete with it for the interpreter (the due list is what a person came for)."""
        self.load_recent(self.store)  # a few rows read through an index: instant
        self.load_due(self.store, self.day)
        self.load_minutes(self.store, self.day)

    # --- workers and what they post --------------------------------------------------

    class DueLoaded(Message):
        def __init__(self, due: DueList) -> None:
            self.due = due
            super().__init__()

    class DueFailed(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class PendingLoaded(Message):
        def __init__(self, rows: list[dict]) -> None:
            self.rows = rows
            super().__init__()

    class RecentLoaded(Message):
        def __init__(self, rows: list[dict]) -> None:
            self.rows = rows
            super().__init__()

    class MinutesLoaded(Message):
        def __init__(self, near: tuple[int, int]) -> None:
            self.count, self.days_left = near
            super().__init__()

    class Printed(Message):
        def __init__(self, done: tuple[Path, int]) -> None:
            self.path, self.items = done
            super().__init__()

    @work(thread=True, exclusive=True, exit_on_error=False, group="due")
    def load_due(self, store: Store, day: date) -> None:
        deliver(self, lambda: store.due(day), self.DueLoaded, self.DueFailed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pending")
    def load_pending(self, store: Store) -> None:
        deliver(self, store.pending_calls, self.PendingLoaded, self.Failed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="recent")
    def load_recent(self, store: Store) -> None:
        deliver(self, store.recent_contacts, self.RecentLoaded, self.Failed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="minutes")
    def load_minutes(self, store: Store, day: date) -> None:
        deliver(self, lambda: store.minutes_near(day), self.MinutesLoaded, self.Failed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="print")
    def print_due(self, store: Store, day: date, folder: Path) -> None:
        deliver(self, lambda: store.export_duelist(day, folder), self.Printed, self.Failed)

    @on(DueLoaded)
    def _due_loaded(self, message: DueLoaded) -> None:
        message.stop()
        due = message.due
        c = due.counts()
        self.query_one("#today-title", Label).update(f"Today · {self.day.strftime('%a %d %b %Y')}")
        shown = f" · first {SHOWN} shown" if len(due.items) > SHOWN else ""
        self._counts = (
            f"Overdue {c['overdue']} · Due today {c['due']} · Coming up {c['upcoming']}{shown}"
        )
        self._show_counts()
        self.query_one(DueTable).show(due.items[:SHOWN])
        self.load_pending(self.store)

    @on(MinutesLoaded)
    def _minutes_loaded(self, message: MinutesLoaded) -> None:
        message.stop()
        n = message.count
        self.minutes_note = f" · {n} near a minutes threshold" if n else ""
        self._show_counts()

    def _show_counts(self) -> None:
        self.query_one("#today-counts", Static).update(self._counts + (self.minutes_note or ""))

    @on(DueFailed)
    def _due_failed(self, message: DueFailed) -> None:
        message.stop()
        self.load_pending(self.store)  # the panel waited for the due list; it may still load
        self.notify(message.text, title=self.FAILED_TITLE, severity="error")

    @on(PendingLoaded)
    def _pending_loaded(self, message: PendingLoaded) -> None:
        message.stop()
        self.query_one(PendingCalls).show(message.rows)
        title = f"Discharges needing a call ({len(message.rows)})"
        self.query_one("#pending-title", Label).update(title)

    @on(RecentLoaded)
    def _recent_loaded(self, message: RecentLoaded) -> None:
        message.stop()
        self.query_one(RecentContacts).show(message.rows, self.day)

    @on(Printed)
    def _printed(self, message: Printed) -> None:
        message.stop()
        self.notify(f"Saved the due list ({message.items} items) to {message.path}")

    # --- actions -------------------------------------------------------------------

    @on(DueTable.Chosen)
    def _due_chosen(self, message: DueTable.Chosen) -> None:
        message.stop()
        self.app.open_patient(message.item["patient_external_id"])

    @on(PatientRows.Chosen)
    def _panel_chosen(self, message: PatientRows.Chosen) -> None:
        message.stop()
        self.app.open_patient(message.external_id)

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, PatientRows):
            ext = focused.current_patient
        else:
            item = self.query_one(DueTable).current
            ext = item["patient_external_id"] if item else None
        if ext is not None:
            self.app.open_patient(ext)

    def action_done(self) -> None:
        item = self.query_one(DueTable).current
        if item is not None:
            self.app.complete_followup(item["followup_id"])

    def action_add_patient(self) -> None:
        self.app.add_patient()

    def action_patients(self) -> None:
        self.app.show_patients()

    def action_print(self) -> None:
        from caseload.paths import printouts_dir

        folder = printouts_dir(getattr(self.store.config, "printouts", ""))
        self.print_due(self.store, self.day, folder)
