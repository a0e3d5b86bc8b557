"""Messages the workers post back to the UI thread: results of data calls, or their errors."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class StoreOpened(Message):
    """The store is open (or reopened after a lock): screens may load."""

    def __init__(self, store: Any) -> None:
        self.store = store
        super().__init__()


class Unlocked(Message):
    """The unlock screen accepted a key."""

    def __init__(self, key: Any) -> None:
        self.key = key
        super().__init__()


class Loaded(Message):
    """A screen's data, loaded by its worker; ``what`` names which call it answers."""

    def __init__(self, what: str, data: Any) -> None:
        self.what = what
        self.data = data
        super().__init__()


class Failed(Message):
    """A worker's expected failure (a CaseloadError message, safe to show)."""

    def __init__(self, what: str, message: str) -> None:
        self.what = what
        self.message = message
        super().__init__()


class Changed(Message):
    """A write succeeded: screens showing that patient (or the day) reload."""

    def __init__(self, action: str, result: Any, external_id: str | None = None) -> None:
        self.action = action
        self.result = result
        self.external_id = external_id
        super().__init__()
