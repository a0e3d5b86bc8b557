"""The Report screen: the program report (`caseload report`) for a month, on screen.

The same service builds it (``services.reports.build``, in a thread worker on a
pooled raw connection) and the same writer lays it out (the 80-column text of
io/report.py), so the screen and the printout never disagree. ``[`` and ``]``
step a month, ``d`` shows who was counted.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from caseload.tui.messages import Failed, Loaded
from caseload.tui.widgets.worker import load


def build_text(store, year: int, month: int, today: date, detail: bool) -> str:
    """The month's report as the text printout (run in a worker thread)."""
    import io

    from caseload.io import report as writer
    from caseload.services import reports, schedule

    cfg = store.config
    with store.raw() as conn:
        rep = reports.build(
            conn,
            reports.Period.month(year, month),
            today=today,
            holidays=schedule.parse_holidays(getattr(cfg, "holidays", ())),
            windows=getattr(cfg, "windows", None),
            detail=detail,
        )
    out = io.StringIO()
    writer.write(rep, "text", out, detail=detail, store=str(store.db))
    return out.getvalue()


class ReportScreen(Screen[None]):
    HELP_NOTES: ClassVar = (
        ("n of m", "numerator of denominator; docs/reports.md defines each figure"),
        ("pending", "a window still open and not met yet: left out of the denominator"),
    )
    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("left_square_bracket", "month(-1)", "Prev month"),
        Binding("right_square_bracket", "month(1)", "Next month"),
        Binding("d", "detail", "Detail", tooltip="show who was counted in each figure"),
    ]

    def __init__(self, year: int | None = None, month: int | None = None) -> None:
        super().__init__(id="report")
        self.year, self.month, self.detail = year, month, False

    def compose(self) -> ComposeResult:
        yield Label("Report", id="report-title", classes="title")
        with VerticalScroll(id="report-box"):
            yield Static("Loading…", id="report-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        today = self.app.today()  # type: ignore[attr-defined]
        self.year = self.year or today.year
        self.month = self.month or today.month
        self.refresh_report()

    def refresh_report(self) -> None:
        self.query_one("#report-title", Label).update(
            f"Report · {date(self.year, self.month, 1).strftime('%B %Y')}"
            + (" · detail" if self.detail else "")
        )
        self.query_one("#report-text", Static).update("Loading…")
        app = self.app
        load(
            self,
            "report",
            build_text,
            app.store,
            self.year,
            self.month,  # type: ignore[attr-defined]
            app.today(),
            self.detail,
        )  # type: ignore[attr-defined]

    def action_month(self, step: int) -> None:
        n = self.year * 12 + self.month - 1 + step
        self.year, self.month = divmod(n, 12)
        self.month += 1
        self.refresh_report()

    def action_detail(self) -> None:
        self.detail = not self.detail
        self.refresh_report()

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        message.stop()
        if message.what == "report":
            self.query_one("#report-text", Static).update(Text(message.data))

    @on(Failed)
    def failed(self, message: Failed) -> None:
        message.stop()
        self.query_one("#report-text", Static).update(
            f"The report could not be built: {message.message}"
        )
