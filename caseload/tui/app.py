"""The Textual app: wires the screens, the bindings, the workers and the idle lock.

Screens live in ``screens/``, widgets in ``widgets/``, words in ``render.py``, data
access in ``data.py``; this module only connects them. Every store call runs in a
thread worker and comes back as a message of the screen (or this app) that asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from caseload.tui import data, forms, render
from caseload.tui.commands import PatientProvider
from caseload.tui.screens.base import deliver
from caseload.tui.screens.help import HelpScreen, screen_keys
from caseload.tui.screens.patient import PatientScreen
from caseload.tui.screens.patients import PatientsScreen
from caseload.tui.screens.today import TodayScreen
from caseload.tui.screens.unlock import UnlockScreen

# Input that counts as activity for the idle lock.
_ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
# A toast's width and share of the screen (app.tcss, Toast), and what its border and
# padding take, plus one cell: the share is of the toast rack, narrower than the screen
# by its scrollbar (seen at 80 columns in tmux: a 69-cell line wrapped its last letters).
# Messages are wrapped to the rest, so paths break after a "/".
TOAST_WIDTH, TOAST_SHARE, TOAST_FRAME = 72, 0.9, 4

# What a form's result is handed to (a ``data.Store`` method), and what is said once
# it is saved (the toast's text, or None for "Saved").
Save = Callable[[dict], Any]
Done = Callable[[Any], "str | None"]


class CaseloadApp(App[None]):
    """The caseload TUI. ``today`` fixes the date (tests, screenshots); ``key`` may be None."""

    CSS_PATH = "app.tcss"
    TITLE = "caseload"
    COMMANDS = App.COMMANDS | {PatientProvider}
    BINDINGS: ClassVar = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "help", "Help"),
        # "/" searches from any screen (Today and Patients bind it to the same end).
        Binding("slash", "search", "Search", show=False),
    ]

    def __init__(
        self,
        db: Path,
        config: Any = None,
        *,
        key: Any = None,
        today: date | None = None,
        idle_lock_seconds: float | None = None,
    ) -> None:
        super().__init__()
        if config is None:
            from caseload.config import Config

            config = Config()
        self.db = Path(db)
        self.config = config
        self.key = key
        self.fixed_today = today
        self.idle_lock_seconds = (
            idle_lock_seconds
            if idle_lock_seconds is not None
            else max(1, int(config.idle_lock_minutes)) * 60
        )
        self.store: data.Store | None = None
        # A demo store's key file, named on the lock screen (found once the store is open).
        self.demo_key: Path | None = None
        self.locked = True
        self.last_input = time.monotonic()

    def today(self) -> date:
        return self.fixed_today or date.today()

    def holidays(self) -> frozenset[date]:
        """The configured holidays (checked when the config was read), as dates."""
        from caseload.services.schedule import parse_holidays

        return parse_holidays(getattr(self.config, "holidays", ()))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast whose lines fit it: words whole, long paths broken after a "/"."""
        width = min(TOAST_WIDTH, int(self.size.width * TOAST_SHARE)) - TOAST_FRAME
        super().notify(
            render.wrap(message, width),
            title=title,
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # --- messages of this app's workers ----------------------------------------------

    class Opened(Message):
        def __init__(self, store: data.Store) -> None:
            self.store = store
            super().__init__()

    class OpenFailed(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class DemoKeyFound(Message):
        def __init__(self, path: Path | None) -> None:
            self.path = path
            super().__init__()

    class FollowUpLoaded(Message):
        def __init__(self, followup: dict) -> None:
            self.followup = followup
            super().__init__()

    class Saved(Message):
        def __init__(self, result: Any, done: Done | None) -> None:
            self.result = result
            self.done = done
            super().__init__()

    class SaveFailed(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    # --- opening, locking ----------------------------------------------------------

    def on_mount(self) -> None:
        if self.key is not None:
            self.open_store(self.db, self.key, self.config)
        else:
            self.push_screen(self._unlock_screen(), self._opened)
        self.set_interval(min(5.0, self.idle_lock_seconds / 4), self._check_idle)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_store(self, db: Path, key: Any, config: Any) -> None:
        deliver(self, lambda: data.Store.open(db, key, config), self.Opened, self.OpenFailed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="demo-key")
    def find_demo_key(self, store: data.Store) -> None:
        # Only a key file found is named: a failure here leaves the lock screen plain.
        deliver(self, store.demo_key_file, self.DemoKeyFound, lambda _: self.DemoKeyFound(None))

    @on(Opened)
    def _store_opened(self, message: Opened) -> None:
        self._opened(message.store)

    @on(OpenFailed)
    def _open_failed(self, message: OpenFailed) -> None:
        self.push_screen(self._unlock_screen(error=message.text), self._opened)

    @on(DemoKeyFound)
    def _demo_key_found(self, message: DemoKeyFound) -> None:
        self.demo_key = message.path

    def _opened(self, store: data.Store | None) -> None:
        if store is None:
            return
        self.store = store
        self.key = store.key
        self.locked = False
        self.last_input = time.monotonic()
        self.push_screen(TodayScreen())
        self.find_demo_key(store)

    def _unlock_screen(self, **kw: Any) -> UnlockScreen:
        """The unlock screen; for a demo store (its key beside it), it says where the key is."""
        hint = self.demo_key
        if hint is None and self._is_demo_path():
            hint = data.demo_key_beside(self.db)
        return UnlockScreen(self.db, self.config, demo_key=hint, **kw)

    def _is_demo_path(self) -> bool:
        from caseload import paths

        return self.db.resolve() == paths.demo_db().resolve()

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _ACTIVITY):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if not self.locked and time.monotonic() - self.last_input >= self.idle_lock_seconds:
            self.lock()

    def lock(self) -> None:
        """Hide everything behind the unlock screen until the key in use is typed again."""
        if self.store is None or self.locked:
            return
        self.locked = True
        self.push_screen(self._unlock_screen(store=self.store), self._relocked)

    def _relocked(self, _key: Any) -> None:
        self.locked = False
        self.last_input = time.monotonic()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self.locked and action != "quit")

    def action_command_palette(self) -> None:
        if not self.locked:
            super().action_command_palette()

    # --- navigation ----------------------------------------------------------------

    def open_patient(self, external_id: str) -> None:
        if not self.locked:
            self.push_screen(PatientScreen(external_id))

    def action_report(self) -> None:
        """The program report (screens/report.py): R on Today, or Report in the palette."""
        from caseload.tui.screens.report import ReportScreen

        if not self.locked and self.store is not None:
            self.push_screen(ReportScreen())

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Report", "the program report for this month", self.action_report)

    def show_patients(self) -> None:
        existing = [s for s in self.screen_stack if isinstance(s, PatientsScreen)]
        if existing:
            while self.screen is not existing[-1]:
                self.pop_screen()
            screen = existing[-1]
        else:
            screen = PatientsScreen()
            self.push_screen(screen)
        self.call_after_refresh(screen.action_focus_search)

    def action_search(self) -> None:
        if not self.locked and self.store is not None:
            self.show_patients()

    def action_help(self) -> None:
        screen: Screen[Any] = self.screen
        keys = screen_keys(getattr(screen, "BINDINGS", []))
        notes = getattr(screen, "HELP_NOTES", ())
        title = screen.__class__.__name__.removesuffix("Screen")
        self.push_screen(HelpScreen(title, keys, notes))

    # --- forms and writes ----------------------------------------------------------

    def open_form(self, form: forms.FormScreen, save: Save, done: Done | None = None) -> None:
        """Show ``form``; what it returns (None: cancelled) is saved by ``save`` in a worker."""
        if self.locked or self.store is None:
            return
        self.push_screen(form, lambda values: self._save(save, values, done))

    def add_patient(self) -> None:
        if self.store is not None:
            form = forms.PatientForm(None, today=self.today())
            self.open_form(form, self.store.add_patient, self._added)

    def _added(self, patient: dict) -> None:
        self.open_patient(patient["external_id"])

    def complete_followup(self, followup_id: int) -> None:
        """Complete a follow-up through its form, once it is known to be still open."""
        if self.store is not None and not self.locked:
            self.load_followup(self.store, followup_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="followup")
    def load_followup(self, store: data.Store, followup_id: int) -> None:
        deliver(self, lambda: store.followup(followup_id), self.FollowUpLoaded, self.SaveFailed)

    @on(FollowUpLoaded)
    def _followup_loaded(self, message: FollowUpLoaded) -> None:
        followup = message.followup
        if followup.get("status") != "open":
            self.notify(render.already(followup), severity="warning")
        elif self.store is not None:
            form = forms.CompleteFollowUpForm(followup)
            self.open_form(form, self.store.complete_followup, _completed)

    def _save(self, save: Save, values: dict | None, done: Done | None) -> None:
        if values is not None:
            self.save(save, values, done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def save(self, save: Save, values: dict, done: Done | None) -> None:
        deliver(self, lambda: save(values), lambda r: self.Saved(r, done), self.SaveFailed)

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        said = message.done(message.result) if message.done is not None else None
        self.notify(said or "Saved")
        for screen in self.screen_stack:
            refresh = getattr(screen, "action_refresh", None)
            if refresh is not None and not isinstance(screen, UnlockScreen):
                refresh()

    @on(SaveFailed)
    def _save_failed(self, message: SaveFailed) -> None:
        self.notify(message.text, title="Could not save", severity="error")


def _completed(result: Any) -> str:
    """The toast after completing a follow-up: the next one's date when it repeats."""
    from caseload.labels import plural

    said = "Follow-up done"
    if isinstance(result, dict) and result.get("closed") is False:
        return (f"Attempt recorded ({result['attempts']} of {result['needed']} failed); "
                f"closing it as unable to reach takes {result['needed']}")  # fmt: skip
    if isinstance(result, dict) and result.get("unable_reason"):
        said = f"Closed as unable to reach after {plural(result['attempts'], 'attempt')}"
    if isinstance(result, dict) and result.get("next"):
        said += f"; next one due {result['next']['due_on']}"
    return said


def run_app(state: Any) -> None:
    """Open the TUI for anything with ``db``, ``key_file`` and ``config()`` (the CLI's State).

    The key comes from a key file, the environment or the keyring; the TUI never
    prompts on the terminal: without a key it shows its own unlock screen.
    """
    from caseload.errors import StoreMissing
    from caseload.store.keys import resolve_key

    if not Path(state.db).exists():
        raise StoreMissing(
            f"no caseload store at {state.db}",
            hint="create one with `caseload init`, or try `caseload demo`",
        )
    config = state.config()
    key = resolve_key(
        state.db, state.key_file, keyring_timeout=config.keyring_timeout, prompt=False
    )
    CaseloadApp(state.db, config, key=key).run()
