"""The unlock screen: asks for the key when no source gave one, and after an idle lock.

It is an opaque full screen, so when the app locks itself it hides every screen
under it. Opening checks the key by opening the store in a worker; relocking
compares the typed key with the one in use, without reopening the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from caseload.errors import StoreLocked
from caseload.store.connect import WRONG_KEY
from caseload.tui import data
from caseload.tui.render import wrap
from caseload.tui.screens.base import deliver

# The unlock box's text width (app.tcss: 70 wide, a border and 2 of padding each side):
# paths are broken after a "/" to fit it, never inside a name.
TEXT_WIDTH = 64


class KeyField(Input):
    """The key field takes the focus as soon as it exists: the screen's own Mount can
    come before the box's children are mounted (seen when the app locked itself), so
    focusing it from there could miss it and leave the typed key going nowhere."""

    def on_mount(self) -> None:
        self.focus()


class UnlockScreen(Screen[Any]):
    """Dismisses with the opened Store (``store`` None) or the typed Key (relock)."""

    BINDINGS: ClassVar = [Binding("ctrl+q", "app.quit", "Quit", priority=True)]

    def __init__(
        self,
        db: Path,
        config: Any,
        *,
        store: Any = None,
        error: str | None = None,
        demo_key: Path | None = None,
    ) -> None:
        super().__init__(id="unlock")
        self.db = db
        self.config = config
        self.store = store
        self.error = error
        # A demo store's key file: made up data, so the screen may say where its key is.
        self.demo_key = demo_key

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock-box"):
            title = "Locked" if self.store is not None else "Unlock the store"
            yield Label(title, id="unlock-title")
            yield Static(wrap(f"{self.db}", TEXT_WIDTH), id="unlock-path", markup=False)
            if self.demo_key is not None:
                yield Static(
                    wrap(
                        f"This is a demo store. Its key is in {self.demo_key}"
                        f" (e.g. cat {self.demo_key}, then paste it here).",
                        TEXT_WIDTH,
                    ),
                    id="unlock-demo",
                    markup=False,
                )
            yield Label("Key, passphrase or recovery key:")
            yield KeyField(password=True, id="unlock-key")
            yield Static(self.error or "", id="unlock-error")
            yield Static("Enter to unlock · Ctrl+Q to quit", id="unlock-help")

    class Unlocked(Message):
        """The typed key opened the store (a Store) or matches the one in use (a Key)."""

        def __init__(self, value: Any) -> None:
            self.value = value
            super().__init__()

    class Refused(Message):
        """The typed key was not the right one; ``text`` says so."""

        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    @on(Input.Submitted, "#unlock-key")
    def try_key(self, event: Input.Submitted) -> None:
        text = event.value
        event.input.value = ""
        self.query_one("#unlock-error", Static).update("Checking…")
        self.check_key(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock")
    def check_key(self, text: str) -> None:
        deliver(self, lambda: self._check(text), self.Unlocked, self.Refused)

    def _check(self, text: str) -> Any:
        key = data.parse_typed_key(text)
        if self.store is None:
            return data.Store.open(self.db, key, self.config)
        try:
            if data.same_key(key, self.store.key, self.db):
                return key
        except OSError:
            pass
        raise StoreLocked(WRONG_KEY)

    @on(Unlocked)
    def _unlocked(self, message: Unlocked) -> None:
        message.stop()
        self.dismiss(message.value)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        message.stop()
        self.query_one("#unlock-error", Static).update(message.text)
        self.query_one("#unlock-key", Input).focus()
