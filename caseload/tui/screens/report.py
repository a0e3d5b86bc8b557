"""The Report screen: the program report (`caseload report`) for a month, on screen.

The same service builds it (``services.reports.build``, in a thread worker on a
pooled raw connection) and the same writer lays it out (the 80-column text of
io/report.py), so the screen and the printout never disagree. ``[`` and ``]``
step a month, ``d`` shows who was counted.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Label, Static

from caseload.tui.screens.base import CaseloadScreen, deliver

if TYPE_CHECKING:
    from caseload.tui.data import Store


def build_text(
    store: Store, year: int, month: int, today: date, detail: bool, width: int = 80
) -> str:
    """The month's report as the text printout, ``width`` columns (run in a worker thread)."""
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
    writer.write(rep, "text", out, detail=detail, store=str(store.db), width=width)
    return out.getvalue()


class ReportScreen(CaseloadScreen):
    FAILED_TITLE = "Could not build the report"
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

    class Built(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def __init__(self, year: int | None = None, month: int | None = None) -> None:
        super().__init__(id="report")
        self.year, self.month, self.detail = year or 0, month or 0, False

    def compose(self) -> ComposeResult:
        yield Label("Report", id="report-title", classes="title")
        with VerticalScroll(id="report-box"):
            yield Static("Loading…", id="report-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.year = self.year or self.day.year
        self.month = self.month or self.day.month
        # After the first layout, so the text is built for the box's real width.
        self.call_after_refresh(self.refresh_report)

    def refresh_report(self) -> None:
        first = date(self.year, self.month, 1)
        title = f"Report · {first.strftime('%B %Y')}" + (" · detail" if self.detail else "")
        self.query_one("#report-title", Label).update(title)
        self.query_one("#report-text", Static).update("Loading…")
        self.load_report(self.store, self.year, self.month, self.day, self.detail, self._width())

    def _width(self) -> int:
        """The columns the text has on screen (the paper's 80 when they fit): lines as wide as
        the paper would wrap inside a narrower box, breaking every figure's row in two."""
        box = self.query_one("#report-box", VerticalScroll)
        width = box.size.width or self.app.size.width  # 0 until the box is laid out
        return max(40, min(80, width - box.styles.scrollbar_size_vertical))

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def load_report(
        self, store: Store, year: int, month: int, today: date, detail: bool, width: int
    ) -> None:
        def build() -> str:
            return build_text(store, year, month, today, detail, width)

        deliver(self, build, self.Built, self.Failed)

    def action_month(self, step: int) -> None:
        self.year, month0 = divmod(self.year * 12 + self.month - 1 + step, 12)
        self.month = month0 + 1
        self.refresh_report()

    def action_detail(self) -> None:
        self.detail = not self.detail
        self.refresh_report()

    @on(Built)
    def _built(self, message: Built) -> None:
        message.stop()
        self.query_one("#report-text", Static).update(Text(message.text))
