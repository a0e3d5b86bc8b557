"""The machinery every modal form shares: declared fields, inline validation, save and cancel.

A form declares its fields (text, select or checkbox, each with a parser that
turns what was typed into a clean value or raises ValueError with a message);
the base lays them out one per row at 80x24, re-validates on every change,
shows each error in a label under its field, refuses to save while anything is
invalid, and dismisses with the form's ``result`` dict, or ``None`` on cancel.
Nothing a person types may raise out of a form: a parser's unexpected failure
becomes an inline error too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select

from caseload.tui.forms.fields import MAX_TEXT, Field, who


class Tick(Checkbox):
    """A checkbox whose box is empty when unchecked: on and off differ without colour."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "X" if self.value else " "


class FormScreen(ModalScreen[dict | None]):
    """A modal form over declared fields; subclasses provide ``fields`` and ``result``."""

    TITLE_TEXT: ClassVar[str] = "Form"
    SAVE_LABEL: ClassVar[str] = "Save"

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+s", "save", "Save", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    FormScreen {
        align: center middle;
    }
    FormScreen > #form {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    FormScreen #form-title {
        text-style: bold;
        width: 1fr;
        margin-bottom: 1;
    }
    FormScreen .form-intro {
        color: $text-muted;
        width: 1fr;
    }
    FormScreen #form-fields {
        height: auto;
        max-height: 1fr;
        margin-top: 1;
    }
    FormScreen .form-row {
        height: auto;
    }
    FormScreen .form-label {
        width: 16;
        padding-right: 1;
    }
    FormScreen .form-row Input, FormScreen .form-row Select {
        width: 1fr;
    }
    FormScreen .form-row Checkbox {
        margin-right: 2;
    }
    /* Compact fields on a plain dialog need their own ground, and focus must show. */
    FormScreen .form-row Input, FormScreen .form-row SelectCurrent {
        background: $panel;
    }
    FormScreen .form-row Input:focus, FormScreen .form-row Select:focus > SelectCurrent {
        background: $primary 30%;
    }
    FormScreen .form-row:focus-within > .form-label {
        color: $accent;
        text-style: bold;
    }
    FormScreen .form-error {
        color: $error;
        margin-left: 16;
        width: 1fr;
    }
    FormScreen .form-hint {
        color: $text-muted;
        margin-left: 16;
        width: 1fr;
    }
    FormScreen .form-error.-empty, FormScreen .form-hint.-empty, FormScreen #form-info.-empty {
        display: none;
    }
    FormScreen #form-info {
        margin-top: 1;
        width: 1fr;
    }
    FormScreen #form-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    FormScreen #form-buttons Button {
        margin-left: 2;
    }
    """

    def __init__(self, *, today: date | None = None, now: datetime | None = None) -> None:
        # A fixed day or moment for tests and screenshots; None means the real clock.
        self.today = today
        self.now = now
        super().__init__()
        self.form_fields: list[Field] = list(self.fields())
        self._by_key: dict[str, Field] = {f.key: f for f in self.form_fields}
        self._touched: set[str] = set()
        self._tried_save = False

    def _today(self) -> date:
        return self.today or date.today()

    def _now(self) -> datetime:
        return self.now or datetime.now().astimezone()

    # --- what subclasses provide -----------------------------------------------------

    def fields(self) -> Sequence[Field]:
        raise NotImplementedError

    def intro(self) -> Sequence[str]:
        """Lines shown under the title (what the form is about)."""
        return ()

    def check(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Errors that involve more than one field: {field key: message}."""
        return {}

    def info(self, values: Mapping[str, Any], errors: Mapping[str, str]) -> str:
        """A live line under the fields (e.g. the dates a discharge will schedule)."""
        return ""

    def can_save(self) -> str:
        """Why this form cannot be saved at all (empty: it can)."""
        return ""

    def result(self, values: Mapping[str, Any]) -> dict:
        """The dict the form dismisses with, from the clean values."""
        return dict(values)

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Label(self.TITLE_TEXT, id="form-title")
            for line in self.intro():
                yield Label(line, classes="form-intro", markup=False)
            with VerticalScroll(id="form-fields"):
                yield from self._rows()
            yield Label("", id="form-info", classes="-empty", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(self.SAVE_LABEL, id="form-save", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    def _rows(self) -> ComposeResult:
        fields = self.form_fields
        i = 0
        while i < len(fields):
            f = fields[i]
            if f.kind == "check":
                group = [f]
                while (
                    i + len(group) < len(fields)
                    and fields[i + len(group)].kind == "check"
                    and fields[i + len(group)].group == f.group
                ):
                    group.append(fields[i + len(group)])
                with Horizontal(classes="form-row"):
                    yield Label(f.group, classes="form-label")
                    for g in group:
                        yield Tick(g.label, bool(g.value), id=f"f-{g.key}", compact=True)
                for g in group:
                    yield from self._notes(g)
                i += len(group)
                continue
            with Horizontal(classes="form-row"):
                yield Label(f.label, classes="form-label")
                yield self._widget(f)
            yield from self._notes(f)
            i += 1

    def _widget(self, f: Field) -> Widget:
        if f.kind == "select":
            return Select(
                list(f.options),
                value=f.value,
                allow_blank=False,
                id=f"f-{f.key}",
                compact=True,
            )
        return Input(
            value=str(f.value or ""),
            placeholder=f.placeholder,
            id=f"f-{f.key}",
            compact=True,
            select_on_focus=False,
        )

    def _notes(self, f: Field) -> ComposeResult:
        yield Label("", id=f"err-{f.key}", classes="form-error -empty", markup=False)
        if f.hint is not None:
            yield Label("", id=f"hint-{f.key}", classes="form-hint -empty", markup=False)

    def on_mount(self) -> None:
        # What the fields held before anyone typed: edit forms return only what differs.
        self.initial_values, _ = self._refresh()
        if self.form_fields:
            self.query_one(f"#f-{self.form_fields[0].key}").focus()

    def changed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The clean values that differ from what the form opened with."""
        return {k: v for k, v in values.items() if self.initial_values.get(k) != v}

    # --- reading and validating ------------------------------------------------------

    def raw(self, key: str) -> Any:
        """What the field's widget holds now (text, option value or bool)."""
        widget = self.query_one(f"#f-{key}")
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        return widget.value

    def _clean(self, f: Field) -> tuple[Any, str]:
        raw = self.raw(f.key)
        if f.kind != "text":
            return raw, ""
        text = (raw or "").strip()
        if not text:
            return None, (f"{f.label.lower()} is required" if f.required else "")
        if len(text) > MAX_TEXT:
            return None, f"{f.label.lower()} is longer than {MAX_TEXT} characters"
        if f.parse is None:
            return text, ""
        try:
            return f.parse(text), ""
        except ValueError as exc:
            return None, str(exc) or "not understood"
        except Exception:  # a parser's bug must not take the form down with it
            return None, "not understood"

    def validate_all(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The clean values and the errors, field by field then across fields."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for f in self.form_fields:
            value, error = self._clean(f)
            values[f.key] = value
            if error:
                errors[f.key] = error
        try:
            for key, message in self.check(values).items():
                errors.setdefault(key, message)
        except Exception:
            errors.setdefault(self.form_fields[0].key, "not understood")
        return values, errors

    def _refresh(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, errors = self.validate_all()
        for f in self.form_fields:
            shown = errors.get(f.key, "") if (self._tried_save or f.key in self._touched) else ""
            self._set_label(f"#err-{f.key}", shown)
            self.query_one(f"#f-{f.key}").set_class(bool(shown), "-invalid")
            if f.hint is not None:
                text = ""
                if f.key not in errors and values[f.key] is not None:
                    try:
                        text = f.hint(values[f.key])
                    except Exception:
                        text = ""
                self._set_label(f"#hint-{f.key}", text)
        try:
            line = self.can_save() or self.info(values, errors)
        except Exception:
            line = ""
        self._set_label("#form-info", line)
        return values, errors

    def _set_label(self, selector: str, text: str) -> None:
        label = self.query_one(selector, Label)
        label.update(text)
        label.set_class(not text, "-empty")

    def _key_of(self, widget: Widget | None) -> str | None:
        wid = getattr(widget, "id", None) or ""
        key = wid[2:] if wid.startswith("f-") else None
        return key if key in self._by_key else None

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event: Input.Changed | Select.Changed | Checkbox.Changed) -> None:
        key = self._key_of(event.control)
        if key is not None:
            self._touched.add(key)
        self._refresh()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last field it saves."""
        event.stop()
        last = self.form_fields[-1].key if self.form_fields else None
        if self._key_of(event.control) == last:
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    # --- actions ---------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        """Dismiss with the result, or show every error and stay."""
        self._tried_save = True
        values, errors = self._refresh()
        if self.can_save():
            return
        if errors:
            first = next(f for f in self.form_fields if f.key in errors)
            more = len(errors) - 1
            also = f" (and {more} more field{'s' if more > 1 else ''})" if more else ""
            name = first.label or first.group or first.key
            why = errors[first.key]
            # "title is required" names its field already; "not a date…" needs the name.
            what = why if why.lower().startswith(name.lower()) else f"{name}: {why}"
            self._set_label("#form-info", f"Not saved: {what}{also}.")
            widget = self.query_one(f"#f-{first.key}")
            widget.focus()
            widget.scroll_visible()
            self.app.bell()
            return
        try:
            out = self.result(values)
        except Exception:
            self._set_label("#form-info", "This form could not be read; check the fields.")
            return
        self.dismiss(out)


class PatientFormScreen(FormScreen):
    """A form about one patient, who is named in its first line (``INTRO``'s ``{who}``).

    The patient's attributes are set before the base builds the fields, which may read them.
    """

    INTRO: ClassVar[str] = "Patient {who}"

    def __init__(
        self,
        patient_external_id: str,
        *,
        patient_name: str | None = None,
        today: date | None = None,
        now: datetime | None = None,
    ) -> None:
        self.patient_external_id = patient_external_id
        self.patient_name = patient_name
        super().__init__(today=today, now=now)

    def intro(self) -> Sequence[str]:
        return (self.INTRO.format(who=who(self.patient_external_id, self.patient_name)),)
