"""Today's two panels as widgets: discharges needing a call, and recent contacts. Rows are
keyed "record id:external id" (one patient may have many rows); Enter posts ``Chosen``
with the patient's external id."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from caseload.tui.render import label, short_day, when
from caseload.tui.widgets.table import Col, Table

# A panel lists at most this many rows; the count in its title says how many there are.
SHOWN = 500


def where(p: dict) -> str:
    """A discharge's facility and reason, as far as they are known."""
    parts = [p.get("facility"), p.get("reason")]
    text = ": ".join(x for x in parts if x)
    if p.get("setting") == "emergency":
        text = f"ED {text}".strip()
    return text or "facility not recorded"


class PatientRows(Table):
    """A panel whose rows each lead to a patient."""

    class Chosen(Message):
        """A row was picked (Enter): this patient is to be opened."""

        def __init__(self, external_id: str) -> None:
            self.external_id = external_id
            super().__init__()

    @property
    def current_patient(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or ""
        return key.split(":", 1)[1] if ":" in key else None

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        ext = self.current_patient
        if ext is not None:
            self.post_message(self.Chosen(ext))


class PendingCalls(PatientRows):
    """Two lines a row: the patient, then where they were and why."""

    ROW_HEIGHT = 2

    COLS = (
        Col("patient", "Patient · from", flex=True, min=10),
        Col("left", "Left"),
        Col("call", "Call by"),
    )

    def __init__(self, **kw: Any) -> None:
        super().__init__(self.COLS, **kw)

    def show(self, rows: list[dict]) -> None:
        self.sync_rows(
            {
                f"{p['transition_id']}:{p['patient_external_id']}": (
                    Text(f"{p['patient_name']}\n") + Text(where(p), style="dim"),
                    short_day(p["discharged_on"]),
                    short_day(p["due_on"]),
                )
                for p in rows[:SHOWN]
            }
        )


class RecentContacts(PatientRows):
    COLS = (
        Col("when", "When"),
        Col("patient", "Patient", flex=True, min=8),
        Col("outcome", "Outcome"),
    )

    def __init__(self, **kw: Any) -> None:
        super().__init__(self.COLS, **kw)

    def show(self, rows: list[dict], today: date) -> None:
        self.sync_rows(
            {
                f"{r['id']}:{r['patient_external_id']}": (
                    when(r["at"], today),
                    r["patient_name"],
                    label(r["outcome"]),
                )
                for r in rows
            }
        )
