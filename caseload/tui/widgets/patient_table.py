"""The Patients screen's result list as a widget: its columns, rows keyed by external id and
refreshed by key, ``Chosen`` when Enter picks a patient and ``NearEnd`` when the cursor
comes close to the last row (time to load the next page)."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual import on
from textual.message import Message
from textual.widgets import DataTable

from caseload.tui.render import age, label, name
from caseload.tui.widgets.table import Col, Table

# Ids, ages, phones and statuses keep their width; the name takes the rest.
COLS = (
    Col("name", "Name", flex=True, min=12),
    Col("id", "ID"),
    Col("age", "Age"),
    Col("phone", "Phone"),
    Col("risk", "Risk"),
    Col("status", "Status"),
)
# How close to the last row the cursor comes before the next page is asked for.
NEAR = 20


def cells(p: dict, today: date) -> tuple[str, ...]:
    return (
        name(p),
        p["external_id"],
        age(p["birth_date"], today),
        p["phone"] or "",
        p["risk"],
        label(p["status"]),
    )


class PatientTable(Table):
    """Patients by external id."""

    class Chosen(Message):
        """A patient was picked (Enter)."""

        def __init__(self, external_id: str) -> None:
            self.external_id = external_id
            super().__init__()

    class NearEnd(Message):
        """The cursor is within NEAR rows of the last one: more rows may be wanted."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(COLS, **kw)

    def show(self, page: list[dict], today: date) -> None:
        """A new first page: rows that stay are kept, and the cursor goes to the top when
        the result changed."""
        if self.sync_rows({p["external_id"]: cells(p, today) for p in page}) and self.row_count:
            self.move_cursor(row=0)

    def extend(self, page: list[dict], today: date) -> None:
        """The next page, appended (rows already shown are not added twice)."""
        rows = {**self.shown}
        rows.update(
            (p["external_id"], cells(p, today)) for p in page if p["external_id"] not in rows
        )
        self.sync_rows(rows)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.Chosen(event.row_key.value))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.row_count - NEAR:
            self.post_message(self.NearEnd())
