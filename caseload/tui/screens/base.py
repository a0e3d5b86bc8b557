"""The base of the app's screens: the app typed as ``CaseloadApp``, its open store and day,
and the failure message every screen's workers post."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.message import Message
from textual.screen import Screen

from caseload.tui.data import failure_text

if TYPE_CHECKING:
    from caseload.tui.app import CaseloadApp
    from caseload.tui.data import Store


def deliver(
    node: Any,
    fn: Callable[[], Any],
    ok: Callable[[Any], Message],
    failed: Callable[[str], Message],
) -> None:
    """Run ``fn`` in the calling thread worker; post ``ok(result)`` or ``failed(text)`` to
    ``node``. A worker touches no widget: it only posts (``post_message`` is thread safe),
    and the text of a failure is one that is safe to show (``failure_text``)."""
    try:
        result = fn()
    except Exception as exc:  # reported to the person, never raised into the app
        node.post_message(failed(failure_text(exc)))
        return
    node.post_message(ok(result))


class CaseloadScreen(Screen[None]):
    """A screen of the open store: Today, Patients, a Patient."""

    # Set by a subclass: the title of the toast its workers' failures show.
    FAILED_TITLE = "Could not finish"

    class Failed(Message):
        """A worker of this screen failed; ``text`` is safe to show."""

        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    @property
    def app(self) -> CaseloadApp:
        return cast("CaseloadApp", super().app)

    @property
    def store(self) -> Store:
        store = self.app.store
        if store is None:  # these screens are only pushed once the store is open
            raise RuntimeError("no store is open")
        return store

    @property
    def day(self) -> date:
        return self.app.today()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        message.stop()
        self.notify(message.text, title=self.FAILED_TITLE, severity="error")
