"""Two small dialogs: pick one of a few choices, and type a name. Every label is data: literal Text."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from omeconsole.core.errors import UsageError
from omeconsole.ui.plain import plain


class ChoiceScreen(ModalScreen[object | None]):
    """One of `choices` (label, value), picked with Enter; Esc picks none."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice-cancel", tooltip="Close without choosing")]

    def __init__(self, title: str, choices: list[tuple[Text, object]], note: str = "") -> None:
        super().__init__()
        self.title_text, self.choices, self.note = title, choices, note

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-dialog", classes="dialog"):
            yield Label(plain(self.title_text), id="choice-title")
            yield OptionList(*(Option(label, id=str(n)) for n, (label, _) in enumerate(self.choices)),
                             id="choice-list")
            yield Static(plain(self.note or "Enter chooses · Esc closes"), id="choice-note")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class NameScreen(ModalScreen[str | None]):
    """A name typed and checked by `check` (a UsageError is shown under the field, and the dialog stays)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="name-cancel", tooltip="Close without saving")]

    def __init__(self, title: str, check, placeholder: str = "") -> None:
        super().__init__()
        self.title_text, self.check, self.placeholder = title, check, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="name-dialog", classes="dialog"):
            yield Label(plain(self.title_text), id="name-title")
            yield Input(placeholder=self.placeholder, id="name-input", max_length=200)
            yield Static("", id="name-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.dismiss(self.check(event.value))
        except UsageError as error:
            self.query_one("#name-error", Static).update(plain(str(error), style="bold"))

    def action_cancel(self) -> None:
        self.dismiss(None)
