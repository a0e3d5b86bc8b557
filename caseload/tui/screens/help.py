"""The help screen: the keys of the screen underneath it, what its signs mean, and the keys
that work everywhere, each key once, under the name the footer shows (``esc``, not
``escape``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label

GENERAL = (
    ("?", "this help"),
    ("ctrl+p", "command palette: jump to any patient by name, id or phone"),
    ("/", "search patients"),
    ("esc", "back, or close a form without saving"),
    ("home end", "the first or the last row of a list"),
    ("ctrl+q", "quit"),
)
KEY_NAMES = {"escape": "esc", "question_mark": "?", "slash": "/"}


def key_name(binding: Binding) -> str:
    return binding.key_display or KEY_NAMES.get(binding.key, binding.key)


def screen_keys(bindings: Iterable[object]) -> list[tuple[str, str]]:
    """A screen's bound keys as (key, what it does), without the keys GENERAL lists; the
    number keys (the Patient screen's tabs) share one row."""
    general = {k for k, _ in GENERAL}
    rows: list[tuple[str, str]] = []
    numbers: list[tuple[str, str]] = []
    for b in bindings:
        if not isinstance(b, Binding) or not b.description:
            continue
        key = key_name(b)
        if key in general or any(key == k for k, _ in rows):
            continue
        what = b.tooltip or b.description
        (numbers if key.isdigit() else rows).append((key, what))
    if numbers:
        tabs = ", ".join(f"{k} {what.removesuffix(' tab')}" for k, what in numbers)
        rows.append((f"{numbers[0][0]}-{numbers[-1][0]}", f"tabs: {tabs}"))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(
        self,
        title: str,
        bindings: list[tuple[str, str]],
        notes: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(id="help")
        self.screen_title = title
        self.keys = bindings
        self.notes = tuple(notes)

    @property
    def rows(self) -> list[tuple[str, str]]:
        """Every (key or sign, meaning) row shown, in order."""
        return [*self.keys, *self.notes, *GENERAL]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label(f"Keys: {self.screen_title}", classes="title")
            yield from self._rows(self.keys)
            if self.notes:
                yield Label("On this screen", classes="subtitle help-gap")
                yield from self._rows(self.notes)
            yield Label("Everywhere", classes="subtitle help-gap")
            yield from self._rows(GENERAL)
            yield Label("esc closes", classes="subtitle help-gap")

    @staticmethod
    def _rows(rows: Sequence[tuple[str, str]]) -> ComposeResult:
        # Two labels side by side: a long meaning wraps under itself, not under the key.
        for key, what in rows:
            with Horizontal(classes="help-row"):
                yield Label(key, classes="help-key", markup=False)
                yield Label(what, classes="help-what", markup=False)

    def action_dismiss(self) -> None:
        self.dismiss(None)
