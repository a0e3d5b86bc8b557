"""Today's due list as a widget: its columns, its rows keyed by follow-up id, the item under
the cursor, and a ``Chosen`` message when Enter picks a row."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.message import Message
from textual.widgets import DataTable

from caseload.tui.render import label, short_day
from caseload.tui.widgets.table import Col, Table

# Rows added before the first paint (more than a tall terminal shows); the rest follow
# in chunks after each refresh, so the list is on screen at once.
FIRST_ROWS = 80
STATUS = {"overdue": "Overdue", "due": "Due today", "upcoming": "Coming up"}
# What takes the width: "What" grows with the terminal; names shrink before dates do.
COLS = (
    Col("status", "Status"),
    Col("patient", "Patient", min=12, max=24),
    Col("what", "What", flex=True, min=12),
    Col("due", "Due"),
    Col("score", "Score"),
)


def cells(item: dict) -> tuple[str, ...]:
    """One due item as the row shows it: overdue ones say by how much, "!" when missed."""
    flag = STATUS[item["status"]]
    if item["status"] == "overdue":
        flag = f"{item['days_overdue']}d over" + (" !" if item.get("missed") else "")
    return (
        flag,
        item["patient_name"],
        f"{label(item['kind'])}: {item['title']}",
        short_day(item["due_on"]),
        str(item["priority_score"]),
    )


class DueTable(Table):
    """The due items shown, by follow-up id; Enter posts ``Chosen`` with the item."""

    class Chosen(Message):
        """A due item was picked (Enter): its patient is to be opened."""

        def __init__(self, item: dict) -> None:
            self.item = item
            super().__init__()

    def __init__(self, **kw: Any) -> None:
        super().__init__(COLS, **kw)
        self.items: dict[int, dict] = {}

    def show(self, items: list[dict]) -> None:
        """Show ``items`` (the due list's order), refreshing rows by key."""
        self.items = {i["followup_id"]: i for i in items}
        self.sync_rows({str(i["followup_id"]): cells(i) for i in items}, first=FIRST_ROWS)

    @property
    def current(self) -> dict | None:
        """The item under the cursor, if any."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.items.get(int(key)) if key else None

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self.current
        if item is not None:
            self.post_message(self.Chosen(item))
