"""The help screen: every key binding of the screen underneath it and of the app."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

GENERAL = (
    ("?", "this help"),
    ("ctrl+p", "command palette: jump to any patient by name, id or phone"),
    ("/", "search patients"),
    ("esc", "back"),
    ("ctrl+q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, bindings: list[tuple[str, str]]) -> None:
        super().__init__(id="help")
        self.screen_title = title
        self.keys = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label(f"Keys: {self.screen_title}", classes="title")
            rows = [f"  {k:<10} {what}" for k, what in self.keys]
            rows.append("")
            rows += [f"  {k:<10} {what}" for k, what in GENERAL]
            yield Static("\n".join(rows), id="help-keys")
            yield Label("esc closes", classes="subtitle")

    def action_dismiss(self) -> None:
        self.dismiss(None)
