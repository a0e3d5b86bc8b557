"""The Textual app: wires the screens, the bindings, the workers, the forms and the idle lock.

Screens live in ``screens/``, widgets and helpers in ``widgets/``, data access in
``data.py``; this module only connects them. Every store call runs in a thread
worker (``widgets.worker.load``) and comes back as a message.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding

from caseload.tui import data, render
from caseload.tui.messages import Failed, Loaded
from caseload.tui.screens.help import HelpScreen
from caseload.tui.screens.patient import PatientScreen
from caseload.tui.screens.patients import PatientsScreen
from caseload.tui.screens.today import TodayScreen
from caseload.tui.screens.unlock import UnlockScreen
from caseload.tui.widgets.format import name
from caseload.tui.widgets.palette import PatientProvider
from caseload.tui.widgets.worker import load

try:  # the modal forms are built alongside; without them, the keys that need them do nothing
    from caseload.tui import forms
except ImportError:  # pragma: no cover - only in a partial build
    forms = None  # type: ignore[assignment]

# Input that counts as activity for the idle lock.
_ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
# A toast's width and share of the screen (app.tcss, Toast), and what its border and
# padding take: messages are wrapped to the rest, so paths break after a "/".
TOAST_WIDTH, TOAST_SHARE, TOAST_FRAME = 72, 0.9, 3


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

    # --- opening, locking ----------------------------------------------------------

    def on_mount(self) -> None:
        if self.key is not None:
            load(self, "open", data.Store.open, self.db, self.key, self.config)
        else:
            self.push_screen(self._unlock_screen(), self._opened)
        self.set_interval(min(5.0, self.idle_lock_seconds / 4), self._check_idle)

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.what == "open":
            self._opened(message.data)
        elif message.what == "demo-key":
            self.demo_key = message.data
        elif message.what == "complete-form":
            self._complete_form(message.data)
        elif message.what == "apply":
            action, result = message.data
            self._applied(action, result)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if message.what == "open":
            self.push_screen(self._unlock_screen(error=message.message), self._opened)
        else:
            self.notify(message.message, title="Could not save", severity="error")

    def _opened(self, store: data.Store) -> None:
        self.store = store
        self.key = store.key
        self.locked = False
        self.last_input = time.monotonic()
        self.push_screen(TodayScreen())
        load(self, "demo-key", store.demo_key_file)

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
        else:
            self.push_screen(PatientsScreen())
        self.call_after_refresh(self.screen.action_focus_search)  # type: ignore[attr-defined]

    def action_search(self) -> None:
        if not self.locked and self.store is not None:
            self.show_patients()

    def action_help(self) -> None:
        from caseload.tui.screens.help import screen_keys

        screen = self.screen
        keys = screen_keys(getattr(screen, "BINDINGS", []))
        notes = getattr(screen, "HELP_NOTES", ())
        title = screen.__class__.__name__.removesuffix("Screen")
        self.push_screen(HelpScreen(title, keys, notes))

    # --- forms and writes ----------------------------------------------------------

    def _holidays(self) -> frozenset[date]:
        out = set()
        for text in getattr(self.config, "holidays", ()):
            try:
                out.add(date.fromisoformat(text))
            except ValueError:
                continue
        return frozenset(out)

    def open_form(self, which: str, patient: dict, extra: dict | None = None) -> None:
        if forms is None or self.locked:
            return
        ext, day, who = patient["external_id"], self.today(), name(patient)
        made = {
            "contact": (lambda: forms.ContactForm(ext, patient_name=who), "contact.log"),
            "followup": (
                lambda: forms.FollowUpForm(ext, today=day, patient_name=who),
                "followup.add",
            ),
            "edit": (lambda: forms.PatientForm(patient, today=day), "patient.edit"),
            "hospital": (
                lambda: forms.HospitalDischargeForm(
                    ext,
                    risk=patient.get("risk"),
                    today=day,
                    holidays=self._holidays(),
                    patient_name=who,
                ),
                "transition.record",
            ),
            "discharge": (
                lambda: forms.DischargePatientForm(ext, today=day, patient_name=who),
                "patient.discharge",
            ),
            "problem": (lambda: forms.ProblemForm(ext, patient_name=who), "careplan.problem"),
            "referral": (
                lambda: forms.ReferralStatusForm(extra or {}, today=day, patient_name=who),
                "referral.advance",
            ),
        }
        build, action = made[which]
        self.push_screen(build(), lambda values: self.apply(action, values))

    def add_patient(self) -> None:
        if forms is not None and not self.locked:
            form = forms.PatientForm(None, today=self.today())
            self.push_screen(form, lambda values: self.apply("patient.add", values))

    def complete_followup(self, followup_id: int) -> None:
        if self.store is None or self.locked:
            return
        if forms is None:
            self.apply("followup.complete", {"followup_id": followup_id})
        else:
            load(self, "complete-form", self.store.followup, followup_id)

    def _complete_form(self, followup: dict) -> None:
        if followup.get("status") != "open":
            self.notify(render.already(followup), severity="warning")
            return
        self.push_screen(
            forms.CompleteFollowUpForm(followup),
            lambda values: self.apply("followup.complete", values),
        )

    def apply(self, action: str, values: dict | None) -> None:
        if values is None or self.store is None:
            return
        store = self.store
        load(self, "apply", lambda: (action, store.apply(action, values)))

    def _applied(self, action: str, result: Any) -> None:
        what = {"followup.complete": "Follow-up done"}.get(action, "Saved")
        if action == "followup.complete" and isinstance(result, dict) and result.get("next"):
            what += f"; next one due {result['next']['due_on']}"
        self.notify(what)
        if action == "patient.add":
            self.open_patient(result["external_id"])
        for screen in self.screen_stack:
            if action == "patient.edit" and isinstance(screen, PatientScreen):
                screen.external_id = result["external_id"]
            refresh = getattr(screen, "action_refresh", None)
            if refresh is not None and not isinstance(screen, UnlockScreen):
                refresh()


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
