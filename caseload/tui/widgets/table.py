"""A DataTable whose columns fit the width it is given, with Home/End on rows.

Textual sizes columns by measuring rows on idle; a table laid out before its
first rows (or given rows before it had a size) kept columns squeezed to their
headers until the next reload. Here every column has an explicit width, worked
out from the widest cell seen and the table's own width, on each resize and
after rows are added: ids, dates and codes keep their whole width, the columns
marked ``flex`` share what is left (growing on a wide terminal, cut with "…" on
a narrow one). Cells are ``Text`` (never markup), so a note holding ``[x]``
shows as typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

# Room kept for a vertical scrollbar, so a table that starts scrolling keeps its fit.
SCROLLBAR = 2


@dataclass(frozen=True)
class Col:
    """A column: ``flex`` ones share the spare width (down to ``min``); the others keep
    their widest cell, up to ``max`` (0: no cap), shrinking to ``min`` only when the
    flexible ones are already at theirs."""

    key: str
    label: str
    flex: bool = False
    min: int = 0
    max: int = 0


def cell(value: Any) -> Text:
    """A cell as one unwrapped line (or a few, for a taller row), cut with "…"."""
    plain = "" if value is None else str(value)
    text = value.copy() if isinstance(value, Text) else Text(plain)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _width(value: Text) -> int:
    return max((cell_len(line) for line in value.plain.split("\n")), default=0)


def fit(cols: Sequence[Col], natural: dict[str, int], room: int) -> dict[str, int]:
    """Widths for ``cols`` within ``room`` content cells (padding already taken off)."""
    width = {}
    for c in cols:
        low = max(c.min, cell_len(c.label))
        want = max(low, natural.get(c.key, 0))
        width[c.key] = min(want, c.max) if c.max and not c.flex else want
    flex = [c for c in cols if c.flex]
    fixed = sum(width[c.key] for c in cols if not c.flex)
    spare = room - fixed
    lows = {c.key: max(c.min, cell_len(c.label)) for c in cols}
    if flex and spare >= sum(lows[c.key] for c in flex):
        # Share out the spare width by each flexible column's need; the last takes the rest.
        need = sum(width[c.key] for c in flex) or 1
        left = spare
        for c in flex[:-1]:
            width[c.key] = max(lows[c.key], spare * width[c.key] // need)
            left -= width[c.key]
        width[flex[-1].key] = max(lows[flex[-1].key], left)
        return width
    for c in flex:
        width[c.key] = lows[c.key]
    over = sum(width.values()) - room
    # Still too wide: shrink the widest shrinkable columns, one cell at a time.
    while over > 0:
        candidates = [c for c in cols if not c.flex and width[c.key] > lows[c.key] and c.min]
        if not candidates:
            break
        widest = max(candidates, key=lambda c: width[c.key])
        width[widest.key] -= 1
        over -= 1
    return width


class Table(DataTable):
    """The TUI's table: declared columns (see ``Col``), fitted widths, Home/End on rows."""

    BINDINGS: ClassVar = [
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
    ]

    def __init__(self, cols: Sequence[Col], **kw: Any) -> None:
        kw.setdefault("cursor_type", "row")
        self.cols = tuple(cols)
        self.natural: dict[str, int] = {}
        self._fit_pending = False
        super().__init__(**kw)

    def on_mount(self) -> None:
        for c in self.cols:
            self.add_column(Text(c.label), key=c.key, width=max(c.min, cell_len(c.label)))
        self.refit()

    # --- rows ------------------------------------------------------------------------

    def add_row(self, *cells: Any, **kw: Any):  # type: ignore[override]
        texts = [cell(v) for v in cells]
        for c, text in zip(self.cols, texts, strict=False):
            w = _width(text)
            if w > self.natural.get(c.key, 0):
                self.natural[c.key] = w
                self._schedule_fit()
        return super().add_row(*texts, **kw)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, **kw: Any) -> None:  # type: ignore[override]
        text = cell(value)
        key = getattr(column_key, "value", column_key)
        if _width(text) > self.natural.get(key, 0):
            self.natural[key] = _width(text)
            self._schedule_fit()
        super().update_cell(row_key, column_key, text, **kw)

    def clear(self, columns: bool = False):  # type: ignore[override]
        self.natural = {}
        self._schedule_fit()
        return super().clear(columns)

    def replace_rows(self, rows: Iterable[Sequence[Any]], keys: Sequence[str] | None = None):
        """Clear and refill, keeping the cursor on the same row number where possible."""
        keep = self.cursor_row
        self.clear()
        for n, row in enumerate(rows):
            self.add_row(*row, key=keys[n] if keys else None)
        if self.row_count:
            self.move_cursor(row=min(max(keep, 0), self.row_count - 1))

    # --- widths ----------------------------------------------------------------------

    def _schedule_fit(self) -> None:
        if not self._fit_pending:
            self._fit_pending = True
            self.call_after_refresh(self.refit)

    def on_resize(self) -> None:
        self.refit()

    def refit(self) -> None:
        """Set each column's width for the width the table has now."""
        self._fit_pending = False
        if not self.size.width or not self.columns:
            return  # not laid out yet: the first resize fits it
        room = self.size.width - SCROLLBAR - 2 * self.cell_padding * len(self.cols)
        widths = fit(self.cols, self.natural, room)
        changed = False
        for c in self.cols:
            column = self.columns.get(c.key)  # type: ignore[call-overload]
            if column is not None and (column.width != widths[c.key] or column.auto_width):
                column.width, column.auto_width = widths[c.key], False
                changed = True
        if changed:
            # Textual caches rendered rows and the virtual size by column width.
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh(layout=True)

    # --- keys ------------------------------------------------------------------------

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
