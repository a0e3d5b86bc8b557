"""A DataTable whose columns fit the width it is given, with Home/End on rows.

Textual sizes columns by measuring rows on idle; a table laid out before its
first rows (or given rows before it had a size) kept columns squeezed to their
headers until the next reload. Here every column has an explicit width, worked
out from the widest cell seen and the table's own width, on each resize and
after rows are added: ids, dates and codes keep their whole width, the columns
marked ``flex`` share what is left (growing on a wide terminal, cut with "…" on
a narrow one). Cells are ``Text`` (never markup), so a note holding ``[x]``
shows as typed.

Rows are refreshed by key (``sync_rows``): a reload that mostly keeps what is on
screen removes the rows that went, updates the cells that changed and appends the
new tail, instead of clearing the table and measuring every row again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

# Room kept for a vertical scrollbar, so a table that starts scrolling keeps its fit.
SCROLLBAR = 2
# Past this many rows to drop, clearing the table is cheaper than removing them one by
# one (``remove_row`` is O(n)).
REMOVE_MAX = 60
# Rows appended after each refresh when a sync asks for a first screenful at once.
CHUNK = 140


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

    # The height of each row ``sync_rows`` adds.
    ROW_HEIGHT = 1

    def __init__(self, cols: Sequence[Col], **kw: Any) -> None:
        kw.setdefault("cursor_type", "row")
        self.cols = tuple(cols)
        self.natural: dict[str, int] = {}
        self._fit_pending = False
        # What each row shows, by key, in table order: the rows to keep or touch.
        self.shown: dict[str, tuple] = {}
        # Bumped by each sync: chunks of an older one stop appending.
        self.generation = 0
        self.filled = True
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
        self.shown = {}
        self._schedule_fit()
        return super().clear(columns)

    def sync_rows(self, rows: Mapping[str, Sequence[Any]], *, first: int | None = None) -> bool:
        """Show ``rows`` (cells by row key, in order), touching only the rows that differ.

        When the rows kept stay in their order (a reload, a narrower search), the rows
        that went are removed, changed cells updated and the new tail appended; else the
        table is cleared and refilled, the cursor kept on its row number. With ``first``,
        only that many rows go in before the next refresh and the rest follow in chunks
        (``filled`` says when all are in). Returns whether rows came, went or moved.
        """
        new, old = list(rows), list(self.shown)
        kept = [k for k in old if k in rows]
        self.generation += 1
        if kept != new[: len(kept)] or len(old) - len(kept) > REMOVE_MAX:
            keep = self.cursor_row
            self.clear()
            now = None if first is None else max(first, keep + 1)
            self._append(self.generation, [(k, tuple(rows[k])) for k in new], now)
            if self.row_count:
                self.move_cursor(row=min(max(keep, 0), self.row_count - 1))
            return bool(old or new)
        for key in old:
            if key not in rows:
                self.remove_row(key)
                del self.shown[key]
        for key in kept:
            cells = tuple(rows[key])
            if self.shown[key] != cells:
                for c, before, after in zip(self.cols, self.shown[key], cells, strict=False):
                    if before != after:
                        self.update_cell(key, c.key, after)
                self.shown[key] = cells
        tail = [(k, tuple(rows[k])) for k in new[len(kept) :]]
        self._append(self.generation, tail, None if first is None else max(0, first - len(kept)))
        return len(kept) != len(old) or bool(tail)

    def _append(self, generation: int, rows: list[tuple[str, tuple]], now: int | None) -> None:
        """Add ``rows[:now]`` (all when None), then the rest a chunk after each refresh."""
        if generation != self.generation:
            return  # a newer sync replaced these rows
        count = len(rows) if now is None else now
        for key, cells in rows[:count]:
            self.shown[key] = cells
            self.add_row(*cells, key=key, height=self.ROW_HEIGHT)
        self.filled = count >= len(rows)
        if not self.filled:
            self.call_after_refresh(self._append, generation, rows[count:], CHUNK)

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
