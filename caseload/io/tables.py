"""The one table renderer for people: every `--format table` list and the due list's table.

Tables fit the terminal (``COLUMNS``, else the terminal, else 80 columns) by
rule rather than by wrapping: ids, dates, kinds, statuses and numbers are never
broken or cut; free-text columns share the width that is left and are cut with
an ellipsis; when even that cannot fit, whole columns are left out in the
order each list declares, and the caller names them. Columns empty in every
row go first, and quietly: they hold nothing. Widths are terminal cells, so
wide characters count two. Plain text: no colour, no escape codes.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

DEFAULT_WIDTH = 80
GAP = "  "
# A free-text column narrower than this tells nobody anything: drop a column instead.
MIN_TEXT = 12


class Col(NamedTuple):
    """One column: ``key`` of the row dicts, its header, and how it gives way.

    ``text``: free text that takes the width left over and is cut with "…".
    ``drop``: 0 never left out; otherwise columns are left out lowest first.
    ``right``: numbers, aligned right.
    """

    key: str
    label: str = ""
    text: bool = False
    drop: int = 0
    right: bool = False
    min_width: int = MIN_TEXT

    @property
    def header(self) -> str:
        return self.label or self.key.replace("_", " ")


class Table(NamedTuple):
    lines: list[str]
    dropped: list[str]  # headers of the columns with data left out to fit (empty ones go quietly)


# h-due: text of these characters is one column each (no combining marks, nothing
# wide): Latin up to U+02FF and the due list's own '·', '…' and '•'. Checked in C,
# so the usual line skips the per-character loop (the due printout at 70k items).
_NARROW = re.compile("[\x00-\u02ff\u2022\u2026]*")


def cells(text: str) -> int:
    """Terminal columns ``text`` takes (East Asian wide and full-width characters count 2)."""
    if text.isascii() or _NARROW.fullmatch(text):
        return len(text)
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns (with an ellipsis when cut), padded to exactly ``width``."""
    if cells(text) > width:
        out, used = "", 0
        for ch in text:
            w = cells(ch)
            if used + w > width - 1:
                break
            out += ch
            used += w
        text = out + "…"
    return text + " " * (width - cells(text))


def clean(text: str) -> str:
    """One line of printable text: newlines, tabs and control characters become spaces."""
    if text.isprintable():
        return text
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    ).strip()


def width_for(stream=None) -> int:
    """The width to fit: ``COLUMNS`` when set, else the terminal's, else 80 (files, pipes)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        if stream is not None and stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        pass
    return DEFAULT_WIDTH


def dropped_note(dropped: Sequence[str], width: int) -> str:
    """The line (for stderr) naming the columns a table left out."""
    return f"(left out to fit {width} columns: {', '.join(dropped)}; --format csv has them)"


def _needed(cols: Sequence[Col], natural: Mapping[str, int]) -> int:
    fixed = sum(natural[c.key] for c in cols if not c.text)
    text = sum(min(natural[c.key], c.min_width) for c in cols if c.text)
    return fixed + text + len(GAP) * (len(cols) - 1)


def _share(cols: Sequence[Col], natural: Mapping[str, int], room: int) -> dict[str, int]:
    """Water-fill ``room`` among the text columns: short ones get all they need first."""
    widths: dict[str, int] = {}
    pending = sorted((c for c in cols if c.text), key=lambda c: natural[c.key])
    while pending:
        share = room // len(pending)
        c = pending[0]
        if natural[c.key] <= share:
            widths[c.key] = natural[c.key]
            room -= natural[c.key]
            pending.pop(0)
            continue
        # Everyone left needs more than an even share: split the rest, leftovers first.
        for i, c in enumerate(pending):
            widths[c.key] = max(share + (1 if i < room % len(pending) else 0), c.min_width)
        break
    return widths


def layout(
    cols: Sequence[Col], rows: Sequence[Mapping[str, str]], width: int
) -> tuple[list[Col], dict[str, int], list[str]]:
    """Which columns to show, how wide each is, and which were left out."""
    natural = {
        c.key: max([cells(c.header)] + [cells(r.get(c.key, "")) for r in rows]) for c in cols
    }
    kept = list(cols)
    empty = {c.key for c in cols if rows and not any(r.get(c.key) for r in rows)}
    dropped: list[str] = []
    while _needed(kept, natural) > width:
        # Columns with nothing in them go first (rightmost first), then by declared order.
        candidates = [c for c in kept if c.drop or c.key in empty]
        if not candidates:
            break
        victim = min(candidates, key=lambda c: (c.key not in empty, c.drop or 0, -kept.index(c)))
        kept.remove(victim)
        if victim.key not in empty:
            dropped.append(victim.header)
    widths = _widths(kept, natural, width)
    # A text column cut while an empty column takes room: the empty one goes.
    while any(widths[c.key] < natural[c.key] for c in kept if c.text):
        blank = [c for c in kept if c.key in empty]
        if not blank:
            break
        kept.remove(blank[-1])
        widths = _widths(kept, natural, width)
    return kept, widths, dropped


def _widths(kept: Sequence[Col], natural: Mapping[str, int], width: int) -> dict[str, int]:
    fixed = sum(natural[c.key] for c in kept if not c.text)
    room = width - fixed - len(GAP) * (len(kept) - 1)
    widths = {c.key: natural[c.key] for c in kept if not c.text}
    widths.update(_share(kept, natural, room))
    return widths


def render(
    cols: Sequence[Col],
    rows: Iterable[Mapping],
    *,
    width: int = DEFAULT_WIDTH,
    cell: Callable[[object], str] = str,
    title: str | None = None,
) -> Table:
    """Lay ``rows`` out under ``cols`` within ``width`` columns; each value through ``cell``."""
    texts = [{c.key: clean(cell(r.get(c.key))) for c in cols} for r in rows]
    kept, widths, dropped = layout(cols, texts, width)

    def line(values: Mapping[str, str]) -> str:
        parts = []
        for c in kept:
            w = widths[c.key]
            v = values.get(c.key, "")
            parts.append(" " * (w - cells(v)) + v if c.right and cells(v) <= w else fit(v, w))
        return GAP.join(parts).rstrip()

    lines = [title] if title else []
    lines.append(line({c.key: c.header for c in kept}))
    lines.append(GAP.join("-" * widths[c.key] for c in kept))
    lines.extend(line(t) for t in texts)
    return Table(lines, dropped)
